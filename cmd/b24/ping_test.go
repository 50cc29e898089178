package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/b24go/b24/b24test"
)

func TestPing(t *testing.T) {
	p := newPortal(t)
	r := p.run(t, "", "ping")
	goldenRun(t, "ping.golden", r, exitOK)
	if strings.Contains(r.stdout+r.stderr, "s3cr3tS3CR3Tsecr") {
		t.Errorf("the secret was printed")
	}
}

// TestPingJSON: --json prints the same facts as fields; --jq picks one;
// a --jq program that fails on the data is exit 1.
func TestPingJSON(t *testing.T) {
	p := newPortal(t)
	r := p.run(t, "", "ping", "--json")
	goldenRun(t, "ping_json.golden", r, exitOK)
	goldenRun(t, "ping_jq.golden", p.run(t, "", "ping", "--jq", `"\(.user) #\(.user_id): \(.scope | join(","))"`), exitOK)
	goldenRun(t, "ping_jq_error.golden", p.run(t, "", "ping", "--jq", ".user + 1"), exitAPI)
	goldenRun(t, "version_json.golden", p.run(t, "", "version", "--jq", "keys"), exitOK)
}

func TestPingErrors(t *testing.T) {
	p := newPortal(t)
	good := p.s.WebhookURL()
	file := filepath.Join(t.TempDir(), "hook")
	if err := os.WriteFile(file, []byte(good+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		env  []string
		args []string
		code int
	}{
		{"no_webhook", []string{"B24_WEBHOOK=", "B24_HOOK="}, nil, exitUsage},
		{"malformed_webhook", []string{"B24_WEBHOOK=http://example.com/rest/1/s3cr3tS3CR3Tsecr/"}, nil, exitUsage},
		{"method_in_webhook", []string{"B24_WEBHOOK=" + good + "profile"}, nil, exitUsage},
		{"wrong_secret", []string{"B24_WEBHOOK=" + strings.Replace(good, "s3cr3tS3CR3Tsecr", "wrongwrongwrong1", 1)}, nil, exitAPI},
		{"b24_hook", []string{"B24_WEBHOOK=", "B24_HOOK=" + good}, nil, exitOK},
		{"webhook_file", []string{"B24_WEBHOOK="}, []string{"--webhook-file", file}, exitOK},
		{"missing_webhook_file", nil, []string{"--webhook-file", filepath.Join(filepath.Dir(file), "none")}, exitUsage},
		{"untrusted", []string{"SSL_CERT_FILE="}, nil, exitAPI},
		{"untrusted_logged", []string{"SSL_CERT_FILE="}, []string{"--log-level", "warn", "--log-format", "json"}, exitAPI},
		{"bad_plan", nil, []string{"--plan", "gold"}, exitUsage},
		{"bad_log_format", nil, []string{"--log-format", "xml"}, exitUsage},
		{"extra_argument", nil, []string{"extra"}, exitUsage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := p.runEnv(t, tt.env, "", append([]string{"ping"}, tt.args...)...)
			goldenRun(t, "ping_"+tt.name+".golden", r, tt.code, filepath.Dir(file))
			if strings.Contains(r.stdout+r.stderr, "s3cr3tS3CR3Tsecr") || strings.Contains(r.stdout+r.stderr, "wrongwrongwrong1") {
				t.Errorf("a secret was printed: %q", r.stdout+r.stderr)
			}
		})
	}
}

func TestPingRefused(t *testing.T) {
	p := newPortal(t)
	p.s.FailNext("profile", 1, b24test.FaultOverload)
	goldenRun(t, "ping_overload.golden", p.run(t, "", "ping"), exitAPI)
	p.s.FailNext("profile", 1, b24test.FaultMoved)
	goldenRun(t, "ping_moved.golden", p.run(t, "", "ping"), exitAPI)
}

func TestPingScope(t *testing.T) {
	p := newPortal(t, b24test.WithScopes("crm"))
	r := p.run(t, "", "call", "user.current")
	goldenRun(t, "call_scope.golden", r, exitAPI)
}
