package b24_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/b24go/b24"
	"github.com/b24go/b24/b24test"
	"github.com/b24go/b24/limit"
)

// billedLog is a Limiter that records the budgets each request draws on.
type billedLog struct {
	limit.Limiter
	mu     sync.Mutex
	billed []string
}

func (b *billedLog) Acquire(ctx context.Context, req limit.Request) (limit.Permit, error) {
	b.mu.Lock()
	b.billed = append(b.billed, fmt.Sprint(req.Methods))
	b.mu.Unlock()
	return b.Limiter.Acquire(ctx, req)
}

// TestBatchBillingDetect: with BatchBilledDetect a batch is charged to
// "batch" until an answer shows how the portal bills; a portal billing per
// command (sub-results with their own figures) then has each batch charged
// to its commands' methods, one billing as a batch keeps "batch"; a forced
// billing wins over what the answers show.
func TestBatchBillingDetect(t *testing.T) {
	t.Parallel()
	batch := []string{"[batch]", "[batch]"}
	perCommand := []string{"[batch]", "[crm.deal.get crm.deal.list]"}
	for _, c := range []struct {
		name      string
		portalCmd bool // the fake bills per command
		billing   limit.BatchBilling
		want      []string
	}{
		{"per-command portal, detected", true, limit.BatchBilledDetect, perCommand},
		{"batch portal, detected", false, limit.BatchBilledDetect, batch},
		{"per-command portal, forced as batch", true, limit.BatchBilledAsBatch, batch},
		{"batch portal, forced per command", false, limit.BatchBilledPerCommand,
			[]string{"[crm.deal.get crm.deal.list]", "[crm.deal.get crm.deal.list]"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := b24test.NewServer(t, b24test.InMemory(), b24test.WithSeed(b24test.Seed{Deals: 60}),
					b24test.WithLimits(b24test.Limits{BatchPerCommand: c.portalCmd}))
				p := s.RestrictionParams()
				p.Operating.BatchBilling = c.billing
				inner, err := limit.New(p.Params)
				if err != nil {
					t.Fatal(err)
				}
				log := &billedLog{Limiter: inner}
				h := s.Hook(b24.WithRestrictionParams(p), b24.WithLimiter(log))
				for range 2 {
					cmds := []b24.Cmd{{Method: "crm.deal.get", Params: map[string]any{"id": 1}},
						{Method: "crm.deal.list", Params: map[string]any{"start": -1}}}
					if _, err := h.V2().Batch(t.Context(), cmds); err != nil {
						t.Fatal(err)
					}
				}
				if fmt.Sprint(log.billed) != fmt.Sprint(c.want) {
					t.Fatalf("billed %v, want %v", log.billed, c.want)
				}
			})
		})
	}
}

// sharedBilling is a limiter whose billing mode is shared (a
// limit.BillingSharer, as redislimit is), recording what it is told.
type sharedBilling struct {
	*billedLog
	mu   sync.Mutex
	mode map[string]limit.BatchBilling
	sets int
}

func (s *sharedBilling) BatchBilling(_ context.Context, portal, cred string) limit.BatchBilling {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mode[portal+" "+cred]
}

func (s *sharedBilling) SetBatchBilling(_ context.Context, portal, cred string, b limit.BatchBilling) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sets++
	if s.mode[portal+" "+cred] == limit.BatchBilledDetect {
		s.mode[portal+" "+cred] = b
	}
}

// TestBatchBillingShared: a Hook whose limiter shares the billing mode
// between processes records the mode its first batch answer showed, and
// another Hook (another process) on the same limiter bills its very first
// batch by it: per command on a portal that bills so (without sharing, its
// first batch is charged to "batch").
func TestBatchBillingShared(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		s := b24test.NewServer(t, b24test.InMemory(), b24test.WithSeed(b24test.Seed{Deals: 60}),
			b24test.WithLimits(b24test.Limits{BatchPerCommand: true}))
		p := s.RestrictionParams()
		p.Operating.BatchBilling = limit.BatchBilledDetect
		inner, err := limit.New(p.Params)
		if err != nil {
			t.Fatal(err)
		}
		lim := &sharedBilling{billedLog: &billedLog{Limiter: inner}, mode: map[string]limit.BatchBilling{}}
		cmds := []b24.Cmd{{Method: "crm.deal.get", Params: map[string]any{"id": 1}},
			{Method: "crm.deal.list", Params: map[string]any{"start": -1}}}
		first := s.Hook(b24.WithRestrictionParams(p), b24.WithLimiter(lim))
		if _, err := first.V2().Batch(t.Context(), cmds); err != nil {
			t.Fatal(err)
		}
		if _, err := first.Call(t.Context(), "crm.deal.get", map[string]any{"id": 1}); err != nil {
			t.Fatal(err)
		}
		second := s.Hook(b24.WithRestrictionParams(p), b24.WithLimiter(lim))
		if _, err := second.V2().Batch(t.Context(), cmds); err != nil {
			t.Fatal(err)
		}
		want := "[[batch] [crm.deal.get] [crm.deal.get crm.deal.list]]"
		// Each Hook records the mode once, when its own answers first show it.
		if got := fmt.Sprint(lim.billed); got != want || lim.sets != 2 {
			t.Fatalf("billed %v and %d modes recorded, want %v and 2", got, lim.sets, want)
		}
	})
}
