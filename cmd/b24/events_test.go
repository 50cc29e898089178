package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func eventBody(token, id string) string {
	v := url.Values{}
	v.Set("event", "ONCRMDEALUPDATE")
	v.Set("data[FIELDS][ID]", id)
	v.Set("ts", "1700000000")
	v.Set("auth[domain]", "alpha.bitrix24.com")
	v.Set("auth[member_id]", "m1")
	v.Set("auth[application_token]", token)
	return v.Encode()
}

// TestEventsListen: a verified event is printed as one JSON line at once; a
// wrong or missing token gets 403 and prints nothing; replay prints the
// spool again.
func TestEventsListen(t *testing.T) {
	dir := t.TempDir()
	tokens := filepath.Join(dir, "tokens")
	os.WriteFile(tokens, []byte("# portal\nalpha.bitrix24.com m1 tokSecretA\n"), 0o600)
	spool := filepath.Join(dir, "spool")
	ctx, cancel := context.WithCancel(t.Context())
	addr, out, code := startListen(t, ctx, tokens, spool)
	for _, c := range []struct {
		body   string
		status int
		id     string
	}{
		{eventBody("tokSecretA", "5"), 200, "5"},
		{eventBody("tokSecretB", "6"), 403, ""},
		{eventBody("", "7"), 403, ""},
		{eventBody("TOKSECRETA", "8"), 403, ""},
		{eventBody("tokSecretA", "9"), 200, "9"},
	} {
		resp, err := http.Post("http://"+addr+"/", "application/x-www-form-urlencoded", strings.NewReader(c.body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.status {
			t.Fatalf("id %s: status %d, want %d", c.id, resp.StatusCode, c.status)
		}
		if c.id == "" {
			continue
		}
		scanLine(t, ctx, out)
		var e struct{ ID, Domain, Event string }
		if err := json.Unmarshal(out.Bytes(), &e); err != nil || e.ID != c.id || e.Domain != "alpha.bitrix24.com" {
			t.Fatalf("line %q: %v", out.Text(), err)
		}
		if bytes.Contains(out.Bytes(), []byte("tokSecret")) {
			t.Fatalf("line shows the token: %s", out.Text())
		}
	}
	cancel()
	if c := <-code; c != exitInterrupted {
		t.Fatalf("exit %d", c)
	}
	var stdout, stderr bytes.Buffer
	if c := run(t.Context(), []string{"events", "replay", "--spool", spool}, nil, &stdout, &stderr, nil); c != exitOK {
		t.Fatalf("replay exit %d: %s", c, stderr.String())
	}
	if n := strings.Count(stdout.String(), "\n"); n != 2 {
		t.Fatalf("replay printed %d lines:\n%s", n, stdout.String())
	}
}

// TestEventsUsage: missing or open token files and bad subcommands are
// usage errors (exit 2).
func TestEventsUsage(t *testing.T) {
	dir := t.TempDir()
	open := filepath.Join(dir, "open")
	os.WriteFile(open, []byte("a m t\n"), 0o644)
	alone := filepath.Join(dir, "alone")
	os.WriteFile(alone, []byte("tok\n"), 0o600)
	for _, args := range [][]string{
		{"events"},
		{"events", "serve"},
		{"events", "listen", "--token-file", alone},
		{"events", "listen", "--addr", "127.0.0.1:0"},
		{"events", "listen", "--addr", "127.0.0.1:0", "--token-file", open},
		{"events", "listen", "--addr", "127.0.0.1:0", "--token-file", alone},
	} {
		var stderr bytes.Buffer
		if c := run(t.Context(), append(args, "--spool", filepath.Join(dir, "s")), nil, io.Discard, &stderr, nil); c != exitUsage {
			t.Errorf("%q: exit %d: %s", args, c, stderr.String())
		}
	}
}

// startListen runs "b24 events listen" on 127.0.0.1:0 and returns its
// address, its stdout lines and its exit code.
func startListen(t *testing.T, ctx context.Context, tokens, spool string) (string, *bufio.Scanner, <-chan int) {
	t.Helper()
	outR, outW := io.Pipe()
	errR, errW := io.Pipe()
	code, done := make(chan int, 1), make(chan struct{})
	go func() {
		defer close(done)
		c := run(ctx, []string{"events", "listen", "--addr", "127.0.0.1:0", "--token-file", tokens, "--spool", spool}, nil, outW, errW, nil)
		outW.Close()
		errW.Close()
		code <- c
	}()
	// The listener ends before the spool's temporary directory is removed
	// (it could still write there: "directory not empty" in CI).
	t.Cleanup(func() {
		outR.Close()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Error("events listen did not end within 20 s of its context")
		}
	})
	errLines := bufio.NewScanner(errR)
	if !errLines.Scan() {
		t.Fatal("no listening line")
	}
	go io.Copy(io.Discard, errR)
	first := errLines.Text()
	_, after, ok := strings.Cut(first, "listening on ")
	if !ok {
		t.Fatalf("stderr: %q", first)
	}
	return strings.TrimSuffix(strings.Fields(after)[0], ","), bufio.NewScanner(outR), code
}

// TestEventsFromFake: "b24 fake --outbound" sends an event for a write
// made through its webhook, and "b24 events listen" prints it.
func TestEventsFromFake(t *testing.T) {
	dir := t.TempDir()
	tokens := filepath.Join(dir, "tokens")
	os.WriteFile(tokens, []byte("fake.bitrix24.test m1 apptokenF\n"), 0o600)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	addr, out, _ := startListen(t, ctx, tokens, filepath.Join(dir, "spool"))
	f := serveFake(t, ctx, "--no-limits", "--outbound", "http://"+addr+"/", "--outbound-token", "apptokenF",
		"--outbound-member-id", "m1", "--outbound-domain", "fake.bitrix24.test")
	if !strings.Contains(f.info["outbound"], "fake.bitrix24.test m1 TOKEN") {
		t.Errorf("outbound line %q", f.info["outbound"])
	}
	resp, err := f.client.Post(f.info["webhook"]+"crm.deal.update", "application/json", strings.NewReader(`{"id":3,"fields":{"TITLE":"x"}}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	scanLine(t, ctx, out)
	var e struct{ Event, ID, Domain string }
	if err := json.Unmarshal(out.Bytes(), &e); err != nil || e.Event != "ONCRMDEALUPDATE" || e.ID != "3" || e.Domain != "fake.bitrix24.test" {
		t.Fatalf("printed %q: %v", out.Text(), err)
	}
}

// scanLine waits at most 20 s for the next line of out.
func scanLine(t *testing.T, ctx context.Context, out *bufio.Scanner) {
	t.Helper()
	scanned := make(chan bool, 1)
	go func() { scanned <- out.Scan() }()
	wait, stop := context.WithTimeout(ctx, 20*time.Second)
	defer stop()
	select {
	case ok := <-scanned:
		if !ok {
			t.Fatal("listen ended without printing the event")
		}
	case <-wait.Done():
		t.Fatal("no event printed within 20 s")
	}
}
