package b24

import (
	"context"
	"errors"
	"go/ast"
	"math"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/b24go/b24/internal/exported"

	"github.com/b24go/b24/limit"
)

// countingTransport fails every request and counts them.
type countingTransport struct{ n atomic.Int64 }

func (t *countingTransport) RoundTrip(*http.Request) (*http.Response, error) {
	t.n.Add(1)
	return nil, errors.New("no network in this test")
}

// optionRows lists every exported With... option with its bad values. A
// toggle has none: every bool is valid.
var optionRows = map[string][]any{
	"WithHTTPClient":        {WithHTTPClient(nil)},
	"WithLogger":            {WithLogger(nil)},
	"WithRestrictionParams": {WithRestrictionParams(RestrictionParams{Params: limit.Params{RateLimit: limit.RateLimit{Drain: math.NaN()}}}), WithRestrictionParams(RestrictionParams{Params: limit.Params{RateLimit: limit.RateLimit{Burst: -1}}})},
	"WithLimiter":           {WithLimiter(nil)},
	"WithUserAgent":         {WithUserAgent(""), WithUserAgent("  "), WithUserAgent("a\r\nX-Evil: 1")},
	"WithTimeout":           {WithTimeout(0), WithTimeout(-time.Second)},
	"WithMaxResponseSize":   {WithMaxResponseSize(0), WithMaxResponseSize(-1), WithMaxResponseSize(1023)},

	"WithCallTimeout":    {WithCallTimeout(0), WithCallTimeout(-time.Second), WithCallTimeout(math.MinInt64)},
	"WithRequestID":      {WithRequestID(""), WithRequestID("a\nb"), WithRequestID(strings.Repeat("x", 129)), WithRequestID("é")},
	"WithIdempotent":     nil,
	"WithIdempotencyKey": {WithIdempotencyKey(""), WithIdempotencyKey("k\r\n"), WithIdempotencyKey(strings.Repeat("k", 129))},
	"WithOnSend":         {WithOnSend(nil)},

	"WithIDKey":           {WithIDKey("")},
	"WithCursorIDKey":     {WithCursorIDKey("")},
	"WithResultKey":       nil, // "" is valid: the result is the array of rows
	"WithDescending":      nil,
	"WithPageSize":        {WithPageSize(0), WithPageSize(-1), WithPageSize(MaxPageSize + 1), WithPageSize(math.MaxInt)},
	"WithConcurrency":     {WithConcurrency(0), WithConcurrency(-3), WithConcurrency(MaxConcurrency + 1), WithConcurrency(math.MaxInt)},
	"WithUnordered":       nil,
	"WithBatch":           nil,
	"WithOffsetPaging":    nil,
	"WithResume":          {WithResume(ListCursor{})},
	"WithProgress":        {WithProgress(nil)},
	"WithReport":          {WithReport(nil)},
	"WithListCallOptions": {WithListCallOptions(WithCallTimeout(-1)), WithListCallOptions(WithRequestID(""))},
	"WithTailStart":       {WithTailStart(nil)},

	"WithHalt":             nil,
	"WithChunkBytes":       {WithChunkBytes(0), WithChunkBytes(-1)},
	"WithReconciler":       {WithReconciler(nil)},
	"WithRequestCutoff":    {WithRequestCutoff(0), WithRequestCutoff(-time.Second), WithRequestCutoff(MaxRequestCutoff + 1)},
	"WithBatchCallOptions": {WithBatchCallOptions(WithCallTimeout(0)), WithBatchCallOptions(WithIdempotencyKey(""))},
}

// TestEveryOptionHasARow fails when an exported With... function is added
// without a row in optionRows (or a row names no function).
func TestEveryOptionHasARow(t *testing.T) {
	exported.CheckRows(t, ".", func(fd *ast.FuncDecl) bool { return strings.HasPrefix(fd.Name.Name, "With") }, optionRows, 20)
}

// TestEveryOptionValidates gives every bad value to the call that uses it:
// New fails; a call, list walk, tail or batch fails before any request.
func TestEveryOptionValidates(t *testing.T) {
	ctx := context.Background()
	tr := &countingTransport{}
	hp := HookParams{PortalURL: "https://example.bitrix24.com", UserID: 1, Secret: "abcdefghijklmnop"}
	h, err := New(hp, WithHTTPClient(&http.Client{Transport: tr}))
	if err != nil {
		t.Fatal(err)
	}
	cmds := []Cmd{{Method: "crm.deal.get", Params: map[string]any{"id": 1}}}
	for name, bad := range optionRows {
		for i, o := range bad {
			var errs []error
			switch o := o.(type) {
			case Option:
				_, err := New(hp, o)
				errs = append(errs, err)
			case CallOption:
				_, err := h.V2().Call(ctx, "crm.deal.get", nil, o)
				errs = append(errs, err)
				_, err = h.V3().Call(ctx, "crm.item.add", nil, o)
				errs = append(errs, err)
			case ListOption:
				_, err := CallList[map[string]any](ctx, h.V2(), "crm.deal.list", nil, o)
				errs = append(errs, err)
				for _, err := range FetchListPages[map[string]any](ctx, h.V3(), "crm.item.list", nil, o) {
					errs = append(errs, err)
				}
				_, err = CallTail[map[string]any](ctx, h.V3(), "tasks.task.tail", nil, o)
				errs = append(errs, err)
				if bo, ok := o.(BatchOption); ok {
					_, err = h.V2().BatchByChunk(ctx, cmds, bo)
					errs = append(errs, err)
				}
			case BatchOption:
				_, err := h.V2().Batch(ctx, cmds, o)
				errs = append(errs, err)
				_, err = h.V2().BatchByChunk(ctx, cmds, o)
				errs = append(errs, err)
				_, err = h.V3().Batch(ctx, cmds, o)
				errs = append(errs, err)
			default:
				t.Fatalf("%s[%d]: %T is no option type", name, i, o)
			}
			for j, err := range errs {
				if !errors.Is(err, ErrInvalidOption) || !strings.Contains(err.Error(), name) {
					t.Errorf("%s[%d] use %d: err = %v, want ErrInvalidOption naming %s", name, i, j, err, name)
				}
			}
		}
	}
	if n := tr.n.Load(); n != 0 {
		t.Errorf("%d requests were sent with a bad option, want 0", n)
	}
}
