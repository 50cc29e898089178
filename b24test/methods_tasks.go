package b24test

// tasks.task.{list,get,add,update,delete} on v2 (result.tasks / result.task, camelCase
// keys, string values) and on v3 (result.items / result.item, typed values, filter
// triples, pagination, tasks.task.tail).

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/b24go/b24/b24test/internal/store"
	"github.com/b24go/b24/internal/php"
)

func init() { registerFamily(tasksFamily) }

func tasksFamily(d *Data) []Method {
	h := &tasks{st: sharedStore(d), sc: store.SchemaOf(store.Task), users: d.Seed.Users}
	return []Method{
		{Name: "tasks.task.list", API: V2, Scope: "task", Handler: h.list},
		{Name: "tasks.task.get", API: V2, Scope: "task", Handler: h.get},
		{Name: "tasks.task.getfields", API: V2, Scope: "task", Handler: h.getFields},
		{Name: "tasks.task.add", API: V2, Scope: "task", Write: true, Handler: h.add},
		{Name: "tasks.task.update", API: V2, Scope: "task", Write: true, Handler: h.update},
		{Name: "tasks.task.delete", API: V2, Scope: "task", Write: true, Handler: h.delete},
		{Name: "tasks.task.list", API: V3, Scope: "tasks", Handler: h.list3},
		{Name: "tasks.task.tail", API: V3, Scope: "tasks", Handler: h.tail3},
		{Name: "tasks.task.get", API: V3, Scope: "tasks", Handler: h.get3},
		{Name: "tasks.task.add", API: V3, Scope: "tasks", Write: true, Handler: h.add3},
		{Name: "tasks.task.update", API: V3, Scope: "tasks", Write: true, Handler: h.update3},
		{Name: "tasks.task.delete", API: V3, Scope: "tasks", Write: true, Handler: h.delete3},
	}
}

type tasks struct {
	st    *store.Store
	sc    *store.Schema
	users int
}

var userNames = []string{"Viola", "Maria Johnson", "John Smith", "Samantha Johnson", "Klaus Weber", "Anna Schmidt"}

func userCard(id string) *php.Array {
	n, _ := strconv.Atoi(id)
	u := php.NewArray()
	u.Set("id", id)
	u.Set("name", userNames[(max(n, 1)-1)%len(userNames)])
	u.Set("link", "/company/personal/user/"+id+"/")
	u.Set("icon", "/bitrix/images/tasks/default_avatar.png")
	u.Set("workPosition", "")
	return u
}

func taskErr(desc string) *Error { return &Error{Status: 400, Code: "0", Description: desc} }

// ---- v2 ----

// row2 renders a task in the v2 shape; sel nil means the full object.
func (h *tasks) row2(r *store.Record, sel *selection) *php.Array {
	out := php.NewArray()
	for i, fd := range h.sc.Fields {
		if sel != nil && i != 0 && !sel.has(i, fd) {
			continue
		}
		v := r.Values[i]
		switch {
		case fd.Kind == store.KindList:
			l := php.NewArray()
			for _, s := range v.List {
				l.Append(s)
			}
			out.Set(fd.Camel, l)
		case v.Null:
			out.Set(fd.Camel, nil)
		default:
			out.Set(fd.Camel, v.S)
		}
	}
	k := taskKeys{h: h, sel: sel}
	k.people(out, r)
	k.derived(out)
	k.named(out, r)
	return out
}

// taskKeys decides which derived keys a v2 task carries: all of them with
// select * (or none), otherwise those named in the select or whose base
// field is selected, as the portal adds responsible when RESPONSIBLE_ID is
// selected.
type taskKeys struct {
	h   *tasks
	sel *selection
}

// isNamed reports whether the select names key.
func (k taskKeys) isNamed(key string) bool { return k.sel != nil && k.sel.extra[normName(key)] }

func (k taskKeys) want(key string, bases ...string) bool {
	if k.sel == nil || k.sel.all || k.isNamed(key) {
		return true
	}
	for _, b := range bases {
		if i, ok := k.h.sc.Lookup(b); ok && k.sel.names[i] {
			return true
		}
	}
	return false
}

// people sets the group and the user cards.
func (k taskKeys) people(out *php.Array, r *store.Record) {
	if k.want("group", "GROUP_ID") {
		out.Set("group", php.NewArray())
	}
	if v, _ := r.Get("CREATED_BY"); !v.Null && k.want("creator", "CREATED_BY") {
		out.Set("creator", userCard(v.S))
	}
	if v, _ := r.Get("RESPONSIBLE_ID"); !v.Null && k.want("responsible", "RESPONSIBLE_ID") {
		out.Set("responsible", userCard(v.S))
	}
	if k.want("accomplicesData", "ACCOMPLICES") {
		out.Set("accomplicesData", php.NewArray())
	}
	if k.want("auditorsData", "AUDITORS") {
		aud := php.NewArray()
		if v, _ := r.Get("AUDITORS"); len(v.List) > 0 {
			for _, u := range v.List {
				aud.Set(u, userCard(u))
			}
		}
		out.Set("auditorsData", aud)
	}
}

// taskActions are the keys of a task's action map.
var taskActions = []string{"accept", "decline", "complete", "approve", "disapprove", "start", "pause", "delegate", "remove",
	"edit", "defer", "renew", "create", "changeDeadline", "checklistAddItems", "addFavorite", "deleteFavorite", "rate",
	"edit.originator", "checklist.reorder", "elapsedtime.add", "dayplan.timer.toggle", "edit.plan", "checklist.add",
	"favorite.add", "favorite.delete"}

// derived sets the computed keys: counters, actions, the nulls and flags,
// the checklist.
func (k taskKeys) derived(out *php.Array) {
	if k.want("newCommentsCount") {
		out.Set("newCommentsCount", 0)
	}
	if k.want("action") {
		act := php.NewArray()
		for _, a := range taskActions {
			act.Set(a, !taskActionOff[a])
		}
		if k.sel != nil {
			act.Set("take", false) // reads (get, list) offer taking the task; add and update answers do not
		}
		out.Set("action", act)
	}
	for _, key := range []string{"serviceCommentsCount", "forkedByTemplateId", "timeSpentInLogs", "forumTopicId", "forumId",
		"exchangeModified", "exchangeId", "viewedDate", "sorting", "durationFact", "flowId", "durationPlan"} {
		if k.want(key) {
			out.Set(key, nil)
		}
	}
	for _, kv := range [][2]string{{"subordinate", "Y"}, {"outlookVersion", "1"}, {"isMuted", "N"}, {"isPinned", "N"}, {"isPinnedInGroup", "N"}} {
		if k.want(kv[0]) {
			out.Set(kv[0], kv[1])
		}
	}
	if k.want("checklist") {
		out.Set("checklist", php.NewArray())
	}
	if k.want("checkListTree") {
		out.Set("checkListTree", checkListTree())
	}
	if k.want("checkListCanAdd") {
		out.Set("checkListCanAdd", true)
	}
}

// named sets the keys the portal returns only when asked for by name.
func (k taskKeys) named(out *php.Array, r *store.Record) {
	if k.isNamed("counter") {
		cs := php.NewArray()
		for _, key := range []string{"expired", "newComments", "projectExpired", "projectNewComments", "mutedExpired", "mutedNewComments"} {
			cs.Set(key, 0)
		}
		c := php.NewArray()
		c.Set("counters", cs)
		c.Set("color", "gray")
		c.Set("value", 0)
		out.Set("counter", c)
	}
	if k.isNamed("tags") {
		// One tag a task, keyed by its id as the portal keys them.
		tag := php.NewArray()
		tag.Set("id", r.ID)
		tag.Set("title", "tag"+strconv.FormatInt(r.ID, 10))
		tags := php.NewArray()
		tags.Set(strconv.FormatInt(r.ID, 10), tag)
		out.Set("tags", tags)
	}
	str := func(field string) string { v, _ := r.Get(field); return v.S }
	for _, kv := range [][2]string{
		{"lengthDeadline", "0"}, {"parsedDescription", str("DESCRIPTION")}, {"subStatus", str("STATUS")},
		{"taskHasOpenResult", "N"}, {"taskHasResult", "N"}, {"taskRequireResult", "N"}, {"timeElapsed", "0"},
		{"timerIsRunningForCurrentUser", "N"},
	} {
		if k.isNamed(kv[0]) {
			out.Set(kv[0], kv[1])
		}
	}
	if k.isNamed("ufMailMessage") {
		out.Set("ufMailMessage", nil)
	}
	if k.isNamed("ufTaskWebdavFiles") {
		out.Set("ufTaskWebdavFiles", php.NewArray())
	}
}

// checkListTree is the empty checklist tree of a task.
func checkListTree() *php.Array {
	tree := php.NewArray()
	tree.Set("nodeId", 0)
	tf := php.NewArray()
	for _, k := range []string{"id", "copiedId", "entityId"} {
		tf.Set(k, nil)
	}
	tf.Set("userId", 1)
	tf.Set("createdBy", nil)
	tf.Set("parentId", nil)
	tf.Set("title", "")
	tf.Set("sortIndex", nil)
	tf.Set("displaySortIndex", "")
	tf.Set("isComplete", false)
	tf.Set("isImportant", false)
	tf.Set("completedCount", 0)
	tf.Set("members", php.NewArray())
	tf.Set("attachments", php.NewArray())
	tree.Set("fields", tf)
	tree.Set("action", php.NewArray())
	tree.Set("descendants", php.NewArray())
	return tree
}

func (h *tasks) taskID(c *Call) int64 {
	v, _ := param(c.Params, "taskId", "TASKID", "taskid", "id", "ID")
	return intval(v)
}

func (h *tasks) list(c *Call) (Result, *Error) {
	var q store.Query
	if v, ok := param(c.Params, "filter", "FILTER"); ok {
		a, e := filterArray(v, taskErr)
		if e != nil {
			return Result{}, e
		}
		f, e := prefixFilter(h.sc, a, taskErr)
		if e != nil {
			return Result{}, e
		}
		q.Filter = f
	}
	q.Order = []store.Order{{Field: "ID", Desc: true}}
	if v, ok := param(c.Params, "order", "ORDER"); ok {
		if a, _ := v.(*php.Array); a.Len() > 0 {
			o, e := prefixOrder(h.sc, a, func(string) *Error { return taskErr("Invalid sorting key (internal error)") })
			if e != nil {
				return Result{}, e
			}
			q.Order = o
		}
	}
	sv, sok := param(c.Params, "select", "SELECT")
	sel := parseSelect(h.sc, sv, sok, selection{all: true, custom: true})
	q.Offset, q.Count = store.LegacyStart(c.Start)
	page, err := c.query(h.st, store.Task, q)
	if err != nil {
		return Result{}, taskErr(filterDesc(err))
	}
	rows := php.NewArray()
	for _, r := range page.Records {
		rows.Append(h.row2(r, &sel))
	}
	res := php.NewArray()
	res.Set("tasks", rows)
	return listResult(c, page, q.Offset, res), nil
}

func wrapTask(t any) *php.Array {
	res := php.NewArray()
	res.Set("task", t)
	return res
}

func (h *tasks) get(c *Call) (Result, *Error) {
	id := h.taskID(c)
	r, err := h.st.Get(store.Task, id)
	if id <= 0 || err != nil {
		return Result{}, taskErr("Task not found or not accessible")
	}
	c.Returned(1)
	sv, sok := param(c.Params, "select", "SELECT")
	sel := parseSelect(h.sc, sv, sok, selection{all: true, custom: true})
	return Value(wrapTask(h.row2(r, &sel))), nil
}

func (h *tasks) fields2(c *Call) (*php.Array, *Error) {
	v, _ := param(c.Params, "fields", "FIELDS")
	a, ok := v.(*php.Array)
	if !ok {
		return nil, taskErr("Parameter 'fields' must be array.")
	}
	return a, nil
}

func (h *tasks) add(c *Call) (Result, *Error) {
	a, e := h.fields2(c)
	if e != nil {
		return Result{}, e
	}
	in := inputs(h.sc, a)
	if !hasText(in, "TITLE") {
		return Result{}, taskErr("Task title is not specified")
	}
	id, err := h.st.AddBy(store.Task, in, c.UserID)
	if err != nil {
		return Result{}, taskErr(err.Error())
	}
	c.Wrote("task", int(id))
	r, _ := h.st.Get(store.Task, id)
	return Value(wrapTask(h.row2(r, nil))), nil
}

func hasText(in []store.Input, name string) bool {
	for _, i := range in {
		if strings.EqualFold(i.Name, name) || store.Camel(name) == i.Name {
			return strings.TrimSpace(i.Value.S) != ""
		}
	}
	return false
}

func (h *tasks) update(c *Call) (Result, *Error) {
	id := h.taskID(c)
	a, e := h.fields2(c)
	if e != nil {
		return Result{}, e
	}
	if id <= 0 || h.st.UpdateBy(store.Task, id, inputs(h.sc, a), c.UserID) != nil {
		return Result{}, taskErr("Task not found or not accessible")
	}
	c.Wrote("task", int(id))
	r, err := h.st.Get(store.Task, id)
	if err != nil {
		return Result{}, taskErr("Task not found or not accessible")
	}
	return Value(wrapTask(h.row2(r, nil))), nil
}

func (h *tasks) delete(c *Call) (Result, *Error) {
	id := h.taskID(c)
	if id <= 0 || h.st.Delete(store.Task, id) != nil {
		return Result{}, taskErr("Task not found or not accessible")
	}
	c.Wrote("task", int(id))
	return Value(wrapTask(true)), nil
}

// ---- v3 ----

// v3Fields maps REST 3.0 field names to the store's, with how values are shown.
var v3Fields = map[string]string{
	"id": "ID", "title": "TITLE", "description": "DESCRIPTION", "deadline": "DEADLINE",
	"responsibleId": "RESPONSIBLE_ID", "creatorId": "CREATED_BY", "createdBy": "CREATED_BY",
	"status": "STATUS", "priority": "PRIORITY", "parentId": "PARENT_ID", "groupId": "GROUP_ID",
	"changed": "CHANGED_DATE", "created": "CREATED_DATE", "closed": "CLOSED_DATE", "activity": "ACTIVITY_DATE",
	"startPlan": "START_DATE_PLAN", "endPlan": "END_DATE_PLAN", "started": "DATE_START",
	"statusChanged": "STATUS_CHANGED_DATE", "guid": "GUID", "xmlId": "XML_ID", "siteId": "SITE_ID",
	"needsControl": "TASK_CONTROL", "estimatedTime": "TIME_ESTIMATE", "durationType": "DURATION_TYPE",
}

var v3Status = map[string]string{"1": "new", "2": "pending", "3": "in_progress", "4": "supposedly_completed", "5": "completed", "6": "deferred", "7": "declined"}
var v3Priority = map[string]string{"0": "low", "1": "average", "2": "high"}

// to3 converts a filter value given in the v3 form to the store's.
func to3Stored(field, v string) string {
	var m map[string]string
	switch field {
	case "STATUS":
		m = v3Status
	case "PRIORITY":
		m = v3Priority
	case "TASK_CONTROL":
		if v == "true" || v == "1" {
			return "Y"
		}
		return "N"
	default:
		return v
	}
	for k, name := range m {
		if strings.EqualFold(name, v) {
			return k
		}
	}
	return v
}

func v3Err(code, format string, args ...any) *Error { return V3Errorf(400, code, format, args...) }

func validationErr(field, msg string) *Error {
	return &Error{Status: 400, Code: "VALIDATION_REQUESTVALIDATIONEXCEPTION", Description: "Error validating request object",
		V3Code: "BITRIX_REST_V3_EXCEPTION_VALIDATION_REQUESTVALIDATIONEXCEPTION", V3Message: "Error validating request object",
		Validation: []FieldError{{Field: field, Message: msg}}}
}

func jsonText(v any) string {
	b, err := php.EncodeJSON(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// item3 renders a task in the v3 shape. names nil means the default key set.
func (h *tasks) item3(r *store.Record, names []string) *php.Array {
	t := task3{r}
	out := php.NewArray()
	if names == nil {
		names = v3Default
	}
	for _, n := range names {
		if dot := strings.IndexByte(n, '.'); dot > 0 {
			t.relation(out, n[:dot], n[dot+1:])
			continue
		}
		if fn, ok := item3Fields[n]; ok {
			out.Set(n, fn(t))
		}
	}
	return out
}

// task3 reads a stored task's fields in REST 3.0's types.
type task3 struct{ r *store.Record }

func (t task3) get(n string) store.Value { v, _ := t.r.Get(n); return v }

// str is a text field; empty is null except for the title and description.
func (t task3) str(n string) any {
	v := t.get(n)
	if v.Null || v.S == "" && n != "TITLE" && n != "DESCRIPTION" {
		return nil
	}
	return v.S
}

// num is an integer field; empty is null.
func (t task3) num(n string) any {
	v := t.get(n)
	if v.Null || v.S == "" {
		return nil
	}
	i, _ := strconv.ParseInt(v.S, 10, 64)
	return i
}

func (t task3) yes(n string) bool { return t.get(n).S == "Y" }

// relation sets one field (id, name, email) of a related user (creator,
// else the responsible) under rel.
func (t task3) relation(out *php.Array, rel, f string) {
	uid := t.get("RESPONSIBLE_ID").S
	if rel == "creator" {
		uid = t.get("CREATED_BY").S
	}
	var obj *php.Array
	if v, ok := out.Get(rel); ok {
		obj, _ = v.(*php.Array)
	}
	if obj == nil {
		obj = php.NewArray()
		out.Set(rel, obj)
	}
	switch f {
	case "id":
		i, _ := strconv.ParseInt(uid, 10, 64)
		obj.Set("id", i)
	case "name":
		v, _ := userCard(uid).Get("name")
		obj.Set("name", v)
	case "email":
		obj.Set("email", "user"+uid+"@example.com")
	}
}

// fixed3 is a field whose value is the same in every task.
func fixed3(v any) func(task3) any { return func(task3) any { return v } }

// emptyArray3 is a field holding an empty array (a new one each time).
func emptyArray3(task3) any { return php.NewArray() }

func str3(n string) func(task3) any { return func(t task3) any { return t.str(n) } }
func num3(n string) func(task3) any { return func(t task3) any { return t.num(n) } }
func yes3(n string) func(task3) any { return func(t task3) any { return t.yes(n) } }

// item3Fields are REST 3.0's task fields, by name.
var item3Fields = map[string]func(task3) any{
	"id": func(t task3) any { return t.r.ID }, "title": str3("TITLE"), "description": str3("DESCRIPTION"),
	"deadline": str3("DEADLINE"), "needsControl": yes3("TASK_CONTROL"),
	"startPlan": str3("START_DATE_PLAN"), "endPlan": str3("END_DATE_PLAN"),
	"fileIds": fixed3(nil), "checklist": emptyArray3, "epicId": fixed3(nil),
	"storyPoints": fixed3(nil), "priority": func(t task3) any { return v3Priority[t.get("PRIORITY").S] },
	"status": func(t task3) any { return v3Status[t.get("STATUS").S] }, "statusChanged": str3("STATUS_CHANGED_DATE"),
	"parentId": num3("PARENT_ID"), "containsChecklist": fixed3(false),
	"containsSubTasks": fixed3(false), "containsRelatedTasks": fixed3(false),
	"containsGanttLinks": fixed3(false), "containsPlacements": fixed3(false),
	"containsResults": fixed3(false), "numberOfReminders": fixed3(0),
	"chatId": fixed3(nil), "plannedDuration": fixed3(0), "actualDuration": fixed3(0),
	"durationType": str3("DURATION_TYPE"), "started": str3("DATE_START"),
	"estimatedTime": num3("TIME_ESTIMATE"), "replicate": yes3("REPLICATE"),
	"changed": str3("CHANGED_DATE"), "closed": str3("CLOSED_DATE"),
	"activity": str3("ACTIVITY_DATE"), "guid": str3("GUID"),
	"xmlId": str3("XML_ID"), "exchangeId": fixed3(nil), "exchangeModified": fixed3(nil),
	"outlookVersion": fixed3(1), "mark": fixed3("none"),
	"allowsChangeDeadline": yes3("ALLOW_CHANGE_DEADLINE"), "allowsTimeTracking": yes3("ALLOW_TIME_TRACKING"),
	"matchesWorkTime": yes3("MATCH_WORK_TIME"), "addInReport": fixed3(nil),
	"isMultitask": yes3("MULTITASK"), "siteId": str3("SITE_ID"),
	"deadlineCount": fixed3(nil), "declineReason": fixed3(nil), "forumTopicId": fixed3(nil),
	"link": func(t task3) any {
		return fmt.Sprintf("/company/personal/user/%s/tasks/task/view/%d/", t.get("RESPONSIBLE_ID").S, t.r.ID)
	},
	"rights": func(task3) any {
		m := php.NewArray()
		for _, k := range v3Rights {
			m.Set(k, !v3RightsOff[k])
		}
		return m
	},
	"archiveLink": func(t task3) any {
		return fmt.Sprintf("/bitrix/tools/disk/uf.php?entityId=%d&entity=TASKS_TASK&fieldName=UF_TASK_WEBDAV_FILES&action=downloadArchiveByEntity&ncc=1", t.r.ID)
	},
	"crmItemIds": func(t task3) any {
		l := php.NewArray()
		for _, s := range t.get("UF_CRM_TASK").List {
			l.Append(s)
		}
		return l
	},
	"requireResult": fixed3(false), "matchesSubTasksTime": fixed3(false),
	"autocompleteSubTasks": fixed3(false), "allowsChangeDatePlan": fixed3(false),
	"maxDeadlineChangeDate": fixed3(nil), "maxDeadlineChanges": fixed3(nil),
	"requireDeadlineChangeReason": fixed3(false), "inFavorite": emptyArray3,
	"inPin": emptyArray3, "inGroupPin": emptyArray3,
	"inMute": emptyArray3, "dependsOn": emptyArray3,
	"scenarios": func(task3) any { l := php.NewArray(); l.Append("default"); return l },
	// selectable, not in the default set
	"responsibleId": num3("RESPONSIBLE_ID"), "creatorId": num3("CREATED_BY"),
	"groupId": num3("GROUP_ID"), "created": str3("CREATED_DATE"),
}

var taskActionOff = map[string]bool{"accept": true, "decline": true, "approve": true, "disapprove": true, "pause": true,
	"renew": true, "deleteFavorite": true, "edit.originator": true, "dayplan.timer.toggle": true, "favorite.delete": true}

var v3Rights = []string{"read", "watch", "mute", "createResult", "edit", "remove", "complete", "approve", "disapprove", "start",
	"take", "delegate", "defer", "renew", "deadline", "datePlan", "changeDirector", "changeResponsible", "changeAccomplices",
	"pause", "timeTracking", "mark", "changeStatus", "reminder", "addAuditors", "elapsedTime", "favorite", "checklistAdd",
	"checklistEdit", "checklistSave", "checklistToggle", "automate", "resultEdit", "completeResult", "removeResult",
	"resultRead", "admin", "createSubtask", "copy", "saveAsTemplate", "attachFile", "detachFile", "detachParent",
	"createGanttDependence", "sort"}

var v3RightsOff = map[string]bool{"approve": true, "disapprove": true, "take": true, "renew": true, "changeDirector": true,
	"pause": true, "timeTracking": true, "resultEdit": true, "removeResult": true, "resultRead": true, "sort": true}

var v3Default = []string{"id", "title", "description", "deadline", "needsControl", "startPlan", "endPlan", "fileIds", "checklist",
	"epicId", "storyPoints", "priority", "status", "statusChanged", "parentId", "containsChecklist", "containsSubTasks",
	"containsRelatedTasks", "containsGanttLinks", "containsPlacements", "containsResults", "numberOfReminders", "chatId",
	"plannedDuration", "actualDuration", "durationType", "started", "estimatedTime", "replicate", "changed", "closed",
	"activity", "guid", "xmlId", "exchangeId", "exchangeModified", "outlookVersion", "mark", "allowsChangeDeadline",
	"allowsTimeTracking", "matchesWorkTime", "addInReport", "isMultitask", "siteId", "deadlineCount", "declineReason",
	"forumTopicId", "link", "rights", "archiveLink", "crmItemIds", "requireResult", "matchesSubTasksTime",
	"autocompleteSubTasks", "allowsChangeDatePlan", "maxDeadlineChangeDate", "maxDeadlineChanges",
	"requireDeadlineChangeReason", "inFavorite", "inPin", "inGroupPin", "inMute", "dependsOn", "scenarios"}

// select3 reads a v3 select: own unknown fields are dropped, unknown related fields are an error.
func (h *tasks) select3(c *Call) ([]string, *Error) {
	v, ok := c.Params.Get("select")
	a, isArr := v.(*php.Array)
	if !ok || !isArr || a.Len() == 0 {
		return nil, nil
	}
	known := map[string]bool{"responsibleId": true, "creatorId": true, "groupId": true, "created": true}
	for _, n := range v3Default {
		known[n] = true
	}
	var out []string
	for _, x := range a.All() {
		n, _ := scalar(x)
		if dot := strings.IndexByte(n, '.'); dot > 0 {
			rel, f := n[:dot], n[dot+1:]
			if rel != "responsible" && rel != "creator" {
				return nil, v3Err("INVALIDSELECTEXCEPTION", "Unknown field `%s` in select", n)
			}
			if f != "id" && f != "name" && f != "email" {
				return nil, v3Err("UNKNOWNDTOPROPERTYEXCEPTION", "Unknown field `%s` for entity `UserDto`", f)
			}
			out = append(out, n)
			continue
		}
		if known[n] {
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		out = []string{"id"}
	}
	return out, nil
}

var v3Ops = map[string]store.Op{"=": store.OpEq, "!=": store.OpNe, ">": store.OpGt, ">=": store.OpGe, "<": store.OpLt,
	"<=": store.OpLe, "in": store.OpIn, "between": store.OpBetween}

// filter3 converts a v3 filter: a list of ["field","op",value] / ["field",value] and
// {logic, conditions} groups.
func filter3(v any, or bool) (store.Filter, *Error) {
	f := store.Filter{Or: or}
	a, ok := v.(*php.Array)
	if !ok {
		if v == nil {
			return f, nil
		}
		return f, v3Err("INVALIDFILTEREXCEPTION", "Unable to recognize the filter `%s`", jsonText(v))
	}
	for _, x := range a.All() {
		cond, ok := x.(*php.Array)
		if !ok {
			return f, v3Err("INVALIDFILTEREXCEPTION", "Unable to recognize the filter condition `%s`", jsonText(x))
		}
		if conds, ok := cond.Get("conditions"); ok {
			l, _ := cond.Get("logic")
			ls, _ := scalar(l)
			g, err := filter3(conds, strings.EqualFold(ls, "or"))
			if err != nil {
				return f, err
			}
			f.Groups = append(f.Groups, g)
			continue
		}
		parts := make([]any, 0, 3)
		for _, p := range cond.All() {
			parts = append(parts, p)
		}
		if len(parts) < 2 || len(parts) > 3 {
			return f, v3Err("INVALIDFILTEREXCEPTION", "Unable to recognize the filter condition `%s`", jsonText(cond))
		}
		name, _ := scalar(parts[0])
		field, known := v3Fields[name]
		if !known {
			return f, v3Err("INVALIDFILTEREXCEPTION", "Field `%s` is not allowed in filter", name)
		}
		op := store.OpEq
		val := parts[len(parts)-1]
		if len(parts) == 3 {
			o, _ := scalar(parts[1])
			var ok bool
			if op, ok = v3Ops[strings.ToLower(o)]; !ok {
				return f, v3Err("UNKNOWNFILTEROPERATOREXCEPTION", "Unknown filter operator `%s`", o)
			}
		} else if _, isArr := val.(*php.Array); isArr {
			op = store.OpIn
		}
		var vals []string
		for _, s := range texts(val) {
			vals = append(vals, to3Stored(field, s))
		}
		if op == store.OpBetween && len(vals) != 2 {
			return f, v3Err("INVALIDFILTEREXCEPTION", "Operator `between` needs two values for `%s`", name)
		}
		f.Conds = append(f.Conds, store.Cond{Field: field, Op: op, Values: vals, Key: jsonText(cond)})
	}
	return f, nil
}

func order3(c *Call) ([]store.Order, *Error) {
	v, ok := c.Params.Get("order")
	if !ok {
		return []store.Order{{Field: "ID"}}, nil
	}
	a, isArr := v.(*php.Array)
	if !isArr {
		return nil, v3Err("INVALIDORDEREXCEPTION", "Unable to recognize the order `%s`", jsonText(v))
	}
	var out []store.Order
	for k, d := range a.All() {
		field, known := v3Fields[k]
		ds, _ := scalar(d)
		ds = strings.ToUpper(ds)
		if !known || ds != "ASC" && ds != "DESC" {
			return nil, v3Err("INVALIDORDEREXCEPTION", "Unable to recognize the order `%s`", jsonText(a))
		}
		out = append(out, store.Order{Field: field, Desc: ds == "DESC"})
	}
	if len(out) == 0 {
		out = []store.Order{{Field: "ID"}}
	}
	return out, nil
}

// pagination3 reads {page, limit, offset}: limit 1..1000 (default 50); page ≥ 1 gives
// offset (page-1)*limit.
func pagination3(c *Call) (offset, limit int, e *Error) {
	limit = 50
	v, ok := c.Params.Get("pagination")
	if !ok {
		return 0, limit, nil
	}
	bad := v3Err("INVALIDPAGINATIONEXCEPTION", "Unable to recognize the pagination parameter `%s`", jsonText(v))
	a, isArr := v.(*php.Array)
	if !isArr {
		return 0, 0, bad
	}
	num := func(k string) (int, bool, bool) {
		x, ok := a.Get(k)
		if !ok {
			return 0, false, true
		}
		s, _ := scalar(x)
		n, err := strconv.Atoi(strings.TrimSpace(s))
		return n, true, err == nil
	}
	l, hasL, okL := num("limit")
	p, hasP, okP := num("page")
	o, hasO, okO := num("offset")
	if !okL || !okP || !okO || hasL && (l < 1 || l > 1000) || hasP && p < 1 || hasO && o < 0 {
		return 0, 0, bad
	}
	if hasL {
		limit = l
	}
	if hasO {
		offset = o
	}
	if hasP {
		offset = (p-1)*limit + offset
	}
	return offset, limit, nil
}

func (h *tasks) items3(c *Call, q store.Query, names []string) (Result, *Error) {
	page, err := c.query(h.st, store.Task, q)
	if err != nil {
		var ce *store.FilterError
		if errors.As(err, &ce) {
			return Result{}, v3Err("INVALIDFILTEREXCEPTION", "Unable to use the filter condition `%s`: %s", ce.Key, ce.Reason)
		}
		return Result{}, v3Err("INVALIDFILTEREXCEPTION", "%v", err)
	}
	items := php.NewArray()
	for _, r := range page.Records {
		items.Append(h.item3(r, names))
	}
	chargeList(c, page)
	res := php.NewArray()
	res.Set("items", items)
	return Value(res), nil
}

func (h *tasks) list3(c *Call) (Result, *Error) {
	fv, _ := c.Params.Get("filter")
	f, e := filter3(fv, false)
	if e != nil {
		return Result{}, e
	}
	o, e := order3(c)
	if e != nil {
		return Result{}, e
	}
	off, lim, e := pagination3(c)
	if e != nil {
		return Result{}, e
	}
	names, e := h.select3(c)
	if e != nil {
		return Result{}, e
	}
	return h.items3(c, store.Query{Filter: f, Order: o, Offset: off, Limit: lim}, names)
}

func (h *tasks) tail3(c *Call) (Result, *Error) {
	fv, _ := c.Params.Get("filter")
	f, e := filter3(fv, false)
	if e != nil {
		return Result{}, e
	}
	field, dir, value, limit := "id", "ASC", "0", 50
	if cv, ok := c.Params.Get("cursor"); ok {
		ca, isArr := cv.(*php.Array)
		if !isArr {
			return Result{}, v3Err("INVALIDPAGINATIONEXCEPTION", "Unable to recognize the cursor `%s`", jsonText(cv))
		}
		if x, ok := ca.Get("field"); ok {
			field, _ = scalar(x)
		}
		if x, ok := ca.Get("order"); ok {
			dir, _ = scalar(x)
			dir = strings.ToUpper(dir)
		}
		if x, ok := ca.Get("value"); ok {
			value, _ = scalar(x)
		}
		if x, ok := ca.Get("limit"); ok {
			s, _ := scalar(x)
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 || n > 1000 {
				return Result{}, v3Err("INVALIDPAGINATIONEXCEPTION", "Unable to recognize the cursor `%s`", jsonText(cv))
			}
			limit = n
		}
	}
	sf, known := v3Fields[field]
	if !known || dir != "ASC" && dir != "DESC" {
		return Result{}, v3Err("INVALIDPAGINATIONEXCEPTION", "Unable to recognize the cursor field `%s`", field)
	}
	for _, cond := range f.Conds {
		if cond.Field == sf {
			return Result{}, v3Err("INVALIDFILTEREXCEPTION", "Field `%s` of the cursor must not be used in the filter", field)
		}
	}
	op := store.OpGt
	if dir == "DESC" {
		op = store.OpLt
	}
	if value != "" && !(dir == "DESC" && value == "0") {
		f.Conds = append(f.Conds, store.Cond{Field: sf, Op: op, Values: []string{value}, Key: "cursor value " + jsonText(value)})
	}
	names, e := h.select3(c)
	if e != nil {
		return Result{}, e
	}
	q := store.Query{Filter: f, Order: []store.Order{{Field: sf, Desc: dir == "DESC"}}, Limit: limit}
	return h.items3(c, q, names)
}

func (h *tasks) id3(c *Call) (int64, *Error) {
	v, ok := c.Params.Get("id")
	if !ok {
		return 0, validationErr("id", "Required field `id` is not specified")
	}
	id := intval(v)
	if id <= 0 {
		return 0, validationErr("id", "Field `id` requires data type `int` for this request")
	}
	return id, nil
}

func notFound3(id int64) *Error {
	return v3Err("ENTITYNOTFOUNDEXCEPTION", "Record with ID = `%d` not found", id)
}

func (h *tasks) get3(c *Call) (Result, *Error) {
	id, e := h.id3(c)
	if e != nil {
		return Result{}, e
	}
	names, e := h.select3(c)
	if e != nil {
		return Result{}, e
	}
	r, err := h.st.Get(store.Task, id)
	if err != nil {
		return Result{}, notFound3(id)
	}
	c.Returned(1)
	return Value(wrapItem(h.item3(r, names))), nil
}

// fields3 converts v3 fields to store inputs, validating types.
func (h *tasks) fields3(c *Call) ([]store.Input, *Error) {
	v, ok := c.Params.Get("fields")
	a, isArr := v.(*php.Array)
	if !ok || !isArr {
		return nil, validationErr("fields", "Required field `fields` is not specified")
	}
	var in []store.Input
	for k, x := range a.All() {
		field, known := v3Fields[k]
		if !known || field == "ID" {
			continue
		}
		if lst, isArr := x.(*php.Array); isArr {
			if vals := texts(lst); len(vals) > 0 {
				in = append(in, store.Input{Name: field, Value: store.Str(vals[0])})
			}
			continue
		}
		s, _ := scalar(x)
		fd, _ := h.sc.Field(field)
		switch fd.Kind {
		case store.KindDateTime:
			if x != nil {
				if _, ok := store.ParseTime(s, h.st.Location()); !ok {
					return nil, validationErr(k, "Field `"+k+"` requires data type `DateTime` for this request")
				}
			}
		case store.KindInt:
			if _, isNum := x.(json.Number); !isNum && x != nil && field != "STATUS" && field != "PRIORITY" {
				if _, err := strconv.Atoi(s); err != nil {
					return nil, validationErr(k, "Field `"+k+"` requires data type `int` for this request")
				}
			}
		}
		if b, isBool := x.(bool); isBool && fd.Kind == store.KindChar {
			s = map[bool]string{true: "Y", false: "N"}[b]
		}
		if x == nil {
			in = append(in, store.Input{Name: field, Value: store.Null()})
			continue
		}
		in = append(in, store.Input{Name: field, Value: store.Str(to3Stored(field, s))})
	}
	return in, nil
}

func (h *tasks) add3(c *Call) (Result, *Error) {
	in, e := h.fields3(c)
	if e != nil {
		return Result{}, e
	}
	if !hasText(in, "TITLE") {
		return Result{}, validationErr("title", "Required field `title` is not specified")
	}
	id, err := h.st.AddBy(store.Task, in, c.UserID)
	if err != nil {
		return Result{}, v3Err("VALIDATION_REQUESTVALIDATIONEXCEPTION", "%v", err)
	}
	c.Wrote("task", int(id))
	r, _ := h.st.Get(store.Task, id)
	c.Returned(1)
	return Value(wrapItem(h.item3(r, nil))), nil
}

func boolResult() *php.Array {
	res := php.NewArray()
	res.Set("result", true)
	return res
}

func (h *tasks) update3(c *Call) (Result, *Error) {
	id, e := h.id3(c)
	if e != nil {
		return Result{}, e
	}
	in, e := h.fields3(c)
	if e != nil {
		return Result{}, e
	}
	if h.st.UpdateBy(store.Task, id, in, c.UserID) != nil {
		return Result{}, notFound3(id)
	}
	c.Wrote("task", int(id))
	return Value(boolResult()), nil
}

func (h *tasks) delete3(c *Call) (Result, *Error) {
	id, e := h.id3(c)
	if e != nil {
		return Result{}, e
	}
	if h.st.Delete(store.Task, id) != nil {
		return Result{}, notFound3(id)
	}
	c.Wrote("task", int(id))
	return Value(boolResult()), nil
}
