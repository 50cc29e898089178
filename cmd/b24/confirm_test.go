package main

import (
	"errors"
	"strings"
	"testing"
)

func TestIsDelete(t *testing.T) {
	for m, want := range map[string]bool{"crm.deal.delete": true, "CRM.Deal.Delete": true, "tasks.task.delete": true,
		"entity.item.delete": true, "crm.deal.update": false, "crm.deal.list": false, "delete": true, "crm.deleted.list": false} {
		if got := isDelete(m); got != want {
			t.Errorf("isDelete(%q) = %v", m, got)
		}
	}
	if n, ex := deleteCount([]string{"crm.deal.get", "crm.deal.delete", "crm.lead.delete"}); n != 2 || ex != "crm.deal.delete" {
		t.Errorf("deleteCount = %d %q", n, ex)
	}
}

// TestConfirmWithoutTerminal: --yes goes on; without it, and no terminal
// to ask on, the action is refused as a usage error (exit 2).
func TestConfirmWithoutTerminal(t *testing.T) {
	var errb strings.Builder
	c := &cli{stdin: strings.NewReader("y\n"), stderr: &errb}
	if err := c.confirm(t.Context(), "delete 3 records", true); err != nil {
		t.Fatal(err)
	}
	err := c.confirm(t.Context(), "delete 3 records", false)
	var ue *usageError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "refused without --yes") {
		t.Fatalf("err = %v, want a usage error", err)
	}
	if errb.Len() != 0 {
		t.Errorf("asked without a terminal: %q", errb.String())
	}
}
