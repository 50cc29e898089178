package reliability

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/b24go/b24/b24test"
	"github.com/b24go/b24/internal/reltest"
)

// TestSecretCLIErrorPaths runs the CLI's error paths with debug logging in
// text and JSON: malformed webhook URLs that hold the secret, wrong
// credentials, a portal that is not there, a portal that redirects to
// another host, an HTML error page, a reset, a bad method; its output and
// the files it wrote must not hold the secret.
func TestSecretCLIErrorPaths(t *testing.T) {
	t.Parallel()
	leak := reltest.NewLeakCheck(t)
	defer leak.Report("cli errors")
	p := newCLIPortal(t, b24test.WithMovedTo("https://elsewhere.example.net"))
	good := p.srv.WebhookURL()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "https://" + ln.Addr().String() + "/rest/1/" + reltest.Secret + "/"
	ln.Close()
	dir := t.TempDir()
	hookFile := filepath.Join(t.TempDir(), "hook.txt") // input: holds the secret, not scanned
	cases := []struct {
		name    string
		webhook string
		fault   b24test.Fault
		args    []string
	}{
		{"http scheme", strings.Replace(good, "https://", "http://", 1), 0, []string{"ping"}},
		{"method in URL", good + "crm.deal.list", 0, []string{"ping"}},
		{"query in URL", good + "?auth=" + reltest.Secret, 0, []string{"ping"}},
		{"bad secret chars", strings.Replace(good, reltest.Secret, reltest.Secret+"%2F%", 1), 0, []string{"ping"}},
		{"wrong user", strings.Replace(good, "/rest/1/", "/rest/2/", 1), 0, []string{"ping"}},
		{"dead portal", dead, 0, []string{"call", "crm.deal.add", "fields[TITLE]=x"}},
		{"redirect", good, b24test.FaultMoved, []string{"call", "crm.deal.get", "id=1"}},
		{"redirect echoing the secret", good, b24test.FaultMovedEcho, []string{"call", "crm.deal.get", "id=1"}},
		{"error echoing the secret", good, b24test.FaultEchoBody, []string{"call", "crm.deal.get", "id=1"}},
		{"html 502", good, b24test.FaultBadGateway, []string{"call", "crm.deal.add", "fields[TITLE]=x"}},
		{"reset", good, b24test.FaultReset, []string{"call", "crm.deal.add", "fields[TITLE]=x"}},
		{"truncated", good, b24test.FaultTruncated, []string{"call", "crm.deal.add", "fields[TITLE]=x"}},
		{"unknown method", good, 0, []string{"call", "crm.nope.list"}},
		{"list failure", good, b24test.FaultOverload, []string{"list", "crm.deal.list", "-o", filepath.Join(dir, "l.csv"), "--checkpoint", filepath.Join(dir, "l.cp")}},
		{"update failure", good, b24test.FaultOverload, []string{"update", "crm.deal.update", "--from", filepath.Join(dir, "u.csv"), "--journal", filepath.Join(dir, "u.j")}},
		{"webhook file", "", 0, []string{"ping", "--webhook-file", hookFile}},
	}
	if err := os.WriteFile(filepath.Join(dir, "u.csv"), []byte("ID,TITLE\n1,x\n2,y\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(hookFile, []byte(strings.Replace(good, "https://", "ftp://", 1)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	failures := 0
	for i, tc := range cases {
		for _, format := range []string{"text", "json"} {
			if tc.fault != 0 {
				p.srv.FailNext("", 3, tc.fault)
			}
			env := append([]string(nil), p.env...)
			env[0] = "B24_WEBHOOK=" + tc.webhook
			q := &cliPortal{srv: p.srv, env: env}
			args := append(append([]string(nil), tc.args...), "--log-level", "debug", "--log-format", format, "--time-scale", "50")
			r := q.run(t, leak, 0, args...)
			if r.code == 0 {
				t.Errorf("case %d %s (%s): exit 0, want a failure:\n%s", i, tc.name, format, tail(r.out))
			} else {
				failures++
			}
		}
	}
	scanFiles(t, leak, dir)
	t.Logf("%d failing runs checked", failures)
}
