package install_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/b24go/b24/oauth"
	"github.com/b24go/b24/oauth/install"
)

// FuzzParseEvent: any form body either fails with ErrInvalid or gives an
// event whose tokens (none, or both valid), member id and domain passed
// their checks; never a panic.
func FuzzParseEvent(f *testing.F) {
	f.Add(installForm(nil).Encode())
	f.Add(installForm(set("event", "ONAPPUNINSTALL")).Encode())
	f.Add("event=ONAPPINSTALL&auth[member_id]=a&auth[application_token]=b&auth[domain]=x&data[VERSION]=1")
	f.Add("event=x&auth[expires_in]=99999999999999999999")
	f.Fuzz(func(t *testing.T, body string) {
		form, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		e, err := install.ParseEvent(form, now)
		if err != nil {
			if !strings.Contains(err.Error(), "invalid request") {
				t.Fatalf("error without ErrInvalid: %v", err)
			}
			return
		}
		a := e.Auth
		if !oauth.ValidToken(a.ApplicationToken) || a.MemberID == "" || strings.ContainsAny(a.MemberID+a.Domain, "/\\ \n") {
			t.Fatalf("accepted %+v", a)
		}
		// Tokens are optional (the REST docs' ONAPPINSTALL has none), both or none.
		if (a.AccessToken != "" || a.RefreshToken != "") && (!oauth.ValidToken(a.AccessToken) || !oauth.ValidToken(a.RefreshToken) || !a.Expiry.After(now)) {
			t.Fatalf("accepted with invalid tokens: %v", e)
		}
	})
}

// FuzzParsePlacement: any form either fails or gives a placement with a
// valid access token, a JSON object for options, and a plain domain.
func FuzzParsePlacement(f *testing.F) {
	f.Add(placementForm(nil).Encode())
	f.Add(placementForm(set("PLACEMENT_OPTIONS", `{"a":[1,{"b":null}]}`)).Encode())
	f.Add("AUTH_ID=a&member_id=b&DOMAIN=c&AUTH_EXPIRES=1&PLACEMENT_OPTIONS=%7B")
	f.Fuzz(func(t *testing.T, body string) {
		form, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		p, err := install.ParsePlacement(form, now)
		if err != nil {
			return
		}
		if !oauth.ValidToken(p.AccessToken) || strings.ContainsAny(p.MemberID+p.Domain, "/\\ \n") || !p.Expiry.After(now) {
			t.Fatalf("accepted %+v", p)
		}
		if len(p.Options) > 0 && strings.TrimSpace(string(p.Options))[0] != '{' {
			t.Fatalf("options %q", p.Options)
		}
	})
}
