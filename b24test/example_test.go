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
