package main

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/b24go/b24/b24test"
)

var updateGolden = flag.Bool("update", os.Getenv("UPDATE_GOLDEN") == "1", "rewrite the golden files under testdata/")

// testScale is the fake portal's time scale in these tests.
const testScale = 20

// portal is a fake portal on 127.0.0.1 and the environment that points the
// CLI at it.
type portal struct {
	s   *b24test.Server
	env []string
	pem string
}

func newPortal(t *testing.T, opts ...b24test.Option) *portal {
	t.Helper()
	opts = append([]b24test.Option{b24test.WithTimeScale(testScale), b24test.WithWebhook(1, "s3cr3tS3CR3Tsecr")}, opts...)
	s := b24test.NewServer(t, opts...)
	pem := filepath.Join(t.TempDir(), "fake.pem")
	if err := os.WriteFile(pem, s.CertificatePEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	return &portal{s: s, pem: pem, env: []string{"B24_WEBHOOK=" + s.WebhookURL(), "SSL_CERT_FILE=" + pem}}
}

// result is what one run of the CLI gave.
type result struct {
	code           int
	stdout, stderr string
}

// run runs the CLI in-process with the portal's environment (plus extra)
// and the time scale flag added to commands that talk to a portal.
func (p *portal) run(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	return p.runEnv(t, nil, stdin, args...)
}

func (p *portal) runEnv(t *testing.T, extra []string, stdin string, args ...string) result {
	t.Helper()
	if len(args) > 0 {
		if cmd := lookup(args[0]); cmd != nil && cmd.portal {
			args = append([]string{args[0], "--time-scale", "20"}, args[1:]...)
		}
	}
	var env []string
	if p != nil {
		env = append(env, p.env...)
	}
	env = append(env, extra...)
	var out, errb strings.Builder
	code := run(context.Background(), args, strings.NewReader(stdin), &out, &errb, env)
	return result{code, out.String(), errb.String()}
}

var (
	reAddr    = regexp.MustCompile(`127\.0\.0\.1:\d+`)
	reDur     = regexp.MustCompile(`\b\d+(\.\d+)?(ns|µs|ms|s|m|h)\b(\d+(\.\d+)?(ms|s))?`)
	reRTTms   = regexp.MustCompile(`"rtt_ms": [0-9.]+`)
	reLogTime = regexp.MustCompile(`"?time"?[=:]"?[0-9T:.Z+-]+"?,? ?`)
	reReqID   = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	reDelay   = regexp.MustCompile(`"delay":\d+`)
	reRate    = regexp.MustCompile(`\b\d+(\.\d+)? (rows|commands|requests)/s\b`)
)

// normalize removes what changes from run to run: ports, durations, rates,
// temporary paths.
func normalize(s string, tmp ...string) string {
	for _, d := range tmp {
		if d != "" {
			s = strings.ReplaceAll(s, d, "$TMP")
		}
	}
	s = reAddr.ReplaceAllString(s, "127.0.0.1:PORT")
	s = reLogTime.ReplaceAllString(s, "")
	s = reReqID.ReplaceAllString(s, "REQUEST-ID")
	s = reDelay.ReplaceAllString(s, `"delay":DUR`)
	s = reRate.ReplaceAllString(s, "N $2/s")
	s = reDur.ReplaceAllString(s, "DUR")
	s = reRTTms.ReplaceAllString(s, `"rtt_ms": MS`)
	return s
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *updateGolden {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it)\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// goldenRun checks the exit code, and stdout and stderr against one golden
// file.
func goldenRun(t *testing.T, name string, r result, code int, tmp ...string) {
	t.Helper()
	if r.code != code {
		t.Errorf("%s: exit code %d, want %d (stderr %q)", name, r.code, code, r.stderr)
	}
	golden(t, name, normalize("exit "+itoa(r.code)+"\n--- stdout\n"+r.stdout+"--- stderr\n"+r.stderr, tmp...))
}

func itoa(n int) string { return strconv.Itoa(n) }

func regexpReplace(s, re, repl string) string {
	return regexp.MustCompile(re).ReplaceAllString(s, repl)
}
