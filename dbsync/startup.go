package dbsync

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/b24go/b24"
	"github.com/b24go/b24/internal/listhook"
)

// noProbe is the list option that starts a walk with a whole chained batch
// instead of a range probe: a walk's requests are then ceil(rows/2,500).
var noProbe = listhook.NoRangeProbe.(b24.ListOption)

// startup reads what a run needs before it walks in one batch request: the
// portal's time (server.time), the entity's fields and, when the run will
// walk changes, the probe of the change filter. A command the batch did not
// answer is sent again on its own, so the batch only saves requests.
func (r *run) startup(ctx context.Context, probe bool) ([]field, error) {
	future := r.probeTime()
	cmds := []b24.Cmd{{Name: "now", Method: "server.time"}}
	if r.e.fields != "" {
		cmds = append(cmds, b24.Cmd{Name: "fields", Method: r.e.fields, Params: r.e.withParams(nil)})
	}
	if probe {
		cmds = append(cmds, b24.Cmd{Name: "probe", Method: r.e.list, Params: r.probeParams(future)})
	}
	res, err := r.api.Batch(ctx, cmds, b24.WithHalt(false))
	if res == nil {
		return nil, fmt.Errorf("dbsync: start-up batch: %w", err)
	}
	done := func(name string) json.RawMessage {
		if c := res.Get(name); c != nil && c.State == b24.CommandDone {
			return c.Result
		}
		return nil
	}
	if raw := done("now"); raw != nil {
		r.now, err = parsePortalTime(raw)
	} else {
		r.now, err = r.portalNow(ctx)
	}
	if err != nil {
		return nil, err
	}
	var fields []field
	if raw := done("fields"); raw != nil {
		fields, err = decodeFields(r.e, raw)
	} else {
		fields, err = fetchFields(ctx, r.api, r.e)
	}
	if err != nil || !probe {
		return fields, err
	}
	// A probe answered with rows for a time that is not a day past the
	// portal's now (the host's clock far behind it) is sent again with the
	// portal's time, as is one the batch did not answer.
	if empty := r.probeEmpty(done("probe")); empty != nil && (*empty || !future.Before(r.now.Add(24*time.Hour))) {
		r.probed, r.probeOK = true, *empty
		return fields, nil
	}
	r.probeOK, err = r.probe(ctx)
	r.probed = err == nil
	return fields, err
}

// probeTime is the time of the probe sent before the portal's time is
// known: a day past the later of the host's clock and the watermark (a
// portal time), in the watermark's offset. A portal clock ahead of both by
// more than a day is caught after the batch (startup).
func (r *run) probeTime() time.Time {
	t := time.Now()
	if wm, err := time.Parse(time.RFC3339, r.st.Watermark); err == nil {
		t = t.In(wm.Location())
		if wm.After(t) {
			t = wm
		}
	}
	return t.Add(24 * time.Hour)
}

// portalTime is how the portal writes an instant: ISO 8601 with a numeric
// offset (+03:00, +00:00; never Z). Filters and the watermark use it.
const portalTime = "2006-01-02T15:04:05-07:00"

// probeEmpty reads a probe's answer: true when it holds no row, false when
// it holds rows, nil when there is none or it is not a list answer.
func (r *run) probeEmpty(raw json.RawMessage) *bool {
	if raw == nil {
		return nil
	}
	rows, err := rowsOf(raw, r.e.rowsKey)
	if err != nil {
		return nil
	}
	ok := len(rows) == 0
	return &ok
}

// parsePortalTime reads server.time's answer.
func parsePortalTime(raw json.RawMessage) (time.Time, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return time.Time{}, fmt.Errorf("dbsync: server.time: %w", err)
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("dbsync: server.time %q: %w", clip([]byte(s)), err)
	}
	return t, nil
}
