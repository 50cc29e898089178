package b24_test

import (
	"context"
	"fmt"

	"github.com/b24go/b24"
	"github.com/b24go/b24/b24test"
)

// CallList reads every deal: here 1,234 rows in two requests, a probe of
// the range and one chained batch.
func ExampleCallList() {
	s, err := b24test.Start(b24test.WithSeed(b24test.Seed{Deals: 1234}), b24test.WithTimeScale(100))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	h := s.Hook()

	type Deal struct {
		ID      b24.ID
		TITLE   string
		STAGEID string `json:"STAGE_ID"`
	}
	var rep b24.ListReport
	deals, err := b24.CallList[Deal](context.Background(), h.V2(), "crm.deal.list",
		map[string]any{"select": []string{"ID", "TITLE", "STAGE_ID"}}, b24.WithReport(&rep))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(deals), deals[0].ID, rep.End, rep.Requests, rep.UniqueIDs)
	// Output:
	// 1234 1 complete 2 1234
}

// FetchList streams rows; breaking out of the loop stops the walk, and the
// report's cursor resumes it later.
func ExampleFetchList() {
	s, err := b24test.Start(b24test.WithSeed(b24test.Seed{Deals: 500}), b24test.WithTimeScale(100))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	h := s.Hook()
	ctx := context.Background()
	params := map[string]any{"filter": map[string]any{">ID": 100}, "select": []string{"ID", "TITLE"}}

	var rep b24.ListReport
	n := 0
	for deal, err := range b24.FetchList[map[string]any](ctx, h.V2(), "crm.deal.list", params, b24.WithReport(&rep)) {
		if err != nil {
			fmt.Println(err)
			return
		}
		if n++; n == 1 {
			fmt.Println("first:", deal["ID"])
		}
		if n == 10 {
			break
		}
	}
	fmt.Println(rep.End, rep.Rows)

	token := rep.Cursor.String() // persist it anywhere
	cur, _ := b24.ParseListCursor(token)
	rest, err := b24.CallList[map[string]any](ctx, h.V2(), "crm.deal.list", params, b24.WithResume(cur), b24.WithReport(&rep))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("resumed at:", rest[0]["ID"], rep.End, 10+len(rest))
	// Output:
	// first: 101
	// stopped 10
	// resumed at: 111 complete 408
}
