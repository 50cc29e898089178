package b24test

import (
	"errors"
	"go/ast"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/b24go/b24/internal/exported"
)

// optionRows lists every exported Option constructor with its bad values;
// nil means every value is valid (toggles, a seed of scopes, a reset code).
var optionRows = map[string][]Option{
	"WithHTTP2":       nil,
	"WithResetCode":   nil, // HTTP/2 allows any error code
	"WithOutbound":    {WithOutbound(Outbound{}), WithOutbound(Outbound{URL: "ftp://x", Token: "t"}), WithOutbound(Outbound{URL: "http://127.0.0.1:1", Token: "t", Reorder: math.NaN()}), WithOutbound(Outbound{URL: "http://127.0.0.1:1", Token: "t", Double: 2})},
	"WithClock":       {WithClock(nil)},
	"WithClockOffset": {WithClockOffset(25 * time.Hour), WithClockOffset(-25 * time.Hour)},
	"WithTimeScale":   {WithTimeScale(0), WithTimeScale(-1), WithTimeScale(math.NaN()), WithTimeScale(math.Inf(1))},
	"WithLimits": {WithLimits(Limits{Burst: -1}), WithLimits(Limits{Drain: -1}), WithLimits(Limits{OperatingBan: -1}),
		WithLimits(Limits{BatchWeight: -0.5}), WithLimits(Limits{BatchWeight: math.NaN()})},
	"WithPlan":       {WithPlan(""), WithPlan("professional")},
	"WithoutLimits":  nil,
	"WithLatency":    {WithLatency(Latency{Request: -time.Second})},
	"WithFaults":     {WithFaults(FaultRates{Rates: map[Fault]float64{FaultSlow: 2}})},
	"WithSeed":       {WithSeed(Seed{Deals: -1}), WithSeed(Seed{Users: -5})},
	"WithWebhook":    {WithWebhook(0, "abc"), WithWebhook(1, ""), WithWebhook(1, "a b")},
	"WithScopes":     nil,
	"WithAddr":       {WithAddr("nonsense"), WithAddr("0.0.0.0:0"), WithAddr("8.8.8.8:80")},
	"InMemory":       nil,
	"WithLocation":   {WithLocation(nil)},
	"WithMovedTo":    {WithMovedTo(""), WithMovedTo("moved.example"), WithMovedTo("javascript:alert(1)")},
	"WithLegacyTime": nil,
	"WithFamily":     {WithFamily(nil)},
}

// TestEveryOptionValidates: Start fails on each bad value with an error
// wrapping ErrInvalidOption that names the option; and every exported
// Option constructor (found with go/parser) has a row.
func TestEveryOptionValidates(t *testing.T) {
	for name, bad := range optionRows {
		for i, o := range bad {
			s, err := Start(InMemory(), o)
			if err == nil {
				s.Close()
			}
			if !errors.Is(err, ErrInvalidOption) || !strings.Contains(err.Error(), name) {
				t.Errorf("%s[%d]: err = %v, want ErrInvalidOption naming %s", name, i, err, name)
			}
		}
	}
	exported.CheckRows(t, ".", func(fd *ast.FuncDecl) bool {
		if fd.Type.Results == nil || len(fd.Type.Results.List) != 1 {
			return false
		}
		id, ok := fd.Type.Results.List[0].Type.(*ast.Ident)
		return ok && id.Name == "Option"
	}, optionRows, 15)
}
