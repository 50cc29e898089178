package b24test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

// vectorsDir holds real response bodies, shared with the root package's
// tests (testdata/vectors/README.md gives each one's source and status).
const vectorsDir = "../testdata/vectors"

// exemptVectors are bodies a webhook never receives: only OAuth
// applications or the OAuth server produce them.
var exemptVectors = map[string]string{
	"app.info.oauth.json":                 "app.info in an OAuth application's context",
	"app.info.error.json":                 "app.info without an application context (a webhook always has one)",
	"error.expired_token.json":            "OAuth access tokens only",
	"error.invalid_token.json":            "OAuth access tokens only",
	"error.insufficient_scope.oauth.json": "the OAuth wording of insufficient_scope",
	"error.wrong_client.json":             "the OAuth server on token refresh",
	"error.METHOD_CONFIRM_WAITING.json":   "method confirmation of OAuth applications",
}

// vectorCase is how to make the fake answer the call behind a vector.
type vectorCase struct {
	api    APIVersions
	method string
	body   string // JSON
	opts   []Option
	setup  func(t *testing.T, s *Server)
	// base overrides the webhook base URL.
	base func(s *Server) string
	// status is the HTTP status the vector's source gives (0: 200).
	status int
	// pick selects the part of the fake's answer that the vector shows
	// (for error bodies that live inside a batch).
	pick func(v any) any
	// fragment: the vector is trimmed (a documentation excerpt); the fake
	// may have more keys, but every key of the vector must be there.
	fragment bool
	// selectFrom: the vector's call selected exactly the fields of the
	// first row at this path; the fake is called with the same select.
	selectFrom []string
	// selectUpper: the select names are UPPER_SNAKE (tasks.task.* v2).
	selectUpper bool
	// related: fields of selectFrom that are related objects, selected
	// with dotted names (v3 "responsible.name").
	related []string
	// bodyFn builds the body from the server's data (after setup).
	bodyFn func(t *testing.T, s *Server) string
	// loose lists paths (as shapeDiff writes them) whose key sets may
	// differ, with the reason; the values of common keys still compare.
	loose map[string]string
	// known lists differences not fixed yet, exactly as shapeDiff writes
	// them: the test fails when they change (fixed ones must be removed).
	known []string
	// like: the fake does not emulate this condition; the vector is
	// compared with another answer of the same kind (noted here).
	like string
}

func vectorCases() map[string]vectorCase {
	genericV2 := vectorCase{api: V2, method: "profile", base: wrongSecret, status: 401}
	like := func(c vectorCase, why string) vectorCase { c.like = why; return c }
	batchErr := func(key string) func(v any) any {
		return func(v any) any { return path(v, "result", "result_error", key) }
	}
	fiftyOne := `{"cmd":[` + strings.TrimSuffix(strings.Repeat(`"profile",`, 51), ",") + `]}`
	return map[string]vectorCase{
		"batch.error-halt1.json": {api: V2, method: "batch", body: `{"halt":1,"cmd":{"get_user":"user.current","x":"profile"}}`,
			opts: []Option{WithScopes("crm")}},
		"batch.error-operation-time-limit.json": {api: V2, method: "batch", fragment: true,
			body: `{"halt":0,"cmd":{"592dcd1e-cd14-410f-bab5-76b3ede717dd":"test.heavy"}}`,
			opts: []Option{WithLimits(Limits{BatchPerCommand: true, OperatingLimit: 10 * time.Second})},
			setup: func(t *testing.T, s *Server) {
				v2(t, s, "batch", `{"cmd":["test.heavy"]}`) // 20 s spent: over the limit
			}},
		"batch.json": {api: V2, method: "batch", body: `{"halt":0,"cmd":{"get_user":"user.current","get_department":"department.get?ID=1"}}`,
			loose: map[string]string{".result.result.get_user": "the batch example and user.current.json disagree (TIMESTAMP_X vs WORK_POSITION); the fake follows user.current.json"}},
		"batch.minimal.json": {api: V2, method: "batch", body: `{"cmd":{"get_user":"user.current"}}`, fragment: true},

		"crm.company.delete.json":    {api: V2, method: "crm.company.delete", body: `{"id":3}`},
		"crm.company.get.error.json": {api: V2, method: "crm.company.get", body: `{"id":999999999}`, status: 400},
		"crm.contact.add.json":       {api: V2, method: "crm.contact.add", body: `{"fields":{"NAME":"A","PHONE":[{"VALUE":"+1 555","VALUE_TYPE":"WORK"}]}}`},
		"crm.contact.delete.json":    {api: V2, method: "crm.contact.delete", body: `{"id":3}`},
		"crm.contact.fields.json":    {api: V2, method: "crm.contact.fields"},
		"crm.contact.get.error.json": {api: V2, method: "crm.contact.get", body: `{"id":"x"}`, status: 400},
		"crm.contact.get.json":       {api: V2, method: "crm.contact.get", bodyFn: contactWithEmail},
		"crm.contact.list.json":      {api: V2, method: "crm.contact.list", body: `{"filter":{"HAS_EMAIL":"Y","HAS_PHONE":"Y"}}`, selectFrom: []string{"result", "0"}},
		"crm.contact.update.json":    {api: V2, method: "crm.contact.update", body: `{"id":1,"fields":{"NAME":"B"}}`},
		"crm.deal.add.json":          {api: V2, method: "crm.deal.add", body: `{"fields":{"TITLE":"T"}}`},
		"crm.deal.delete.error.json": {api: V2, method: "crm.deal.delete", body: `{}`, status: 400},
		"crm.deal.delete.json":       {api: V2, method: "crm.deal.delete", body: `{"id":2}`},
		"crm.deal.fields.json":       {api: V2, method: "crm.deal.fields"},
		"crm.deal.get.error.json":    {api: V2, method: "crm.deal.update", body: `{"id":1,"fields":"x"}`, status: 400},
		"crm.deal.get.json":          {api: V2, method: "crm.deal.get", body: `{"id":1}`},
		"crm.deal.list.error.json":   {api: V2, method: "crm.deal.list", body: `{"filter":"x"}`, status: 400},
		"crm.deal.list.json":         {api: V2, method: "crm.deal.list", body: `{}`, selectFrom: []string{"result", "0"}},
		"crm.deal.update.json":       {api: V2, method: "crm.deal.update", body: `{"id":1,"fields":{"TITLE":"U"}}`},
		"crm.item.add.error.json":    {api: V2, method: "crm.item.add", body: `{"entityTypeId":999,"fields":{"title":"x"}}`, status: 400},
		"crm.item.add.json":          {api: V2, method: "crm.item.add", body: `{"entityTypeId":2,"fields":{"title":"x"}}`},
		"crm.item.delete.error.json": {api: V2, method: "crm.item.delete", body: `{"entityTypeId":2,"id":999999999}`, status: 400},
		"crm.item.delete.json":       {api: V2, method: "crm.item.delete", body: `{"entityTypeId":2,"id":4}`},
		"crm.item.fields.json": {api: V2, method: "crm.item.fields", body: `{"entityTypeId":2}`,
			loose: map[string]string{".result.fields": "the example describes another entity type (it has mycompanyId, observers, webformId); the fake serves types 1-4"}},
		"crm.item.get.error.json":                   {api: V2, method: "crm.item.get", body: `{"entityTypeId":1,"id":999999999}`, status: 400},
		"crm.item.get.json":                         {api: V2, method: "crm.item.get", body: `{"entityTypeId":1,"id":1}`},
		"crm.item.list.error.json":                  {api: V2, method: "crm.item.list", body: `{"entityTypeId":1,"filter":{"FIELD":1}}`, status: 400},
		"crm.item.list.json":                        {api: V2, method: "crm.item.list", body: `{"entityTypeId":1}`, selectFrom: []string{"result", "items", "0"}},
		"crm.item.update.json":                      {api: V2, method: "crm.item.update", body: `{"entityTypeId":2,"id":1,"fields":{"title":"y"}}`},
		"error.ACCESS_DENIED.commercial.json":       like(genericV2, "the fake's plan always has REST"),
		"error.ERROR_BATCH_LENGTH_EXCEEDED.json":    {api: V2, method: "batch", body: fiftyOne, pick: batchErr("50")},
		"error.ERROR_BATCH_METHOD_NOT_ALLOWED.json": {api: V2, method: "batch", body: `{"cmd":{"b":"batch"}}`, pick: batchErr("b")},
		"error.ERROR_METHOD_NOT_FOUND.json":         {api: V2, method: "no.such.method", status: 404},
		"error.ERROR_UNEXPECTED_ANSWER.json":        like(genericV2, "the fake has no failing back end"),
		"error.INVALID_CREDENTIALS.json":            genericV2,
		"error.INVALID_REQUEST.https.json":          like(genericV2, "the fake serves HTTPS only"),
		"error.NO_AUTH_FOUND.json":                  {api: V2, method: "profile", base: noAuth, status: 401},
		"error.OPERATION_TIME_LIMIT.json": {api: V2, method: "test.heavy", status: 429,
			opts:  []Option{WithLatency(DefaultLatency()), WithTimeScale(100), WithLimits(Limits{OperatingLimit: 10 * time.Second})},
			setup: func(t *testing.T, s *Server) { v2(t, s, "test.heavy", "") }},
		"error.OVERLOAD_LIMIT.json": {api: V2, method: "profile", status: 503,
			setup: func(t *testing.T, s *Server) { s.FailNext("profile", 1, FaultOverload) }},
		"error.PAYMENT_REQUIRED.json": like(genericV2, "the fake's subscription never ends"),
		"error.QUERY_LIMIT_EXCEEDED.json": {api: V2, method: "profile", status: 503,
			opts:  []Option{WithLimits(Limits{Burst: 1})},
			setup: func(t *testing.T, s *Server) { v2(t, s, "profile", "") }},
		"error.WRONG_AUTH_TYPE.json":            {api: V2, method: "event.bind", status: 403},
		"error.insufficient_scope.webhook.json": {api: V2, method: "user.current", opts: []Option{WithScopes("crm")}, status: 401},
		"profile.json":                          {api: V2, method: "profile"},
		"scope.json":                            {api: V2, method: "scope"},
		"server.time.json":                      {api: V2, method: "server.time"},
		"success.with-operating.json":           {api: V2, method: "crm.deal.add", body: `{"fields":{"TITLE":"T"}}`},
		"tasks.task.add.json":                   {api: V2, method: "tasks.task.add", body: `{"fields":{"TITLE":"T","RESPONSIBLE_ID":1}}`},
		"tasks.task.get.json":                   {api: V2, method: "tasks.task.get", body: `{"taskId":1}`, selectFrom: []string{"result", "task"}, selectUpper: true},
		"tasks.task.list.error.json":            {api: V2, method: "tasks.task.list", body: `{"order":{"NOPE":"asc"}}`, status: 400},
		"tasks.task.list.json":                  {api: V2, method: "tasks.task.list", body: `{}`, selectFrom: []string{"result", "tasks", "0"}},
		"time.full.json":                        {api: V2, method: "profile", fragment: true},
		"user.current.json":                     {api: V2, method: "user.current"},
		"user.current.minimal.json":             {api: V2, method: "user.current", fragment: true},
		"v3.batch.json":                         {api: V3, method: "batch", body: `[{"method":"tasks.task.get","query":{"id":1}},{"method":"tasks.task.get","query":{"id":1}}]`, fragment: true},
		"v3.envelope.bool.json":                 {api: V3, method: "tasks.task.delete", body: `{"id":3}`, fragment: true},
		"v3.envelope.item.json":                 {api: V3, method: "tasks.task.get", body: `{"id":1,"select":["id","title"]}`},
		"v3.envelope.items.json":                {api: V3, method: "tasks.task.list", body: `{"select":["id"]}`, fragment: true},
		"v3.error.unknown-dto-property.json":    {api: V3, method: "tasks.task.get", body: `{"id":1,"select":["responsible.stageId"]}`, status: 400},
		"v3.error.validation.json":              {api: V3, method: "tasks.task.get", body: `{}`, status: 400},
		"v3.rest.documentation.openapi.json":    {api: V3, method: "documentation", fragment: true},
		"v3.tasks.task.add.error.json":          {api: V3, method: "tasks.task.add", body: `{"fields":{"title":"T","deadline":"soon"}}`, status: 400},
		"v3.tasks.task.add.json":                {api: V3, method: "tasks.task.add", body: `{"fields":{"title":"T","responsibleId":1}}`},
		"v3.tasks.task.delete.error.json":       {api: V3, method: "tasks.task.delete", body: `{"id":999999}`, status: 400, like: "the fake has no access rights: a not-found error of the same shape"},
		"v3.tasks.task.delete.json":             {api: V3, method: "tasks.task.delete", body: `{"id":4}`},
		"v3.tasks.task.get.error.json":          {api: V3, method: "tasks.task.get", body: `{"id":999999}`, status: 400},
		"v3.tasks.task.get.json":                {api: V3, method: "tasks.task.get", body: `{"id":1}`, selectFrom: []string{"result", "item"}, related: []string{"responsible"}, fragment: true},
		"v3.tasks.task.list.error.json":         {api: V3, method: "tasks.task.list", body: `{"pagination":{"limit":"abc"}}`, status: 400},
		"v3.tasks.task.list.json":               {api: V3, method: "tasks.task.list", body: `{}`, selectFrom: []string{"result", "items", "0"}},
		"v3.tasks.task.update.json":             {api: V3, method: "tasks.task.update", body: `{"id":1,"fields":{"title":"U"}}`},
	}
}

// contactWithEmail returns the body of a crm.contact.get of a contact that
// has a phone and an e-mail (multifields are sent only when not empty).
func contactWithEmail(t *testing.T, s *Server) string {
	r := v2(t, s, "crm.contact.list", `{"filter":{"HAS_EMAIL":"Y","HAS_PHONE":"Y"},"select":["ID"]}`)
	id, _ := path(r.body, "result", "0", "ID").(string)
	if id == "" {
		t.Fatalf("no contact with an e-mail: %s", r.raw)
	}
	return `{"id":` + id + `}`
}

func wrongSecret(s *Server) string { return s.URL() + "/rest/1/wrongsecret0000/" }
func noAuth(s *Server) string      { return s.URL() + "/rest/" }

// TestVectorShapes: for every vector a webhook can receive, the
// fake's answer to the same call has the same shape: the same keys and the
// same JSON types, recursively (null matches any type; an empty PHP array
// matches [] or {}; lists compare their first elements).
func TestVectorShapes(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(vectorsDir, "*.json"))
	if err != nil || len(files) < 50 {
		t.Fatalf("vectors missing at %s (%d files, %v)", vectorsDir, len(files), err)
	}
	cases := vectorCases()
	for _, f := range files {
		name := filepath.Base(f)
		if _, ok := exemptVectors[name]; ok {
			continue
		}
		c, ok := cases[name]
		if !ok {
			t.Errorf("%s: no case: say how the fake answers it, or why it is exempt", name)
			continue
		}
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			want := decodeAny(t, raw)
			if c.selectFrom != nil {
				row, _ := path(want, c.selectFrom...).(map[string]any)
				var sel []string
				for k, v := range row {
					if sub, ok := v.(map[string]any); ok && slices.Contains(c.related, k) {
						for nk := range sub {
							sel = append(sel, k+"."+nk)
						}
						continue
					}
					if c.selectUpper {
						k = upperSnake(k)
					}
					sel = append(sel, k)
				}
				sort.Strings(sel)
				body := map[string]any{}
				json.Unmarshal([]byte(c.body), &body)
				body["select"] = sel
				b, _ := json.Marshal(body)
				c.body = string(b)
			}
			s := NewServer(t, append([]Option{WithFamily(testFamily), WithLatency(Latency{})}, c.opts...)...)
			if c.setup != nil {
				c.setup(t, s)
			}
			if c.bodyFn != nil {
				c.body = c.bodyFn(t, s)
			}
			var r resp
			switch {
			case c.base != nil:
				r = do(t, s, "POST", c.base(s)+c.method, "application/json", c.body)
			case c.api == V3:
				r = v3(t, s, c.method, c.body)
			default:
				r = v2(t, s, c.method, c.body)
			}
			wantStatus := c.status
			if wantStatus == 0 {
				wantStatus = 200
			}
			if r.status != wantStatus {
				t.Fatalf("status %d, want %d: %s", r.status, wantStatus, r.raw)
			}
			got := decodeAny(t, r.raw)
			if c.pick != nil {
				got = c.pick(got)
			}
			diffs := shapeDiff("", want, got, c.fragment, c.loose)
			sort.Strings(diffs)
			if c.known != nil {
				known := append([]string(nil), c.known...)
				sort.Strings(known)
				if strings.Join(diffs, "\n") != strings.Join(known, "\n") {
					t.Errorf("known differences changed:\n  got:  %q\n  want: %q", diffs, known)
				}
				return
			}
			if len(diffs) > 0 {
				t.Errorf("shape differs from the vector (%d):\n  %s\nfake: %.600s", len(diffs), strings.Join(diffs, "\n  "), r.raw)
			}
		})
	}
}

func decodeAny(t *testing.T, raw []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode: %v", err)
	}
	return v
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "bool"
	case json.Number:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

func isEmptyPHPArray(v any) bool {
	switch x := v.(type) {
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	}
	return false
}

// shapeDiff lists the differences of shape between want (the vector) and
// got (the fake).
func shapeDiff(at string, want, got any, fragment bool, loose map[string]string) []string {
	if want == nil || got == nil {
		return nil
	}
	if isEmptyPHPArray(want) && (isEmptyPHPArray(got) || jsonKind(got) == "array" || jsonKind(got) == "object") {
		return nil
	}
	if isEmptyPHPArray(got) && (jsonKind(want) == "array" || jsonKind(want) == "object") {
		return nil
	}
	wt, gt := jsonKind(want), jsonKind(got)
	if wt != gt {
		return []string{fmt.Sprintf("%s: %s in the vector, %s in the fake", orRoot(at), wt, gt)}
	}
	var diffs []string
	switch w := want.(type) {
	case map[string]any:
		g := got.(map[string]any)
		if idKeyed(w) && idKeyed(g) {
			// A map keyed by record ids (auditorsData, tags): the ids are
			// data, the shape is that of its values.
			return shapeDiff(at+"[id]", w[minKey(w)], g[minKey(g)], fragment, loose)
		}
		for k, wv := range w {
			gv, ok := g[k]
			if _, l := loose[orRoot(at)]; !ok && (portalField(k) || l) {
				continue
			}
			if !ok {
				diffs = append(diffs, fmt.Sprintf("%s: key %q missing in the fake", orRoot(at), k))
				continue
			}
			diffs = append(diffs, shapeDiff(at+"."+k, wv, gv, fragment, loose)...)
		}
		if _, l := loose[orRoot(at)]; !fragment && !l {
			for k := range g {
				if _, ok := w[k]; !ok && !optionalKey(k) && !portalField(k) {
					diffs = append(diffs, fmt.Sprintf("%s: extra key %q in the fake", orRoot(at), k))
				}
			}
		}
	case []any:
		g := got.([]any)
		if len(w) > 0 && len(g) > 0 {
			diffs = append(diffs, shapeDiff(at+"[0]", w[0], g[0], fragment, loose)...)
		}
	}
	return diffs
}

// idKeyed reports whether m is a non-empty map whose keys are all numeric ids.
func idKeyed(m map[string]any) bool {
	for k := range m {
		if k == "" || strings.TrimLeft(k, "0123456789") != "" {
			return false
		}
	}
	return len(m) > 0
}

// minKey returns the smallest key of m, for a deterministic pick.
func minKey(m map[string]any) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys[0]
}

// optionalKey: keys the fake may send where a vector lacks them, because
// the protocol says they are optional (operating fields of the time block,
// sent by portals with the load limiter on).
// "next" is sent only when more rows exist (the documentation's examples
// are short lists).
func optionalKey(k string) bool {
	return k == "operating" || k == "operating_reset_at" || k == "next"
}

// upperSnake turns "responsibleId" into "RESPONSIBLE_ID".
func upperSnake(s string) string {
	var b strings.Builder
	for i, r := range s {
		if r >= 'A' && r <= 'Z' && i > 0 {
			b.WriteByte('_')
		}
		b.WriteRune(r)
	}
	return strings.ToUpper(b.String())
}

// portalField: custom fields and relation fields named after one portal's
// own ids (UF_CRM_1721244482250, PARENT_ID_1220, ufCrm_…, parentId1248):
// every portal has its own.
func portalField(k string) bool {
	for _, p := range []string{"UF_CRM_", "PARENT_ID_", "ufCrm", "parentId"} {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	return false
}

func orRoot(at string) string {
	if at == "" {
		return "(root)"
	}
	return at
}
