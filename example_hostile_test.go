package b24_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/b24go/b24"
	"github.com/b24go/b24/b24test"
)

// A portal that ignores the order by id (b24test.FaultUnsorted) stops the
// walk at its first bad page with ErrRowsOutOfOrder: no row of it is
// delivered, and the report's cursor resumes the walk once the portal is
// fixed.
func ExampleFetchList_unsortedPortal() {
	s, err := b24test.Start(b24test.WithSeed(b24test.Seed{Deals: 500}), b24test.WithTimeScale(100))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	h := s.Hook()
	ctx := context.Background()
	s.FailNext("crm.deal.list", 1000, b24test.FaultUnsorted)

	var rep b24.ListReport
	rows := 0
	for _, err := range b24.FetchList[map[string]any](ctx, h.V2(), "crm.deal.list", nil, b24.WithReport(&rep)) {
		if err != nil {
			fmt.Println(errors.Is(err, b24.ErrRowsOutOfOrder), rep.End, rows)
			break
		}
		rows++
	}

	s.ClearFaults() // the portal is fixed
	rest, err := b24.CallList[map[string]any](ctx, h.V2(), "crm.deal.list", nil, b24.WithResume(*rep.Cursor), b24.WithReport(&rep))
	fmt.Println(len(rest), rep.End, err)
	// Output:
	// true failed 0
	// 500 complete <nil>
}
