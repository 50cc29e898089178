package reliability

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// secretForms are the forms of testSecret that must never appear.
var secretForms = []string{testSecret, url.QueryEscape(testSecret), url.PathEscape(testSecret)}

// leakCheck collects what a scenario prints, logs and returns, and fails the
// test when the secret appears in any of it. It keeps nothing but counts.
type leakCheck struct {
	t       testing.TB
	scanned atomic.Int64 // bytes
	items   atomic.Int64
	mu      sync.Mutex
	leaks   int
}

func newLeakCheck(t testing.TB) *leakCheck { return &leakCheck{t: t} }

// scan checks one piece of output.
func (c *leakCheck) scan(what string, s string) {
	c.scanned.Add(int64(len(s)))
	c.items.Add(1)
	for _, f := range secretForms {
		if i := strings.Index(s, f); i >= 0 {
			c.mu.Lock()
			c.leaks++
			n := c.leaks
			c.mu.Unlock()
			if n <= 5 {
				c.t.Errorf("%s leaks the secret: …%s…", what, s[max(0, i-120):min(len(s), i+len(f)+40)])
			}
			return
		}
	}
}

// Write scans a log line (slog handlers write one record per call).
func (c *leakCheck) Write(p []byte) (int, error) {
	c.scan("log line", string(p))
	return len(p), nil
}

// value scans v in every way a user might print or log it: fmt's verbs,
// JSON, slog text and JSON.
func (c *leakCheck) value(what string, v any) {
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		c.scan(what+" "+verb, fmt.Sprintf(verb, v))
	}
	if b, err := json.Marshal(v); err == nil {
		c.scan(what+" JSON", string(b))
	}
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})).Debug("v", "v", v)
	slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})).Debug("v", "v", v)
	c.scan(what+" slog", buf.String())
}

// logger returns a debug logger that writes every record both as text and
// as JSON into the check.
func (c *leakCheck) logger() *slog.Logger {
	o := &slog.HandlerOptions{Level: slog.LevelDebug, AddSource: true}
	return slog.New(fanout{slog.NewTextHandler(c, o), slog.NewJSONHandler(c, o)})
}

// report logs what was scanned.
func (c *leakCheck) report(scenario string) {
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
