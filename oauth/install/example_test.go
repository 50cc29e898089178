package install_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"

	"github.com/b24go/b24/oauth/install"
)

// The install endpoint: the portal POSTs ONAPPINSTALL with the portal's
// tokens and application_token; Handler saves them, one file per
// member_id, and later events of that portal must carry the same
// application_token.
func ExampleHandler() {
	dir, _ := os.MkdirTemp("", "portals")
	defer os.RemoveAll(dir)
	portals := install.Dir{Path: dir}
	srv := httptest.NewServer(install.Handler(portals, func(w http.ResponseWriter, r *http.Request, e install.Event) {
		fmt.Println("event", e.Name, "from", e.Auth.Domain)
	}))
	defer srv.Close()

	send := func(event, appToken string) int {
		form := installForm(func(f url.Values) {
			f.Set("event", event)
			f.Set("auth[application_token]", appToken)
		})
		resp, err := http.Post(srv.URL, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
		if err != nil {
			panic(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	fmt.Println("install:", send("ONAPPINSTALL", "apptoken1"))
	c, _ := portals.Verify("3d906b2a32030386ccc7274d2313a01b", "apptoken1")
	fmt.Println("saved:", c.Domain, c.Token.UserID)
	fmt.Println("forged event:", send("ONCRMDEALUPDATE", "forged"))
	fmt.Println("event:", send("ONCRMDEALUPDATE", "apptoken1"))
	// Output:
	// install: 200
	// saved: xx.bitrix24.ru 1
	// forged event: 403
	// event ONCRMDEALUPDATE from xx.bitrix24.ru
	// event: 200
}
