package b24

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// TestReadLimited: a body up to the limit is read whole; one byte more is
// reported over without the buffer growing past the limit.
func TestReadLimited(t *testing.T) {
	for _, tc := range []struct {
		size, limit int
		over        bool
	}{{0, 10, false}, {10, 10, false}, {11, 10, true}, {5000, 4096, true}, {4096, 4096, false}, {100000, 1 << 20, false}} {
		body := bytes.Repeat([]byte("x"), tc.size)
		for _, r := range []io.Reader{bytes.NewReader(body), iotest.OneByteReader(bytes.NewReader(body)), iotest.DataErrReader(bytes.NewReader(body))} {
			b, over, err := readLimited(r, nil, int64(tc.limit))
			if err != nil || over != tc.over || cap(b) > max(tc.limit, 0) {
				t.Errorf("size %d limit %d: len %d cap %d over %v err %v", tc.size, tc.limit, len(b), cap(b), over, err)
			}
			if !over && len(b) != tc.size {
				t.Errorf("size %d: read %d", tc.size, len(b))
			}
		}
	}
	_, _, err := readLimited(iotest.ErrReader(io.ErrUnexpectedEOF), nil, 10)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("error %v", err)
	}
	e := (&ResponseError{Method: "m", Status: 200, Err: errorsTooLarge(4096)}).Error()
	if !strings.Contains(e, "too large") || !strings.Contains(e, "4096 bytes") {
		t.Errorf("the error does not name the maximum: %s", e)
	}
}
