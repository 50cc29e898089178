package b24test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/b24go/b24/internal/php"
)

// Outbound configures the fake's outbound webhook: after each successful
// write through the API (add, update, delete of a CRM record or a task, on
// its own or in a batch) the fake POSTs the event to URL as a portal does:
// a form with event, event_handler_id, data[FIELDS][ID] (tasks:
// data[FIELDS_AFTER][ID], or FIELDS_BEFORE on delete), ts and
// auth[domain], auth[member_id], auth[application_token]. Once, with no
// retry: an event the handler fails to take is lost.
type Outbound struct {
	URL      string
	Token    string // auth[application_token]; required
	MemberID string // auth[member_id]; default "b24testmember"
	Domain   string // auth[domain]; default the server's host (127.0.0.1:PORT)
	// Reorder is the probability that an event is held back and sent after
	// the next one (0..1). Double is the probability that an UPDATE is sent
	// twice for one save, as the portal sometimes does.
	Reorder, Double float64
	// Client sends the requests; default: a client with a 10 s timeout.
	Client *http.Client
}

// String omits the token.
func (o Outbound) String() string { return "outbound events to " + o.URL }

// GoString omits the token.
func (o Outbound) GoString() string { return "b24test.Outbound{" + o.URL + "}" }

// MarshalJSON omits the token.
func (o Outbound) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct{ URL, MemberID, Domain string }{o.URL, o.MemberID, o.Domain})
}

// LogValue omits the token.
func (o Outbound) LogValue() slog.Value { return slog.StringValue(o.String()) }

// WithOutbound makes the server send outbound events to o.URL (see
// Outbound). Server.OutboundSent counts the requests made.
func WithOutbound(o Outbound) Option {
	return func(cfg *config) error {
		u, err := url.Parse(o.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("%w: WithOutbound: bad URL %q", ErrInvalidOption, o.URL)
		}
		if o.Token == "" {
			return fmt.Errorf("%w: WithOutbound: the application token is required", ErrInvalidOption)
		}
		if !(o.Reorder >= 0 && o.Reorder <= 1) || !(o.Double >= 0 && o.Double <= 1) { // NaN too
			return fmt.Errorf("%w: WithOutbound: Reorder and Double are probabilities (0..1)", ErrInvalidOption)
		}
		if o.MemberID == "" {
			o.MemberID = "b24testmember"
		}
		if o.Client == nil {
			o.Client = &http.Client{Timeout: 10 * time.Second}
		}
		cfg.outbound = append(cfg.outbound, o)
		return nil
	}
}

// outboundEvent is one event to send.
type outboundEvent struct {
	name, idKey, id string
	ts              int64
}

// outbox sends the events of one Outbound from one goroutine.
type outbox struct {
	o      Outbound
	srv    *Server // its URL's host is auth[domain]
	start  sync.Once
	mu     sync.Mutex
	rng    *rand.Rand
	queue  chan outboundEvent
	held   *outboundEvent
	sent   int
	done   chan struct{}
	ctx    context.Context
	cancel context.CancelFunc
}

// startOutbound starts one sender per Outbound; every write raises its
// event for each (onWrites).
func (s *Server) startOutbound() {
	for i, o := range s.cfg.outbound {
		ctx, cancel := context.WithCancel(context.Background())
		b := &outbox{o: o, srv: s, rng: rand.New(rand.NewPCG(uint64(i)+1, 19)),
			queue: make(chan outboundEvent, 1024), done: make(chan struct{}), ctx: ctx, cancel: cancel}
		s.outboxes = append(s.outboxes, b)
	}
}

// onWrites wraps every write method (add, update, delete) so that each
// record it wrote successfully raises its events: the outbound webhooks'
// and the offline queue's (offline.go).
func (s *Server) onWrites() {
	for _, tab := range []map[string]*Method{s.reg.v2, s.reg.v3} {
		for name, m := range tab {
			action := strings.ToUpper(name[strings.LastIndexByte(name, '.')+1:])
			if !m.Write || (action != "ADD" && action != "UPDATE" && action != "DELETE") {
				continue
			}
			inner := m.Handler
			m.Handler = func(c *Call) (Result, *Error) {
				before := len(c.write)
				res, aerr := inner(c)
				if aerr == nil {
					for _, w := range c.write[before:] {
						s.raise(c, w, action)
					}
				}
				return res, aerr
			}
		}
	}
}

// eventOf names the event of one write and the key of its id in the data
// (FIELDS[ID]; tasks: FIELDS_AFTER[ID], FIELDS_BEFORE[ID] on delete); ok is
// false for an entity that raises none.
func eventOf(w writeRef, action string) (name, section string, ok bool) {
	switch w.Entity {
	case "deal", "lead", "contact", "company":
		return "ONCRM" + strings.ToUpper(w.Entity) + action, "FIELDS", true
	case "task":
		if action == "DELETE" {
			return "ONTASK" + action, "FIELDS_BEFORE", true
		}
		return "ONTASK" + action, "FIELDS_AFTER", true
	}
	return "", "", false
}

// raise sends the event of one write to every outbox and records it in the
// offline queue for the bindings of its name (but the write's connector).
func (s *Server) raise(c *Call, w writeRef, action string) {
	name, section, ok := eventOf(w, action)
	if !ok {
		return
	}
	ev := outboundEvent{name: name, idKey: "data[" + section + "][ID]", id: strconv.Itoa(w.ID), ts: c.Now.Unix()}
	for _, b := range s.outboxes {
		b.add(ev)
	}
	fields := php.NewArray()
	fields.Set("ID", strconv.Itoa(w.ID))
	data := php.NewArray()
	data.Set(section, fields)
	s.offline.raise(name, data, c.UserID, strParam(c.Params, "auth_connector"), c.Now)
}

func (b *outbox) add(ev outboundEvent) {
	b.mu.Lock()
	double := strings.HasSuffix(ev.name, "UPDATE") && b.rng.Float64() < b.o.Double
	hold := b.held == nil && b.rng.Float64() < b.o.Reorder
	var out []outboundEvent
	if hold {
		b.held = &ev
	} else {
		out = append(out, ev)
		if double {
			out = append(out, ev)
		}
		if b.held != nil {
			out = append(out, *b.held)
			b.held = nil
		}
	}
	b.mu.Unlock()
	b.start.Do(func() { go b.run() }) // started by the first event: a failed Start leaves no goroutine
	for _, e := range out {
		select {
		case b.queue <- e:
		default: // a handler this slow loses events, as on a portal
		}
	}
}

func (b *outbox) run() {
	defer close(b.done)
	for {
		select {
		case <-b.ctx.Done():
			return
		case ev := <-b.queue:
			b.send(ev)
		}
	}
}

// send POSTs one event, once.
func (b *outbox) send(ev outboundEvent) {
	v := url.Values{}
	v.Set("event", ev.name)
	v.Set("event_handler_id", "1")
	v.Set(ev.idKey, ev.id)
	v.Set("ts", strconv.FormatInt(ev.ts, 10))
	domain := b.o.Domain
	if domain == "" {
		domain = inMemoryHost
		if u, err := url.Parse(b.srv.url); err == nil && u.Host != "" {
			domain = u.Host
		}
	}
	v.Set("auth[domain]", domain)
	v.Set("auth[member_id]", b.o.MemberID)
	v.Set("auth[application_token]", b.o.Token)
	req, err := http.NewRequestWithContext(b.ctx, http.MethodPost, b.o.URL, strings.NewReader(v.Encode()))
	if err != nil {
		return
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	b.mu.Lock()
	b.sent++
	b.mu.Unlock()
	if resp, err := b.o.Client.Do(req); err == nil {
		resp.Body.Close()
	}
}

// stop ends the sender; events not yet sent are dropped.
func (b *outbox) stop() {
	b.cancel()
	b.start.Do(func() { close(b.done) })
	<-b.done
}

// OutboundSent reports how many outbound event requests the server has
// made (answered or not), over all WithOutbound handlers.
func (s *Server) OutboundSent() int {
	n := 0
	for _, b := range s.outboxes {
		b.mu.Lock()
		n += b.sent
		b.mu.Unlock()
	}
	return n
}
