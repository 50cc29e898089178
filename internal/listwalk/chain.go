package listwalk

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/b24go/b24/internal/batchwire"
	"github.com/b24go/b24/internal/php"
	"github.com/b24go/b24/internal/wait"
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
const chainLen = batchwire.MaxCommands

// chainName is the key of the i-th command of a chain.
func chainName(i int) string { return "p" + strconv.Itoa(i) }

// chainRef is the reference to the last id of command i's page.
func chainRef(fam family, i int) string {
	if k := fam.resultKey; k != "" {
		return batchwire.Ref("result", chainName(i), []any{k, v2PageSize - 1, fam.idKey})
	}
	return batchwire.Ref("result", chainName(i), []any{v2PageSize - 1, fam.idKey})
}

// chainPlaceholder stands for the reference to the page before in the
// query template of a chain's pages.
const chainPlaceholder = "b24chainRef7f3c9e1d5a"

// chainCommands are the k chained pages of sh: the first after sh's
// cursor, each next after the last id of the page before. The pages after
// the first differ only in that reference: their query string is encoded
// once (php.Template) and each page's is the template with its reference
// (php.Prepared, whose JSON is still the parameters'), not encoded again.
func chainCommands[T any](w *walk[T], sh *shard[T], k int) []Command {
	cmds := make([]Command, k)
	var tmpl php.Template
	ok := false
	if k > 1 && !w.q.v3 {
		tmpl, ok = php.NewTemplate(w.q.pageParams(chainPlaceholder, true, sh.end, sh.hasEnd, v2PageSize, false), chainPlaceholder)
	}
	for i := range cmds {
		var after any = sh.after
		if i > 0 {
			after = chainRef(w.q.fam, i-1)
		}
		var params any = w.q.pageParams(after, sh.hasAfter || i > 0, sh.end, sh.hasEnd, v2PageSize, false)
		if i > 0 && ok {
			params = php.Prepared{V: params, Query: tmpl.With(after.(string))}
		}
		cmds[i] = Command{Name: chainName(i), Method: w.method, Params: params}
	}
	return cmds
}

// stepChain reads up to n pages of sh in one chained batch.
func stepChain[T any](ctx context.Context, w *walk[T], sh *shard[T], n int) (*chunk[T], error) {
	n = min(max(n, 1), chainLen)
	pace := newChainWait(w.c.Pacing())
	for {
		k := fit(w.c, w.method, n)
		if k < n {
			w.budgetBound.Store(true)
		}
		res, err := w.batch(ctx, chainCommands(w, sh, k))
		if err != nil {
			return nil, err
		}
		// Room for every row the batch can carry: the slices are not grown
		// (and copied) page by page.
		c := &chunk[T]{sh: sh, ids: make([]int64, 0, len(res)*v2PageSize)}
		raw := make([][]byte, 0, len(res)*v2PageSize)
		var page [][]byte // each page's rows, one slice for all (accept copies what it keeps)
		var failure error
		for i := range res {
			cr := &res[i]
			if sh.done {
				if cr.Done {
					w.dropped.Add(1)
				}
				continue
			}
			if !cr.Done {
				failure = cr.Err
				if failure == nil {
					failure = fmt.Errorf("command %d did not run", i)
				}
				if cr.Refused {
					failure = refusal{failure}
				}
				break
			}
			rows, err := answerRows(page[:0], cr, w.q.fam.resultKey)
			if err != nil {
				return nil, fmt.Errorf("b24: %s: %w", w.method, err)
			}
			page = rows
			w.pages.Add(1)
			if err := w.accept(sh, rows, w.isFull(len(rows)), c, &raw); err != nil {
				return nil, err
			}
		}
		switch {
		case failure == nil:
		case !errors.As(failure, new(refusal)):
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

// Fitter is an optional interface of a Caller that knows the operating
// budget (package b24's, through a limit.Fitter).
type Fitter interface {
	// Fit returns how many of n commands of method one batch can carry
	// so that it fits the operating budget now, 0 when none fits.
	Fit(method string, n int) int
}

// fit is how many of n pages of method the next chained batch reads: what
// fits in the budget left in the window, when c can tell and some does, so
// that the window's last part is spent instead of waiting for a whole
// request to fit in the next (docs/limits.md); else n, which waits.
func fit(c Caller, method string, n int) int {
	if f, ok := c.(Fitter); ok {
		if k := f.Fit(method, n); k > 0 {
			return min(k, n)
		}
	}
	return n
}

// probeChain reads the first page and the far end's first page in one batch;
// a command refused inside it is waited out and sent again (chainWait).
func probeChain[T any](ctx context.Context, w *walk[T], sh *shard[T], rev region) (first, reverse [][]byte, err error) {
	cmds := []Command{
		{Name: "first", Method: w.method, Params: w.q.pageParams(sh.after, sh.hasAfter, sh.end, sh.hasEnd, v2PageSize, false)},
		{Name: "last", Method: w.method, Params: w.q.pageParams(rev.after, rev.hasAfter, rev.end, rev.hasEnd, v2PageSize, true)},
	}
	out := make([][][]byte, 2)
	have := make([]bool, 2)
	pace := newChainWait(w.c.Pacing())
	for {
		var send []Command
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
		for i := range res {
			cr := &res[i]
			at := 0
			if cr.Name == "last" {
				at = 1
			}
			switch {
			case cr.Done:
				rows, err := pageRows(cr.Result, w.q.fam.resultKey)
				if err != nil {
					return nil, nil, fmt.Errorf("b24: %s: %w", w.method, err)
				}
				out[at], have[at] = rows, true
			case cr.Refused:
				refused = cmp.Or(refused, cr.Err)
			case cr.NotRun:
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

// chainWait paces the resends of chained and probe commands that the portal
// refused inside a batch that ran (OPERATION_TIME_LIMIT, QUERY_LIMIT_EXCEEDED):
// they did not run, so they are sent again, for at most
// Pacing.MaxWait (b24.RetryPolicy.MaxRefusalWait) in total since the first refusal (the
// limiter's holds included, as for a Call).
type chainWait struct {
	p     Pacing
	delay time.Duration
	first time.Time // the first refusal; zero before it
}

func newChainWait(p Pacing) *chainWait {
	return &chainWait{p: p, delay: p.Base}
}

// wait sleeps before the resend: until the method's operating_reset_at when
// a command of res reported one (sanitised by the Caller), else the backoff
// delay. The limiter has already learned the block from the batch. It fails
// with what, wrapping failure, once MaxRefusalWait is spent.
func (c *chainWait) wait(ctx context.Context, method, what string, res []Answer, failure error) error {
	now := time.Now()
	if c.first.IsZero() {
		c.first = now
	}
	waited := now.Sub(c.first)
	left := c.p.MaxWait - waited
	if left <= 0 {
		return fmt.Errorf("b24: %s: %s still refused after %v: %w", method, what, waited.Round(time.Millisecond), failure)
	}
	d := c.delay
	if reset, ok := chainResetAt(res, method); ok && reset.After(now) {
		d = reset.Sub(now)
	}
	d = min(d, left)
	if err := wait.For(ctx, d, nil); err != nil {
		return err
	}
	c.delay = min(2*c.delay, c.p.Max)
	return nil
}

// chainResetAt is the latest operating reset (sanitised by the Caller)
// that res's commands of method reported.
func chainResetAt(res []Answer, method string) (time.Time, bool) {
	var best time.Time
	for i := range res {
		if a := &res[i]; a.Method == method && a.ResetAt.After(best) {
			best = a.ResetAt
		}
	}
	return best, !best.IsZero()
}

// refusal marks a chained page's failure as a refusal before it ran.
type refusal struct{ error }

func (r refusal) Unwrap() error { return r.error }
