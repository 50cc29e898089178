package listwalk

import (
	"context"
	"encoding/json"
	"strconv"
	"sync"

	"github.com/b24go/b24/internal/batchwire"
)

// REST v3 shards that share a batch. A v3 $ref cannot pick the last row's
// id, so v3 pages cannot be chained; but the shards of a walk have their id
// ranges fixed in advance, so the next pages of several shards (each with
// its own id-range filter) can travel in one v3 batch. The batcher groups
// the pages the workers ask for while a request is in flight: the first
// page goes alone, and the pages asked for meanwhile (up to 50) go together
// in the next request. The first error aborts a v3 batch, so when a batch
// fails its pages are read one a request, and their shards stop batching.

// v3Batcher groups the pages of a sharded v3 walk into batches.
type v3Batcher struct {
	mu    sync.Mutex
	queue []*v3Page
	busy  bool // a worker is sending; the queue waits for its hand-over
}

// v3Page is one page a worker asked for.
type v3Page struct {
	params map[string]any
	wake   chan struct{} // closed (once, under the batcher's mu) when the page is answered or leads
	woken  bool
	lead   bool // the page's worker sends the next batch
	done   bool
	result json.RawMessage
	err    error
	alone  bool // the batch failed: read the page on its own
}

// readPage reads one page of sh: in a batch shared with other shards' pages, or
// on its own.
func readPage[T any](ctx context.Context, w *walk[T], sh *shard[T], params map[string]any) (json.RawMessage, error) {
	b := w.v3b
	if b == nil || sh.alone {
		resp, err := w.call(ctx, params)
		if err != nil {
			return nil, err
		}
		return resp.Result, nil
	}
	p := &v3Page{params: params, wake: make(chan struct{})}
	b.mu.Lock()
	b.queue = append(b.queue, p)
	lead := !b.busy
	b.busy = true
	if lead {
		p.lead, p.woken = true, true // the leader does not wait
	}
	b.mu.Unlock()
	if !lead {
		select {
		case <-p.wake:
		case <-ctx.Done():
			b.mu.Lock()
			for i, q := range b.queue {
				if q == p && !p.lead {
					b.queue = append(b.queue[:i], b.queue[i+1:]...)
					b.mu.Unlock()
					return nil, ctx.Err()
				}
			}
			b.mu.Unlock()
			<-p.wake // taken into a batch in flight, or made leader
		}
		b.mu.Lock()
		lead = p.lead && !p.done
		b.mu.Unlock()
	}
	if lead {
		sendPages(ctx, w, b)
	}
	if p.alone {
		sh.alone = true
		resp, err := w.call(ctx, params)
		if err != nil {
			return nil, err
		}
		return resp.Result, nil
	}
	return p.result, p.err
}

// sendPages sends the first pages of the queue (the leader's among them) as
// one request, answers them, and hands the lead to the next page waiting.
func sendPages[T any](ctx context.Context, w *walk[T], b *v3Batcher) {
	b.mu.Lock()
	n := min(len(b.queue), batchwire.MaxCommands)
	pages := append([]*v3Page(nil), b.queue[:n]...)
	b.queue = append(b.queue[:0], b.queue[n:]...)
	b.mu.Unlock()

	if len(pages) == 1 {
		p := pages[0]
		resp, err := w.call(ctx, p.params)
		if err != nil {
			p.err = err
		} else {
			p.result = resp.Result
		}
	} else {
		cmds := make([]Command, len(pages))
		for i, p := range pages {
			cmds[i] = Command{Name: "s" + strconv.Itoa(i), Method: w.method, Params: p.params}
		}
		res, err := w.batch(ctx, cmds)
		for i, p := range pages {
			switch {
			case err != nil && ctx.Err() != nil:
				p.err = err
			case i < len(res) && res[i].Done:
				p.result = res[i].Result
			default:
				p.alone = true
			}
		}
	}

	b.mu.Lock()
	defer b.mu.Unlock()
	for _, p := range pages {
		p.done = true
		p.wakeUp()
	}
	if len(b.queue) > 0 {
		b.queue[0].lead = true
		b.queue[0].wakeUp()
	} else {
		b.busy = false
	}
}

// wakeUp wakes the page's worker (under the batcher's mu).
func (p *v3Page) wakeUp() {
	if !p.woken {
		p.woken = true
		close(p.wake)
	}
}
