package main

import (
	"context"
	"fmt"
	"iter"
	"strconv"
	"strings"
	"time"

	"github.com/b24go/b24"
	"github.com/b24go/b24/limit"
)

// result is what a scenario measured.
type result struct {
	n          int
	elapsed    time.Duration
	peak, live uint64
	b          bounds
	note       string
	before     audit // the fake's audit when the timed part started
}

// export reads the deals (every page, unordered) and checks the report.
func (bn *bench) export(ctx context.Context, c config) (result, error) {
	var r result
	h, err := bn.hook()
	if err != nil {
		return r, err
	}
	p := map[string]any{"select": strings.Split(c.sel, ",")}
	full := c.sel == "*"
	if full {
		p["select"] = []string{"*", "UF_*"}
	}
	if c.rows > 0 {
		// The first rows ids: the fake seeds about 5 % of ids unused, so
		// bound by id and report the rows actually read.
		p["filter"] = map[string]any{"<=ID": int(float64(c.rows) / 0.95 * 1.0)}
	}
	var rep b24.ListReport
	if r.before, err = readAudit(bn.client, bn.fi.audit); err != nil {
		return r, err
	}
	s := startSampler(c.heapSample)
	start := time.Now()
	stopOthers := bn.others(ctx, c.others)
	opts := []b24.ListOption{b24.WithConcurrency(c.concurrency), b24.WithUnordered(true), b24.WithReport(&rep)}
	if full {
		r.n, err = countPages(b24.FetchListPages[map[string]any](ctx, h.V2(), "crm.deal.list", p, opts...))
	} else {
		r.n, err = countPages(b24.FetchListPages[deal](ctx, h.V2(), "crm.deal.list", p, opts...))
	}
	r.elapsed = time.Since(start)
	others := stopOthers()
	r.peak, r.live = s.done()
	if err != nil {
		return r, fmt.Errorf("export: %w", err)
	}
	if rep.UniqueIDs != int64(r.n) || rep.End != b24.ListComplete {
		return r, fmt.Errorf("export: report %+v", rep)
	}
	fi := bn.fi
	if c.others > 0 {
		fi.opLimit = time.Duration(float64(fi.opLimit) * (1 - c.others))
	}
	r.b = exportBounds(fi, r.n)
	r.note = fmt.Sprintf("%d shards (%d in flight), %d chained pages dropped, %d refused commands sent again, limiter waited %v%s",
		rep.Shards, c.concurrency, rep.Dropped, rep.Retries, h.Stats().WaitTime.Round(time.Millisecond), others)
	return r, nil
}

// othersBatch is the commands of one batch of the second client (-others).
const othersBatch = 10

// others starts a second client on the same webhook (its own Hook, as
// another process, that does not pace itself: it sends on its clock and
// the portal refuses what does not fit) that spends share of the operating budget,
// L·share per W, in batches of othersBatch full pages of deals (billed like
// the export's batches, as a batch or per command); stop ends it and
// describes what it did.
func (bn *bench) others(ctx context.Context, share float64) (stop func() string) {
	if share <= 0 {
		return func() string { return "" }
	}
	ctx, cancel := context.WithCancel(ctx)
	cost := othersBatch * (latRequest + 50*latRow).Seconds() / bn.fi.scale
	every := time.Duration(cost / (share * bn.fi.opLimit.Seconds() / bn.fi.opWindow.Seconds()) * float64(time.Second))
	cmds := make([]b24.Cmd, othersBatch)
	for i := range cmds {
		cmds[i] = b24.Cmd{Method: "crm.deal.list", Params: map[string]any{"select": []string{"*", "UF_*"}, "start": -1,
			"order": map[string]any{"ID": "DESC"}, "filter": map[string]any{"<ID": 1000000 - 100*i}}}
	}
	done := make(chan string, 1)
	go func() {
		batches, refused, failed := 0, 0, 0
		defer func() {
			done <- fmt.Sprintf("; other client: %d batches of %d (one every %v), %d commands refused, %d batches failed (a 429 among them)",
				batches, othersBatch, every.Round(time.Millisecond), refused, failed)
		}()
		once := bn.params
		once.Retry.MaxAttempts = 1 // a refused batch is not sent again
		h, err := bn.newHook(true, b24.WithLimiter(unpaced{}), b24.WithRestrictionParams(once))
		if err != nil {
			failed++
			return
		}
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			res, err := h.V2().Batch(ctx, cmds)
			if ctx.Err() != nil {
				return
			}
			batches++
			if err != nil {
				failed++
			} else {
				for _, cr := range res.Commands {
					if cr.State != b24.CommandDone {
						refused++
					}
				}
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	return func() string {
		cancel()
		return <-done
	}
}

// countPages counts the rows of a walk's pages; the first error ends it.
func countPages[T any](pages iter.Seq2[[]T, error]) (int, error) {
	n := 0
	for page, err := range pages {
		if err != nil {
			return n, err
		}
		n += len(page)
	}
	return n, nil
}

// update sends one crm.deal.update per deal through BatchByChunk.
func (bn *bench) update(ctx context.Context, c config) (result, error) {
	var r result
	h, err := bn.hook()
	if err != nil {
		return r, err
	}
	// The ids to update, read first; then the bucket refills before the
	// timed part starts.
	ids, err := b24.CallList[struct{ ID b24.ID }](ctx, h.V2(), "crm.deal.list", map[string]any{"select": []string{"ID"}})
	if err != nil {
		return r, fmt.Errorf("update: listing: %w", err)
	}
	if len(ids) < c.rows {
		return r, fmt.Errorf("update: %d deals, want %d", len(ids), c.rows)
	}
	time.Sleep(time.Duration((bn.fi.burst + 2) / bn.fi.drain * float64(time.Second)))
	if r.before, err = readAudit(bn.client, bn.fi.audit); err != nil {
		return r, err
	}
	cmds := make([]b24.Cmd, c.rows)
	for i := range cmds {
		cmds[i] = b24.Cmd{Method: "crm.deal.update", Params: map[string]any{
			"id": ids[i].ID, "fields": map[string]any{"TITLE": "bench " + strconv.Itoa(i)}}}
	}
	if h, err = bn.hook(); err != nil {
		return r, err
	}
	s := startSampler(c.heapSample)
	start := time.Now()
	res, err := h.V2().BatchByChunk(ctx, cmds, b24.WithConcurrency(c.concurrency), b24.WithHalt(false))
	r.elapsed = time.Since(start)
	r.peak, r.live = s.done()
	if err != nil {
		return r, fmt.Errorf("update: %w", err)
	}
	if sum := res.Summary(); sum.Done != c.rows {
		return r, fmt.Errorf("update: %v", sum)
	}
	r.n = c.rows
	r.b = updateBounds(bn.fi, r.n)
	r.note = fmt.Sprintf("%d chunks in flight", c.concurrency)
	return r, nil
}

// unpaced is a Limiter that admits every request at once: the second
// client of -others spends its share whatever the budget holds.
type unpaced struct{}

func (unpaced) Acquire(context.Context, limit.Request) (limit.Permit, error) { return unpaced{}, nil }
func (unpaced) Release(limit.Outcome)                                        {}
