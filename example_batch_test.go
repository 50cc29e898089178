package b24_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/b24go/b24"
	"github.com/b24go/b24/b24test"
)

// A batch runs up to 50 commands in one request. A later command can use an
// earlier one's result through a reference; every command is reported in
// place, the failing one with its error and, with halt (the default), those
// after it as not executed.
func ExampleAPI_Batch() {
	s, err := b24test.Start(b24test.InMemory(), b24test.WithSeed(b24test.Seed{Deals: 120}))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	ctx := context.Background()

	first := b24.Cmd{Name: "first", Method: "crm.deal.list",
		Params: map[string]any{"order": map[string]string{"ID": "ASC"}, "select": []string{"ID", "TITLE"}}}
	res, err := s.Hook().V2().Batch(ctx, []b24.Cmd{
		first,
		// The ID of the first row of "first": $result[first][0][ID].
		{Name: "same", Method: "crm.deal.get", Params: map[string]any{"id": first.Result(0, "ID")}},
		{Name: "missing", Method: "crm.deal.get", Params: map[string]any{"id": 999999}},
		{Name: "after", Method: "crm.deal.get", Params: map[string]any{"id": 2}},
	})
	for _, c := range res.Commands {
		fmt.Println(c.Name, c.State)
	}
	deal, _ := b24.DecodeResult[map[string]any](res.Get("same"))
	fmt.Println("same deal:", deal["ID"])
	fmt.Println("not found:", errors.Is(err, b24.ErrNotFound))
	var be *b24.BatchError
	if errors.As(err, &be) {
		fmt.Println(be.Summary)
	}
	// Output:
	// first done
	// same done
	// missing failed
	// after not executed
	// same deal: 1
	// not found: true
	// 2 done, 1 failed, 0 ambiguous, 1 not executed (failed: ""×1)
}

// BatchByChunk runs any number of independent commands, 50 to a request,
// and reports each at its own position.
func ExampleAPI_BatchByChunk() {
	s, err := b24test.Start(b24test.InMemory(), b24test.WithSeed(b24test.Seed{Deals: 120}))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()

	ctx := context.Background()
	api := s.Hook().V2()

	// The ids of the 120 deals: three pages of crm.deal.list in one batch.
	pages, err := api.Batch(ctx, []b24.Cmd{
		{Method: "crm.deal.list", Params: map[string]any{"select": []string{"ID"}, "start": 0}},
		{Method: "crm.deal.list", Params: map[string]any{"select": []string{"ID"}, "start": 50}},
		{Method: "crm.deal.list", Params: map[string]any{"select": []string{"ID"}, "start": 100}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	var cmds []b24.Cmd
	for i := range pages.Commands {
		rows, _ := b24.DecodeResult[[]map[string]string](&pages.Commands[i])
		for _, row := range rows {
			cmds = append(cmds, b24.Cmd{Method: "crm.deal.update",
				Params: map[string]any{"id": row["ID"], "fields": map[string]any{"COMMENTS": "checked"}}})
		}
	}
	// One command will fail: no such deal.
	cmds[70].Params = map[string]any{"id": 100000, "fields": map[string]any{"COMMENTS": "nobody"}}

	res, err := api.BatchByChunk(ctx, cmds, b24.WithHalt(false))
	fmt.Println(res.Summary())
	fmt.Println("requests:", res.Requests)
	fmt.Println("command 70:", res.Commands[70].State, errors.Is(res.Commands[70].Err, b24.ErrNotFound))
	fmt.Println("command 119:", res.Commands[119].State)
	fmt.Println(err != nil)
	// Output:
	// 119 done, 1 failed, 0 ambiguous, 0 not executed (failed: ""×1)
	// requests: 3
	// command 70: failed true
	// command 119: done
	// true
}
