package b24

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// TestHookParamsRedacted: HookParams carries the secret as a plain string
// field; printing, logging or JSON-encoding it shows "****" instead.
func TestHookParamsRedacted(t *testing.T) {
	p := HookParams{PortalURL: "https://portal.example.com", UserID: 3, Secret: testSecret}
	showEverywhere(t, "hook params", p)
	showEverywhere(t, "&hook params", &p)
	showEverywhere(t, "hook params in a struct", struct{ P HookParams }{p})
	if got := fmt.Sprintf("%+v", p); !strings.Contains(got, "https://portal.example.com") || !strings.Contains(got, "****") {
		t.Errorf("%%+v = %s", got)
	}
	b, _ := json.Marshal(p)
	if string(b) != `{"PortalURL":"https://portal.example.com","UserID":3,"Secret":"****"}` {
		t.Errorf("JSON %s", b)
	}
	if _, err := New(p); err != nil {
		t.Errorf("New: %v", err)
	}
}
