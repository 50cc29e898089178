package b24

import (
	"errors"
	"fmt"

	"github.com/b24go/b24/internal/php"
)

// ErrQueryParam is wrapped by a *QueryParamError.
var ErrQueryParam = errors.New("b24: parameter cannot travel in a v2 batch command")

// QueryParamError reports a parameter of a REST v2 batch command that PHP's
// query encoding cannot carry as Call's JSON carries it: an empty array (the
// portal would see no key: filter[ID]=[] would select every row), nil (it
// would see "") or a boolean (it would see "1" or "0"), or a value past
// the 1,000th, which PHP drops (max_input_vars). Batch, BatchByChunk and
// the CLI refuse the commands before anything is sent.
type QueryParamError struct {
	Index  int    // the command's position
	Method string // the command's method
	Path   string // the parameter's key path: "filter[ID]"
	Value  string // "an empty array", "null", "true", "false", "variable 1001, ..."
}

func (e *QueryParamError) Error() string {
	return fmt.Sprintf("b24: batch command %d (%s): %s is %s, which a v2 batch command (a query string) cannot send as Call does; send it with Call, or change the params",
		e.Index, e.Method, e.Path, e.Value)
}

func (e *QueryParamError) Unwrap() error { return ErrQueryParam }

// v2Line is the wire form of v2 command i: "method?query".
func v2Line(i int, c Cmd) (string, error) {
	q, err := php.Encode(c.Params)
	if err != nil {
		var ve *php.ValueError
		if errors.As(err, &ve) {
			return "", &QueryParamError{Index: i, Method: c.Method, Path: ve.Path, Value: ve.Value}
		}
		return "", fmt.Errorf("b24: batch command %d (%s): encoding params: %w", i, c.Method, err)
	}
	if q == "" {
		return c.Method, nil
	}
	return c.Method + "?" + q, nil
}
