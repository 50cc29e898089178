package b24

import (
	"context"
	"errors"
	"log/slog"

	"github.com/b24go/b24/internal/php"
)

// queryable reports whether the walk's pages can travel as v2 batch
// commands: a query string cannot carry an empty array, nil or a boolean as
// Call's JSON does (filter[ID]=[] would select every row). When not, the
// walk reads one page a request with Call, and says so in the log.
func (q *listQuery) queryable(method string, h *Hook) bool {
	_, err := php.Encode(q.pageParams(int64(1), true, 2, true, v2PageSize, false))
	var ve *php.ValueError
	if !errors.As(err, &ve) {
		return true // any other error is Batch's to report
	}
	h.Logger().LogAttrs(context.Background(), slog.LevelWarn,
		"b24 list: a parameter cannot travel in a batch command (a query string): one page a request",
		slog.String("method", method), slog.String("param", ve.Path), slog.String("value", ve.Value))
	return false
}
