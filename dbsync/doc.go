// Package dbsync keeps a SQL database (SQLite or PostgreSQL) in step with a
// Bitrix24 portal's CRM records, tasks or users, incrementally and within the
// portal's limits: the engine behind `b24 sync`.
//
//	db, err := dbsync.Open(ctx, "sqlite:crm.db") // or "postgres://..."
//	defer db.Close()
//	rep, err := db.Sync(ctx, hook, dbsync.Options{Entity: "crm.deal"})
//
// One table per entity (crm_deal, crm_item_1036, tasks_task, user), one
// column per field, typed from the entity's *.fields; the first run walks
// everything and commits every ≤ 10,000 rows with its id cursor, so a killed
// run resumes; later runs fetch the rows changed since a watermark in portal
// time minus an overlap, walk the ids to find deletions and restores, and
// upsert conditionally on the stored modification time. README.md ("b24
// sync") states the schema rules and the guarantees.
package dbsync
