package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// A --filter key=value argument (docs/cli.md, "Filters"):
//
//	[OP]FIELD=VALUE
//
// OP is the longest of the portal's key prefixes below (none: equality),
// FIELD is [A-Za-z0-9_]+, and VALUE is the rest, "=" included. @ and !@
// take a comma list, >< and !>< two values ("1,10").

// filterOps are the REST v2 filter's key prefixes (docs/cli.md).
var filterOps = map[string]bool{
	"=": true, "!": true, "!=": true, "<": true, "<=": true, ">": true, ">=": true,
	"><": true, "!><": true, "%": true, "=%": true, "%=": true, "!%": true,
	"!=%": true, "!%=": true, "@": true, "!@": true,
}

// v3Ops maps the v2 prefixes REST 3.0 has to its operators; the others
// (!@, !><, the LIKE family) have none.
var v3Ops = map[string]string{
	"": "=", "=": "=", "!": "!=", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">=",
	"@": "in", "><": "between",
}

// errFilter is the class of --filter refusals (a usage error, exit 2).
var errFilter = errors.New("bad filter")

func filterErrorf(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...), err: errFilter}
}

// filterCond is one parsed --filter key=value.
type filterCond struct {
	Op    string // a key of filterOps, or "" (equality)
	Field string
	Value any  // a string; []string for @, !@, >< and !><
	JSON  bool // Value is a JSON value, typed as given
}

func isOpByte(b byte) bool { return strings.IndexByte("=!<>%@", b) >= 0 }

func isFieldByte(b byte) bool {
	return b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '_'
}

// splitFilterKey splits a filter key ("<=ID") into its operator and field;
// the field must be [A-Za-z0-9_]+.
func splitFilterKey(key string) (op, field string, err error) {
	i := 0
	for i < len(key) && isOpByte(key[i]) {
		i++
	}
	op, field = key[:i], key[i:]
	if op != "" && !filterOps[op] {
		return "", "", filterErrorf("unknown filter operator %q (known: = ! != < <= > >= >< !>< %% =%% %%= !%% !=%% !%%= @ !@)", op)
	}
	if field == "" {
		return "", "", filterErrorf("no field after the operator %q", op)
	}
	for j := 0; j < len(field); j++ {
		if !isFieldByte(field[j]) {
			return "", "", filterErrorf("field %q: only letters, digits and _ (give other filters as JSON)", field)
		}
	}
	return op, field, nil
}

// parseFilterArg parses one --filter key=value argument.
func parseFilterArg(s string) (filterCond, error) {
	i := 0
	for i < len(s) && isOpByte(s[i]) {
		i++
	}
	j := strings.IndexByte(s[i:], '=')
	if j < 0 {
		return filterCond{}, filterErrorf("--filter %q is neither JSON nor key=value", s)
	}
	op, field, err := splitFilterKey(s[:i+j])
	if err != nil {
		return filterCond{}, filterErrorf("--filter %q: %v", s, err)
	}
	c := filterCond{Op: op, Field: field, Value: s[i+j+1:]}
	switch op {
	case "@", "!@":
		c.Value = splitList(s[i+j+1:])
		if len(c.Value.([]string)) == 0 {
			return c, filterErrorf("--filter %q: %s takes a comma list of values", s, op)
		}
	case "><", "!><":
		parts := strings.Split(s[i+j+1:], ",")
		if len(parts) != 2 {
			return c, filterErrorf("--filter %q: %s takes two values (%sFIELD=FROM,TO)", s, op, op)
		}
		c.Value = []string{strings.TrimSpace(parts[0]), strings.TrimSpace(parts[1])}
	}
	return c, nil
}

// v3Cond returns c as a REST 3.0 condition [field, op, value]: integers
// become numbers; an operator REST 3.0 lacks is refused.
func (c filterCond) v3Cond() ([]any, error) {
	op, ok := v3Ops[c.Op]
	if !ok {
		return nil, filterErrorf("--filter %s%s: REST 3.0 has no operator %s (it has =, !=, <, <=, >, >=, @ as in and >< as between)", c.Op, c.Field, c.Op)
	}
	if c.JSON {
		l, isList := c.Value.([]any)
		if (op == "in" || op == "between") && !isList || op == "between" && len(l) != 2 {
			return nil, filterErrorf("--filter %s%s: %s takes a list of values (between: two)", c.Op, c.Field, op)
		}
		return []any{c.Field, op, c.Value}, nil
	}
	var v any
	switch x := c.Value.(type) {
	case string:
		v = v3Value(x)
	case []string:
		l := make([]any, len(x))
		for i, s := range x {
			l[i] = v3Value(s)
		}
		v = l
	}
	return []any{c.Field, op, v}, nil
}

// v3Value is s as a JSON number when it is an integer written plainly.
func v3Value(s string) any {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && strconv.FormatInt(n, 10) == s {
		return n
	}
	return s
}

// buildFilter turns the --filter arguments into the method's filter: a map
// of prefixed keys on REST v2, a list of conditions on REST 3.0. JSON
// arguments: an object (keys as above) on both, a list of conditions on
// REST 3.0 (passed as is).
func buildFilter(args []string, v3 bool) (any, error) {
	v2 := map[string]any{}
	var conds []any
	for _, a := range args {
		if !looksJSON(a) {
			c, err := parseFilterArg(a)
			if err != nil {
				return nil, err
			}
			if !v3 {
				v2[c.Op+c.Field] = c.Value
				continue
			}
			cond, err := c.v3Cond()
			if err != nil {
				return nil, err
			}
			conds = append(conds, cond)
			continue
		}
		var j any
		if err := json.Unmarshal([]byte(a), &j); err != nil {
			return nil, filterErrorf("--filter %q: %v", a, err)
		}
		switch j := j.(type) {
		case []any:
			if !v3 {
				return nil, filterErrorf("--filter %q: a list of conditions is REST 3.0's filter (--api v3); REST v2 takes an object", a)
			}
			conds = append(conds, j...)
		case map[string]any:
			for _, k := range slices.Sorted(maps.Keys(j)) {
				v := j[k]
				if !v3 {
					v2[k] = v // as given: the portal reads nested groups too
					continue
				}
				op, field, err := splitFilterKey(k)
				if err != nil {
					return nil, filterErrorf("--filter %q: %v", a, err)
				}
				cond, err := filterCond{Op: op, Field: field, Value: v, JSON: true}.v3Cond()
				if err != nil {
					return nil, err
				}
				conds = append(conds, cond)
			}
		default:
			return nil, filterErrorf("--filter %q: want a JSON object", a)
		}
	}
	if v3 {
		if len(conds) == 0 {
			return nil, nil
		}
		return conds, nil
	}
	if len(v2) == 0 {
		return nil, nil
	}
	return v2, nil
}
