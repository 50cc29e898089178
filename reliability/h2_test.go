package reliability

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/b24go/b24"
	"github.com/b24go/b24/b24test"
	"github.com/b24go/b24/internal/reltest"
)

// h2Codes are the RST_STREAM codes TestHTTP2WritesAtMostOnce runs with.
var h2Codes = []struct {
	name string
	code uint32
}{{"PROTOCOL_ERROR", 0x1}, {"INTERNAL_ERROR", 0x2}, {"REFUSED_STREAM", 0x7}, {"CANCEL", 0x8}}

// TestHTTP2WritesAtMostOnce drives crm.deal.add over HTTP/2 (8 at a time on
// one connection) through a portal that runs the method and then resets
// its stream (4 % of requests, one code per subtest) or sends GOAWAY
// claiming it was not processed (2 %), with 2 % 503 refusals. Every add is
// read back by its unique title: none ran twice (no resend by net/http nor
// by the SDK), each success is its own record, every failure wraps
// ErrAmbiguous, and the portal received no request that Stats did not count.
func TestHTTP2WritesAtMostOnce(t *testing.T) {
	t.Parallel()
	for _, seed := range reltest.Seeds(t) {
		for _, c := range h2Codes {
			t.Run(fmt.Sprintf("seed=%d/%s", seed, c.name), func(t *testing.T) {
				t.Logf("seed %d: replay with B24REL_SEEDS=%d", seed, seed)
				h2WritesAtMostOnce(t, seed, c.code, reltest.Scaled(t, 300))
			})
		}
	}
}

func h2WritesAtMostOnce(t *testing.T, seed uint64, code uint32, n int) {
	srv := b24test.NewServer(t, b24test.WithHTTP2(), b24test.WithResetCode(code), b24test.WithTimeScale(100),
		b24test.WithWebhook(1, reltest.Secret), b24test.WithSeed(b24test.Seed{Deals: 20, Seed: int64(seed)}),
		b24test.WithFaults(b24test.FaultRates{Seed: seed, Rates: map[b24test.Fault]float64{
			b24test.FaultStreamReset: 0.04, b24test.FaultGoAway: 0.02, b24test.FaultUnavailable: 0.02}}))
	leak := reltest.NewLeakCheck(t)
	defer leak.Report("h2-adds")
	h := srv.Hook(b24.WithLogger(leak.Logger()))
	tr := newTracker()
	title := func(i int) string { return fmt.Sprintf("soak h2 add %d", i) }
	r := runAdds(t, srv, tr, leak, n, func(ctx context.Context, i int) (int, error) {
		resp, err := h.Call(ctx, "crm.deal.add", map[string]any{"fields": map[string]any{"TITLE": title(i)}})
		if err != nil {
			return 0, err
		}
		id, err := b24.Decode[b24.ID](resp)
		return int(id), err
	})
	st := h.Stats()
	srv.Close() // waits for the calls whose stream was reset
	a := srv.Audit()
	tr.poll(t, a)
	f := tr.of("crm.deal.add")
	reltest.CreatedRecords(t, a, "deal")

	// Read every deal back, through the in-memory transport (the socket is closed).
	rh, err := b24.FromWebhookURL(srv.WebhookURL(), b24.WithHTTPClient(&http.Client{Transport: srv.Transport()}),
		b24.WithRestrictionParams(b24.RestrictionParams{Retry: b24.RetryPolicy{MaxAttempts: 20,
			BaseDelay: time.Millisecond, MaxDelay: time.Millisecond, MaxRefusalWait: time.Minute}}))
	if err != nil {
		t.Fatal(err)
	}
	defer rh.Close()
	byTitle := map[string][]int{}
	for last := 0; ; {
		type deal struct {
			ID    b24.ID
			TITLE string
		}
		resp, err := rh.Call(t.Context(), "crm.deal.list", map[string]any{"filter": map[string]any{">ID": last},
			"order": map[string]any{"ID": "ASC"}, "select": []string{"ID", "TITLE"}, "start": -1})
		if err != nil {
			t.Fatalf("reading back: %v", err)
		}
		page, err := b24.Decode[[]deal](resp)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		for _, d := range page {
			byTitle[d.TITLE] = append(byTitle[d.TITLE], int(d.ID))
			last = int(d.ID)
		}
	}
	executedAmbiguous := 0
	for i := range n {
		ids := byTitle[title(i)]
		if len(ids) > 1 {
			t.Errorf("add %d ran %d times (deals %v)", i, len(ids), ids)
		}
		switch {
		case r.errs[i] == nil:
			if len(ids) != 1 || ids[0] != r.ids[i] {
				t.Errorf("add %d succeeded with deal %d, but its title is on deals %v", i, r.ids[i], ids)
			}
		case errors.Is(r.errs[i], b24.ErrAmbiguous):
			executedAmbiguous += len(ids)
		}
	}
	// Every request the portal received is one the SDK sent and counted.
	if got := total(a.ByMethod["crm.deal.add"]); int64(got) > st.Requests {
		t.Errorf("the portal received %d crm.deal.add requests, Stats counts %d", got, st.Requests)
	}
	if faults := f["stream-reset"] + f["goaway"]; faults == 0 {
		t.Errorf("faults injected %v: no HTTP/2 fault", f)
	} else if r.ambiguous < faults {
		t.Errorf("%d ambiguous adds for %d resets and GOAWAYs after execution", r.ambiguous, faults)
	}
	if strings.Contains(fmt.Sprint(r.errs), reltest.Secret) {
		t.Error("an error holds the secret")
	}
	reltest.Figures(t, "h2-adds", map[string]any{"seed": seed, "reset_code": code, "adds": n, "requests": a.Requests,
		"sdk_requests": st.Requests, "retries": st.Retries, "faults_by_kind": f, "done": r.successes,
		"ambiguous": r.ambiguous, "ambiguous_executed": executedAmbiguous})
}
