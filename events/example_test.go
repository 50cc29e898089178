package events_test

import (
	"context"
	"fmt"
	"log"
	"net/http/httptest"
	"os"

	"github.com/b24go/b24"
	"github.com/b24go/b24/b24test"
	"github.com/b24go/b24/events"
)

// Receive a portal's events: verify, spool, then act on the current state
// read by id. Here the fake portal sends the events of its own writes.
func ExampleHandler() {
	dir, _ := os.MkdirTemp("", "spool")
	defer os.RemoveAll(dir)
	spool, err := events.OpenSpool(dir)
	if err != nil {
		log.Fatal(err)
	}
	defer spool.Close()
	portal := events.Portal{MemberID: "m1", Domain: "mycompany.bitrix24.com", Token: "app-token-from-the-portal"}
	h, err := events.NewHandler(spool, portal)
	if err != nil {
		log.Fatal(err)
	}
	recv := httptest.NewServer(h) // in real code: your public HTTPS handler URL
	defer recv.Close()

	srv, err := b24test.Start(b24test.WithOutbound(b24test.Outbound{
		URL: recv.URL, Token: portal.Token, MemberID: portal.MemberID, Domain: portal.Domain}))
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	hook := srv.Hook()
	ctx := context.Background()
	hook.Call(ctx, "crm.deal.update", map[string]any{"id": 1, "fields": map[string]any{"TITLE": "Won"}})
	hook.Call(ctx, "crm.deal.delete", map[string]any{"id": 1})

	// Both events arrive after the delete: the re-read, not the event name,
	// says what is true now.
	getDeal := func(ctx context.Context, id string) (*b24.Response, error) {
		return hook.Call(ctx, "crm.deal.get", map[string]any{"id": id})
	}
	ctx, stop := context.WithCancel(ctx)
	n := 0
	spool.Consume(ctx, func(ctx context.Context, e events.Event) error {
		_, found, err := events.Current(ctx, e, getDeal, b24.ErrNotFound)
		if err != nil {
			return err // retried
		}
		fmt.Println(e.Name, e.Entity, e.ID, "exists now:", found)
		if n++; n == 2 {
			stop()
		}
		return nil
	})
	// Output:
	// ONCRMDEALUPDATE CRMDEAL 1 exists now: false
	// ONCRMDEALDELETE CRMDEAL 1 exists now: false
}
