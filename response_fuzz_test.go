package b24

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/b24go/b24/internal/batchwire"
	"github.com/b24go/b24/internal/jsonscan"
	"github.com/b24go/b24/limit"
)

// FuzzTiming: any time block decodes without panicking to finite figures,
// and a limiter's view of them (SaneReport) stays within the window.
func FuzzTiming(f *testing.F) {
	for _, s := range []string{
		`{"start":1769499930,"finish":1769499931.07,"operating":1.5,"operating_reset_at":1769500530}`,
		`{"operating":"NaN","operating_reset_at":"1769500530000"}`,
		`{"operating":1e400,"operating_reset_at":-1,"start":"x"}`,
		`[]`, `null`, `{"operating":[1],"date_start":5}`,
	} {
		f.Add(s)
	}
	now := time.Unix(1769500000, 0)
	const w = 600 * time.Second
	f.Fuzz(func(t *testing.T, s string) {
		var tm Timing
		if json.Unmarshal([]byte(s), &tm) != nil {
			return
		}
		for _, v := range []float64{tm.Start, tm.Finish, tm.Duration, tm.Processing} {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("%q: non-finite %v", s, v)
			}
		}
		op, ok := tm.OperatingDuration()
		if !ok {
			return
		}
		reset, _ := tm.ResetAt()
		r, ok := limit.SaneReport(limit.OperatingReport{Operating: op, ResetAt: reset}, now, w)
		if ok && (r.Operating < 0 || r.Operating > 2*w || r.ResetAt.After(now.Add(w))) {
			t.Fatalf("%q: %+v passed as sane", s, r)
		}
	})
}

// FuzzScanEnvelope: the one-pass envelope reader keeps the same members as
// json.Unmarshal into the envelope (case-folded keys, escaped keys, the
// last of repeated keys), for every object jsonscan.Valid accepts; and so
// does scanBatchEnvelope, whose split of the result is the batch layer's.
func FuzzScanEnvelope(f *testing.F) {
	for _, s := range []string{
		`{"result":{"a":[1,2]},"total":5,"next":50,"time":{"start":1}}`,
		`{"RESULT":1,"result":2,"Error":"x","error_description":"d"}`,
		`{"r\u0065sult":[],"\u0074ime":null,"argument":"a"}`,
		`{"ReSuLt":"K","next":"50","x":{"result":3}}`,
		"{\"resu\u017Ft\":1,\"\u212Aey\":2}", `{}`, `{"result":null}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		b = bytes.TrimSpace(b)
		if len(b) == 0 || b[0] != '{' || !jsonscan.Valid(b) {
			return
		}
		var want envelope
		if err := json.Unmarshal(b, &want); err != nil {
			t.Fatalf("json.Unmarshal(%q): %v", b, err)
		}
		got := scanEnvelope(b)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("scanEnvelope(%q) = %+v, json.Unmarshal gives %+v", b, got, want)
		}
		// A batch's answer: the same members, and its result split as the
		// batch layer splits it.
		got, split := scanBatchEnvelope(b)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("scanBatchEnvelope(%q) = %+v, json.Unmarshal gives %+v", b, got, want)
		}
		r := jsonscan.Trim(want.Result)
		if (split != nil) != (len(r) > 0 && r[0] == '{') {
			t.Fatalf("scanBatchEnvelope(%q): split %v for the result %q", b, split != nil, r)
		}
		if split != nil {
			wantSplit, _ := batchwire.SplitEnvelope(want.Result)
			wantKeyed, werr := wantSplit.Keyed()
			keyed, err := split.Keyed()
			if (err != nil) != (werr != nil) || err == nil && !reflect.DeepEqual(keyed, wantKeyed) {
				t.Fatalf("scanBatchEnvelope(%q): sections %+v, %v; SplitEnvelope's %+v, %v", b, keyed, err, wantKeyed, werr)
			}
		}
	})
}

// FuzzTimingWire: a time block's members are read as json.Unmarshal reads
// them, whatever the text; and a plain date string as json.Unmarshal reads it.
func FuzzTimingWire(f *testing.F) {
	for _, s := range []string{`{"start":1,"Operating":2,"operating":"3","date_start":"2026-01-01T00:00:00+03:00"}`, ` {"OPERATING_RESET_AT":1} `,
		`null`, `[1]`, `{"start":}`, `"x"`, `{"\u0073tart":1,"start":2}`, `{"date_start":"a\"b","date_finish":"\u00e9"}`, `"a"b"`, "\"a\tb\"",
		`{"START":1,"ſtart":2,"Operating_Reset_At":3,"operatinG":4,"durations":5}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var got, want timingWire
		gerr, werr := got.read(b), json.Unmarshal(b, &want)
		if (gerr != nil) != (werr != nil) || gerr == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("read(%q) = %+v, %v; json.Unmarshal: %+v, %v", b, got, gerr, want, werr)
		}
		// timingOf, for a valid text, reads it as UnmarshalJSON does.
		if o := bytes.TrimSpace(b); len(o) > 0 && o[0] == '{' && json.Valid(o) {
			var u Timing
			if err := u.UnmarshalJSON(b); err != nil || !reflect.DeepEqual(timingOf(b), &u) {
				t.Fatalf("timingOf(%q) = %+v; UnmarshalJSON: %+v, %v", b, timingOf(b), u, err)
			}
		}
		var s string
		if json.Unmarshal(b, &s) != nil {
			s = ""
		}
		if jsonString(b) != s {
			t.Fatalf("jsonString(%q) = %q, json.Unmarshal: %q", b, jsonString(b), s)
		}
	})
}
