package dbsync

import (
	"database/sql"
	"encoding/json"
	"testing"
)

// TestCamelName: tasks.task.list's names for tasks.task.getFields' ones.
func TestCamelName(t *testing.T) {
	for in, want := range map[string]string{"ID": "id", "CHANGED_DATE": "changedDate", "UF_CRM_TASK": "ufCrmTask",
		"DESCRIPTION_IN_BBCODE": "descriptionInBbcode", "UF_AUTO_123456": "ufAuto_123456", "IS_PINNED_IN_GROUP": "isPinnedInGroup"} {
		if got := camelName(in); got != want {
			t.Errorf("%s → %s, want %s", in, got, want)
		}
	}
}

// TestTaskType: tasks.task.getFields' types (shapes of the official
// documentation's answer) map to columns; the fields it misdescribes are
// overridden; user fields are text or JSON (no multiplicity is given).
func TestTaskType(t *testing.T) {
	for _, tt := range []struct{ name, meta, want string }{
		{"ID", `{"type":"integer","primary":true}`, "integer"},
		{"CHANGED_DATE", `{"type":"datetime"}`, "timestamptz"},
		{"SORTING", `{"type":"double"}`, "numeric"},
		{"MULTITASK", `{"type":"enum","values":{"Y":"Yes","N":"No"},"default":"N"}`, "boolean"},
		{"MARK", `{"type":"enum","values":{"N":"Negative","P":"Positive"}}`, "text"},
		{"PRIORITY", `{"type":"enum","values":{"2":"High","1":"Medium","0":"Low"}}`, "text"},
		{"DURATION_TYPE", `{"type":"enum","values":["secs","mins","days"]}`, "text"},
		{"AUDITORS", `{"type":"array"}`, "json"},
		{"UF_CRM_TASK", `{"type":"crm"}`, "json"},
		{"UF_TASK_WEBDAV_FILES", `{"type":"disk_file"}`, "json"},
		{"UF_MAIL_MESSAGE", `{"type":"mail_message"}`, "text"},
		{"UF_NUMBER", `{"type":"integer"}`, "text"},
		{"MATCH_WORK_TIME", `{"type":"integer"}`, "boolean"},
		{"FORKED_BY_TEMPLATE_ID", `{"type":"enum","values":{"Y":"Yes","N":"No"}}`, "text"},
		{"TITLE", `{"type":"string","required":true}`, "text"},
	} {
		var fm taskFieldMeta
		if err := json.Unmarshal([]byte(tt.meta), &fm); err != nil {
			t.Fatal(err)
		}
		if got := taskType(tt.name, fm); got != tt.want {
			t.Errorf("%s %s → %s, want %s", tt.name, tt.meta, got, tt.want)
		}
	}
}

// TestTypedTasksAndUsers: tasks_task and user get typed columns from
// tasks.task.getFields and user.fields, named as the lists answer them
// (camelCase for tasks); values are stored typed, "" as NULL. The fake
// describes MATCH_WORK_TIME as an integer and answers "N", as a portal does:
// typed as described, the run would stop with ErrBadValue.
func TestTypedTasksAndUsers(t *testing.T) {
	drivers(t, func(t *testing.T, url string) {
		s := fake(t, 10)
		h := hookOf(s)
		db := openDB(t, url)
		mustSync(t, db, h, Options{Entity: "tasks.task"})
		mustSync(t, db, h, Options{Entity: "user"})
		want := map[[2]string]string{
			{"tasks_task", "id"}: "integer", {"tasks_task", "changedDate"}: "timestamptz",
			{"tasks_task", "responsibleId"}: "integer", {"tasks_task", "multitask"}: "boolean",
			{"tasks_task", "matchWorkTime"}: "boolean", {"tasks_task", "auditors"}: "json",
			{"tasks_task", "ufCrmTask"}: "json", {"tasks_task", "title"}: "text", {"tasks_task", "status"}: "text",
			{"tasks_task", "responsible"}: "text", // a derived key: not in getFields
			{"user", "ID"}:                "integer", {"user", "ACTIVE"}: "boolean", {"user", "IS_ONLINE"}: "boolean",
			{"user", "DATE_REGISTER"}: "timestamptz", {"user", "PERSONAL_BIRTHDAY"}: "date",
			{"user", "UF_DEPARTMENT"}: "json", {"user", "LAST_ACTIVITY_DATE"}: "text", {"user", "NAME"}: "text",
			{"user", "PERSONAL_PROFESSION"}: "text", // described, never answered: a column still
		}
		for k, typ := range want {
			var got string
			err := db.SQL().QueryRow(`SELECT type FROM b24sync_columns WHERE tbl = `+db.d.placeholder(1)+` AND field = `+db.d.placeholder(2), k[0], k[1]).Scan(&got)
			if err != nil || got != typ {
				t.Errorf("%s.%s: type %q (%v), want %s", k[0], k[1], got, err, typ)
			}
		}
		var resp, n int64
		var mwt, active bool
		var birthday sql.NullString
		if err := db.SQL().QueryRow(`SELECT sum("responsibleId"), count(*), min("matchWorkTime") FROM (SELECT "responsibleId", CASE WHEN "matchWorkTime" THEN 1 ELSE 0 END AS "matchWorkTime" FROM tasks_task) t`).Scan(&resp, &n, &mwt); err != nil || n == 0 || resp < n {
			t.Fatalf("tasks: sum(responsibleId) %d over %d rows: %v", resp, n, err)
		}
		if err := db.SQL().QueryRow(`SELECT "ACTIVE", "PERSONAL_BIRTHDAY" FROM "user" WHERE "ID" = 1`).Scan(&active, &birthday); err != nil || !active || birthday.Valid {
			t.Fatalf("user 1: ACTIVE %v, PERSONAL_BIRTHDAY %v (\"\" must be NULL): %v", active, birthday, err)
		}
	})
}
