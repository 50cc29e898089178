package opbudget

import "time"

// Mode is how a portal bills a batch's operating time.
type Mode int

const (
	// ModeUnknown: not known yet (no batch answer told).
	ModeUnknown Mode = iota
	// ModePerMethod: each command under its own method (the documented rule);
	// each sub-result carries its method's running figure.
	ModePerMethod
	// ModeBatch: the whole batch under "batch" (current cloud portals),
	// possibly at a weight; every sub-result carries the batch's figure.
	ModeBatch
)

func (m Mode) String() string {
	switch m {
	case ModePerMethod:
		return "per-method"
	case ModeBatch:
		return "batch"
	}
	return "unknown"
}

// Figure is one executed command's figure in a v2 batch's result_time.
type Figure struct {
	Method    string
	Operating time.Duration
}

// Detect tells the mode one v2 batch answer shows. Two sub-results with
// different figures are per-method billing (under batch billing all carry
// the batch's). Two or more that all carry the top-level block's figure,
// above zero, are batch billing. Anything else tells nothing.
func Detect(top time.Duration, topOK bool, subs []Figure) Mode {
	if len(subs) < 2 {
		return ModeUnknown
	}
	for _, f := range subs[1:] {
		if f.Operating != subs[0].Operating {
			return ModePerMethod
		}
	}
	if topOK && top > 0 && top == subs[0].Operating {
		return ModeBatch
	}
	return ModeUnknown
}

// Detector keeps the mode a portal was seen to use: forced, or the first
// answer that told. Not safe for concurrent use.
type Detector struct {
	forced, seen Mode
}

// Force fixes the mode (ModeUnknown: detect from the answers).
func (d *Detector) Force(m Mode) { d.forced = m }

// Observe takes one batch answer's figures (see Detect).
func (d *Detector) Observe(top time.Duration, topOK bool, subs []Figure) {
	if d.seen == ModeUnknown {
		d.seen = Detect(top, topOK, subs)
	}
}

// Mode returns the forced mode, else the one seen, else fallback.
func (d *Detector) Mode(fallback Mode) Mode {
	switch {
	case d.forced != ModeUnknown:
		return d.forced
	case d.seen != ModeUnknown:
		return d.seen
	}
	return fallback
}
