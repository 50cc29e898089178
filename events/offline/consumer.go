package offline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strconv"
	"time"

	"github.com/b24go/b24"
	"github.com/b24go/b24/internal/wait"
)

// Func handles one event. Return nil once the event is handled: its record
// is then cleared. An error marks the record failed (event.offline.error);
// it is offered again on a later pass (Event.Retry). Make it idempotent: an
// event may come more than once (a crash before the clear, a change merged
// into a record while it was handled).
type Func func(ctx context.Context, e Event) error

// Config configures a Consumer.
type Config struct {
	// ProcessID names this consumer's hold on the queue: records it reads
	// are hidden from other readers under this id until it clears them or
	// marks them failed. Keep it the same across restarts (a restarted
	// consumer takes back what the dead one held) and different for
	// consumers that run at once. 1-64 characters of [A-Za-z0-9_.-]; required.
	ProcessID string
	// Connector is the queue's source key (auth_connector), as bound.
	Connector string
	// Limit is the number of records a get asks for: 1-1000, default 50.
	Limit int
	// Poll is how long Follow waits after the queue was empty (or a pass
	// failed) before it reads again: at least 10 ms, default 10 s.
	Poll time.Duration
	// RetryFailed is how often Follow offers the failed records again: at
	// least Poll, default 1 min. Drain offers them once per call.
	RetryFailed time.Duration
	// Logger receives the consumer's logs; default slog.Default().
	Logger *slog.Logger
}

var processIDRe = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// maxLost bounds how many lost get answers in a row one pass recovers from
// before it returns the error.
const maxLost = 5

func (c Config) validate() (Config, error) {
	if !processIDRe.MatchString(c.ProcessID) {
		return c, fmt.Errorf("%w: Config.ProcessID must be 1-64 characters of [A-Za-z0-9_.-]", ErrInvalid)
	}
	if len(c.Connector) > 128 {
		return c, fmt.Errorf("%w: Config.Connector is over 128 bytes", ErrInvalid)
	}
	if c.Limit == 0 {
		c.Limit = 50
	}
	if c.Poll == 0 {
		c.Poll = 10 * time.Second
	}
	if c.RetryFailed == 0 {
		c.RetryFailed = max(time.Minute, c.Poll)
	}
	switch {
	case c.Limit < 1 || c.Limit > 1000:
		return c, fmt.Errorf("%w: Config.Limit %d is outside 1-1000", ErrInvalid, c.Limit)
	case c.Poll < 10*time.Millisecond:
		return c, fmt.Errorf("%w: Config.Poll %v is under 10ms", ErrInvalid, c.Poll)
	case c.RetryFailed < c.Poll:
		return c, fmt.Errorf("%w: Config.RetryFailed %v is under Poll", ErrInvalid, c.RetryFailed)
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c, nil
}

// Consumer reads an application's offline queue at least once. Its methods
// must not run concurrently (they share the process id).
type Consumer struct {
	h   *b24.Hook
	cfg Config
	log *slog.Logger
}

// New returns a Consumer of h's offline queue; h must be an application's
// Hook (b24.NewApp). It returns an error wrapping ErrInvalid for a bad Config.
func New(h *b24.Hook, cfg Config) (*Consumer, error) {
	if h == nil {
		return nil, fmt.Errorf("%w: nil Hook", ErrInvalid)
	}
	cfg, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	return &Consumer{h: h, cfg: cfg, log: cfg.Logger.With("process_id", cfg.ProcessID)}, nil
}

// Stats counts what a pass did.
type Stats struct {
	Handled   int // records cleared after fn returned nil
	Failed    int // records marked failed after fn returned an error
	Recovered int // records found held by this process id (a lost answer, a dead process)
	Lost      int // get answers lost (recovered by reading again under the process id)
}

func (s *Stats) add(o Stats) {
	s.Handled += o.Handled
	s.Failed += o.Failed
	s.Recovered += o.Recovered
	s.Lost += o.Lost
}

// Drain reads the queue until it is empty, then offers the failed records
// once, handing each event to fn. It returns when both are done, on the
// first error it cannot recover from, or when ctx ends (the events not yet
// handled stay held under the process id: the next Drain or Follow with
// the same ProcessID takes them back).
func (c *Consumer) Drain(ctx context.Context, fn Func) (Stats, error) {
	return c.drain(ctx, c.each(fn), true)
}

// Follow drains the queue, waits Poll, and again, until ctx ends; it returns
// ctx's error. A pass that fails is logged and tried again after Poll.
func (c *Consumer) Follow(ctx context.Context, fn Func) error {
	return c.follow(ctx, c.each(fn))
}

func (c *Consumer) follow(ctx context.Context, fn handler) error {
	var lastRetry time.Time
	for {
		retry := time.Since(lastRetry) >= c.cfg.RetryFailed
		if retry {
			lastRetry = time.Now()
		}
		st, err := c.drain(ctx, fn, retry)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			c.log.Error("offline: pass failed; reading again after Poll", "err", err)
		} else if st.Handled+st.Failed > 0 {
			c.log.Info("offline: pass done", "handled", st.Handled, "failed", st.Failed, "recovered", st.Recovered)
		}
		if err := wait.For(ctx, c.cfg.Poll, nil); err != nil {
			return err
		}
	}
}

// handler handles and settles one get's records.
type handler func(ctx context.Context, pid string, evs []Event, st *Stats) error

func (c *Consumer) drain(ctx context.Context, fn handler, retryFailed bool) (Stats, error) {
	var st Stats
	if err := c.recover(ctx, &st); err != nil {
		return st, err
	}
	if err := c.pass(ctx, fn, false, &st); err != nil || !retryFailed {
		return st, err
	}
	return st, c.pass(ctx, fn, true, &st)
}

// recover counts the records held by this process id (event.offline.list
// filtered by it): a get whose answer was lost, or a process that died,
// left them hidden from every other reader; the next get under the same
// process id returns them.
func (c *Consumer) recover(ctx context.Context, st *Stats) error {
	p := map[string]any{"filter": map[string]any{"=PROCESS_ID": c.cfg.ProcessID}}
	c.connector(p)
	resp, err := c.h.V2().Call(ctx, "event.offline.list", p)
	if err != nil {
		return err
	}
	var rows []json.RawMessage
	if err := json.Unmarshal(resp.Result, &rows); err != nil {
		return fmt.Errorf("offline: event.offline.list answer: %w", err)
	}
	n := len(rows)
	if resp.Total != nil && *resp.Total > n {
		n = *resp.Total
	}
	if n > 0 {
		st.Recovered += n
		c.log.Warn("offline: records held by this process id (a lost answer or a dead process); taking them back", "records", n)
	}
	return nil
}

func (c *Consumer) connector(p map[string]any) {
	if c.cfg.Connector != "" {
		p["auth_connector"] = c.cfg.Connector
	}
}

// pass reads batches (failed records when errored, from the lowest ID up,
// each offered once) until none is left, handles them and settles each
// batch.
func (c *Consumer) pass(ctx context.Context, fn handler, errored bool, st *Stats) error {
	var after int64
	var prev []Event
	lost := 0
	for ctx.Err() == nil {
		pid, evs, err := c.get(ctx, errored, after)
		if errors.Is(err, b24.ErrAmbiguous) && lost < maxLost {
			// The get ran, perhaps: its records are held by our process id.
			lost++
			st.Lost++
			c.log.Warn("offline: event.offline.get answer lost; recovering the records held by this process id", "err", err)
			if err := c.recover(ctx, st); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return err
		}
		lost = 0
		if len(evs) == 0 {
			return nil
		}
		if same(prev, evs) {
			return fmt.Errorf("offline: event.offline.get returned the same %d records after they were settled: the portal did not clear them", len(evs))
		}
		prev = evs
		if err := fn(ctx, pid, evs, st); err != nil {
			return err
		}
		if errored {
			after = evs[len(evs)-1].RecordID
		}
	}
	return ctx.Err()
}

// get is event.offline.get with clear=0 under the process id (never the
// default clear=1, which deletes what it returns). It is not a read for the
// retry loop (b24.IsReadMethod): a lost answer is ErrAmbiguous.
func (c *Consumer) get(ctx context.Context, errored bool, after int64) (string, []Event, error) {
	p := map[string]any{"clear": 0, "process_id": c.cfg.ProcessID, "limit": c.cfg.Limit, "error": 0}
	if errored {
		p["error"] = 1
		p["filter"] = map[string]any{">ID": after}
		p["order"] = map[string]any{"ID": "ASC"}
	}
	c.connector(p)
	resp, err := c.h.V2().Call(ctx, "event.offline.get", p)
	if err != nil {
		return "", nil, err
	}
	var res struct {
		ProcessID *string     `json:"process_id"`
		Events    []wireEvent `json:"events"`
	}
	if err := json.Unmarshal(resp.Result, &res); err != nil {
		return "", nil, fmt.Errorf("offline: event.offline.get answer: %w", err)
	}
	pid := c.cfg.ProcessID
	if res.ProcessID == nil || *res.ProcessID != pid {
		c.log.Warn("offline: event.offline.get answered another process id; settling under it", "answered", res.ProcessID)
		pid = ""
		if res.ProcessID != nil {
			pid = *res.ProcessID
		}
	}
	evs := make([]Event, 0, len(res.Events))
	for _, w := range res.Events {
		e, err := w.decode(errored)
		if err != nil {
			return "", nil, err
		}
		if errored && e.RecordID <= after {
			return "", nil, fmt.Errorf("offline: event.offline.get ignored the filter ID > %d (record %d)", after, e.RecordID)
		}
		evs = append(evs, e)
	}
	return pid, evs, nil
}

// each is the handler that runs fn on each event and settles the batch:
// the handled records cleared by id, the failed ones marked by message id.
// When ctx ends, the events not handled stay held (taken back by the next
// pass); what was handled is still settled.
func (c *Consumer) each(fn Func) handler {
	return func(ctx context.Context, pid string, evs []Event, st *Stats) error {
		return c.handle(ctx, fn, pid, evs, st)
	}
}

func (c *Consumer) handle(ctx context.Context, fn Func, pid string, evs []Event, st *Stats) error {
	var done, failed []string
	var stop error
	for _, e := range evs {
		if ctx.Err() != nil {
			break
		}
		err := fn(ctx, e)
		switch {
		case err == nil:
			done = append(done, strconv.FormatInt(e.RecordID, 10))
		case errors.Is(err, errStop):
			stop = err
		case ctx.Err() != nil:
		default:
			failed = append(failed, e.MessageID)
			c.log.Warn("offline: handler failed; the record is marked failed", "event", e.Name, "id", e.ID, "record", e.RecordID, "err", err)
		}
		if stop != nil {
			break
		}
	}
	if err := c.settleBatch(ctx, pid, done, failed, st); err != nil {
		return err
	}
	if stop != nil {
		return stop
	}
	return ctx.Err()
}

// settleBatch clears the handled records and marks the failed ones (with a
// context that outlives a cancelled one: what was handled is settled).
func (c *Consumer) settleBatch(ctx context.Context, pid string, done, failed []string, st *Stats) error {
	if pid == "" {
		st.Handled += len(done)
		return nil // the portal held nothing for us: nothing to settle
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	if err := c.settle(sctx, "event.offline.clear", pid, "id", done); err != nil {
		return fmt.Errorf("offline: clearing %d handled records (they will come again): %w", len(done), err)
	}
	st.Handled += len(done)
	if err := c.settle(sctx, "event.offline.error", pid, "message_id", failed); err != nil {
		return fmt.Errorf("offline: marking %d records failed: %w", len(failed), err)
	}
	st.Failed += len(failed)
	return nil
}

// settle clears or marks failed the records of the process named in list
// (nothing to do for none). Sent WithIdempotent: clearing or marking the
// same records twice changes nothing more.
func (c *Consumer) settle(ctx context.Context, method, pid, key string, list []string) error {
	if len(list) == 0 {
		return nil
	}
	p := map[string]any{"process_id": pid, key: list}
	c.connector(p)
	_, err := c.h.V2().Call(ctx, method, p, b24.WithIdempotent(true))
	return err
}

// same reports whether two batches hold the same records at the same times
// (a portal that ignores event.offline.clear would loop a pass forever).
func same(a, b []Event) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].RecordID != b[i].RecordID || !a[i].Time.Equal(b[i].Time) {
			return false
		}
	}
	return true
}
