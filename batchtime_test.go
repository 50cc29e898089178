package b24

import (
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestBatchBilling(t *testing.T) {
	t.Parallel()
	body := []byte(`{"halt":0,"cmd":{"a":"crm.deal.list?filter%5B%3EID%5D=0","b":"crm.deal.get?id=1","c":"crm.deal.list?start=-1"}}`)
	raw := `{"result":{"result":{"a":[],"b":{},"c":[]},"result_error":[],"result_total":[],"result_next":[],
		"result_time":{"a":{"start":1,"operating":1.5,"operating_reset_at":100},"b":{"start":1,"operating":2.5,"operating_reset_at":100},"c":{"start":1,"operating":4,"operating_reset_at":160}}},
		"time":{"start":1,"finish":2,"duration":1,"processing":1,"operating":2,"operating_reset_at":90}}`
	r, err := decodeEnvelope([]byte(raw), 200, http.Header{}, "batch", APIv2, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	// Billed as batch: the largest figure of the envelope and its sub-results, never a sum.
	if m := billedMethods(APIv2, "batch", body, BatchBilledAsBatch); !reflect.DeepEqual(m, []string{"batch"}) {
		t.Fatalf("billed %v", m)
	}
	got := operatingReports(r, []string{"batch"}, APIv2, body)
	if len(got) != 1 || got[0].Operating != 4*time.Second || got[0].ResetAt.Unix() != 160 {
		t.Fatalf("as batch: %+v", got)
	}
	// Billed per command: each method its own largest figure.
	billed := billedMethods(APIv2, "batch", body, BatchBilledPerCommand)
	if len(billed) != 2 {
		t.Fatalf("per command billed %v", billed)
	}
	got = operatingReports(r, billed, APIv2, body)
	want := map[string]time.Duration{"crm.deal.list": 4 * time.Second, "crm.deal.get": 2500 * time.Millisecond}
	if len(got) != 2 {
		t.Fatalf("per command: %+v", got)
	}
	for _, rep := range got {
		if want[rep.Method] != rep.Operating {
			t.Errorf("%s: %v, want %v", rep.Method, rep.Operating, want[rep.Method])
		}
	}
	// A list-form batch: result_time as a JSON list.
	list := []byte(`{"cmd":["crm.deal.get?id=1","user.current"]}`)
	r2, _ := decodeEnvelope([]byte(`{"result":{"result":[1,2],"result_time":[{"operating":1},{"operating":3}]},"time":{"operating":0.5}}`), 200, http.Header{}, "batch", APIv2, "", nil)
	got = operatingReports(r2, billedMethods(APIv2, "batch", list, BatchBilledPerCommand), APIv2, list)
	if len(got) != 2 || got[1].Method != "user.current" || got[1].Operating != 3*time.Second {
		t.Fatalf("list form: %+v", got)
	}
}

// TestBatchSplitOddResults: the operating report's time blocks and the batch
// layer's sections of one response, in either order, from one split of the
// result, for plain and odd results alike.
func TestBatchSplitOddResults(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		result         string
		times          int // len(batchTimes); -1: nil
		err            string
		secTimes, rows int
	}{
		{`{"result":{"a":1},"result_time":{"a":{"operating":1}}}`, 1, "", 1, 1},
		{`[]`, -1, "", 0, 0},
		{`[1]`, -1, "batch result is not an object", 0, 0},
		{`null`, -1, "", 0, 0},
		{`"x"`, -1, "batch result: json: cannot unmarshal string", 0, 0},
		{`{"result":"x","result_time":[{"operating":2}]}`, 1, "batch result: a PHP array", 0, 0},
		{`{"result":{},"result_time":"bad"}`, 0, "", 0, 0},
		{`{"RESULT_TIME":{"a":{"operating":3}},"result":[5]}`, 1, "", 1, 1},
		{`{"result_time":{"a":{}},"result_time":{"b":{"operating":2},"c":{}},"result":{"b":1,"c":2}}`, 2, "", 2, 2},
	} {
		for _, timesFirst := range []bool{true, false} {
			r, err := decodeEnvelope([]byte(`{"result":`+tc.result+`}`), 200, http.Header{}, "batch", APIv2, "", nil)
			if err != nil {
				t.Fatal(err)
			}
			var bt map[string]*Timing
			if timesFirst {
				bt = batchTimes(r)
			}
			sec, err := decodeV2Sections(r)
			if !timesFirst {
				bt = batchTimes(r)
			}
			n := len(bt)
			if bt == nil {
				n = -1
			}
			if n != tc.times {
				t.Errorf("%s (times first %v): %d time blocks, want %d", tc.result, timesFirst, n, tc.times)
			}
			switch {
			case tc.err != "":
				if err == nil || !strings.HasPrefix(err.Error(), tc.err) {
					t.Errorf("%s (times first %v): error %v, want %q", tc.result, timesFirst, err, tc.err)
				}
			case err != nil:
				t.Errorf("%s (times first %v): %v", tc.result, timesFirst, err)
			case len(sec.times) != tc.secTimes || len(sec.result) != tc.rows:
				t.Errorf("%s (times first %v): %d times, %d results; want %d, %d", tc.result, timesFirst, len(sec.times), len(sec.result), tc.secTimes, tc.rows)
			case bt != nil && reflect.ValueOf(bt).UnsafePointer() != reflect.ValueOf(sec.times).UnsafePointer():
				t.Errorf("%s (times first %v): the result was split twice", tc.result, timesFirst)
			}
		}
	}
}
