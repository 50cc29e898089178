package b24

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strconv"
)

// The fast path of REST v2: chained batches. One batch carries up to 50
// list commands; each filters on the last id of the page before it,
// "$result[p3][49][ID]" (crm.item.list: "$result[p3][items][49][id]"), so one
// request returns up to 2,500 rows in id order. A page of fewer than 50 rows
// ends the shard: the commands after it ran on a reference that did not
// resolve (the portal leaves it as literal text) and their rows are dropped.

// errNotDone is the failure of a probe command the batch left unanswered.
var errNotDone = errors.New("command not answered")

// chainLen is the number of list commands of a full chained batch.
const chainLen = MaxBatchCommands

// chainName is the key of the i-th command of a chain.
func chainName(i int) string { return "p" + strconv.Itoa(i) }

// chainRef is the reference to the last id of command i's page.
func (w *walk[T]) chainRef(i int) string {
	if k := w.q.fam.resultKey; k != "" {
		return ResultRef(chainName(i), k, v2PageSize-1, w.q.fam.idKey)
	}
	return ResultRef(chainName(i), v2PageSize-1, w.q.fam.idKey)
}

// batch sends cmds as one batch (halt on), counting the requests.
func (w *walk[T]) batch(ctx context.Context, cmds []Cmd) (*BatchResult, error) {
	res, err := w.api.Batch(ctx, cmds, WithBatchCallOptions(w.cfg.callOpts...))
	n := int64(1)
	if res != nil && res.Requests > 0 {
		n = int64(res.Requests)
	}
	w.requests.Add(n)
	w.retries.Add(n - 1)
	if res == nil {
		return nil, err
	}
	return res, nil
}

// stepChain reads up to n pages of sh in one chained batch.
func (w *walk[T]) stepChain(ctx context.Context, sh *shard[T], n int) (*chunk[T], error) {
	n = min(max(n, 1), chainLen)
	pace := w.newChainWait()
	for {
		cmds := make([]Cmd, n)
		for i := range cmds {
			var after any = sh.after
			if i > 0 {
				after = w.chainRef(i - 1)
			}
			cmds[i] = Cmd{Name: chainName(i), Method: w.method,
				Params: w.q.pageParams(after, sh.hasAfter || i > 0, sh.end, sh.hasEnd, v2PageSize, false)}
		}
		res, err := w.batch(ctx, cmds)
		if err != nil {
			return nil, err
		}
		c := &chunk[T]{sh: sh}
		var raw [][]byte
		var failure error
		for i := range res.Commands {
			cr := &res.Commands[i]
			if sh.done {
				if cr.State == Done {
					w.dropped.Add(1)
				}
				continue
			}
			if cr.State != Done {
				failure = cr.Err
				if failure == nil {
					failure = fmt.Errorf("command %d is %s", i, cr.State)
				}
				break
			}
			rows, err := pageRows(cr.Result, w.q.fam.resultKey)
			if err != nil {
				return nil, fmt.Errorf("b24: %s: %w", w.method, err)
			}
			w.pages.Add(1)
			if err := w.accept(sh, rows, w.isFull(len(rows)), c, &raw); err != nil {
				return nil, err
			}
		}
		switch {
		case failure == nil:
		case !isSubRefusal(failure):
			return nil, fmt.Errorf("b24: %s: chained page: %w", w.method, failure)
		case len(c.ids) == 0 && !sh.done:
			// Refused before any page ran: wait and send again.
			if err := pace.wait(ctx, w.method, "chained pages", res, failure); err != nil {
				return nil, err
			}
			w.retries.Add(1)
			continue
		}
		// Pages after a refusal are read by the next step.
		if err := w.decode(raw, c); err != nil {
			return nil, err
		}
		c.last = sh.done
		return c, nil
	}
}

// probeChain reads the first page and the far end's first page in one batch;
// a command refused inside it is waited out and sent again (chainWait).
func (w *walk[T]) probeChain(ctx context.Context, sh *shard[T], rev region) (first, reverse [][]byte, err error) {
	cmds := []Cmd{
		{Name: "first", Method: w.method, Params: w.q.pageParams(sh.after, sh.hasAfter, sh.end, sh.hasEnd, v2PageSize, false)},
		{Name: "last", Method: w.method, Params: w.q.pageParams(rev.after, rev.hasAfter, rev.end, rev.hasEnd, v2PageSize, true)},
	}
	out := make([][][]byte, 2)
	have := make([]bool, 2)
	pace := w.newChainWait()
	for {
		var send []Cmd
		for i, c := range cmds {
			if !have[i] {
				send = append(send, c)
			}
		}
		res, err := w.batch(ctx, send)
		if err != nil {
			return nil, nil, err
		}
		var refused, skipped error
		for i := range res.Commands {
			cr := &res.Commands[i]
			at := 0
			if cr.Name == "last" {
				at = 1
			}
			switch {
			case cr.State == Done:
				rows, err := pageRows(cr.Result, w.q.fam.resultKey)
				if err != nil {
					return nil, nil, fmt.Errorf("b24: %s: %w", w.method, err)
				}
				out[at], have[at] = rows, true
			case isSubRefusal(cr.Err):
				refused = cmp.Or(refused, cr.Err)
			case cr.State == NotExecuted:
				skipped = cmp.Or(skipped, cr.Err)
			default:
				return nil, nil, fmt.Errorf("b24: %s: probing the range: %w", w.method, cr.Err)
			}
		}
		switch {
		case have[0] && have[1]:
			return out[0], out[1], nil
		case refused == nil:
			return nil, nil, fmt.Errorf("b24: %s: probing the range: %w", w.method, cmp.Or(skipped, errNotDone))
		}
		// A command refused before it ran (and any the portal skipped after
		// it): wait and send the ones still missing again.
		if err := pace.wait(ctx, w.method, "probing the range", res, refused); err != nil {
			return nil, nil, err
		}
		w.retries.Add(1)
	}
}
