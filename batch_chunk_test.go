package b24

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/b24go/b24/internal/php"
)

func TestBatchByChunkOrderAndKeys(t *testing.T) {
	t.Parallel()
	for _, conc := range []int{1, 4} {
		for _, named := range []bool{false, true} {
			t.Run(fmt.Sprintf("concurrency %d named %v", conc, named), func(t *testing.T) {
				t.Parallel()
				p := newBatchPortal(t, echoHandler("10", "75"))
				h := p.hook(t)
				cmds := nCmds(120, "crm.deal.update")
				if named {
					for i := range cmds {
						cmds[i].Name = "c" + strconv.Itoa(i)
					}
				}
				res, err := h.V2().BatchByChunk(context.Background(), cmds, WithHalt(false), WithConcurrency(conc))
				var be *BatchError
				if !errors.As(err, &be) || be.Summary.Failed != 2 || be.Summary.Done != 118 {
					t.Fatalf("err %v", err)
				}
				if res.Requests != 3 || p.requests() != 3 {
					t.Errorf("requests %d/%d", res.Requests, p.requests())
				}
				for i, c := range res.Commands {
					if c.Index != i {
						t.Fatalf("command %d has index %d", i, c.Index)
					}
					if i == 10 || i == 75 {
						var ae *APIError
						if c.State != CommandFailed || !errors.As(c.Err, &ae) || ae.Description != "failed "+strconv.Itoa(i) {
							t.Errorf("command %d: %v %v", i, c.State, c.Err)
						}
						continue
					}
					v, err := DecodeResult[map[string]string](&res.Commands[i])
					if err != nil || v["n"] != strconv.Itoa(i) {
						t.Errorf("command %d: %v %v", i, v, err)
					}
				}
				if named {
					if c := res.Get("c75"); c == nil || c.State != CommandFailed {
						t.Errorf("by name: %+v", c)
					}
				}
				for n := range 120 {
					if got := p.runCount(strconv.Itoa(n)); got != 1 {
						t.Errorf("command %d ran %d times", n, got)
					}
				}
			})
		}
	}
}

func TestBatchByChunkByteBudget(t *testing.T) {
	t.Parallel()
	p := newBatchPortal(t, echoHandler())
	h := p.hook(t)
	cmds := nCmds(60, "crm.deal.update")
	for i := range cmds {
		cmds[i].Params = map[string]any{"n": i, "fields": map[string]any{"COMMENTS": strings.Repeat("x", 10*i)}}
	}
	const budget = 2000
	res, err := h.V2().BatchByChunk(context.Background(), cmds, WithChunkBytes(budget))
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for i := range p.requests() {
		var env struct{ Cmd []string }
		b := p.body(i)
		if err := json.Unmarshal(b, &env); err != nil {
			t.Fatal(err)
		}
		total += len(env.Cmd)
		if len(b) > budget && len(env.Cmd) > 1 {
			t.Errorf("request %d: %d bytes, %d commands", i, len(b), len(env.Cmd))
		}
	}
	if total != 60 || p.requests() < 10 || res.Summary().Done != 60 {
		t.Errorf("%d commands in %d requests; %v", total, p.requests(), res.Summary())
	}
}

func TestBatchByChunkHaltStopsNewChunks(t *testing.T) {
	t.Parallel()
	p := newBatchPortal(t, echoHandler("60"))
	h := p.hook(t)
	res, err := h.V2().BatchByChunk(context.Background(), nCmds(150, "crm.deal.update"), WithConcurrency(1))
	if !errors.Is(err, Code("ERROR_CORE")) {
		t.Fatalf("err %v", err)
	}
	if p.requests() != 2 || !res.Halted {
		t.Errorf("requests %d, halted %v", p.requests(), res.Halted)
	}
	want := strings.Repeat("D", 60) + "F" + strings.Repeat("-", 89)
	if got := states(res); got != want {
		t.Errorf("states\n%s\nwant\n%s", got, want)
	}
	if e := res.Commands[120].Err; !errors.Is(e, ErrNotExecuted) || !strings.Contains(e.Error(), "#60") {
		t.Errorf("command 120: %v", e)
	}
	s := res.Summary()
	if s.Done != 60 || s.Failed != 1 || s.NotExecuted != 89 {
		t.Errorf("summary %v", s)
	}
}

func TestBatchByChunkRefusesReferences(t *testing.T) {
	t.Parallel()
	p := newBatchPortal(t, echoHandler())
	h := p.hook(t)
	_, err := h.V2().BatchByChunk(context.Background(), []Cmd{{Name: "a", Method: "x.get"}, {Method: "x.get", Params: map[string]any{"id": ResultRef("a")}}})
	_, err3 := h.V3().BatchByChunk(context.Background(), []Cmd{{Name: "a", Method: "x.get"}, {Method: "x.get", Params: map[string]any{"id": Cmd{Name: "a"}.V3Ref("item", "id")}}})
	if err == nil || err3 == nil || p.requests() != 0 {
		t.Errorf("%v / %v", err, err3)
	}
}

// TestBatchByChunkSubRefusals: commands refused inside a batch that ran are
// sent again, alone with those the portal skipped, after the limiter's wait.
func TestBatchByChunkSubRefusals(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		code    string
		halt    bool
		minWait time.Duration
	}{
		{"OPERATION_TIME_LIMIT", true, 10 * time.Second}, // Window/60
		{"OPERATION_TIME_LIMIT", false, 10 * time.Second},
		{"QUERY_LIMIT_EXCEEDED", true, 500 * time.Millisecond}, // 1/Drain
	} {
		t.Run(fmt.Sprintf("%s halt %v", tc.code, tc.halt), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var mu sync.Mutex
				refused := map[string]bool{}
				p := newBatchPortal(t, func(method string, a *php.Array) sub {
					n := param(a, "n")
					mu.Lock()
					defer mu.Unlock()
					if (n == "5" || n == "7") && !refused[n] {
						refused[n] = true
						return sub{code: tc.code, desc: "refused"}
					}
					return okSub(`{"n":"` + n + `"}`)
				})
				h := p.hook(t)
				res, err := h.V2().BatchByChunk(context.Background(), nCmds(60, "crm.deal.update"), WithHalt(tc.halt), WithConcurrency(1))
				if err != nil {
					t.Fatalf("err %v (%s)", err, states(res))
				}
				for n := range 60 {
					want := 1
					if n == 5 || n == 7 && !tc.halt {
						want = 2 // refused once, then run
					}
					if n == 7 && tc.halt {
						want = 2 // skipped by the halt at 5, then refused, then run
					}
					if got := p.runCount(strconv.Itoa(n)); got != want {
						t.Errorf("command %d ran %d times, want %d", n, got, want)
					}
					if v, _ := DecodeResult[map[string]string](&res.Commands[n]); v["n"] != strconv.Itoa(n) {
						t.Errorf("command %d: %v", n, v)
					}
				}
				p.mu.Lock()
				times := append([]time.Time(nil), p.times...)
				p.mu.Unlock()
				wantReq := 2 // the refused ones and the rest in a second request
				if tc.halt {
					// 5 refused, 6-49 skipped: [5-54]; 7 refused, 8-54 skipped:
					// [7-56]; then [57-59].
					wantReq = 4
				}
				if len(times) != wantReq {
					t.Fatalf("%d requests, want %d", len(times), wantReq)
				}
				for i := 1; i < min(len(times), 3); i++ {
					if d := times[i].Sub(times[i-1]); d < tc.minWait {
						t.Errorf("request %d came %v after a refusal, want at least %v", i+1, d, tc.minWait)
					}
				}
				var env struct{ Cmd []string }
				_ = json.Unmarshal(p.body(1), &env)
				if len(env.Cmd) == 0 || !strings.HasSuffix(env.Cmd[0], "n=5") {
					t.Errorf("the retry starts with %v", env.Cmd)
				}
			})
		})
	}
}

// runThen runs the batch on the portal, then answers with a gateway error:
// the portal ran the commands and the answer was lost.
func runThen502(p *batchPortal, n int, req *http.Request) (*http.Response, error) {
	p.v2(p.body(n - 1))
	return &http.Response{StatusCode: 502, Header: http.Header{"Content-Type": {"text/html"}},
		Body: io.NopCloser(strings.NewReader("<html>502 Bad Gateway</html>")), Request: req}, nil
}

func TestBatchByChunkAmbiguous(t *testing.T) {
	t.Parallel()
	t.Run("writes are reported, never replayed, and reconciled after the cut-off", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			p := newBatchPortal(t, echoHandler())
			h := p.hook(t)
			const cutoff = 6 * time.Second
			var sentAt time.Time
			var mu sync.Mutex
			calls := 0
			rec := func(ctx context.Context, api *API, cmds []Cmd, sent []time.Time) []Settled {
				mu.Lock()
				defer mu.Unlock()
				calls += len(cmds)
				if since := time.Since(sentAt); since < cutoff {
					t.Errorf("reconciled %v after the send, before the cut-off", since)
				}
				out := make([]Settled, len(cmds))
				for i, c := range cmds {
					switch n := c.Params.(map[string]any)["n"].(int); {
					case n == 99:
						out[i] = Settled{State: CommandAmbiguous, Err: errors.New("cannot tell")}
					case n%2 == 0:
						out[i] = Settled{State: CommandDone}
					default:
						out[i] = Settled{State: CommandNotExecuted, Err: ErrNotExecuted}
					}
				}
				return out
			}
			start := time.Now()
			p.fault = func(n int, req *http.Request) (*http.Response, error) {
				if n == 2 {
					sentAt = time.Now()
					return runThen502(p, n, req)
				}
				return nil, nil
			}
			res, err := h.V2().BatchByChunk(context.Background(), nCmds(120, "crm.deal.update"),
				WithHalt(false), WithConcurrency(1), WithReconciler(rec), WithRequestCutoff(cutoff))
			if !errors.Is(err, ErrAmbiguous) {
				t.Errorf("err %v", err)
			}
			if p.requests() != 3 {
				t.Errorf("%d requests: an ambiguous chunk was sent again", p.requests())
			}
			for n := range 120 {
				if got := p.runCount(strconv.Itoa(n)); got != 1 {
					t.Errorf("command %d ran %d times", n, got)
				}
				c := res.Commands[n]
				switch {
				case n < 50 || n >= 100:
					if c.State != CommandDone || c.Reconciled {
						t.Errorf("command %d: %v", n, c.State)
					}
				case n == 99:
					if c.State != CommandAmbiguous || !errors.Is(c.Err, ErrAmbiguous) || !strings.Contains(c.Err.Error(), "cannot tell") {
						t.Errorf("command 99: %v %v", c.State, c.Err)
					}
				case n%2 == 0:
					if c.State != CommandDone || !c.Reconciled {
						t.Errorf("command %d: %v", n, c.State)
					}
				default:
					if c.State != CommandNotExecuted || !c.Reconciled {
						t.Errorf("command %d: %v", n, c.State)
					}
				}
			}
			if calls != 50 || time.Since(start) < cutoff {
				t.Errorf("%d reconciler calls after %v", calls, time.Since(start))
			}
			s := res.Summary()
			if s.Done != 95 || s.Ambiguous != 1 || s.NotExecuted != 24 {
				t.Errorf("summary %v", s)
			}
		})
	})
	t.Run("without a reconciler writes stay ambiguous; halt stops", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			p := newBatchPortal(t, echoHandler())
			p.fault = func(n int, req *http.Request) (*http.Response, error) {
				if n == 1 {
					return runThen502(p, n, req)
				}
				return nil, nil
			}
			h := p.hook(t)
			res, err := h.V2().BatchByChunk(context.Background(), nCmds(120, "crm.deal.update"), WithConcurrency(1))
			if !errors.Is(err, ErrAmbiguous) || p.requests() != 1 {
				t.Fatalf("err %v, %d requests", err, p.requests())
			}
			if got, want := states(res), strings.Repeat("A", 50)+strings.Repeat("-", 70); got != want {
				t.Errorf("states %s", got)
			}
		})
	})
	t.Run("a chunk of reads is retried", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			p := newBatchPortal(t, echoHandler())
			p.fault = func(n int, req *http.Request) (*http.Response, error) {
				if n == 1 {
					return runThen502(p, n, req)
				}
				return nil, nil
			}
			h := p.hook(t)
			res, err := h.V2().BatchByChunk(context.Background(), nCmds(60, "crm.deal.get"), WithConcurrency(1))
			if err != nil || p.requests() != 3 || res.Requests != 3 {
				t.Fatalf("err %v, %d requests (%d)", err, p.requests(), res.Requests)
			}
		})
	})
	t.Run("in a mixed chunk the reads are sent again, the writes are not", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			p := newBatchPortal(t, echoHandler())
			p.fault = func(n int, req *http.Request) (*http.Response, error) {
				if n == 1 {
					return runThen502(p, n, req)
				}
				return nil, nil
			}
			h := p.hook(t)
			cmds := []Cmd{
				{Method: "crm.deal.update", Params: map[string]any{"n": 0}},
				{Method: "crm.deal.get", Params: map[string]any{"n": 1}},
				{Method: "crm.deal.update", Params: map[string]any{"n": 2}},
				{Method: "crm.deal.get", Params: map[string]any{"n": 3}},
			}
			res, err := h.V2().BatchByChunk(context.Background(), cmds, WithHalt(false))
			if got := states(res); got != "ADAD" || !errors.Is(err, ErrAmbiguous) {
				t.Fatalf("states %s, err %v", got, err)
			}
			if p.runCount("0") != 1 || p.runCount("1") != 2 || p.requests() != 2 {
				t.Errorf("runs %d %d, requests %d", p.runCount("0"), p.runCount("1"), p.requests())
			}
		})
	})
}

func TestBatchByChunkCancel(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		p := newBatchPortal(t, echoHandler())
		p.fault = func(n int, req *http.Request) (*http.Response, error) {
			if n == 2 {
				return hang(req)
			}
			return nil, nil
		}
		h := p.hook(t)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		start := time.Now()
		res, err := h.V2().BatchByChunk(ctx, nCmds(150, "crm.deal.update"), WithConcurrency(1))
		if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) != 5*time.Second {
			t.Fatalf("err %v after %v", err, time.Since(start))
		}
		want := strings.Repeat("D", 50) + strings.Repeat("A", 50) + strings.Repeat("-", 50)
		if got := states(res); got != want {
			t.Errorf("states %s", got)
		}
		if e := res.Commands[120].Err; !errors.Is(e, ErrNotExecuted) || !errors.Is(e, context.DeadlineExceeded) {
			t.Errorf("command 120: %v", e)
		}
		if p.requests() != 2 {
			t.Errorf("%d requests", p.requests())
		}
	})
}

// TestApplySettled: a reconciler's verdict moves an ambiguous write only
// when it is one it may give: Done or NotExecuted without an error, Conflict
// wrapping ErrConflict. Anything else (a verdict with an error, Failed, a
// Conflict without the sentinel) leaves it Ambiguous, so a hostile or
// careless reconciler cannot make a write look safe to resend.
func TestApplySettled(t *testing.T) {
	t.Parallel()
	bad := errors.New("read failed")
	for _, tc := range []struct {
		name       string
		s          Settled
		want       CommandState
		reconciled bool
		is         error
	}{
		{"done", Settled{State: CommandDone}, CommandDone, true, nil},
		{"not executed", Settled{State: CommandNotExecuted, Err: fmt.Errorf("no record: %w", ErrNotExecuted)}, CommandNotExecuted, true, ErrNotExecuted},
		{"zero Settled (an entry the reconciler forgot)", Settled{}, CommandAmbiguous, false, ErrAmbiguous},
		{"not executed without ErrNotExecuted", Settled{State: CommandNotExecuted}, CommandAmbiguous, false, ErrAmbiguous},
		{"conflict", Settled{State: CommandConflict, Err: fmt.Errorf("ID 1: %w", ErrConflict)}, CommandConflict, true, ErrConflict},
		{"cannot tell", Settled{State: CommandAmbiguous, Err: bad}, CommandAmbiguous, false, bad},
		{"done with an error", Settled{State: CommandDone, Err: bad}, CommandAmbiguous, false, bad},
		{"not executed with an error", Settled{State: CommandNotExecuted, Err: bad}, CommandAmbiguous, false, bad},
		{"conflict without ErrConflict", Settled{State: CommandConflict, Err: bad}, CommandAmbiguous, false, bad},
		{"failed", Settled{State: CommandFailed}, CommandAmbiguous, false, ErrAmbiguous},
		{"ambiguous without a reason", Settled{State: CommandAmbiguous}, CommandAmbiguous, false, ErrAmbiguous},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := CommandResult{State: CommandAmbiguous, Err: fmt.Errorf("%w: lost", ErrAmbiguous)}
			applySettled(&c, tc.s)
			// A reconciler's own error is kept as text: it may wrap
			// ErrNotExecuted (its read was not run), which the write is not.
			if c.State != tc.want || c.Reconciled != tc.reconciled || tc.is == bad && !strings.Contains(c.Err.Error(), bad.Error()) ||
				tc.is != bad && !errors.Is(c.Err, tc.is) {
				t.Errorf("%v reconciled=%v err=%v", c.State, c.Reconciled, c.Err)
			}
			if c.State == CommandAmbiguous && !errors.Is(c.Err, ErrAmbiguous) {
				t.Errorf("ambiguous without ErrAmbiguous: %v", c.Err)
			}
		})
	}
}

// TestReconcilerShortAnswer: a reconciler that returns fewer verdicts than
// writes leaves the rest Ambiguous, with the count in their error.
func TestReconcilerShortAnswer(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		p := newBatchPortal(t, echoHandler())
		p.fault = func(n int, req *http.Request) (*http.Response, error) { return runThen502(p, n, req) }
		rec := func(ctx context.Context, api *API, cmds []Cmd, sent []time.Time) []Settled {
			return []Settled{{State: CommandDone}}
		}
		res, _ := p.hook(t).V2().BatchByChunk(context.Background(), nCmds(3, "crm.deal.update"),
			WithReconciler(rec), WithRequestCutoff(time.Second))
		if s := res.Summary(); s.Done != 1 || s.Ambiguous != 2 {
			t.Errorf("summary %v", s)
		}
		if c := res.Commands[2]; !strings.Contains(c.Err.Error(), "settled 1 of 3") {
			t.Errorf("command 2: %v", c.Err)
		}
	})
}
