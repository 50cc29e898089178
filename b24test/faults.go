package b24test

import (
	"math/rand/v2"
	"strings"
	"sync"
)

// Fault is a failure the server injects into a call.
type Fault int

const (
	// NoFault: the call runs normally.
	NoFault Fault = iota
	// FaultUnavailable answers 503 QUERY_LIMIT_EXCEEDED before running the
	// method: a refusal, safe to retry.
	FaultUnavailable
	// FaultInternal runs the method (a write is applied) and then answers 500
	// INTERNAL_SERVER_ERROR.
	FaultInternal
	// FaultBadGateway answers an HTML 502 page before running the method.
	FaultBadGateway
	// FaultReset runs the method and then resets the connection without an
	// answer (on the in-memory transport: RoundTrip fails).
	FaultReset
	// FaultTruncated runs the method and sends only the first half of the
	// body (its Content-Length announces the whole).
	FaultTruncated
	// FaultSlow runs the method and sends its normal answer only SlowDelay
	// (divided by the time scale) later: past the portal's cut-off and any
	// sane client timeout.
	FaultSlow
	// FaultOverload answers 503 OVERLOAD_LIMIT before running the method.
	FaultOverload
	// FaultMoved answers 302 with a Location on another host (the portal's
	// address changed) before running the method.
	FaultMoved
	// FaultStreamReset runs the method and then, on HTTP/2 (WithHTTP2),
	// resets its stream with the code of WithResetCode; elsewhere it is
	// FaultReset.
	FaultStreamReset
	// FaultGoAway runs the method and then, on HTTP/2 (WithHTTP2), sends
	// GOAWAY (NO_ERROR) whose last stream id is below the call's, claiming
	// falsely that the call was not processed; elsewhere it is FaultReset.
	FaultGoAway
	// FaultUnsorted makes a list method ignore the order it was given: the
	// rows that match the filter come in a fixed pseudo-random order (a
	// portal that ignores "order"). It applies to crm.*.list, crm.item.list,
	// tasks.task.list (v2, v3) and tasks.task.tail, batch commands included;
	// other methods run normally.
	FaultUnsorted
	// FaultIgnoreStart makes a list method ignore the v2 start and the v3
	// pagination offset: it answers the first page, while the v2 next still
	// advances (start + the page's rows). The same methods as FaultUnsorted.
	FaultIgnoreStart
	// FaultEchoHeader runs the method normally; its answer carries headers
	// (X-Echo-0 to X-Echo-5, Link) that echo the request path, secret
	// included: as sent, upper-cased, percent-encoded and JSON-escaped.
	FaultEchoHeader
	// FaultEchoBody answers 400 before running the method, with an error
	// description that echoes the request URL, secret included, in other
	// forms too, some of them JSON-escaped (\u00xx) in the body.
	FaultEchoBody
	// FaultMovedEcho answers 302 before running the method, with a Location
	// on another host whose name holds the secret in lower case and whose
	// path holds it percent-encoded.
	FaultMovedEcho
	// FaultAbsurdFigures sends absurd operating figures (see AbsurdFigure):
	// the method runs and its answer's time blocks carry them, or, for the
	// Retry-After classes, it is refused before running.
	FaultAbsurdFigures
	// FaultOperating answers 429 OPERATION_TIME_LIMIT (v3: its
	// RATELIMITEXCEPTION) before running the method: the method's operating
	// budget is spent, whatever the server's limits.
	FaultOperating
	// FaultLateRun holds the request and runs the method only LateRunDelay
	// (divided by the time scale) after it arrived, whether or not the client
	// still waits, then answers normally: a client that gave up at its
	// timeout finds no trace of the write until the portal runs it, before
	// the request cut-off. A batch request runs all its commands late.
	FaultLateRun
	// FaultIgnoreFilter makes a list method ignore its filter but for the
	// conditions on the id (a portal that ignores a field it cannot filter
	// on, such as a change time). The same methods as FaultUnsorted.
	FaultIgnoreFilter
	numFaults
)

var faultNames = [...]string{"none", "unavailable", "internal", "bad-gateway", "reset", "truncated", "slow", "overload", "moved", "stream-reset", "goaway", "unsorted", "ignore-start",
	"echo-header", "echo-body", "moved-echo", "absurd-figures", "operating", "late-run", "ignore-filter"}

func (f Fault) String() string {
	if f >= 0 && int(f) < len(faultNames) {
		return faultNames[f]
	}
	return "fault(?)"
}

// ParseFault returns the fault of a name as String writes it.
func ParseFault(s string) (Fault, bool) {
	for i, n := range faultNames {
		if n == s {
			return Fault(i), true
		}
	}
	return NoFault, false
}

// afterExecution reports whether the fault strikes after the method ran.
func (f Fault) afterExecution() bool {
	return f == FaultInternal || f == FaultReset || f == FaultTruncated || f == FaultSlow ||
		f == FaultStreamReset || f == FaultGoAway || f == FaultLateRun
}

// FaultRates injects faults at random, deterministically from Seed: each
// request to /rest draws once from a generator seeded with Seed, and gets
// the first fault whose cumulative rate covers the draw. Rates are
// probabilities (0..1) whose sum must not exceed 1.
type FaultRates struct {
	Seed  uint64
	Rates map[Fault]float64
}

// scripted is one "fail the next N calls of method M with F".
type scripted struct {
	method string // lower-case; "" = any
	key    string // a batch command's key (FailCommand)
	seq    int    // a request's number (FailRequest)
	n      int
	fault  Fault
}

type faults struct {
	mu     sync.Mutex
	rng    *rand.Rand
	rates  []float64 // indexed by Fault
	script []scripted
	absurd int // answers FaultAbsurdFigures struck (picks the class)
}

func newFaults(fr FaultRates) *faults {
	f := &faults{rates: make([]float64, numFaults)}
	for k, v := range fr.Rates {
		if k > NoFault && k < numFaults && v > 0 {
			f.rates[k] = v
		}
	}
	f.rng = rand.New(rand.NewPCG(fr.Seed, fr.Seed^0x9e3779b97f4a7c15))
	return f
}

func (f *faults) add(method string, n int, fault Fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.script = append(f.script, scripted{method: strings.ToLower(method), n: n, fault: fault})
}

// pick returns the fault for request seq, a call of method (lower-case).
func (f *faults) pick(method string, seq int) Fault {
	f.mu.Lock()
	defer f.mu.Unlock()
	if fault := f.take(func(sc *scripted) bool { return sc.matchRequest(method, seq) }); fault != NoFault {
		return fault
	}
	any := false
	for _, r := range f.rates {
		if r > 0 {
			any = true
		}
	}
	if !any {
		return NoFault
	}
	x := f.rng.Float64()
	acc := 0.0
	for i, r := range f.rates {
		acc += r
		if r > 0 && x < acc {
			return Fault(i)
		}
	}
	return NoFault
}

// listFault reports whether the fault changes how a list method runs
// (instead of failing the call).
func (f Fault) listFault() bool {
	return f == FaultUnsorted || f == FaultIgnoreStart || f == FaultIgnoreFilter
}

// pickList returns the list fault, if any, for one command of a batch of
// method (lower-case): a random draw when a list fault has a rate (other
// draws are left to the batch's request; pickCommand serves scripts).
func (f *faults) pickList(method string) Fault {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.rates[FaultUnsorted] <= 0 && f.rates[FaultIgnoreStart] <= 0 && f.rates[FaultIgnoreFilter] <= 0 {
		return NoFault
	}
	x := f.rng.Float64()
	acc := 0.0
	for _, k := range []Fault{FaultUnsorted, FaultIgnoreStart, FaultIgnoreFilter} {
		acc += f.rates[k]
		if f.rates[k] > 0 && x < acc {
			return k
		}
	}
	return NoFault
}
