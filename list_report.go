package b24

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
)

// ListCursor is the resumable position of a list walk: the id ranges it has
// not yet delivered. It is plain data: persist it with json.Marshal (or
// String), load it with json.Unmarshal (or ParseListCursor), and pass it to
// WithResume to continue a walk after a crash or a deliberate stop. It holds
// no secret: only a fingerprint of the method and parameters.
type ListCursor struct {
	Version int    `json:"v"`
	Query   string `json:"q"` // fingerprint of the API version, method and parameters
	Desc    bool   `json:"desc,omitempty"`
	// Ranges are the id ranges left to read, in walk order.
	Ranges []CursorRange `json:"r"`
}

// CursorRange is a range of ids still to read.
type CursorRange struct {
	// After is the exclusive start of the range (ascending: ids above it;
	// descending: ids below it); nil means the range starts at the
	// beginning.
	After *int64 `json:"a,omitempty"`
	// End is the inclusive far end; nil means the range is open (rows added
	// during the walk with a larger id, ascending, are read too).
	End *int64 `json:"e,omitempty"`
}

// String returns the cursor as a compact token (base64 of its JSON).
func (c ListCursor) String() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

// ParseListCursor reads a token written by ListCursor.String.
func ParseListCursor(s string) (ListCursor, error) {
	var c ListCursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return c, fmt.Errorf("b24: list cursor: %w", err)
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return c, fmt.Errorf("b24: list cursor: %w", err)
	}
	if c.Version != 1 {
		return c, fmt.Errorf("b24: list cursor: unknown version %d", c.Version)
	}
	return c, nil
}

// Done reports whether the cursor has nothing left to read.
func (c ListCursor) Done() bool { return len(c.Ranges) == 0 }

func i64p(v int64) *int64 { return &v }

// region is a range of ids in walk order: ids beyond after (exclusive) and
// up to end (inclusive), either side optional.
type region struct {
	after, end       int64
	hasAfter, hasEnd bool
}

func (r region) cursorRange() CursorRange {
	var c CursorRange
	if r.hasAfter {
		c.After = i64p(r.after)
	}
	if r.hasEnd {
		c.End = i64p(r.end)
	}
	return c
}

func regionOf(c CursorRange) region {
	var r region
	if c.After != nil {
		r.after, r.hasAfter = *c.After, true
	}
	if c.End != nil {
		r.end, r.hasEnd = *c.End, true
	}
	return r
}

// finish completes the report of a walk that ended with err (nil: complete)
// or was stopped by the caller (err then says how, a cancelled context).
func (rep *ListReport) finish(err error, stopped bool) {
	switch {
	case err == nil && !stopped:
		rep.End = ListComplete
		rep.Cursor = nil
	case stopped:
		rep.End = ListStopped
	case errors.Is(err, ErrListChanged):
		rep.End = ListIncomplete
	default:
		rep.End = ListFailed
	}
	rep.Err = err
}
