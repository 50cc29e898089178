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
	outR, outW := io.Pipe()
	errR, errW := io.Pipe()
	code := make(chan int, 1)
	go func() {
		code <- run(ctx, []string{"events", "listen", "--addr", "127.0.0.1:0", "--token-file", tokens, "--spool", spool}, nil, outW, errW, nil)
		outW.Close()
		errW.Close()
	}()
	errLines := bufio.NewScanner(errR)
	if !errLines.Scan() {
		t.Fatal("no listening line")
	}
	go io.Copy(io.Discard, errR)
	first := errLines.Text()
	addr := strings.Fields(strings.SplitN(first, "listening on ", 2)[1])[0]
	addr = strings.TrimSuffix(addr, ",")
	out := bufio.NewScanner(outR)
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
		if !out.Scan() {
			t.Fatal("no line on stdout")
		}
		var e struct{ ID, Domain, Event string }
		if err := json.Unmarshal(out.Bytes(), &e); err != nil || e.ID != c.id || e.Domain != "alpha.bitrix24.com" {
			t.Fatalf("line %q: %v", out.Text(), err)
		}
		if bytes.Contains(out.Bytes(), []byte("tokSecret")) {
			t.Fatalf("line shows the token: %s", out.Text())
		}
	}
	cancel()
	go io.Copy(io.Discard, outR)
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
