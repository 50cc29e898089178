package main

import (
	"errors"
	"strings"
	"testing"
)

// TestBuildFilter checks the --filter grammar on REST v2 and its
// translation to REST 3.0's conditions.
func TestBuildFilter(t *testing.T) {
	tests := []struct {
		args   []string
		v2, v3 string // JSON of the filter; "error" when refused
	}{
		{[]string{"ID=3"}, `{"ID":"3"}`, `[["ID","=",3]]`},
		{[]string{"<=ID=3"}, `{"<=ID":"3"}`, `[["ID","<=",3]]`},
		{[]string{">=ID=3"}, `{">=ID":"3"}`, `[["ID",">=",3]]`},
		{[]string{"<ID=3", ">ID=1"}, `{"<ID":"3",">ID":"1"}`, `[["ID","<",3],["ID",">",1]]`},
		{[]string{"=STAGE_ID=WON"}, `{"=STAGE_ID":"WON"}`, `[["STAGE_ID","=","WON"]]`},
		{[]string{"!STAGE_ID=WON"}, `{"!STAGE_ID":"WON"}`, `[["STAGE_ID","!=","WON"]]`},
		{[]string{"!=STAGE_ID=WON"}, `{"!=STAGE_ID":"WON"}`, `[["STAGE_ID","!=","WON"]]`},
		{[]string{"TITLE=a=b"}, `{"TITLE":"a=b"}`, `[["TITLE","=","a=b"]]`},
		{[]string{"TITLE="}, `{"TITLE":""}`, `[["TITLE","=",""]]`},
		{[]string{"TITLE=007"}, `{"TITLE":"007"}`, `[["TITLE","=","007"]]`},
		{[]string{"@ID=1, 2,3"}, `{"@ID":["1","2","3"]}`, `[["ID","in",[1,2,3]]]`},
		{[]string{"!@ID=1,2"}, `{"!@ID":["1","2"]}`, "error"},
		{[]string{"><ID=1,10"}, `{"><ID":["1","10"]}`, `[["ID","between",[1,10]]]`},
		{[]string{"!><ID=1,10"}, `{"!><ID":["1","10"]}`, "error"},
		{[]string{"><ID=1"}, "error", "error"},
		{[]string{"><ID=1,2,3"}, "error", "error"},
		{[]string{"@ID="}, "error", "error"},
		{[]string{"%TITLE=deal"}, `{"%TITLE":"deal"}`, "error"},
		{[]string{"=%TITLE=de%"}, `{"=%TITLE":"de%"}`, "error"},
		{[]string{"%=TITLE=de%"}, `{"%=TITLE":"de%"}`, "error"},
		{[]string{"!%TITLE=x"}, `{"!%TITLE":"x"}`, "error"},
		{[]string{"!=%TITLE=x"}, `{"!=%TITLE":"x"}`, "error"},
		{[]string{"!%=TITLE=x"}, `{"!%=TITLE":"x"}`, "error"},
		{[]string{"<>ID=3"}, "error", "error"},
		{[]string{"=<ID=3"}, "error", "error"},
		{[]string{"<=ID"}, "error", "error"},
		{[]string{"<==3"}, "error", "error"},
		{[]string{"=3"}, "error", "error"},
		{[]string{"I.D=3"}, "error", "error"},
		{[]string{"ID"}, "error", "error"},
		{[]string{`{"<=ID": 3, "STAGE_ID": "WON"}`}, `{"<=ID":3,"STAGE_ID":"WON"}`, `[["ID","<=",3],["STAGE_ID","=","WON"]]`},
		{[]string{`{"@ID": [1, 2]}`}, `{"@ID":[1,2]}`, `[["ID","in",[1,2]]]`},
		{[]string{`{"@ID": 1}`}, `{"@ID":1}`, "error"},
		{[]string{`{"TITLE": "5"}`}, `{"TITLE":"5"}`, `[["TITLE","=","5"]]`},
		{[]string{`{"%TITLE": "x"}`}, `{"%TITLE":"x"}`, "error"},
		{[]string{`[["id", ">", 5]]`}, "error", `[["id",">",5]]`},
		{[]string{`{"x": `}, "error", "error"},
		{[]string{`[1`}, "error", "error"},
		{nil, `null`, `null`},
	}
	for _, tt := range tests {
		for _, v := range []struct {
			v3   bool
			want string
		}{{false, tt.v2}, {true, tt.v3}} {
			f, err := buildFilter(tt.args, v.v3)
			if v.want == "error" {
				if !errors.Is(err, errFilter) {
					t.Errorf("buildFilter(%q, v3 %v) = %v, %v; want an errFilter refusal", tt.args, v.v3, f, err)
				}
				continue
			}
			if err != nil {
				t.Errorf("buildFilter(%q, v3 %v): %v", tt.args, v.v3, err)
				continue
			}
			b, _ := marshalJSON(f, "")
			if string(b) != v.want {
				t.Errorf("buildFilter(%q, v3 %v) = %s, want %s", tt.args, v.v3, b, v.want)
			}
		}
	}
}

// TestListFilterOperators runs --filter '<=ID=3' against the fake portal:
// three rows, not every row (the old parser split at the first "=").
func TestListFilterOperators(t *testing.T) {
	p := newPortal(t)
	ids := dealIDs(t, p)
	count := func(keep func(id int) bool) int {
		n := 0
		for _, id := range ids {
			if keep(id) {
				n++
			}
		}
		return n
	}
	third, last := ids[2], ids[len(ids)-1]
	for _, tt := range []struct {
		filter string
		rows   int
	}{
		{"<=ID=" + itoa(third), 3},
		{">=ID=" + itoa(last), 1},
		{"@ID=" + itoa(ids[0]) + "," + itoa(third) + "," + itoa(last), 3},
		{"!@ID=" + itoa(ids[0]) + "," + itoa(last), len(ids) - 2},
		{"<ID=" + itoa(third), count(func(id int) bool { return id < third })},
	} {
		r := p.run(t, "", "list", "crm.deal.list", "--select", "ID", "--filter", tt.filter, "--quiet")
		if n := strings.Count(r.stdout, "\n"); r.code != exitOK || n != tt.rows {
			t.Errorf("--filter %s: exit %d, %d rows, want %d (%s)", tt.filter, r.code, n, tt.rows, r.stderr)
		}
	}
	r := p.run(t, "", "list", "tasks.task.list", "--api", "v3", "--select", "id", "--filter", "<=id=3", "--filter", "!=id=2", "--quiet")
	if n := strings.Count(r.stdout, "\n"); r.code != exitOK || n != 2 {
		t.Errorf("v3 <=id=3 and !=id=2: exit %d, %d rows, want 2 (%s)", r.code, n, r.stderr)
	}
	r = p.run(t, "", "list", "tasks.task.list", "--api", "v3", "--filter", "%TITLE=x", "--quiet")
	if r.code != exitUsage || !strings.Contains(r.stderr, "REST 3.0 has no operator %") {
		t.Errorf("v3 LIKE: exit %d, stderr %q", r.code, r.stderr)
	}
}

// FuzzParseFilterArg checks that any --filter argument is refused or
// parses into a known operator, a field of [A-Za-z0-9_] and the argument's
// value, and that its v2 key put back together gives the argument.
func FuzzParseFilterArg(f *testing.F) {
	for _, s := range []string{"ID=3", "<=ID=3", "!><ID=1,2", "@ID=1,2", "=%TITLE=a%", "!=%X=", "<>ID=1", "==", "ID", "a=b=c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, arg string) {
		c, err := parseFilterArg(arg)
		if err != nil {
			if !errors.Is(err, errFilter) {
				t.Fatalf("parseFilterArg(%q): %v is not an errFilter", arg, err)
			}
			return
		}
		if c.Op != "" && !filterOps[c.Op] {
			t.Fatalf("parseFilterArg(%q): operator %q", arg, c.Op)
		}
		if c.Field == "" {
			t.Fatalf("parseFilterArg(%q): no field", arg)
		}
		for i := 0; i < len(c.Field); i++ {
			if !isFieldByte(c.Field[i]) {
				t.Fatalf("parseFilterArg(%q): field %q", arg, c.Field)
			}
		}
		key := c.Op + c.Field
		if !strings.HasPrefix(arg, key+"=") {
			t.Fatalf("parseFilterArg(%q) = %+v: key %q is not the argument's", arg, c, key)
		}
		raw := arg[len(key)+1:]
		switch v := c.Value.(type) {
		case string:
			if v != raw {
				t.Fatalf("parseFilterArg(%q): value %q, want %q", arg, v, raw)
			}
		case []string:
			if (c.Op == "><" || c.Op == "!><") && len(v) != 2 || len(v) == 0 {
				t.Fatalf("parseFilterArg(%q): %d values", arg, len(v))
			}
		default:
			t.Fatalf("parseFilterArg(%q): value %T", arg, v)
		}
		if _, err := c.v3Cond(); err != nil && !errors.Is(err, errFilter) {
			t.Fatalf("v3Cond of %q: %v", arg, err)
		}
	})
}

// TestCallFilterBrackets runs b24 call with 'filter[<=ID]=3': split at the
// first "=" outside brackets, three rows, not every row.
func TestCallFilterBrackets(t *testing.T) {
	p := newPortal(t)
	third := dealIDs(t, p)[2]
	r := p.run(t, "", "call", "crm.deal.list", "filter[<="+"ID]="+itoa(third), "select[]=ID", "--compact")
	if r.code != exitOK || strings.Count(r.stdout, `"ID"`) != 3 {
		t.Errorf("exit %d, stdout %q, stderr %q; want 3 rows", r.code, r.stdout, r.stderr)
	}
}
