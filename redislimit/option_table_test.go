package redislimit

import (
	"errors"
	"strings"
	"testing"

	"github.com/b24go/b24"
	"github.com/b24go/b24/limit"
	"github.com/redis/go-redis/v9"
)

// TestEveryOptionValidates: New fails on each bad value with an error
// wrapping b24.ErrInvalidOption that names the option; no Redis is needed.
func TestEveryOptionValidates(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer rdb.Close()
	rows := map[string][]Option{
		"WithPrefix":         {WithPrefix("a{b"), WithPrefix("}")},
		"WithFallback":       nil,
		"WithLogger":         {WithLogger(nil)},
		"WithTimeout":        {WithTimeout(0), WithTimeout(-1)},
		"WithReservationTTL": {WithReservationTTL(0), WithReservationTTL(-1), WithReservationTTL(999_999)},
	}
	for name, bad := range rows {
		for i, o := range bad {
			_, err := New(rdb, limit.Params{}, o)
			if !errors.Is(err, b24.ErrInvalidOption) || !strings.Contains(err.Error(), name) {
				t.Errorf("%s[%d]: err = %v, want b24.ErrInvalidOption naming %s", name, i, err, name)
			}
		}
	}
}
