package events

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"time"
)

// RefusedStatus is the one status a Handler answers to every request it
// does not spool: wrong, missing or foreign token, a body over MaxBody or
// slower than ReadTimeout, a malformed or over-limit form, another content
// type, a method other than POST. Nothing reaches the spool or user code.
const RefusedStatus = http.StatusForbidden

// ReadTimeout bounds the time to read one request body.
const ReadTimeout = 10 * time.Second

// Portal is one portal whose events are accepted: all three must match the
// request's auth[member_id], auth[domain] (case-insensitive) and
// auth[application_token] (exact). The token is shown on the portal's
// outbound webhook page; it is the only proof a request comes from there.
type Portal struct {
	MemberID string
	Domain   string
	Token    string
}

// String omits the token.
func (p Portal) String() string { return p.Domain + " (" + p.MemberID + ")" }

// GoString omits the token.
func (p Portal) GoString() string { return "events.Portal{" + p.String() + "}" }

// MarshalJSON omits the token.
func (p Portal) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct{ MemberID, Domain string }{p.MemberID, p.Domain})
}

// LogValue omits the token.
func (p Portal) LogValue() slog.Value {
	return slog.GroupValue(slog.String("member_id", p.MemberID), slog.String("domain", p.Domain))
}

type triple struct{ member, domain, token [32]byte }

// Handler is the http.Handler for a portal's outbound webhook: it verifies
// a request, appends the event to the spool (fsync) and only then answers
// 200. Run Spool.Consume beside it to deliver events to user code.
type Handler struct {
	spool   *Spool
	portals []triple
	// Now stamps ReceivedAt; nil means time.Now.
	Now func() time.Time
	// OnRefuse, when set, is told why a request was refused (for logs;
	// the reason never contains a token).
	OnRefuse func(r *http.Request, reason error)
}

// ErrRefused is wrapped by every reason given to OnRefuse.
var ErrRefused = errors.New("events: request refused")

// NewHandler returns a Handler spooling into s the events of portals.
func NewHandler(s *Spool, portals ...Portal) (*Handler, error) {
	if s == nil || len(portals) == 0 {
		return nil, errors.New("events: NewHandler needs a spool and at least one portal")
	}
	h := &Handler{spool: s}
	for _, p := range portals {
		if p.MemberID == "" || p.Domain == "" || p.Token == "" {
			return nil, fmt.Errorf("events: portal %v: member id, domain and token are all required", p)
		}
		h.portals = append(h.portals, triple{
			sha256.Sum256([]byte(p.MemberID)),
			sha256.Sum256([]byte(strings.ToLower(p.Domain))),
			sha256.Sum256([]byte(p.Token)),
		})
	}
	return h, nil
}

// verify compares the triple against every configured portal, in constant
// time over the values.
func (h *Handler) verify(member, domain, token string) bool {
	m := sha256.Sum256([]byte(member))
	d := sha256.Sum256([]byte(strings.ToLower(domain)))
	t := sha256.Sum256([]byte(token))
	ok := 0
	for _, p := range h.portals {
		ok |= subtle.ConstantTimeCompare(m[:], p.member[:]) &
			subtle.ConstantTimeCompare(d[:], p.domain[:]) &
			subtle.ConstantTimeCompare(t[:], p.token[:])
	}
	return ok == 1
}

func (h *Handler) refuse(w http.ResponseWriter, r *http.Request, format string, a ...any) {
	if h.OnRefuse != nil {
		h.OnRefuse(r, fmt.Errorf("%w: "+format, append([]any{ErrRefused}, a...)...))
	}
	http.Error(w, "refused", RefusedStatus)
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		h.refuse(w, r, "method %s", r.Method)
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		h.refuse(w, r, "content type %q", clip(r.Header.Get("Content-Type")))
		return
	}
	if r.ContentLength > MaxBody {
		h.refuse(w, r, "body of %d bytes", r.ContentLength)
		return
	}
	body, err := readBody(w, r)
	if err != nil {
		h.refuse(w, r, "body: %v", err)
		return
	}
	form, err := ParseForm(string(body))
	if err != nil {
		h.refuse(w, r, "%v", err)
		return
	}
	if !h.verify(form["auth[member_id]"], form["auth[domain]"], form["auth[application_token]"]) {
		h.refuse(w, r, "no configured portal matches member_id %q, domain %q and the token", clip(form["auth[member_id]"]), clip(form["auth[domain]"]))
		return
	}
	if form["event"] == "" {
		h.refuse(w, r, "no event name")
		return
	}
	now := time.Now
	if h.Now != nil {
		now = h.Now
	}
	e := Event{
		Domain:     strings.ToLower(form["auth[domain]"]),
		MemberID:   form["auth[member_id]"],
		Name:       strings.ToUpper(form["event"]),
		HandlerID:  form["event_handler_id"],
		TS:         form["ts"],
		ReceivedAt: now().UTC(),
	}
	for k, v := range form {
		if rest, ok := strings.CutPrefix(k, "data["); ok {
			if e.Data == nil {
				e.Data = map[string]string{}
			}
			name, tail, _ := strings.Cut(rest, "]")
			e.Data[name+tail] = v
		}
	}
	e.split()
	if _, err := h.spool.Append(e); err != nil {
		// Not a refusal: the request was good but could not be kept.
		http.Error(w, "spool unavailable", http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusOK)
}

var errSlow = errors.New("body slower than ReadTimeout")

// readBody reads at most MaxBody bytes within ReadTimeout.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Now().Add(ReadTimeout)) // best effort; the timer below bounds it anyway
	type result struct {
		b   []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
		done <- result{b, err}
	}()
	t := time.NewTimer(ReadTimeout)
	defer t.Stop()
	select {
	case res := <-done:
		return res.b, res.err
	case <-t.C:
		r.Body.Close()
		return nil, errSlow
	}
}
