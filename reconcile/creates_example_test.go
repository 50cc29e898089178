package reconcile_test

import (
	"context"
	"fmt"

	"github.com/b24go/b24"
	"github.com/b24go/b24/b24test"
	"github.com/b24go/b24/reconcile"
)

// Each create carries its key; a batch whose answer is lost is settled by
// searching the keys once the portal's cut-off and a margin have passed.
func ExampleCRMCreates() {
	srv, err := b24test.Start(b24test.InMemory(), b24test.WithTimeScale(1000)) // a cut-off of 60 ms
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	api := srv.Hook().V2()
	var cmds []b24.Cmd
	adds := []b24.Cmd{
		{Method: "crm.deal.add", Params: map[string]any{"fields": map[string]any{"TITLE": "Boiler"}}},
		{Method: "crm.lead.add", Params: map[string]any{"fields": map[string]any{"TITLE": "Pump"}}},
	}
	cmds, err = reconcile.KeyCreates(adds, "run-1", []string{"A-17", "A-18"})
	if err != nil {
		panic(err)
	}
	fmt.Println(cmds[0].Params.(map[string]any)["fields"])
	srv.FailNext("batch", 1, b24test.FaultReset) // runs, then the answer is lost
	res, _ := api.BatchByChunk(context.Background(), cmds, b24.WithReconciler(reconcile.CRMCreates))
	for _, c := range res.Commands {
		id, _ := b24.DecodeResult[b24.ID](&c)
		fmt.Println(c.State, c.Reconciled, id > 0)
	}
	// Output:
	// map[ORIGINATOR_ID:b24:run-1 ORIGIN_ID:A-17 TITLE:Boiler]
	// done true true
	// done true true
}
