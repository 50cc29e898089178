package main

import (
	"sort"
	"time"
)

// updateSummaryJSON is update's summary as --json prints it.
type updateSummaryJSON struct {
	Journal     string          `json:"journal"`
	Applied     int             `json:"applied"`
	AlreadyDone int             `json:"already_done"`
	Settled     int             `json:"settled"`
	Resent      int             `json:"resent"`
	Failed      []failedJSON    `json:"failed"`
	Ambiguous   []ambiguousJSON `json:"ambiguous"`
	Conflict    []ambiguousJSON `json:"conflict"`
	NotSent     int             `json:"not_sent"`
	Rows        int64           `json:"rows"` // handled by this run
	Seconds     float64         `json:"seconds"`
}

type failedJSON struct {
	Reason string  `json:"reason"`
	IDs    []int64 `json:"ids"`
}

type ambiguousJSON struct {
	Row int    `json:"row"`
	ID  int64  `json:"id"`
	Why string `json:"why,omitempty"`
}

// summaryJSON is the run's summary for --json.
func (u *updater) summaryJSON(el time.Duration) updateSummaryJSON {
	s := &u.sum
	out := updateSummaryJSON{Journal: u.journalPath, Applied: s.Applied, AlreadyDone: s.AlreadyDone, Settled: s.Settled,
		Resent: s.Resent, Failed: []failedJSON{}, Ambiguous: []ambiguousJSON{}, Conflict: []ambiguousJSON{},
		NotSent: s.NotSent, Rows: u.prog.Count(), Seconds: el.Seconds()}
	reasons := make([]string, 0, len(s.Failed))
	for r := range s.Failed {
		reasons = append(reasons, r)
	}
	sort.Strings(reasons)
	for _, r := range reasons {
		f := failedJSON{Reason: r}
		rows := s.Failed[r]
		sort.Slice(rows, func(i, j int) bool { return rows[i].Row < rows[j].Row })
		for _, row := range rows {
			f.IDs = append(f.IDs, row.ID)
		}
		out.Failed = append(out.Failed, f)
	}
	for _, a := range s.Ambiguous {
		out.Ambiguous = append(out.Ambiguous, ambiguousJSON{a.Row, a.ID, a.Why})
	}
	for _, a := range s.Conflict {
		out.Conflict = append(out.Conflict, ambiguousJSON{Row: a.Row, ID: a.ID})
	}
	return out
}
