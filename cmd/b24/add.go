package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/b24go/b24"
	"github.com/b24go/b24/reconcile"
)

// addHelp is the --help text of b24 add.
const addHelp = `Creates one record per input row, exactly once, through batches of up to
50 commands, several in flight under the limiter. ENTITY is lead, deal,
contact, company or item (crm.item.add: give --param entityTypeId=N), or
the method itself (crm.deal.add). FILE is CSV (a header row; every column
is a field) or NDJSON (one object a line: the fields, beside each other or
under "fields"); the format follows the extension unless --format says.

Every record carries a key: ORIGINATOR_ID = "b24:" + the journal's run id
and ORIGIN_ID = the row's key (the --key column, else the row's number);
a smart process's item (entityTypeId 128 and above) carries xmlId =
"b24:<run>:<key>". Input that sets ORIGINATOR_ID, ORIGIN_ID or xmlId
itself is refused (connectors such as 1C use them), as are other methods
and two rows with one key (ignoring case), before anything is sent.

The journal J records every row's state and the id of each record
created. Run the same command again with the same J after a crash, an
interrupt or a failure: created rows are skipped; rows sent whose answer
was lost are settled by searching their keys (25 keys a list, 50 lists a
request) once the portal's request cut-off and a margin (70 s) have
passed since the send: a record found is created, none found is sent
again, two found is listed as ambiguous and never sent again.

With --api v3 ENTITY is task (tasks.task.add): each row is one call
carrying Idempotency-Key b24:<run>:<key>, and a row whose answer was lost
is sent again with the same key (the portal replays the stored answer, or
runs it once), within 23 hours of its send.

Signals, the summary and exit codes are those of b24 update: exit 3 when
a row failed or stayed ambiguous, 2 for the refusals above, a journal
another process holds, or one of another run.`

var addCommand = &command{
	name:    "add",
	args:    "ENTITY --from FILE --journal J",
	summary: "bulk create records from CSV or NDJSON, exactly once, with a crash-safe journal",
	portal:  true,
	long:    addHelp,
	example: `  b24 add deal --from deals.csv --journal deals.journal
  b24 add item --param entityTypeId=128 --key EXTERNAL_ID --from items.ndjson --journal items.journal
  b24 add deal --from deals.csv --journal deals.journal   # rerun: nothing created twice`,
	complete: func(_ *cli, args []string, _ string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveDefault
		}
		return []string{"lead", "deal", "contact", "company", "item"}, cobra.ShellCompDirectiveNoFileComp
	},
	values: map[string]valuesFunc{"format": fixed("csv", "ndjson")},
	setup: func(fs *pflag.FlagSet, c *cli) func(context.Context, []string) int {
		u := &updater{c: c, spec: rowSpec{adding: true}}
		u.flags(fs)
		fs.StringVar(&u.spec.keyCol, "key", "", "input `COLUMN` holding each row's key (default: the row's number)")
		return func(ctx context.Context, args []string) int { return u.run(ctx, args) }
	},
}

// rowSpec says how an input row names its record: by its ID (b24 update)
// or, with adding (b24 add), by a key: the keyCol column, else the row's
// number.
type rowSpec struct {
	adding bool
	keyCol string
}

// isIdent reports whether an input column names the row's record.
func (s rowSpec) isIdent(name string) bool {
	if !s.adding {
		return strings.EqualFold(name, "id")
	}
	return s.keyCol != "" && strings.EqualFold(name, s.keyCol)
}

// row builds input row n (on line) from its identifying value (nil when
// absent) and its fields.
func (s rowSpec) row(n, line int, ident any, fields map[string]any) (updateRow, error) {
	if !s.adding {
		if ident == nil {
			return updateRow{}, usagef("--from: row %d has no ID", n)
		}
		id, err := parseID(fmt.Sprint(ident), n)
		if err != nil {
			return updateRow{}, err
		}
		return updateRow{Row: n, Line: line, ID: id, Params: map[string]any{"id": id, "fields": fields}}, nil
	}
	key := strconv.Itoa(n)
	if s.keyCol != "" {
		if ident == nil || fmt.Sprint(ident) == "" {
			return updateRow{}, usagef("--from: row %d has no %s (--key)", n, s.keyCol)
		}
		key = fmt.Sprint(ident)
	}
	return updateRow{Row: n, Line: line, Key: key, Params: map[string]any{"fields": fields}}, nil
}

// createMethod is the create method of b24 add's ENTITY argument: on
// REST 3.0 the task (each create carries an Idempotency-Key).
func createMethod(entity string, v b24.APIVersion) (string, error) {
	e := strings.ToLower(entity)
	if v == b24.APIv3 {
		if e == "task" || e == "tasks.task.add" {
			return "tasks.task.add", nil
		}
		return "", usagef("b24 add %s --api v3: exactly-once creates on REST 3.0 are made for task (tasks.task.add) only", entity)
	}
	switch e {
	case "lead", "deal", "contact", "company", "item":
		return "crm." + e + ".add", nil
	case "crm.lead.add", "crm.deal.add", "crm.contact.add", "crm.company.add", "crm.item.add":
		return e, nil
	}
	return "", usagef("b24 add %s: exactly-once creates are made for lead, deal, contact, company and item (crm.item.add with --param entityTypeId=N) only", entity)
}

// newRunID is a new journal's run id: 96 random bits in hex.
func newRunID() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// keyRows writes each row's key of run into its command (reconcile's
// scheme), refusing what KeyCreate refuses. Run it with a placeholder run
// before the journal exists, to refuse bad input before anything is written.
func (u *updater) keyRows(rows []updateRow, run string) error {
	for i, r := range rows {
		if u.api.Version() == b24.APIv3 {
			if _, err := reconcile.IdempotencyKey(run, r.Key); err != nil {
				return usagef("--from: row %d (line %d): %v; nothing was sent", r.Row, r.Line, strings.TrimPrefix(err.Error(), "reconcile: "))
			}
			continue
		}
		c, err := reconcile.KeyCreate(b24.Cmd{Method: u.method, Params: r.Params}, run, r.Key)
		if err != nil {
			return usagef("--from: row %d (line %d): %v; nothing was sent", r.Row, r.Line, strings.TrimPrefix(err.Error(), "reconcile: "))
		}
		rows[i].Params = c.Params.(map[string]any)
	}
	return nil
}

// reconciler settles this run's writes of unknown outcome.
func (u *updater) reconciler() b24.Reconciler {
	if u.spec.adding {
		return reconcile.CRMCreates
	}
	return reconcile.CRMUpdates
}

// doneID is the record id a done row journals: the update's, or the id a
// create returned or its search found (0 when unknown).
func (u *updater) doneID(r updateRow, result json.RawMessage) int64 {
	if !u.spec.adding {
		return r.ID
	}
	var id b24.ID
	if json.Unmarshal(result, &id) == nil {
		return int64(id)
	}
	var item struct {
		Item struct {
			ID b24.ID `json:"id"`
		} `json:"item"`
	}
	json.Unmarshal(result, &item)
	return int64(item.Item.ID)
}

// rowName names a row in the summary: its record's ID, or an add's key.
func rowName(r updateRow) string {
	if r.Key != "" {
		return "key " + r.Key
	}
	return "ID " + strconv.FormatInt(r.ID, 10)
}
