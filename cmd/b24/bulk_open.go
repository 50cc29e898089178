package main

import (
	"context"
	"strings"
	"time"

	"github.com/b24go/b24"
	"github.com/b24go/b24/internal/journal"
)

// open reads and checks the input of b24 update or b24 add (METHOD or
// ENTITY arg), then opens the journal: every refusal comes before anything
// is sent. It returns the rows and the journal's last entry of each.
func (u *updater) open(ctx context.Context, h *b24.Hook, arg string) ([]updateRow, map[int]journal.Entry, error) {
	c := u.c
	u.method = arg
	u.api = c.api(h)
	if u.spec.adding {
		m, err := createMethod(arg, u.api.Version())
		if err != nil {
			return nil, nil, err
		}
		u.method = m
	}
	rows, hash, err := readRows(u.from, u.format, c.stdin, u.extraMap, u.spec)
	if err != nil {
		return nil, nil, err
	}
	if err := checkDuplicateRows(rows); err != nil {
		return nil, nil, err
	}
	if err := checkBatchable(u.api.Version(), rows); err != nil {
		return nil, nil, err
	}
	if u.spec.adding {
		// Refuse bad keys and key fields in the input before the journal
		// exists; a dry run shows the keys under the run id "<run>".
		if err := u.keyRows(cloneRows(rows), strings.Repeat("0", len(newRunID()))); err != nil {
			return nil, nil, err
		}
		if u.dryRun {
			return rows, nil, u.keyRows(rows, "<run>")
		}
	}
	if u.dryRun {
		return rows, nil, nil // a dry run opens no journal
	}
	id, err := u.c.whoAmI(ctx, h)
	if err != nil {
		return nil, nil, err
	}
	hdr := u.journalHeader(h, id, hash, len(rows))
	if u.spec.adding {
		hdr.Run = newRunID()
	}
	u.cutoff = time.Duration(float64(b24.DefaultRequestCutoff) / c.g.timeScale)
	j, last, err := journal.Open(u.journalPath, hdr)
	if err != nil {
		return nil, nil, journalError(err)
	}
	u.j = j
	if u.spec.adding {
		if err := u.keyRows(rows, j.Run()); err != nil {
			j.Close()
			return nil, nil, err
		}
	}
	return rows, last, nil
}

// cloneRows copies rows so that keying them leaves the originals alone.
func cloneRows(rows []updateRow) []updateRow {
	return append([]updateRow(nil), rows...)
}

// journalSend journals rows as sent at the time each attempt of their
// batch goes out, after the limiter's wait: the portal's cut-off, which a
// rerun waits out before settling them, runs from that time, not from the
// earlier entry written before the request.
func (u *updater) journalSend(rows []updateRow) func(time.Time) {
	return func(at time.Time) {
		entries := make([]journal.Entry, len(rows))
		for i, r := range rows {
			entries[i] = journal.Entry{Row: r.Row, ID: r.ID, State: journal.Sent, Time: unixSeconds(at)}
		}
		if err := u.j.Append(entries...); err != nil {
			u.setFatal(err)
		}
	}
}
