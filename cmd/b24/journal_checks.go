package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/b24go/b24"
	"github.com/b24go/b24/internal/filelock"
	"github.com/b24go/b24/internal/journal"
)

// journalHeader is what the journal records of this run: the portal and the
// webhook's user (never the secret), the API version, the method, the
// parameters added to every command, and the input.
func (u *updater) journalHeader(h *b24.Hook, id identity, hash string, rows int) journal.Header {
	var params json.RawMessage
	if len(u.extraMap) > 0 {
		params, _ = json.Marshal(u.extraMap)
	}
	format := u.format
	if format == "" {
		format = inputFormat(u.from)
	}
	return journal.Header{Portal: h.TargetOrigin(), User: id.user, App: id.app, API: u.api.Version().String(),
		Method: u.method, Params: params, Format: format, Input: hash, Rows: rows}
}

// journalError turns journal.Open's refusals into usage errors (exit 2).
func journalError(err error) error {
	if errors.Is(err, filelock.ErrLocked) {
		return usagef("--journal %v (another b24 update is running with it): wait for it to end; nothing was sent", err)
	}
	return usagef("--journal: %v; nothing was sent", err)
}

// checkDuplicateRows refuses an input that updates one record twice (the
// order of two commands of one record is not kept across batches and
// retries, so the older value could end up applied last), or that creates
// two records with one key (ignoring case: a search does not tell them
// apart).
func checkDuplicateRows(rows []updateRow) error {
	first := map[string]int{} // id or key -> index of its first row
	var dups []string
	n := 0
	for i, r := range rows {
		name := strings.ToLower(rowName(r))
		j, ok := first[name]
		if !ok {
			first[name] = i
			continue
		}
		n++
		if len(dups) < 10 {
			dups = append(dups, fmt.Sprintf("%s on lines %d and %d", rowName(r), rows[j].Line, r.Line))
		}
	}
	if n == 0 {
		return nil
	}
	more := ""
	if n > len(dups) {
		more = fmt.Sprintf(" and %d more", n-len(dups))
	}
	return usagef("--from: %s%s: each record may appear once (merge its fields into one row); nothing was sent", strings.Join(dups, "; "), more)
}
