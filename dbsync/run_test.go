package dbsync

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/b24go/b24"

	"github.com/b24go/b24/b24test"
)

// TestProbeFallsBackToFullWalk: a portal that ignores the change filter is
// caught by the read-only probe; the run walks everything and says so.
func TestProbeFallsBackToFullWalk(t *testing.T) {
	drivers(t, func(t *testing.T, url string) {
		s := fake(t, 80)
		h := hookOf(s)
		db := openDB(t, url)
		mustSync(t, db, h, Options{Entity: "crm.deal"})
		s.FailNext("crm.deal.list", 1, b24test.FaultIgnoreFilter)
		rep := mustSync(t, db, h, Options{Entity: "crm.deal"})
		if rep.Mode != "full (change filter not honoured)" || rep.Written != 80 {
			t.Fatalf("%+v", rep)
		}
		if rep = mustSync(t, db, h, Options{Entity: "crm.deal"}); rep.Mode != "changes" {
			t.Fatalf("next run %+v", rep)
		}
	})
}

// TestPortalClockOff: with the portal's clock 7 minutes ahead of (or
// behind) the host's, the watermark is the portal's time, so an edit made
// right after a run is found by the next one, with a 1-second overlap.
func TestPortalClockOff(t *testing.T) {
	for _, off := range []time.Duration{7 * time.Minute, -7 * time.Minute} {
		t.Run(off.String(), func(t *testing.T) {
			drivers(t, func(t *testing.T, url string) {
				s := fake(t, 50, b24test.WithClockOffset(off))
				h := hookOf(s)
				db := openDB(t, url)
				o := Options{Entity: "crm.deal", Overlap: time.Second}
				rep := mustSync(t, db, h, o)
				wm, _ := time.Parse(time.RFC3339, rep.Watermark)
				if d := wm.Sub(time.Now().Add(off)); d < -5*time.Second || d > 5*time.Second {
					t.Fatalf("watermark %s is not portal time (host %s, offset %v)", rep.Watermark, time.Now(), off)
				}
				s.CallAs(1, "crm.deal.update", map[string]any{"id": 2, "fields": map[string]any{"TITLE": "after"}})
				if rep = mustSync(t, db, h, o); rep.Mode != "changes" || rep.Written < 1 {
					t.Fatalf("%+v", rep)
				}
				sameDeals(t, db, h)
			})
		})
	}
}

// TestEditInWatermarkSecond: a row edited again in the second of its
// stored modification time (and of the watermark) is taken: the change
// filter is >= and the upsert applies an equal modification time (with >
// the second edit would be lost).
func TestEditInWatermarkSecond(t *testing.T) {
	drivers(t, func(t *testing.T, url string) {
		s := fake(t, 30)
		h := hookOf(s)
		db := openDB(t, url)
		o := Options{Entity: "crm.deal", Overlap: time.Second}
		mustSync(t, db, h, o)
		same := 0
		for i := 0; i < 20 && same < 2; i++ {
			s.CallAs(1, "crm.deal.update", map[string]any{"id": 1, "fields": map[string]any{"TITLE": fmt.Sprint("a", i)}})
			mustSync(t, db, h, o)
			before := tableDeals(t, db, portalDeals(t, h))[1]
			s.CallAs(1, "crm.deal.update", map[string]any{"id": 1, "fields": map[string]any{"TITLE": fmt.Sprint("b", i)}})
			after := portalDeals(t, h)[1]
			if before[strings.IndexByte(before, '|'):] == after[strings.IndexByte(after, '|'):] {
				same++ // the second edit kept the stored DATE_MODIFY
			}
			mustSync(t, db, h, o)
			sameDeals(t, db, h)
		}
		if same == 0 {
			t.Fatal("no edit fell in the second of the previous one: the case was not tested")
		}
	})
}

// TestOtherEntities: crm.item (entityTypeId), tasks.task and user sync;
// user has no filterable change time and is walked whole each run.
func TestOtherEntities(t *testing.T) {
	drivers(t, func(t *testing.T, url string) {
		s := fake(t, 40)
		h := hookOf(s)
		db := openDB(t, url)
		for _, o := range []Options{{Entity: "crm.item", EntityTypeID: 2}, {Entity: "tasks.task"}, {Entity: "user"}, {Entity: "crm.contact"}} {
			first := mustSync(t, db, h, o)
			second := mustSync(t, db, h, o)
			if first.Written == 0 || first.Mode != "full" {
				t.Errorf("%s first: %+v", o.Entity, first)
			}
			want := "changes"
			if o.Entity == "user" {
				want = "full (no filterable change time)"
			}
			if second.Mode != want {
				t.Errorf("%s second: mode %q, want %q", o.Entity, second.Mode, want)
			}
		}
		st, err := db.Status(t.Context())
		if err != nil || len(st) != 4 {
			t.Fatalf("status %v %v", st, err)
		}
		for _, x := range st {
			if !x.Complete || x.Rows == 0 {
				t.Errorf("status %+v", x)
			}
		}
	})
}

// TestEditsBehindAndAheadOfWalk: during a first walk, a deal the walk has
// passed and one it has not reached are edited: the one ahead arrives with
// the walk, the one behind with the next run (its watermark is the first
// run's start, not the largest modification time seen).
func TestEditsBehindAndAheadOfWalk(t *testing.T) {
	drivers(t, func(t *testing.T, url string) {
		// 12,000 deals: 5 requests of 2,500; the first is written while the
		// walk reads at most 3 more, so 11,990 is still ahead
		s := fake(t, 12000)
		h := hookOf(s)
		db := openDB(t, url)
		edited := false
		o := Options{Entity: "crm.deal", Overlap: time.Second, Progress: func(p Progress) {
			if !edited && p.Rows > 0 && p.Rows < 12000 {
				edited = true
				for _, id := range []int{2, 11990} { // 2 is behind the walk, 11,990 ahead
					s.CallAs(1, "crm.deal.update", map[string]any{"id": id, "fields": map[string]any{"TITLE": "edited mid-walk"}})
				}
			}
		}}
		mustSync(t, db, h, o)
		if !edited {
			t.Fatal("the walk had one request: nothing edited mid-walk")
		}
		got := tableDeals(t, db, portalDeals(t, h))
		if strings.HasPrefix(got[2], "edited") || !strings.HasPrefix(got[11990], "edited") {
			t.Fatalf("after the first run: 2 %q, 11990 %q", got[2], got[11990])
		}
		o.Progress = nil
		mustSync(t, db, h, o)
		sameDeals(t, db, h)
	})
}

// TestExplicitSelect: the legacy CRM walk names its fields, so what `*`
// leaves out arrives: a contact's PHONE multifield (as JSON) and a deal's
// CONTACT_IDS (a field lists return only when named); crm.company and
// crm.lead sync as the other legacy entities do.
func TestExplicitSelect(t *testing.T) {
	drivers(t, func(t *testing.T, url string) {
		s := fake(t, 20)
		h := hookOf(s)
		db := openDB(t, url)
		if _, err := s.CallAs(1, "crm.contact.update", map[string]any{"id": 1, "fields": map[string]any{
			"PHONE": []map[string]any{{"VALUE": "+100200300", "VALUE_TYPE": "WORK"}}}}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CallAs(1, "crm.deal.update", map[string]any{"id": 3, "fields": map[string]any{"CONTACT_IDS": []int{1, 2}}}); err != nil {
			t.Fatal(err)
		}
		for _, e := range []string{"crm.contact", "crm.deal", "crm.company", "crm.lead"} {
			if rep := mustSync(t, db, h, Options{Entity: e}); rep.Written == 0 || rep.Mode != "full" {
				t.Errorf("%s: %+v", e, rep)
			}
		}
		var phone, ids string
		if err := db.SQL().QueryRow(`SELECT CAST("PHONE" AS TEXT) FROM crm_contact WHERE "ID" = 1`).Scan(&phone); err != nil || !strings.Contains(phone, "+100200300") {
			t.Errorf("PHONE of contact 1: %q, %v", phone, err)
		}
		if err := db.SQL().QueryRow(`SELECT CAST("CONTACT_IDS" AS TEXT) FROM crm_deal WHERE "ID" = 3`).Scan(&ids); err != nil || strings.ReplaceAll(ids, " ", "") != `["1","2"]` && strings.ReplaceAll(ids, " ", "") != `[1,2]` {
			t.Errorf("CONTACT_IDS of deal 3: %q, %v", ids, err)
		}
	})
}

// recorder is a transport that keeps the bodies of the requests it sends.
type recorder struct {
	next   http.RoundTripper
	mu     sync.Mutex
	bodies []string
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		r.mu.Lock()
		r.bodies = append(r.bodies, string(b))
		r.mu.Unlock()
		req.Body = io.NopCloser(bytes.NewReader(b))
	}
	return r.next.RoundTrip(req)
}

// TestChangeFilterOffset: the change walk's filter is the previous run's
// start minus the overlap, written as the portal writes times: ISO 8601
// with the portal's numeric offset (+03:00, or +00:00 on a portal in UTC;
// never Z, never the host's zone); the probe's is a day ahead in the same
// form.
func TestChangeFilterOffset(t *testing.T) {
	for _, loc := range []*time.Location{time.FixedZone("MSK", 3*3600), time.UTC} {
		t.Run(loc.String(), func(t *testing.T) {
			s := fake(t, 30, b24test.WithLocation(loc))
			rec := &recorder{next: s.Client().Transport}
			h := s.Hook(b24.WithTimeout(time.Minute), b24.WithHTTPClient(&http.Client{Transport: rec}))
			db := openDB(t, "sqlite:"+filepath.Join(t.TempDir(), "f.db"))
			o := Options{Entity: "crm.deal", Overlap: 3 * time.Minute}
			first := mustSync(t, db, h, o)
			rec.mu.Lock()
			rec.bodies = nil
			rec.mu.Unlock()
			mustSync(t, db, h, o)
			offset := time.Now().In(loc).Format("-07:00")
			wm, err := time.Parse(time.RFC3339, first.Watermark)
			if err != nil || !strings.HasSuffix(first.Watermark, offset) {
				t.Fatalf("watermark %q (%v): want the portal's offset %s", first.Watermark, err, offset)
			}
			want := wm.Add(-3 * time.Minute).Format(portalTime)
			re := regexp.MustCompile(`DATE_MODIFY(?:\]=|":")([0-9A-Z:%+\-]{19,35})`)
			var found []string
			for _, b := range rec.bodies {
				for _, m := range re.FindAllStringSubmatch(b, -1) {
					f, _ := url.PathUnescape(m[1])
					found = append(found, f)
				}
			}
			sawWant := false
			for _, f := range found {
				if _, err := time.Parse(time.RFC3339, f); err != nil || !strings.HasSuffix(f, offset) {
					t.Errorf("filter time %q: want ISO 8601 with the portal's offset %s (%v)", f, offset, err)
				}
				sawWant = sawWant || f == want
			}
			if !sawWant {
				t.Fatalf("filters %v: none is %s (the watermark minus the overlap)", found, want)
			}
		})
	}
}
