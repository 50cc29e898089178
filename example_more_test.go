package b24_test

import (
	"context"
	"fmt"
	"slices"

	"github.com/b24go/b24"
	"github.com/b24go/b24/b24test"
)

// FetchListPages hands over one request's rows at a time. With WithConcurrency the
// id range is cut into shards walked at once under the hook's one limiter;
// pages still arrive in id order.
func ExampleFetchListPages() {
	s, err := b24test.Start(b24test.WithSeed(b24test.Seed{Deals: 20000}), b24test.WithTimeScale(10))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	h := s.Hook()

	var rep b24.ListReport
	rows, last, ordered := 0, b24.ID(0), true
	params := map[string]any{"select": []string{"ID", "TITLE"}}
	for page, err := range b24.FetchListPages[struct{ ID b24.ID }](context.Background(), h.V2(), "crm.deal.list", params,
		b24.WithConcurrency(4), b24.WithReport(&rep)) {
		if err != nil {
			fmt.Println(err)
			return
		}
		for _, d := range page {
			ordered = ordered && d.ID > last
			last = d.ID
		}
		rows += len(page)
	}
	fmt.Println(rows, "rows, in id order:", ordered)
	fmt.Println(rep.End, rep.UniqueIDs, "unique ids,", rep.Shards > 1, rep.Requests <= 20000/2500+4)
	// Output:
	// 20000 rows, in id order: true
	// complete 20000 unique ids, true true
}

// A REST 3.0 *.tail method walks the portal's own cursor.
func ExampleCallTail() {
	s, err := b24test.Start(b24test.WithSeed(b24test.Seed{Tasks: 2500}), b24test.WithTimeScale(100))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	h := s.Hook()

	type Task struct {
		ID    int64  `json:"id"`
		Title string `json:"title"`
	}
	var rep b24.ListReport
	tasks, err := b24.CallTail[Task](context.Background(), h.V3(), "tasks.task.tail",
		map[string]any{"select": []string{"id", "title"}}, b24.WithReport(&rep))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(tasks), rep.Mode, rep.End, slices.IsSortedFunc(tasks, func(a, b Task) int { return int(a.ID - b.ID) }))
	// Output:
	// 2500 tail complete true
}

// A REST 3.0 batch passes one command's result to the next with V3Ref; the
// portal substitutes it.
func ExampleAPI_Batch_v3() {
	s, err := b24test.Start(b24test.WithSeed(b24test.Seed{Tasks: 10}), b24test.WithTimeScale(100))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	api := s.Hook().V3()

	first := b24.Cmd{Name: "first", Method: "tasks.task.get", Params: map[string]any{"id": 3, "select": []string{"id"}}}
	res, err := api.Batch(context.Background(), []b24.Cmd{
		first,
		{Name: "again", Method: "tasks.task.get",
			Params: map[string]any{"id": first.V3Ref("item", "id"), "select": []string{"id", "title"}}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	type taskItem struct {
		Item struct {
			ID int64 `json:"id"`
		} `json:"item"`
	}
	task, err := b24.DecodeResult[taskItem](res.Get("again"))
	fmt.Println(res.Summary(), "|", task.Item.ID, err)
	// Output:
	// 2 done, 0 failed, 0 ambiguous, 0 not executed | 3 <nil>
}
