package limit

import (
	"errors"
	"go/ast"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/b24go/b24/internal/exported"
)

// badParams are limits that New, SetParams and Validate must refuse, one bad
// field each (the others take the defaults).
var badParams = map[string]Params{
	"negative burst":          {RateLimit: RateLimit{Burst: -1}},
	"negative drain":          {RateLimit: RateLimit{Burst: 1, Drain: -1}},
	"NaN drain":               {RateLimit: RateLimit{Drain: math.NaN()}},
	"drain above 1e6":         {RateLimit: RateLimit{Drain: 2e6}},
	"negative refusal window": {RateLimit: RateLimit{RefusalWindow: -time.Second}},
	"margin above the limit":  {Operating: OperatingLimit{Limit: time.Second, Margin: 2 * time.Second}},
	"negative margin":         {Operating: OperatingLimit{Margin: -time.Second}},
	"negative window":         {Operating: OperatingLimit{Window: -time.Second}},
	"negative limit":          {Operating: OperatingLimit{Limit: -time.Second}},
	"unknown billing":         {Operating: OperatingLimit{BatchBilling: 7}},
	"threshold above 1":       {Adaptive: AdaptiveDelay{Threshold: 1.5}},
	"NaN threshold":           {Adaptive: AdaptiveDelay{Threshold: math.NaN()}},
	"negative coefficient":    {Adaptive: AdaptiveDelay{Coefficient: -1}},
	"negative max delay":      {Adaptive: AdaptiveDelay{MaxDelay: -time.Second}},
}

// TestEveryOptionHasARow: the package is configured by Params alone, given to
// New and SetParams; a With... option added later needs a row here.
func TestEveryOptionHasARow(t *testing.T) {
	exported.CheckRows(t, ".", func(fd *ast.FuncDecl) bool { return strings.HasPrefix(fd.Name.Name, "With") }, map[string][]Params{}, 0)
}

// TestEveryParamValidates gives every bad value to the calls that take it:
// New fails, and SetParams fails and keeps the limits in force.
func TestEveryParamValidates(t *testing.T) {
	t.Parallel()
	for name, bad := range badParams {
		if _, err := New(bad); !errors.Is(err, ErrInvalidParams) {
			t.Errorf("%s: New = %v, want ErrInvalidParams", name, err)
		}
		l := testLimiter(t, Params{RateLimit: RateLimit{Burst: 7, Drain: 3}})
		if err := l.SetParams(bad); !errors.Is(err, ErrInvalidParams) {
			t.Errorf("%s: SetParams = %v, want ErrInvalidParams", name, err)
		}
		if got := l.params.RateLimit; got.Burst != 7 || got.Drain != 3 {
			t.Errorf("%s: SetParams changed the limits to %+v", name, got)
		}
	}
}
