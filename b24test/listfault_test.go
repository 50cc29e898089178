package b24test

import (
	"encoding/json"
	"io"
	"slices"
	"strconv"
	"testing"
)

// listIDs calls a list method and returns the ids of its rows (v2: result,
// or result.cmd.p of a batch; v3: result.items) and the v2 next (-1: none).
func listIDs(t *testing.T, s *Server, url, body string) ([]int, int) {
	t.Helper()
	hr, err := rawDo(s, "POST", url, body)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(hr.Body)
	hr.Body.Close()
	var env struct {
		Result json.RawMessage `json:"result"`
		Next   *int            `json:"next"`
	}
	if err := json.Unmarshal(b, &env); err != nil || hr.StatusCode != 200 {
		t.Fatalf("status %d: %s", hr.StatusCode, b)
	}
	var rows []map[string]any
	var wrap struct {
		Items  []map[string]any `json:"items"`
		Result struct {
			P []map[string]any `json:"p"`
		} `json:"result"`
	}
	if json.Unmarshal(env.Result, &rows) != nil {
		if err := json.Unmarshal(env.Result, &wrap); err != nil {
			t.Fatalf("result %s", env.Result)
		}
		rows = append(wrap.Items, wrap.Result.P...)
	}
	var ids []int
	for _, r := range rows {
		v := r["ID"]
		if v == nil {
			v = r["id"]
		}
		switch x := v.(type) {
		case string:
			n, _ := strconv.Atoi(x)
			ids = append(ids, n)
		case float64:
			ids = append(ids, int(x))
		}
	}
	next := -1
	if env.Next != nil {
		next = *env.Next
	}
	return ids, next
}

// TestListFaults: FaultUnsorted scrambles a list's rows whatever its order
// (on v2, v3 and in a batch), FaultIgnoreStart answers the first page while
// next still advances, FaultIgnoreFilter keeps only the id's conditions;
// the next call is normal again.
func TestListFaults(t *testing.T) {
	tests := []struct {
		name, method string
		fault        Fault
		v3           bool
		body         string
		check        func(faulted, normal []int, next int) bool
	}{
		{"v2 unsorted", "crm.deal.list", FaultUnsorted, false, `{"order":{"ID":"ASC"},"select":["ID"],"filter":{">ID":10}}`,
			func(f, n []int, _ int) bool {
				return len(f) == 50 && !slices.IsSorted(f) && slices.IsSorted(n) && slices.Min(f) > 10
			}},
		{"v2 ignore start", "crm.deal.list", FaultIgnoreStart, false, `{"order":{"ID":"ASC"},"select":["ID"],"start":100}`,
			func(f, n []int, next int) bool { return len(f) == 50 && f[49] < n[0] && next == 150 }},
		{"v3 unsorted", "tasks.task.list", FaultUnsorted, true, `{"order":{"id":"asc"},"select":["id"],"pagination":{"limit":50}}`,
			func(f, n []int, _ int) bool { return len(f) == 50 && !slices.IsSorted(f) && slices.IsSorted(n) }},
		{"v3 ignore offset", "tasks.task.list", FaultIgnoreStart, true, `{"select":["id"],"pagination":{"limit":10,"offset":20}}`,
			func(f, n []int, _ int) bool { return len(f) == 10 && f[9] < n[0] }},
		{"v2 ignore filter", "crm.deal.list", FaultIgnoreFilter, false, `{"order":{"ID":"ASC"},"select":["ID"],"filter":{">ID":10,">=DATE_MODIFY":"2100-01-01T00:00:00+00:00"}}`,
			func(f, n []int, _ int) bool { return len(f) == 50 && f[0] == 11 && len(n) == 0 }},
		{"v2 batch unsorted", "crm.deal.list", FaultUnsorted, false, `{"halt":1,"cmd":{"p":"crm.deal.list?order[ID]=ASC&select[]=ID"}}`,
			func(f, n []int, _ int) bool { return len(f) == 50 && !slices.IsSorted(f) && slices.IsSorted(n) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bubble(t, func(t *testing.T, s *Server) {
				url := s.WebhookURL()
				if tt.v3 {
					url = s.WebhookV3URL()
				}
				called := tt.method
				if tt.name == "v2 batch unsorted" {
					called = "batch"
				}
				s.FailNext(tt.method, 1, tt.fault)
				faulted, next := listIDs(t, s, url+called, tt.body)
				normal, _ := listIDs(t, s, url+called, tt.body)
				if !tt.check(faulted, normal, next) {
					t.Fatalf("faulted %v (next %d), then %v", faulted, next, normal)
				}
			})
		})
	}
}

// TestClearFaults: ClearFaults drops the scripted faults not yet served.
func TestClearFaults(t *testing.T) {
	bubble(t, func(t *testing.T, s *Server) {
		body := `{"order":{"ID":"ASC"},"select":["ID"]}`
		s.FailNext("crm.deal.list", 5, FaultUnsorted)
		if ids, _ := listIDs(t, s, s.WebhookURL()+"crm.deal.list", body); slices.IsSorted(ids) {
			t.Fatalf("the fault was not served: %v", ids)
		}
		s.ClearFaults()
		if ids, _ := listIDs(t, s, s.WebhookURL()+"crm.deal.list", body); !slices.IsSorted(ids) || len(ids) != 50 {
			t.Fatalf("a cleared fault was served: %v", ids)
		}
	})
}
