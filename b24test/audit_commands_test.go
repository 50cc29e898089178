package b24test

import (
	"fmt"
	"slices"
	"testing"
)

// Every command of a v3 batch is in the command log: those that ran, the one
// that ended the batch (an unknown method, a bad reference, a fault) and
// those after it, as not executed.
func TestBatchV3CommandLog(t *testing.T) {
	s := newTestServer(t, WithSeed(Seed{Tasks: 3}))
	get := func(as string) string {
		return `{"method":"tasks.task.get","query":{"id":1,"select":["id"]},"as":"` + as + `"}`
	}
	for _, tc := range []struct {
		name, body string
		fail       func()
		want       []string
	}{
		{"unknown method", `[` + get("a") + `,{"method":"no.such.method","as":"b"},` + get("c") + `]`, nil,
			[]string{"a tasks.task.get done", "b no.such.method error", "c tasks.task.get not-executed"}},
		{"bad reference", `[` + get("a") + `,{"method":"tasks.task.get","query":{"id":{"$ref":"zz.id"}},"as":"b"},` + get("c") + `]`, nil,
			[]string{"a tasks.task.get done", "b tasks.task.get error", "c tasks.task.get not-executed"}},
		{"fault", `[` + get("a") + `,` + get("b") + `,` + get("c") + `]`, func() { s.FailCommand("a", FaultInternal) },
			[]string{"a tasks.task.get fault", "b tasks.task.get not-executed", "c tasks.task.get not-executed"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.fail != nil {
				tc.fail()
			}
			v3(t, s, "batch", tc.body)
			log := s.Audit().CommandLog
			var got []string
			if seq := log[len(log)-1].Request; seq > 0 {
				for _, c := range s.Audit().Batch(seq) {
					got = append(got, fmt.Sprint(c.Key, " ", c.Method, " ", c.Outcome))
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("command log %q, want %q", got, tc.want)
			}
		})
	}
}
