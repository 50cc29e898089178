package reconcile

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/b24go/b24"
)

// OriginatorPrefix begins the ORIGINATOR_ID of a keyed create: the prefix,
// then the run's id. Records of other connectors (1C and the like) carry
// other originators.
const OriginatorPrefix = "b24:"

// MaxKeyLen is the longest key a record carries (ORIGINATOR_ID, ORIGIN_ID,
// xmlId, the REST 3.0 Idempotency-Key): 255 ASCII characters.
const MaxKeyLen = 255

// MinSmartProcess is the smallest entityTypeId of a smart process.
const MinSmartProcess = 128

var (
	// ErrNotKeyable: the method cannot carry a create's key; exactly-once
	// mode refuses it.
	ErrNotKeyable = errors.New("reconcile: this method cannot carry a create's key (exactly-once creates: crm.lead|deal|contact|company.add, crm.item.add)")
	// ErrBadKey: a run id or a row key that is empty, too long or not
	// printable ASCII, or input that sets a key field itself.
	ErrBadKey = errors.New("reconcile: bad create key")
	// ErrDuplicateKey: two creates of one run carry the same key.
	ErrDuplicateKey = errors.New("reconcile: two creates carry the same key")
	// ErrTwoMatches: the search found two records carrying one key.
	ErrTwoMatches = errors.New("reconcile: two records carry the create's key")
	// ErrTooEarly: nothing was found, but the search ran before the request
	// cut-off and its margin had passed since the send: the portal may
	// still have been running the create.
	ErrTooEarly = errors.New("reconcile: searched before the request cut-off had passed since the send")
)

// keyFields are the fields a keyed create writes; input that sets one is
// refused (compared ignoring case and underscores).
var keyFields = []string{"ORIGINATOR_ID", "ORIGIN_ID", "XML_ID"}

// createKind is how a create method carries its key.
type createKind struct {
	entity string // lead, deal, contact, company or item
	typeID string // crm.item's entityTypeId
	xmlID  bool   // the key is the whole xmlId (smart processes)
}

// checkKey accepts 1 to MaxKeyLen printable ASCII characters without
// surrounding spaces.
func checkKey(what, k string) error {
	if k == "" || len(k) > MaxKeyLen || strings.TrimSpace(k) != k {
		return fmt.Errorf("%w: %s %q must be 1 to %d characters without surrounding spaces", ErrBadKey, what, k, MaxKeyLen)
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x20 || k[i] > 0x7e {
			return fmt.Errorf("%w: %s %q holds a character that is not printable ASCII", ErrBadKey, what, k)
		}
	}
	return nil
}

// Originator is the ORIGINATOR_ID of the creates of run.
func Originator(run string) string { return OriginatorPrefix + run }

// IdempotencyKey is the REST 3.0 Idempotency-Key of row key of run
// (Originator(run) + ":" + key): send the create with
// b24.WithIdempotencyKey, and send it again with the same key to settle a
// lost answer (the portal replays a stored answer for a day).
func IdempotencyKey(run, key string) (string, error) {
	if err := checkKey("key", key); err != nil {
		return "", err
	}
	k := Originator(run) + ":" + key
	return k, checkKey("Idempotency-Key", k)
}

// kindOf tells how cmd's method carries a key.
func kindOf(method string, params map[string]any) (createKind, error) {
	parts := strings.Split(strings.ToLower(method), ".")
	if len(parts) != 3 || parts[0] != "crm" || parts[2] != "add" {
		return createKind{}, fmt.Errorf("%w: %s", ErrNotKeyable, method)
	}
	switch parts[1] {
	case "lead", "deal", "contact", "company":
		return createKind{entity: parts[1]}, nil
	case "item":
		et, _ := foldGet(params, "entityTypeId")
		n, ok := exactInt(et)
		if !ok {
			return createKind{}, fmt.Errorf("%w: crm.item.add without an integer entityTypeId", ErrNotKeyable)
		}
		k := createKind{entity: "item", typeID: n}
		switch n {
		case "1", "2", "3", "4":
			return k, nil
		}
		if v, err := strconv.Atoi(n); err == nil && v >= MinSmartProcess {
			k.xmlID = true
			return k, nil
		}
		return createKind{}, fmt.Errorf("%w: crm.item.add of entityTypeId %s", ErrNotKeyable, n)
	}
	return createKind{}, fmt.Errorf("%w: %s", ErrNotKeyable, method)
}

// KeyCreate returns cmd with the key of row key of run written into its
// fields: ORIGINATOR_ID = Originator(run) and ORIGIN_ID = key for leads,
// deals, contacts and companies (crm.item: originatorId, originId), xmlId
// = Originator(run) + ":" + key for a smart process's items. Other methods
// are refused (ErrNotKeyable), as are bad keys and fields that set a key
// field themselves (ErrBadKey).
func KeyCreate(cmd b24.Cmd, run, key string) (b24.Cmd, error) {
	if err := checkKey("run", run); err != nil {
		return cmd, err
	}
	if err := checkKey("key", key); err != nil {
		return cmd, err
	}
	params, err := decodeParams(cmd, "reconcile.KeyCreate")
	if err != nil {
		return cmd, err
	}
	kind, err := kindOf(cmd.Method, params)
	if err != nil {
		return cmd, err
	}
	fv, _ := foldGet(params, "fields")
	fields, ok := fv.(map[string]any)
	if !ok {
		return cmd, fmt.Errorf("reconcile.KeyCreate: %s without fields", cmd.Method)
	}
	for _, f := range keyFields {
		if _, set := foldGet(fields, f); set {
			return cmd, fmt.Errorf("%w: the input sets %s itself (connectors such as 1C use it)", ErrBadKey, f)
		}
	}
	out := make(map[string]any, len(fields)+2)
	for k, v := range fields {
		out[k] = v
	}
	switch {
	case kind.xmlID:
		x := Originator(run) + ":" + key
		if err := checkKey("xmlId", x); err != nil {
			return cmd, err
		}
		out["xmlId"] = x
	case kind.entity == "item":
		out["originatorId"], out["originId"] = Originator(run), key
	default:
		out["ORIGINATOR_ID"], out["ORIGIN_ID"] = Originator(run), key
	}
	if err := checkKey("originator", Originator(run)); err != nil {
		return cmd, err
	}
	for k := range params {
		if strings.EqualFold(k, "fields") {
			delete(params, k)
		}
	}
	params["fields"] = out
	cmd.Params = params
	return cmd, nil
}

// KeyCreates keys every create of run (keys[i] for cmds[i], as KeyCreate)
// and refuses, before anything is sent, two creates whose keys are equal
// ignoring case (a portal's search does not tell them apart): the error
// names the positions.
func KeyCreates(cmds []b24.Cmd, run string, keys []string) ([]b24.Cmd, error) {
	if len(keys) != len(cmds) {
		return nil, fmt.Errorf("reconcile.KeyCreates: %d keys for %d commands", len(keys), len(cmds))
	}
	first := make(map[string]int, len(keys))
	for i, k := range keys {
		fk := strings.ToLower(k)
		if j, dup := first[fk]; dup {
			return nil, fmt.Errorf("%w: %q at %d and %d", ErrDuplicateKey, k, j, i)
		}
		first[fk] = i
	}
	out := make([]b24.Cmd, len(cmds))
	for i, c := range cmds {
		kc, err := KeyCreate(c, run, keys[i])
		if err != nil {
			return nil, fmt.Errorf("command %d: %w", i, err)
		}
		out[i] = kc
	}
	return out, nil
}
