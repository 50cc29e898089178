// Package reconcile settles writes whose answer was lost (b24.CommandAmbiguous):
// it reads the records back and tells whether each write took effect, did
// not (safe to send again), or was overtaken by another user's change
// (b24.CommandConflict). Its functions are b24.Reconcilers for BatchByChunk:
//
//	res, err := api.BatchByChunk(ctx, cmds, b24.WithReconciler(reconcile.CRMUpdates))
//
// They run only once the portal's request cut-off has passed since the
// writes were sent, as BatchByChunk ensures.
//
// Creates are made exactly-once by a key written with each record
// (KeyCreates): ORIGINATOR_ID = "b24:" + the run's id and ORIGIN_ID = the
// row's key on leads, deals, contacts and companies, xmlId on a smart
// process's items. CRMCreates settles a lost answer by searching for the
// key, and concludes "not created" only from a search sent after the
// cut-off and a margin (SearchAfter) since the send:
//
//	cmds, err := reconcile.KeyCreates(adds, runID, rowKeys) // refuses duplicate keys
//	res, err := api.BatchByChunk(ctx, cmds, b24.WithReconciler(reconcile.CRMCreates))
//
// REST 3.0 creates carry an Idempotency-Key instead (IdempotencyKey).
package reconcile
