package main

import (
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestResolveRedis checks where the Redis URL comes from: --redis, else
// --redis-file (refused when group or others can open it), else
// $B24_REDIS_URL; and that the password is never echoed.
func TestResolveRedis(t *testing.T) {
	dir := t.TempDir()
	const secret = "redis://user:pa55w0rd@127.0.0.1:6379/0"
	file := func(name, body string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		os.Chmod(p, mode)
		return p
	}
	private := file("private", "  "+secret+"\n", 0o600)
	groupRead := file("group", secret, 0o640)
	otherRead := file("other", secret, 0o604)
	empty := file("empty", "\n", 0o600)
	tests := []struct {
		name        string
		flag, fileF string
		env         string
		want        string // resolved URL; "error" when refused
		warn        bool
	}{
		{name: "nothing", want: ""},
		{name: "env", env: secret, want: secret},
		{name: "flag beats env", flag: "redis://127.0.0.1:1/0", env: secret, want: "redis://127.0.0.1:1/0"},
		{name: "file beats env", fileF: private, env: "redis://127.0.0.1:1/0", want: secret},
		{name: "flag with a password warns", flag: secret, want: secret, warn: true},
		{name: "flag and file", flag: secret, fileF: private, want: "error"},
		{name: "file readable by the group", fileF: groupRead, want: "error"},
		{name: "file readable by others", fileF: otherRead, want: "error"},
		{name: "empty file", fileF: empty, want: "error"},
		{name: "missing file", fileF: filepath.Join(dir, "missing"), want: "error"},
	}
	for _, tt := range tests {
		if runtime.GOOS == "windows" && (tt.fileF == groupRead || tt.fileF == otherRead) {
			continue
		}
		var stderr strings.Builder
		c := &cli{stderr: &stderr, name: "b24 ping", env: []string{"B24_REDIS_URL=" + tt.env}}
		c.g.redis, c.g.redisFile = tt.flag, tt.fileF
		err := c.resolveRedis()
		switch {
		case tt.want == "error":
			if err == nil {
				t.Errorf("%s: resolved %q, want a refusal", tt.name, c.g.redis)
			} else if code := exitCode(t.Context(), err); code != exitUsage {
				t.Errorf("%s: exit code %d, want 2", tt.name, code)
			}
		case err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case c.g.redis != tt.want:
			t.Errorf("%s: resolved %q, want %q", tt.name, c.g.redis, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), "pa55w0rd") || strings.Contains(stderr.String(), "pa55w0rd") {
			t.Errorf("%s: the password was printed: %v %q", tt.name, err, stderr.String())
		}
		if got := strings.Contains(stderr.String(), "warning: --redis carries a password"); got != tt.warn {
			t.Errorf("%s: warning %v, want %v (stderr %q)", tt.name, got, tt.warn, stderr.String())
		}
	}
}

// TestRedisFromEnvAndFile runs ping with the Redis URL in $B24_REDIS_URL
// and in --redis-file: both reach the (dead) Redis and fail closed, exit 1,
// without printing the password; a file others can read is exit 2.
func TestRedisFromEnvAndFile(t *testing.T) {
	p := newPortal(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "redis://user:pa55w0rd@" + ln.Addr().String() + "/0"
	ln.Close()
	f := filepath.Join(t.TempDir(), "redis-url")
	if err := os.WriteFile(f, []byte(dead+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	check := func(name string, r result, code int, want string) {
		t.Helper()
		if r.code != code || !strings.Contains(r.stderr, want) {
			t.Errorf("%s: exit %d, stderr %q; want exit %d and %q", name, r.code, r.stderr, code, want)
		}
		if strings.Contains(r.stdout+r.stderr, "pa55w0rd") {
			t.Errorf("%s: the password was printed: %q", name, r.stderr)
		}
	}
	check("env", p.runEnv(t, []string{"B24_REDIS_URL=" + dead}, "", "ping"), exitAPI, "does not answer")
	check("file", p.run(t, "", "ping", "--redis-file", f), exitAPI, "does not answer")
	check("env with --redis-fallback", p.runEnv(t, []string{"B24_REDIS_URL=" + dead}, "", "ping", "--redis-fallback", "--quiet"), exitOK, "")
	if runtime.GOOS != "windows" {
		os.Chmod(f, 0o644)
		check("file readable by others", p.run(t, "", "ping", "--redis-file", f), exitUsage, "chmod 600")
	}
}
