package reltest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// FindEcho returns where an echo of Secret starts in s, or -1: in any
// letter case, percent-encoded or JSON-escaped (\u00xx), also layered
// (a JSON-escaped percent-encoding). It decodes a copy of s; the index is in
// that copy.
func FindEcho(s string) (string, int) {
	if strings.IndexByte(s, '%') >= 0 || strings.IndexByte(s, '\\') >= 0 {
		for range 2 {
			s = decodeOnce(s)
		}
	}
	low := strings.ToLower(s)
	return s, strings.Index(low, strings.ToLower(Secret))
}

// jsonEscape and pctEscape match one \u00xx escape and one %xx encoding.
var (
	jsonEscape = regexp.MustCompile(`\\u00[0-9a-fA-F]{2}`)
	pctEscape  = regexp.MustCompile(`%[0-9a-fA-F]{2}`)
)

// decodeOnce decodes the \u00xx escapes of s, then its %xx encodings.
func decodeOnce(s string) string {
	unhex := func(h string) string { n, _ := strconv.ParseUint(h, 16, 8); return string(rune(n)) }
	s = jsonEscape.ReplaceAllStringFunc(s, func(e string) string { return unhex(e[4:]) })
	return pctEscape.ReplaceAllStringFunc(s, func(e string) string { return unhex(e[1:]) })
}

// LeakCheck collects what a scenario prints, logs and returns, and fails the
// test when the secret appears in any of it. It keeps nothing but counts.
type LeakCheck struct {
	t       testing.TB
	scanned atomic.Int64 // bytes
	items   atomic.Int64
	mu      sync.Mutex
	leaks   int
}

func NewLeakCheck(t testing.TB) *LeakCheck { return &LeakCheck{t: t} }

// Scan checks one piece of output.
func (c *LeakCheck) Scan(what string, s string) {
	c.scanned.Add(int64(len(s)))
	c.items.Add(1)
	if d, i := FindEcho(s); i >= 0 {
		c.mu.Lock()
		c.leaks++
		n := c.leaks
		c.mu.Unlock()
		if n <= 5 {
			c.t.Errorf("%s leaks the secret (decoded): …%s…", what, d[max(0, i-120):min(len(d), i+len(Secret)+40)])
		}
	}
}

// Write scans a log line (slog handlers write one record per call).
func (c *LeakCheck) Write(p []byte) (int, error) {
	c.Scan("log line", string(p))
	return len(p), nil
}

// Value scans v in every way a user might print or log it: fmt's verbs,
// JSON, slog text and JSON.
func (c *LeakCheck) Value(what string, v any) {
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		c.Scan(what+" "+verb, fmt.Sprintf(verb, v))
	}
	if b, err := json.Marshal(v); err == nil {
		c.Scan(what+" JSON", string(b))
	}
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})).Debug("v", "v", v)
	slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})).Debug("v", "v", v)
	c.Scan(what+" slog", buf.String())
}

// Logger returns a debug logger that writes every record both as text and
// as JSON into the check.
func (c *LeakCheck) Logger() *slog.Logger {
	o := &slog.HandlerOptions{Level: slog.LevelDebug, AddSource: true}
	return slog.New(fanout{slog.NewTextHandler(c, o), slog.NewJSONHandler(c, o)})
}

// Report logs what was scanned.
func (c *LeakCheck) Report(scenario string) {
	c.t.Logf("secret check %s: %d items, %d bytes scanned", scenario, c.items.Load(), c.scanned.Load())
}

// fanout sends each record to several handlers.
type fanout []slog.Handler

func (f fanout) Enabled(ctx context.Context, l slog.Level) bool {
	for _, h := range f {
		if h.Enabled(ctx, l) {
			return true
		}
	}
	return false
}

func (f fanout) Handle(ctx context.Context, r slog.Record) error {
	for _, h := range f {
		if h.Enabled(ctx, r.Level) {
			if err := h.Handle(ctx, r.Clone()); err != nil {
				return err
			}
		}
	}
	return nil
}

func (f fanout) WithAttrs(as []slog.Attr) slog.Handler {
	out := make(fanout, len(f))
	for i, h := range f {
		out[i] = h.WithAttrs(as)
	}
	return out
}

func (f fanout) WithGroup(name string) slog.Handler {
	out := make(fanout, len(f))
	for i, h := range f {
		out[i] = h.WithGroup(name)
	}
	return out
}
