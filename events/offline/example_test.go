package offline_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/b24go/b24"
	"github.com/b24go/b24/b24test"
	"github.com/b24go/b24/events/offline"
	"github.com/b24go/b24/oauth"
)

// An application subscribes to deal updates in the offline queue; three
// saves of one deal are one record. The first attempt to handle it fails:
// the record is marked failed, offered again at the end of the pass, and
// cleared once handled.
func ExampleConsumer_Drain() {
	s, _ := b24test.Start(b24test.InMemory())
	defer s.Close()
	tok := s.RegisterApp("local.app", "app-secret")
	src, _ := oauth.New(oauth.Config{ClientID: "local.app", ClientSecret: "app-secret",
		Store:    oauth.NewMemoryStore(oauth.Token{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, Expiry: tok.Expires}),
		TokenURL: s.OAuthURL(), HTTPClient: s.Client()})
	h, _ := b24.NewApp(s.URL(), src, b24.WithHTTPClient(s.Client()))
	defer h.Close()
	ctx := context.Background()

	if err := offline.Bind(ctx, h, offline.Binding{Event: "ONCRMDEALUPDATE", Offline: true}); err != nil {
		fmt.Println(err)
		return
	}
	for _, title := range []string{"a", "b", "c"} {
		b24.CallAs[bool](ctx, h.V2(), "crm.deal.update", map[string]any{"id": 7, "fields": map[string]any{"TITLE": title}})
	}

	c, err := offline.New(h, offline.Config{ProcessID: "example", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		fmt.Println(err)
		return
	}
	attempts := 0
	st, err := c.Drain(ctx, func(ctx context.Context, e offline.Event) error {
		attempts++
		fmt.Println(e.Name, e.Entity, e.Action, e.ID, "retry:", e.Retry)
		if attempts == 1 {
			return errors.New("the database is down")
		}
		return nil
	})
	fmt.Printf("handled %d, failed %d, err %v, left %d\n", st.Handled, st.Failed, err, s.OfflineRecords(""))
	// Output:
	// ONCRMDEALUPDATE CRMDEAL UPDATE 7 retry: false
	// ONCRMDEALUPDATE CRMDEAL UPDATE 7 retry: true
	// handled 1, failed 1, err <nil>, left 0
}
