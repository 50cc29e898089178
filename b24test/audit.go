package b24test

import (
	"encoding/json"
	"maps"
	"strconv"
	"sync"
)

// Audit is what the server saw: a snapshot taken by Server.Audit.
type Audit struct {
	// Requests is the number of HTTP requests to /rest.
	Requests int `json:"requests"`
	// ByStatus counts requests by HTTP status (0: the connection was reset).
	ByStatus map[int]int `json:"by_status"`
	// ByMethod counts requests by method (lower-case) and status.
	ByMethod map[string]map[int]int `json:"by_method"`
	// Commands counts batch commands by method (executed or refused inside
	// the batch).
	Commands map[string]int `json:"commands"`
	// RowsReturned is the number of rows the methods returned (batch
	// commands included).
	RowsReturned int `json:"rows_returned"`
	// Writes counts the writes applied per record, keyed "entity:id"
	// ("deal:12"): a count above 1 for an add means a write ran twice.
	Writes map[string]int `json:"writes"`
	// Log holds the last requests (at most 10,000), oldest first; Dropped
	// counts those that fell off.
	Log     []RequestRecord `json:"log"`
	Dropped int             `json:"dropped"`
	// CommandLog says what each batch command did, oldest first (at most
	// 10,000; CommandsDropped counts those that fell off).
	CommandLog      []CommandRecord `json:"command_log"`
	CommandsDropped int             `json:"commands_dropped"`
}

// RequestRecord is one request of the audit log.
type RequestRecord struct {
	// Seq numbers the requests to /rest from 1, in the order they arrived
	// (FailRequest targets one).
	Seq    int    `json:"seq"`
	Method string `json:"method"` // lower-case, "" when not found
	API    string `json:"api"`    // "v2" or "v3"
	Status int    `json:"status"` // 0: the connection was reset
	Path   string `json:"path"`   // the URL path with the secret replaced by "***"
	Fault  string `json:"fault,omitempty"`
	// Replayed is true when a v3 idempotent replay answered.
	Replayed bool `json:"replayed,omitempty"`
}

// WriteCount returns how many writes were applied to a record.
func (a Audit) WriteCount(entity string, id int) int {
	return a.Writes[entity+":"+strconv.Itoa(id)]
}

// JSON returns the audit as JSON.
func (a Audit) JSON() []byte {
	b, _ := json.Marshal(a)
	return b
}

const auditLogMax = 10000

type auditor struct {
	mu sync.Mutex
	a  Audit
}

func newAuditor() *auditor {
	return &auditor{a: Audit{ByStatus: map[int]int{}, ByMethod: map[string]map[int]int{},
		Commands: map[string]int{}, Writes: map[string]int{}}}
}

func (au *auditor) request(rec RequestRecord) {
	au.mu.Lock()
	defer au.mu.Unlock()
	a := &au.a
	a.Requests++
	a.ByStatus[rec.Status]++
	if rec.Method != "" {
		m := a.ByMethod[rec.Method]
		if m == nil {
			m = map[int]int{}
			a.ByMethod[rec.Method] = m
		}
		m[rec.Status]++
	}
	if len(a.Log) >= auditLogMax {
		copy(a.Log, a.Log[1:])
		a.Log = a.Log[:len(a.Log)-1]
		a.Dropped++
	}
	a.Log = append(a.Log, rec)
}

func (au *auditor) call(c *Call) {
	au.mu.Lock()
	defer au.mu.Unlock()
	au.a.RowsReturned += c.cost.returned
	for _, w := range c.write {
		au.a.Writes[w.Entity+":"+strconv.Itoa(w.ID)]++
	}
	if c.Batched {
		au.a.Commands[c.Method]++
	}
}

func (au *auditor) command(method string) {
	au.mu.Lock()
	defer au.mu.Unlock()
	au.a.Commands[method]++
}

func (au *auditor) snapshot() Audit {
	au.mu.Lock()
	defer au.mu.Unlock()
	a := au.a
	a.ByStatus = maps.Clone(a.ByStatus)
	a.ByMethod = make(map[string]map[int]int, len(au.a.ByMethod))
	for k, v := range au.a.ByMethod {
		a.ByMethod[k] = maps.Clone(v)
	}
	a.Commands = maps.Clone(a.Commands)
	a.Writes = maps.Clone(a.Writes)
	a.Log = append([]RequestRecord(nil), a.Log...)
	a.CommandLog = append([]CommandRecord(nil), a.CommandLog...)
	return a
}
