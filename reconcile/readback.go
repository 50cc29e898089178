package reconcile

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/b24go/b24"
	"github.com/b24go/b24/oauth"
)

// ReadBackIDs is how many records one read-back list command asks for.
const ReadBackIDs = 50

// CRMUpdates is a b24.Reconciler for crm.<entity>.update commands (sentAt[i]
// is when cmds[i] was sent). It settles each as CRMUpdate does, with
// id-filtered lists instead of one get a record: ReadBackIDs records a list
// command, up to b24.MaxBatchCommands lists a batch request. A record
// modified after its send by a user other than the webhook's is a
// b24.CommandConflict; a record missing from the list stays b24.CommandAmbiguous with an
// error wrapping b24.ErrNotFound. Call it only once the portal's request
// cut-off has passed since the sends. On REST 3.0 it reads one record a call
// (CRMUpdate, no conflict check).
func CRMUpdates(ctx context.Context, api *b24.API, cmds []b24.Cmd, sentAt []time.Time) []b24.Settled {
	out := make([]b24.Settled, len(cmds))
	if api.Version() != b24.APIv2 {
		for i, c := range cmds {
			out[i] = settled(CRMUpdate(ctx, api, c))
		}
		return out
	}
	for i := range out {
		out[i].State = b24.CommandAmbiguous
	}
	reads := planReads(cmds, out)
	if len(reads) == 0 {
		return out
	}
	res, err := runLists(ctx, api, reads, func(r read) b24.Cmd { return r.list })
	// Our own writes carry our user as their author; an application's is
	// asked once when its token source does not know it (a user we cannot
	// learn stays 0: every recent edit then reads as another's, a Conflict,
	// never a resend).
	user, _ := oauth.UserID(ctx, api.Hook())
	for li, r := range reads {
		rows, readAt, lerr := listRows(res, err, li)
		r.settle(out, rows, readAt, lerr, sentAt, user)
	}
	return out
}

// Each makes a b24.Reconciler of a function that settles one command: done
// (b24.CommandDone), not done (b24.CommandNotExecuted: safe to send again), or an error
// (the command stays b24.CommandAmbiguous). CRMUpdate is such a function.
func Each(f func(ctx context.Context, api *b24.API, cmd b24.Cmd) (done bool, err error)) b24.Reconciler {
	return func(ctx context.Context, api *b24.API, cmds []b24.Cmd, _ []time.Time) []b24.Settled {
		out := make([]b24.Settled, 0, len(cmds))
		for _, c := range cmds {
			if ctx.Err() != nil {
				break
			}
			out = append(out, settled(f(ctx, api, c)))
		}
		return out
	}
}

// settled turns a per-record verdict into a b24.Settled.
func settled(done bool, err error) b24.Settled {
	switch {
	case err != nil:
		return b24.Settled{State: b24.CommandAmbiguous, Err: err}
	case done:
		return b24.Settled{State: b24.CommandDone}
	}
	return b24.Settled{State: b24.CommandNotExecuted, Err: fmt.Errorf("%w: the record does not hold the written values", b24.ErrNotExecuted)}
}

// target is one update to read back: its position and what it wrote.
type target struct {
	i      int
	id     string
	fields map[string]any
}

// read is one list command and the updates it reads back.
type read struct {
	list    b24.Cmd
	targets []target
}

// planReads groups the updates by entity (and crm.item's type) into list
// commands of at most ReadBackIDs ids each. A command that is not a
// crm.<entity>.update gets its error in out.
func planReads(cmds []b24.Cmd, out []b24.Settled) []read {
	type group struct {
		entity, typeID string
		rows           []target
	}
	groups := map[string]*group{}
	var order []string
	for i, c := range cmds {
		entity, id, typeID, fields, err := parseCRMUpdate(c)
		if err != nil {
			out[i].Err = err
			continue
		}
		k := entity + "\x00" + typeID
		g := groups[k]
		if g == nil {
			g = &group{entity: entity, typeID: typeID}
			groups[k] = g
			order = append(order, k)
		}
		g.rows = append(g.rows, target{i, id, fields})
	}
	var reads []read
	for _, k := range order {
		g := groups[k]
		for start := 0; start < len(g.rows); start += ReadBackIDs {
			part := g.rows[start:min(start+ReadBackIDs, len(g.rows))]
			reads = append(reads, read{listCommand(g.entity, g.typeID, part), part})
		}
	}
	return reads
}

// listCommand builds the id-filtered list of one group's part: filter @ID,
// select ID, the written fields, DATE_MODIFY and MODIFY_BY_ID (crm.item:
// camelCase).
func listCommand(entity, typeID string, part []target) b24.Cmd {
	ids := make([]string, len(part))
	sel := []string{"ID", "DATE_MODIFY", "MODIFY_BY_ID"}
	idKey := "@ID"
	if entity == "item" {
		sel, idKey = []string{"id", "updatedTime", "updatedBy"}, "@id"
	}
	for j, t := range part {
		ids[j] = t.id
		for f := range t.fields {
			if !slices.Contains(sel, f) {
				sel = append(sel, f)
			}
		}
	}
	slices.Sort(sel[3:])
	p := map[string]any{"filter": map[string]any{idKey: ids}, "select": sel}
	if entity == "item" {
		p["entityTypeId"] = typeID
	}
	return b24.Cmd{Method: "crm." + entity + ".list", Params: p}
}

// listRows reads list command li of the read-back batch: its records, the
// portal's clock when it ran (now when unknown), or why it cannot be read.
func listRows(res *b24.BatchResult, err error, li int) ([]map[string]any, time.Time, error) {
	if res == nil {
		return nil, time.Time{}, err
	}
	c := res.Commands[li]
	if c.State != b24.CommandDone {
		return nil, time.Time{}, c.Err
	}
	// The portal's clock when it ran the list bounds a modification time:
	// a later one (a clock ahead, seeded data) is no conflict.
	readAt := time.Now()
	if c.Time != nil && c.Time.Start > 0 {
		readAt = time.Unix(int64(c.Time.Start), 0)
	}
	rows, err := decodeReadBackRows(c.Result)
	return rows, readAt, err
}

// settle decides each target of one list from the records it returned.
func (r read) settle(out []b24.Settled, rows []map[string]any, readAt time.Time, lerr error, sentAt []time.Time, user int64) {
	byID := map[string]map[string]any{}
	for _, row := range rows {
		if v, ok := foldGet(row, "id"); ok {
			byID[scalarString(v)] = row
		}
	}
	for _, t := range r.targets {
		o := &out[t.i]
		if lerr != nil {
			o.Err = fmt.Errorf("reconcile.CRMUpdates: %w", lerr)
			continue
		}
		rec, ok := byID[t.id]
		switch {
		case !ok:
			o.Err = fmt.Errorf("reconcile.CRMUpdates: ID %s is not in the list: %w", t.id, b24.ErrNotFound)
		case changedByOther(rec, sentAt[t.i], readAt, user):
			o.State, o.Err = b24.CommandConflict, fmt.Errorf("ID %s: %w", t.id, b24.ErrConflict)
		default:
			*o = settled(settleFields(t.fields, rec))
		}
	}
}

// changedByOther reports whether rec was modified at or after the second
// of sent, and not after the second following readAt, by a user other
// than user.
func changedByOther(rec map[string]any, sent, readAt time.Time, user int64) bool {
	dm, ok1 := foldGet(rec, "DATE_MODIFY")
	if !ok1 {
		dm, ok1 = foldGet(rec, "updatedTime")
	}
	by, ok2 := foldGet(rec, "MODIFY_BY_ID")
	if !ok2 {
		by, ok2 = foldGet(rec, "updatedBy")
	}
	if !ok1 || !ok2 {
		return false
	}
	t, err := b24.ParseDateTime(scalarString(dm))
	if err != nil || t.IsZero() || t.Before(sent.Truncate(time.Second)) || t.After(readAt.Truncate(time.Second).Add(time.Second)) {
		return false
	}
	s := scalarString(by)
	return s != "" && s != "0" && s != fmt.Sprint(user)
}

// decodeReadBackRows reads a list result: an array of records, or
// crm.item's {"items": [...]}.
func decodeReadBackRows(raw json.RawMessage) ([]map[string]any, error) {
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("the list result is not JSON: %w", err)
	}
	if m, ok := v.(map[string]any); ok {
		v = m["items"]
	}
	arr, ok := v.([]any)
	if !ok {
		return nil, errors.New("the list result is not an array of records")
	}
	rows := make([]map[string]any, 0, len(arr))
	for _, e := range arr {
		if r, ok := e.(map[string]any); ok {
			rows = append(rows, r)
		}
	}
	return rows, nil
}

// runLists sends the list command of each of plans (halt off, in batches
// of up to b24.MaxBatchCommands) and returns the commands' results in order.
func runLists[T any](ctx context.Context, api *b24.API, plans []T, list func(T) b24.Cmd) (*b24.BatchResult, error) {
	lists := make([]b24.Cmd, len(plans))
	for i, p := range plans {
		lists[i] = list(p)
	}
	return api.BatchByChunk(ctx, lists, b24.WithHalt(false))
}
