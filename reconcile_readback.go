package b24

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// ErrConflict marks a write whose record another user changed after the
// write was sent: whether the write took effect cannot be told, and
// sending it again could undo that user's change. It is never resent.
var ErrConflict = errors.New("b24: the record was changed by another user after the write was sent")

// ReadBackIDs is how many records one read-back list command asks for.
const ReadBackIDs = 50

// ReadBack is what reading back one ambiguous update shows: Done (the
// record holds the written values), Conflict (Err wraps ErrConflict), or
// neither: with Err nil the write did not take effect and is safe to send
// again (ReconcileCRMUpdate's rules); with Err set it stays unknown (Err
// wraps ErrNotFound when the record was not in the list).
type ReadBack struct {
	Done     bool
	Conflict bool
	Err      error
}

// ReadBackCRMUpdates settles crm.<entity>.update commands (sentAt[i] is
// when cmds[i] was sent) as ReconcileCRMUpdate does, with id-filtered
// lists instead of one get per record: ReadBackIDs records a list
// command (filter @ID, select ID, the written fields, DATE_MODIFY and
// MODIFY_BY_ID), up to MaxBatchCommands lists a batch request. A record
// modified after its send (DATE_MODIFY, to the second, between the send and
// the list's run) by a user other than the webhook's is a Conflict: the
// portal's clock and this one are taken to agree. Call it only once the portal's request
// cut-off has passed since the sends. On REST 3.0 it reads one record a
// call (ReconcileCRMUpdate, no conflict check).
func ReadBackCRMUpdates(ctx context.Context, api *API, cmds []Cmd, sentAt []time.Time) []ReadBack {
	out := make([]ReadBack, len(cmds))
	if api.Version() != APIv2 {
		for i, c := range cmds {
			out[i].Done, out[i].Err = ReconcileCRMUpdate(ctx, api, c)
		}
		return out
	}
	type target struct {
		i      int
		id     string
		fields map[string]any
	}
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
	var lists []Cmd
	var members [][]target
	for _, k := range order {
		g := groups[k]
		for start := 0; start < len(g.rows); start += ReadBackIDs {
			part := g.rows[start:min(start+ReadBackIDs, len(g.rows))]
			ids := make([]string, len(part))
			sel := []string{"ID", "DATE_MODIFY", "MODIFY_BY_ID"}
			idKey := "@ID"
			if g.entity == "item" {
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
			if g.entity == "item" {
				p["entityTypeId"] = g.typeID
			}
			lists = append(lists, Cmd{Method: "crm." + g.entity + ".list", Params: p})
			members = append(members, part)
		}
	}
	if len(lists) == 0 {
		return out
	}
	res, err := api.BatchByChunk(ctx, lists, WithHalt(false))
	user := api.h.userID
	for li, part := range members {
		var rows []map[string]any
		var lerr error
		switch {
		case res == nil:
			lerr = err
		case res.Commands[li].State != Done:
			lerr = res.Commands[li].Err
		default:
			rows, lerr = decodeReadBackRows(res.Commands[li].Result)
		}
		// The portal's clock when it ran the list bounds a modification
		// time: a later one (a clock ahead, seeded data) is no conflict.
		readAt := time.Now()
		if res != nil {
			if tm := res.Commands[li].Time; tm != nil && tm.Start > 0 {
				readAt = time.Unix(int64(tm.Start), 0)
			}
		}
		byID := map[string]map[string]any{}
		for _, r := range rows {
			if v, ok := foldGet(r, "id"); ok {
				byID[scalarString(v)] = r
			}
		}
		for _, t := range part {
			o := &out[t.i]
			if lerr != nil {
				o.Err = fmt.Errorf("ReadBackCRMUpdates: %w", lerr)
				continue
			}
			rec, ok := byID[t.id]
			if !ok {
				o.Err = fmt.Errorf("ReadBackCRMUpdates: ID %s is not in the list: %w", t.id, ErrNotFound)
				continue
			}
			if changedByOther(rec, sentAt[t.i], readAt, user) {
				o.Conflict = true
				o.Err = fmt.Errorf("ID %s: %w", t.id, ErrConflict)
				continue
			}
			o.Done, o.Err = settleFields(t.fields, rec)
		}
	}
	return out
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
	t, err := ParseDateTime(scalarString(dm))
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

// parseCRMUpdate reads a crm.<entity>.update command: the entity, the
// record id, crm.item's entityTypeId and the written fields.
func parseCRMUpdate(cmd Cmd) (entity, id, typeID string, fields map[string]any, err error) {
	parts := strings.Split(strings.ToLower(cmd.Method), ".")
	if len(parts) != 3 || parts[0] != "crm" || parts[2] != "update" {
		return "", "", "", nil, fmt.Errorf("ReconcileCRMUpdate: %s is not a crm.<entity>.update method", cmd.Method)
	}
	raw, err := json.Marshal(cmd.Params)
	if err != nil {
		return "", "", "", nil, err
	}
	var params map[string]any
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	if err := dec.Decode(&params); err != nil || params == nil {
		return "", "", "", nil, errors.New("ReconcileCRMUpdate: params are not an object")
	}
	idv, ok := foldGet(params, "id")
	if _, isInt := exactInt(idv); !ok || !isInt {
		return "", "", "", nil, errors.New("ReconcileCRMUpdate: no integer id in params")
	}
	fv, _ := foldGet(params, "fields")
	fields, ok = fv.(map[string]any)
	if !ok || len(fields) == 0 {
		return "", "", "", nil, errors.New("ReconcileCRMUpdate: no fields in params")
	}
	if parts[1] == "item" {
		et, ok := foldGet(params, "entityTypeId")
		if !ok {
			return "", "", "", nil, errors.New("ReconcileCRMUpdate: crm.item.update without entityTypeId")
		}
		typeID = scalarString(et)
	}
	return parts[1], scalarString(idv), typeID, fields, nil
}
