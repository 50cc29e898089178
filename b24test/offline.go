package b24test

import (
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/b24go/b24/internal/php"
)

// The offline event queue of the fake's application (docs/events.md): what
// event.bind with event_type=offline subscribes to and event.offline.*
// read, mark and clear.

// OfflineTTL is how long an offline record lives after its last change at
// time scale 1 (the portal's agent removes older records; about 34 days).
const OfflineTTL = 34 * 24 * time.Hour

// offlineRec is one record of the queue.
type offlineRec struct {
	id        int
	ts        time.Time // TIMESTAMP_X: the last change merged into it
	name      string    // EVENT_NAME
	data      *php.Array
	userID    int
	messageID string // a hash of the event's name and data
	processID string // "" when no process holds it
	errored   bool
	connector string // the queue: the auth_connector of the binding
}

// binding is one event handler (event.bind).
type binding struct {
	event     string // upper case
	handler   string // "" for an offline handler
	authType  int
	offline   bool
	connector string
}

// offlineQueue holds the bindings and the records; its methods lock mu.
type offlineQueue struct {
	mu       sync.Mutex
	bindings []binding
	recs     map[string]*offlineRec // connector + "\x00" + message id
	nextID   int
	ttl      time.Duration
}

func newOfflineQueue(scale float64) *offlineQueue {
	return &offlineQueue{recs: map[string]*offlineRec{}, ttl: scaleDur(OfflineTTL, scale)}
}

// raise records the event of one write for every offline binding of its
// name, except the binding whose connector made the write.
func (q *offlineQueue) raise(name string, data *php.Array, userID int, connector string, now time.Time) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, b := range q.bindings {
		if !b.offline || b.event != name || (b.connector != "" && b.connector == connector) {
			continue
		}
		mid := messageID(name, data)
		k := b.connector + "\x00" + mid
		if r, ok := q.recs[k]; ok { // merged: one record, the last change's time
			r.ts, r.processID, r.errored, r.userID = now, "", false, userID
			continue
		}
		q.nextID++
		q.recs[k] = &offlineRec{id: q.nextID, ts: now, name: name, data: data, userID: userID,
			messageID: mid, connector: b.connector}
	}
}

// messageID is the record's MESSAGE_ID: a hash of the event and its data,
// equal for every change of one entity by one event.
func messageID(name string, data *php.Array) string {
	js, _ := php.EncodeJSON(data)
	sum := md5.Sum(append([]byte(name+"|"), js...))
	return hex.EncodeToString(sum[:])
}

// expire drops the records older than the TTL (q.mu held).
func (q *offlineQueue) expire(now time.Time) {
	for k, r := range q.recs {
		if now.Sub(r.ts) >= q.ttl {
			delete(q.recs, k)
		}
	}
}

// selectRecs returns the records of connector that match keep, in order.
func (q *offlineQueue) selectRecs(connector string, keep func(*offlineRec) bool, order []orderKey) []*offlineRec {
	var out []*offlineRec
	for _, r := range q.recs {
		if r.connector == connector && keep(r) {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		for _, o := range order {
			if c := o.compare(out[i], out[j]); c != 0 {
				return c < 0
			}
		}
		return out[i].id < out[j].id
	})
	return out
}

// getOpts are event.offline.get's parameters.
type getOpts struct {
	connector, processID string
	clear, errored       bool
	limit                int
	filter               []filterTerm
	order                []orderKey
}

// get is event.offline.get: the first records not held by another process
// (those of processID too), errored or not as asked; deleted when clear,
// else marked with the process id (a new one when none was given).
func (q *offlineQueue) get(o getOpts, now time.Time) (string, []*offlineRec) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.expire(now)
	recs := q.selectRecs(o.connector, func(r *offlineRec) bool {
		return r.errored == o.errored && (r.processID == "" || (o.processID != "" && r.processID == o.processID)) &&
			matchAll(o.filter, r)
	}, o.order)
	if len(recs) > o.limit {
		recs = recs[:o.limit]
	}
	out := make([]*offlineRec, len(recs))
	pid := ""
	if !o.clear {
		pid = o.processID
		if pid == "" {
			pid = newProcessID()
		}
	}
	for i, r := range recs {
		if o.clear {
			delete(q.recs, r.connector+"\x00"+r.messageID)
		} else {
			r.processID = pid
		}
		c := *r
		out[i] = &c
	}
	return pid, out
}

func newProcessID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// clear is event.offline.clear: it deletes the records held by processID,
// only those of ids (record ids) or else of messageIDs when given.
func (q *offlineQueue) clear(connector, processID string, ids, messageIDs []string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.mark(connector, processID, ids, messageIDs, func(k string, _ *offlineRec) { delete(q.recs, k) })
}

// markError is event.offline.error: the records held by processID with
// these message ids (all of the process's when none) are marked errored and
// released: only event.offline.get with error=1 returns them.
func (q *offlineQueue) markError(connector, processID string, messageIDs []string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.mark(connector, processID, nil, messageIDs, func(_ string, r *offlineRec) { r.errored, r.processID = true, "" })
}

// mark applies f to the records of connector held by processID, filtered by
// ids, else by messageIDs (q.mu held).
func (q *offlineQueue) mark(connector, processID string, ids, messageIDs []string, f func(string, *offlineRec)) {
	in := func(list []string, v string) bool {
		for _, x := range list {
			if x == v {
				return true
			}
		}
		return false
	}
	for k, r := range q.recs {
		if r.connector != connector || r.processID != processID {
			continue
		}
		if len(ids) > 0 && !in(ids, strconv.Itoa(r.id)) {
			continue
		}
		if len(ids) == 0 && len(messageIDs) > 0 && !in(messageIDs, r.messageID) {
			continue
		}
		f(k, r)
	}
}

// list is event.offline.list: the records of connector matching filter,
// unchanged.
func (q *offlineQueue) list(connector string, filter []filterTerm, order []orderKey, now time.Time) []*offlineRec {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.expire(now)
	recs := q.selectRecs(connector, func(r *offlineRec) bool { return matchAll(filter, r) }, order)
	out := make([]*offlineRec, len(recs))
	for i, r := range recs {
		c := *r
		out[i] = &c
	}
	return out
}

// OfflineRecords returns how many records the offline queue of connector
// ("" for the queue without a source) holds, hidden or not.
func (s *Server) OfflineRecords(connector string) int {
	q := s.offline
	q.mu.Lock()
	defer q.mu.Unlock()
	q.expire(s.clock.Now())
	n := 0
	for _, r := range q.recs {
		if r.connector == connector {
			n++
		}
	}
	return n
}

// field returns a record's field as the filter and order see it: a number
// for ID and ERROR, a time for TIMESTAMP_X, text otherwise; ok false for an
// unknown field.
func (r *offlineRec) field(name string) (num int64, text string, ok bool) {
	switch name {
	case "ID":
		return int64(r.id), "", true
	case "ERROR":
		if r.errored {
			return 1, "", true
		}
		return 0, "", true
	case "TIMESTAMP_X":
		return r.ts.UnixNano(), "", true
	case "EVENT_NAME":
		return 0, r.name, true
	case "MESSAGE_ID":
		return 0, r.messageID, true
	case "PROCESS_ID":
		return 0, r.processID, true
	}
	return 0, "", false
}

// orderKey is one key of an order: a field and its direction.
type orderKey struct {
	field string
	desc  bool
}

func (o orderKey) compare(a, b *offlineRec) int {
	an, at, _ := a.field(o.field)
	bn, bt, _ := b.field(o.field)
	c := strings.Compare(at, bt)
	if an != bn {
		c = -1
		if an > bn {
			c = 1
		}
	}
	if o.desc {
		return -c
	}
	return c
}

// filterTerm is one condition of a filter: "=ID", ">TIMESTAMP_X", "!ERROR".
type filterTerm struct {
	op, field string
	values    []string // several for a list value (=ID: [1, 2])
}

func matchAll(terms []filterTerm, r *offlineRec) bool {
	for _, t := range terms {
		if !t.match(r) {
			return false
		}
	}
	return true
}

func (t filterTerm) match(r *offlineRec) bool {
	num, text, _ := r.field(t.field)
	any := false
	for _, v := range t.values {
		c := strings.Compare(text, v)
		if t.field == "ID" || t.field == "ERROR" {
			c = cmpInt(num, int64(intPrefix(v)))
		} else if t.field == "TIMESTAMP_X" {
			tv, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return false
			}
			c = cmpInt(num, tv.UnixNano())
		}
		any = any || opHolds(t.op, c)
	}
	if t.op == "!" {
		return !any
	}
	return any
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func opHolds(op string, c int) bool {
	switch op {
	case ">":
		return c > 0
	case ">=":
		return c >= 0
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	}
	return c == 0 // "=", "" and "!" (negated by the caller)
}
