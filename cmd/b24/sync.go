package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/b24go/b24"
	"github.com/b24go/b24/dbsync"
	"github.com/b24go/b24/events/offline"
)

var syncCommand = &command{
	name:    "sync",
	args:    "ENTITY",
	summary: "keep a SQLite or PostgreSQL database in step with the portal",
	example: `  b24 sync crm.deal --db sqlite:crm.db
  b24 sync crm.item --entity-type-id 1036 --db postgres://b24@localhost/crm
  b24 sync crm.deal --db sqlite:crm.db --hints events.ndjson   # ids from b24 events listen first
  b24 sync --status --db sqlite:crm.db --json`,
	complete: func(_ *cli, args []string, _ string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return []string{"crm.deal", "crm.contact", "crm.company", "crm.lead", "crm.item", "tasks.task", "user"}, cobra.ShellCompDirectiveNoFileComp
	},
	portal: true,
	long: `Copies ENTITY (crm.deal, crm.contact, crm.company, crm.lead, crm.item with
--entity-type-id, tasks.task, user) into the database of --db (sqlite:PATH or
postgres://...), one table per entity (crm_deal, crm_item_1036, ...), one column
per field typed from *.fields. The first run walks everything and commits every
10,000 rows with its cursor (a killed run resumes); later runs read the rows
changed since the previous run's start in portal time minus --overlap, and walk
the ids to find deletions (at most 5% of the table without --allow-mass-delete)
and restores. A field whose type changed stops the run until --migrate.
--hints FILE fetches first the ids named by events (b24 events listen's output).
--status prints each synced table's state (--json: as JSON). docs/sync.md.`,
	setup: func(fs *pflag.FlagSet, c *cli) func(context.Context, []string) int {
		o := &syncFlags{}
		o.register(fs)
		return func(ctx context.Context, args []string) int { return c.runSync(ctx, o, args) }
	},
}

// syncFlags are b24 sync's own flags.
type syncFlags struct {
	db, hints             string
	status, json, migrate bool
	allowMassDelete       bool
	entityTypeID          int
	overlap               time.Duration
}

// flagRegistrar is what registering the flags needs of a flag set (the
// standard library's and pflag's both have these).
type flagRegistrar interface {
	StringVar(p *string, name, value, usage string)
	BoolVar(p *bool, name string, value bool, usage string)
	IntVar(p *int, name string, value int, usage string)
	DurationVar(p *time.Duration, name string, value time.Duration, usage string)
}

func (o *syncFlags) register(fs flagRegistrar) {
	fs.StringVar(&o.db, "db", "", "the database: sqlite:PATH or postgres://USER@HOST/DB")
	fs.BoolVar(&o.status, "status", false, "print each synced table's state instead of syncing")
	fs.BoolVar(&o.json, "json", false, "print the report (or --status) as JSON on stdout")
	fs.BoolVar(&o.migrate, "migrate", false, "retype the columns of fields whose type changed (their values are read again)")
	fs.BoolVar(&o.allowMassDelete, "allow-mass-delete", false, "delete even more than 5% of the table")
	fs.IntVar(&o.entityTypeID, "entity-type-id", 0, "crm.item's entityTypeId (smart processes: 128 and up)")
	fs.DurationVar(&o.overlap, "overlap", dbsync.DefaultOverlap, "how far before the previous run's start changes are read again")
	fs.StringVar(&o.hints, "hints", "", "a `FILE` of events (b24 events listen's JSON lines): their ids are fetched first")
}

func (c *cli) runSync(ctx context.Context, o *syncFlags, args []string) int {
	if o.db == "" {
		return c.fail(ctx, usagef("--db is required (sqlite:PATH or postgres://...)"))
	}
	if o.status != (len(args) == 0) || len(args) > 1 {
		return c.fail(ctx, usagef("want one ENTITY, or --status without one"))
	}
	db, err := dbsync.Open(ctx, o.db)
	if err != nil {
		return c.fail(ctx, err)
	}
	defer db.Close()
	if o.status {
		err = c.syncStatus(ctx, db, o.json)
	} else {
		err = c.syncOnce(ctx, db, o, args[0])
	}
	if err != nil {
		return c.fail(ctx, err)
	}
	return exitOK
}

// syncOnce runs one sync with progress on stderr and prints its report.
func (c *cli) syncOnce(ctx context.Context, db *dbsync.DB, o *syncFlags, entity string) error {
	opts := dbsync.Options{Entity: entity, EntityTypeID: o.entityTypeID, Overlap: o.overlap, Migrate: o.migrate,
		AllowMassDelete: o.allowMassDelete, Logger: c.logger()}
	if o.hints != "" {
		f, err := os.Open(o.hints)
		if err != nil {
			return usagef("--hints: %v", err)
		}
		evs, err := dbsync.ReadEvents(f)
		f.Close()
		if err != nil {
			return usagef("--hints %s: %v", o.hints, err)
		}
		opts.Hints = dbsync.Hints(entity, o.entityTypeID, evs)
	}
	h, err := c.hook(ctx)
	if err != nil {
		return err
	}
	defer h.Close()
	if opts.Queue, err = c.syncQueue(h, entity, o.entityTypeID); err != nil {
		return err
	}
	prog := c.newProgress("sync "+entity, "rows", 0)
	var shown int64
	opts.Progress = func(p dbsync.Progress) {
		prog.Add(int(p.Rows - shown))
		shown = p.Rows
	}
	rep, err := db.Sync(ctx, h, opts)
	prog.Done()
	if err != nil {
		return err
	}
	if o.json {
		return json.NewEncoder(c.stdout).Encode(rep)
	}
	printSyncReport(c.stderr, rep)
	return nil
}

// syncQueue is the offline event queue a sync reads when the credential is
// an application's (nil for a webhook): a consumer whose process id is the
// entity's, so syncs of different tables hold their records apart. Its
// logger keeps errors only: events of other entities are marked failed on
// purpose (they stay for their own sync).
func (c *cli) syncQueue(h *b24.Hook, entity string, entityTypeID int) (dbsync.Queue, error) {
	cred, err := c.webhookSource()
	if err != nil || !cred.IsApp() {
		return nil, err
	}
	pid := "b24-sync." + entity
	if entityTypeID > 0 {
		pid += "." + strconv.Itoa(entityTypeID)
	}
	q, err := offline.New(h, offline.Config{ProcessID: pid, Limit: 1000, Logger: c.loggerAt(slog.LevelError)})
	if err != nil {
		return nil, err
	}
	return q, nil
}

func printSyncReport(w io.Writer, r dbsync.Report) {
	fmt.Fprintf(w, "sync %s: %s; %d rows written, %d deleted, %d restored, %d from hints, %d from the offline queue; %d requests in %s; watermark %s\n",
		r.Table, r.Mode, r.Written, r.Deleted, r.Restored, r.Hinted, r.FromQueue, r.Requests, r.Duration.Round(time.Millisecond), r.Watermark)
}

// syncStatus prints each synced table's state.
func (c *cli) syncStatus(ctx context.Context, db *dbsync.DB, asJSON bool) error {
	st, err := db.Status(ctx)
	if err != nil {
		return err
	}
	if asJSON {
		return json.NewEncoder(c.stdout).Encode(st)
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TABLE\tENTITY\tROWS\tCOMPLETE\tLAST RUN\tWATERMARK\tDURATION\tREQUESTS\tMODE")
	for _, s := range st {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%v\t%s\t%s\t%s\t%d\t%s\n", s.Table, s.Entity, s.Rows, s.Complete, s.LastRun,
			s.Watermark, s.Duration.Round(time.Millisecond), s.Requests, s.Mode)
	}
	return tw.Flush()
}
