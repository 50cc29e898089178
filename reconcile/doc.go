// Package reconcile settles writes whose answer was lost (b24.Ambiguous):
// it reads the records back and tells whether each write took effect, did
// not (safe to send again), or was overtaken by another user's change
// (b24.Conflict). Its functions are b24.Reconcilers for BatchByChunk:
//
//	res, err := api.BatchByChunk(ctx, cmds, b24.WithReconciler(reconcile.CRMUpdates))
//
// They run only once the portal's request cut-off has passed since the
// writes were sent, as BatchByChunk ensures.
package reconcile
