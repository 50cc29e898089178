package main

import (
	"context"
	"errors"
	"time"

	"github.com/b24go/b24"
	"github.com/b24go/b24/reconcile"
)

// idemKeyTTL is how long after its send a REST 3.0 create is settled by
// sending it again with its Idempotency-Key: the portal keeps a key's
// answer for a day; an hour is left for clocks and queues.
const idemKeyTTL = 23 * time.Hour

// keyedV3 reports whether this run creates through REST 3.0, each row one
// call carrying its Idempotency-Key.
func (u *updater) keyedV3() bool { return u.spec.adding && u.api.Version() == b24.APIv3 }

// sendBatch sends one chunk: a batch request, or for REST 3.0 creates one
// call a row with the row's Idempotency-Key (b24:<run>:<key>), reported
// as a batch's commands would be.
func (u *updater) sendBatch(ctx context.Context, cmds []b24.Cmd, rows []updateRow) (*b24.BatchResult, error) {
	if !u.keyedV3() {
		return u.api.Batch(ctx, cmds, b24.WithHalt(false), b24.WithBatchCallOptions(b24.WithOnSend(u.journalSend(rows))))
	}
	res := &b24.BatchResult{Commands: make([]b24.CommandResult, len(cmds))}
	for i, c := range cmds {
		cr := &res.Commands[i]
		cr.Index, cr.Method, cr.State, cr.Err = i, c.Method, b24.CommandNotExecuted, b24.ErrNotExecuted
		if ctx.Err() != nil {
			continue
		}
		key, err := reconcile.IdempotencyKey(u.j.Run(), rows[i].Key)
		if err != nil {
			cr.State, cr.Err = b24.CommandFailed, err
			continue
		}
		resp, err := u.api.Call(ctx, c.Method, c.Params, b24.WithIdempotencyKey(key),
			b24.WithOnSend(func(at time.Time) { res.SentAt = at; u.journalSend(rows[i : i+1])(at) }))
		var ae *b24.APIError
		switch {
		case err == nil:
			cr.State, cr.Err, cr.Result = b24.CommandDone, nil, resp.Result
		case errors.Is(err, b24.ErrAmbiguous):
			cr.State, cr.Err = b24.CommandAmbiguous, err
		case errors.As(err, &ae):
			cr.State, cr.Err = b24.CommandFailed, err
		}
	}
	return res, nil
}

// resendKeyed settles REST 3.0 creates of unknown outcome: sent again with
// the same Idempotency-Key, the portal answers with the stored answer of
// the one that ran, or runs it now, once. Those sent longer ago than the
// portal keeps a key stay ambiguous.
func (u *updater) resendKeyed(rows []updateRow) (resend []updateRow) {
	for _, r := range rows {
		if time.Since(r.sentAt) > idemKeyTTL {
			u.sum.Ambiguous = append(u.sum.Ambiguous, ambiguousRow{r, "sent more than 23 h ago: the portal no longer keeps its Idempotency-Key"})
			u.prog.Add(1)
			continue
		}
		u.sum.Resent++
		resend = append(resend, r)
	}
	return resend
}
