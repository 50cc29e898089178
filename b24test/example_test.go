package b24test_test

import (
	"context"
	"fmt"

	"github.com/b24go/b24"
	"github.com/b24go/b24/b24test"
)

// A test starts a fake portal and calls it through a ready hook.
func Example() {
	// In a test: s := b24test.NewServer(t, ...), stopped when the test ends.
	s, err := b24test.Start(b24test.WithSeed(b24test.Seed{Deals: 120}))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()

	hook := s.Hook()
	resp, err := hook.V2().Call(context.Background(), "crm.deal.list", map[string]any{"select": []string{"ID"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	rows, _ := b24.Decode[[]map[string]string](resp)
	fmt.Println(len(rows), *resp.Total, *resp.Next)
	fmt.Println(s.Audit().ByMethod["crm.deal.list"][200])
	// Output:
	// 50 120 50
	// 1
}

// A second webhook on the same portal acts as its own user, with its own
// secret.
func ExampleServer_AddWebhook() {
	s, err := b24test.Start(b24test.WithSeed(b24test.Seed{Users: 10}))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()

	hook, err := b24.FromWebhookURL(s.AddWebhook(7), b24.WithHTTPClient(s.Client()))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer hook.Close()
	resp, err := hook.Call(context.Background(), "crm.deal.add", map[string]any{"fields": map[string]any{"TITLE": "by user 7"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	id, _ := b24.Decode[int](resp)
	resp, err = s.Hook().Call(context.Background(), "crm.deal.get", map[string]any{"id": id})
	if err != nil {
		fmt.Println(err)
		return
	}
	deal, _ := b24.Decode[map[string]any](resp)
	fmt.Println(hook.UserID(), deal["CREATED_BY_ID"], deal["MODIFY_BY_ID"])
	// Output:
	// 7 7 7
}
