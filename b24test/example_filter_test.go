package b24test_test

import (
	"context"
	"fmt"

	"github.com/b24go/b24"
	"github.com/b24go/b24/b24test"
)

// The fake portal evaluates every documented filter operator, keeps a
// date-only value as that date in the portal's offset, and refuses a filter
// it cannot evaluate instead of answering every row.
func Example_filter() {
	s, err := b24test.Start(b24test.WithSeed(b24test.Seed{Deals: 20}))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	ctx, v2 := context.Background(), s.Hook().V2()

	for _, amount := range []int{1500, 5000} {
		fields := map[string]any{"TITLE": "Example order", "OPPORTUNITY": amount, "BEGINDATE": "2026-12-06"}
		if _, err := v2.Call(ctx, "crm.deal.add", map[string]any{"fields": fields}); err != nil {
			fmt.Println(err)
			return
		}
	}
	resp, err := v2.Call(ctx, "crm.deal.list", map[string]any{
		"filter": map[string]any{"%TITLE": "example", "><OPPORTUNITY": []int{1000, 2000}},
		"select": []string{"OPPORTUNITY", "BEGINDATE"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	rows, _ := b24.Decode[[]map[string]string](resp)
	for _, r := range rows {
		fmt.Println(r["OPPORTUNITY"], r["BEGINDATE"])
	}

	_, err = v2.Call(ctx, "crm.deal.list", map[string]any{"filter": map[string]any{"?TITLE": "example"}})
	fmt.Println(err)
	// Output:
	// 1500.00 2026-12-06T00:00:00+03:00
	// b24: crm.deal.list: "": Invalid filter: '?TITLE': unknown operator "?" [HTTP 400]
}
