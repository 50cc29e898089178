package reconcile

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/b24go/b24"
	"github.com/b24go/b24/internal/wait"
)

// SearchKeys is how many keys one search list command asks for: a page
// holds 50 records, room for each key's record and a duplicate.
const SearchKeys = 25

// SearchAfter is how long after a create's send a search may conclude that
// it did not run: the hook's request cut-off (Retry.RequestCutoff, 60 s by
// default) and a sixth of it as a margin (70 s by default).
func SearchAfter(api *b24.API) time.Duration {
	c := api.Hook().RestrictionParams().Retry.RequestCutoff
	if c <= 0 {
		c = b24.DefaultRequestCutoff
	}
	return c + c/6
}

// keyed is one create to find: its position and the key it carries.
type keyed struct {
	i   int
	key string
}

// search is one list command and the creates it looks for.
type search struct {
	list    b24.Cmd
	targets []keyed
	kind    createKind
	keyName string // the field that holds the key in the rows
	orig    string // the originator the rows must carry ("" for xmlId)
}

// CRMCreates is a b24.Reconciler for creates keyed by KeyCreate (sentAt[i]
// is when cmds[i] was sent). It waits until SearchAfter has passed since
// the last send, then looks for the records carrying the keys, SearchKeys
// keys a list command (filter ORIGINATOR_ID and @ORIGIN_ID, or @xmlId), up
// to b24.MaxBatchCommands lists a batch request:
//
//   - one record: b24.CommandDone, Result its id;
//   - none, in a search sent SearchAfter or more after the create's send:
//     b24.CommandNotExecuted (safe to send again); earlier: b24.CommandAmbiguous
//     (ErrTooEarly);
//   - two or more: b24.CommandAmbiguous (ErrTwoMatches); so is a list whose page
//     could not hold every match, and a command that carries no key.
//
// REST 3.0 creates are not searched: send them with b24.WithIdempotencyKey
// (IdempotencyKey) and settle them by sending them again with that key.
func CRMCreates(ctx context.Context, api *b24.API, cmds []b24.Cmd, sentAt []time.Time) []b24.Settled {
	out := make([]b24.Settled, len(cmds))
	for i := range out {
		out[i].State = b24.CommandAmbiguous
	}
	if api.Version() != b24.APIv2 {
		for i := range out {
			out[i].Err = fmt.Errorf("reconcile.CRMCreates: a REST 3.0 create is settled by its Idempotency-Key: %w", ErrNotKeyable)
		}
		return out
	}
	after := SearchAfter(api)
	var until time.Time
	for _, s := range sentAt {
		if t := s.Add(after); t.After(until) {
			until = t
		}
	}
	if err := wait.For(ctx, time.Until(until), nil); err != nil {
		for i := range out {
			out[i].Err = err
		}
		return out
	}
	searches := planSearches(cmds, out)
	if len(searches) == 0 {
		return out
	}
	searchAt := time.Now() // the searches run after this
	res, err := runLists(ctx, api, searches, func(s search) b24.Cmd { return s.list })
	for li, s := range searches {
		rows, _, lerr := listRows(res, err, li)
		if lerr == nil && res.Commands[li].Total != nil && *res.Commands[li].Total > len(rows) {
			lerr = fmt.Errorf("the search found %d records, more than its page holds", *res.Commands[li].Total)
		}
		s.settle(out, rows, lerr, searchAt, sentAt, after)
	}
	return out
}

// keyOf reads the key a command carries: the list method and type to
// search, the field holding the key, the originator ("" for xmlId).
func keyOf(cmd b24.Cmd) (kind createKind, keyName, orig, key string, err error) {
	params, err := decodeParams(cmd, "reconcile.CRMCreates")
	if err != nil {
		return kind, "", "", "", err
	}
	if kind, err = kindOf(cmd.Method, params); err != nil {
		return kind, "", "", "", err
	}
	fv, _ := foldGet(params, "fields")
	fields, _ := fv.(map[string]any)
	keyName, origName := "ORIGIN_ID", "ORIGINATOR_ID"
	switch {
	case kind.xmlID:
		keyName, origName = "xmlId", ""
	case kind.entity == "item":
		keyName, origName = "originId", "originatorId"
	}
	kv, ok := foldGet(fields, keyName)
	key = scalarString(kv)
	if origName != "" {
		ov, _ := foldGet(fields, origName)
		orig = scalarString(ov)
		ok = ok && strings.HasPrefix(orig, OriginatorPrefix)
	}
	if !ok || key == "" {
		return kind, "", "", "", fmt.Errorf("reconcile.CRMCreates: %s carries no key (KeyCreate): %w", cmd.Method, ErrBadKey)
	}
	return kind, keyName, orig, key, nil
}

// planSearches groups the creates by method, type and originator into
// list commands of at most SearchKeys keys. A command without a key gets
// its error in out.
func planSearches(cmds []b24.Cmd, out []b24.Settled) []search {
	open := map[string]int{} // group -> its list being filled
	var searches []search
	for i, c := range cmds {
		kind, keyName, orig, key, err := keyOf(c)
		if err != nil {
			out[i].Err = err
			continue
		}
		g := kind.entity + "\x00" + kind.typeID + "\x00" + orig
		si, ok := open[g]
		if !ok || len(searches[si].targets) == SearchKeys {
			searches = append(searches, search{kind: kind, keyName: keyName, orig: orig})
			si = len(searches) - 1
			open[g] = si
		}
		searches[si].targets = append(searches[si].targets, keyed{i, key})
	}
	for i := range searches {
		s := &searches[i]
		s.list = searchList(s.kind, s.keyName, s.orig, s.targets)
	}
	return searches
}

// searchList is the list command that finds the records carrying keys.
func searchList(kind createKind, keyName, orig string, targets []keyed) b24.Cmd {
	keys := make([]string, len(targets))
	for j, t := range targets {
		keys[j] = t.key
	}
	filter := map[string]any{"@" + keyName: keys}
	idName := "ID"
	if kind.entity == "item" {
		idName = "id"
	}
	sel := []string{idName, keyName}
	if orig != "" {
		origName := "ORIGINATOR_ID"
		if kind.entity == "item" {
			origName = "originatorId"
		}
		filter[origName] = orig
		sel = append(sel, origName)
	}
	p := map[string]any{"filter": filter, "select": sel}
	if kind.entity == "item" {
		p["entityTypeId"] = kind.typeID
	}
	return b24.Cmd{Method: "crm." + kind.entity + ".list", Params: p}
}

// settle decides each create of one search from the records it found.
func (s search) settle(out []b24.Settled, rows []map[string]any, lerr error, searchAt time.Time, sentAt []time.Time, after time.Duration) {
	found := map[string][]string{} // key -> ids, keys compared exactly
	for _, row := range rows {
		if s.orig != "" {
			if o, _ := foldGet(row, "ORIGINATOR_ID"); scalarString(o) != s.orig {
				continue
			}
		}
		k, _ := foldGet(row, s.keyName)
		id, _ := foldGet(row, "id")
		found[scalarString(k)] = append(found[scalarString(k)], scalarString(id))
	}
	for _, t := range s.targets {
		o := &out[t.i]
		ids := found[t.key]
		switch {
		case lerr != nil:
			o.Err = fmt.Errorf("reconcile.CRMCreates: %w", lerr)
		case len(ids) == 1:
			*o = b24.Settled{State: b24.CommandDone, Result: []byte(strconv.Quote(ids[0]))}
			if _, err := strconv.ParseInt(ids[0], 10, 64); err == nil {
				o.Result = []byte(ids[0])
			}
		case len(ids) > 1:
			o.Err = fmt.Errorf("%w: key %q: records %s", ErrTwoMatches, t.key, strings.Join(ids, ", "))
		case searchAt.Before(sentAt[t.i].Add(after)):
			o.Err = fmt.Errorf("%w (key %q, searched %v after the send, want %v)", ErrTooEarly, t.key, searchAt.Sub(sentAt[t.i]).Round(time.Millisecond), after)
		default:
			o.State = b24.CommandNotExecuted
			o.Err = fmt.Errorf("%w: no record with key %q", b24.ErrNotExecuted, t.key)
		}
	}
}
