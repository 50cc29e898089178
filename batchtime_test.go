package b24

import (
	"net/http"
	"reflect"
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
