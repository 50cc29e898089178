package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestRunUsage(t *testing.T) {
	tests := []struct {
		args []string
		code int
	}{
		{nil, 2},
		{[]string{"nope"}, 2},
		{[]string{"help"}, 0},
		{[]string{"fake", "-plan", "gold"}, 2},
		{[]string{"fake", "-faults", "nope=0.1"}, 2},
		{[]string{"fake", "-faults", "reset=2"}, 2},
		{[]string{"fake", "-addr", "0.0.0.0:0"}, 1},
		{[]string{"fake", "extra"}, 2},
		{[]string{"fake", "-batch-weight", "0"}, 2},
		{[]string{"fake", "-batch-weight", "-0.5"}, 2},
		{[]string{"fake", "-batch-weight", "NaN"}, 2},
		{[]string{"fake", "-operating-ban", "-1s"}, 2},
	}
	for _, tt := range tests {
		var out, errb strings.Builder
		if got := run(context.Background(), tt.args, strings.NewReader(""), &out, &errb, nil); got != tt.code {
			t.Errorf("run %q = %d, want %d (stderr %q)", tt.args, got, tt.code, errb.String())
		}
	}
}

// runningFake is a "b24 fake" started by serveFake.
type runningFake struct {
	info   map[string]string // the printed "key: value" lines
	client *http.Client      // trusts the printed certificate
	done   chan int          // the exit code, once its context ends
}

// serveFake runs "b24 fake" with args in this process until ctx ends and
// reads what it prints up to the "serving" line.
func serveFake(t *testing.T, ctx context.Context, args ...string) runningFake {
	t.Helper()
	pr, pw := io.Pipe()
	var errb strings.Builder
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"fake"}, args...), nil, pw, &errb, []string{"TMPDIR=" + t.TempDir()})
		pw.Close()
	}()
	info := readFakeInfo(pr)
	if info["webhook"] == "" {
		t.Fatalf("no webhook line; stderr %q", errb.String())
	}
	return runningFake{info: info, client: certClient(t, info["certificate"]), done: done}
}

// readFakeInfo reads the "key: value" lines "b24 fake" prints up to its
// "serving" line, and discards the rest of r.
func readFakeInfo(r io.Reader) map[string]string {
	info := map[string]string{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "serving") {
			break
		}
		k, v, _ := strings.Cut(line, ":")
		info[k] = strings.TrimSpace(v)
	}
	go io.Copy(io.Discard, r)
	return info
}

// certClient returns a client that trusts the PEM certificate in the file
// "b24 fake" wrote.
func certClient(t *testing.T, pemFile string) *http.Client {
	t.Helper()
	b, err := os.ReadFile(pemFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		t.Fatal("b24 fake: no certificate in its PEM file")
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	t.Cleanup(client.CloseIdleConnections)
	return client
}

// TestFake starts "b24 fake --deals 100000", checks that it serves within
// 3 s with the printed URL and certificate, exposes the audit, and stops
// when its context ends.
func TestFake(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	begin := time.Now()
	f := serveFake(t, ctx, "--deals", "100000", "--time-scale", "10", "--faults", "unavailable=0")
	info, client, done := f.info, f.client, f.done
	resp, err := client.Get(info["webhook"] + "profile")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("profile: %d", resp.StatusCode)
	}
	resp, err = client.Get(info["webhook"] + "crm.deal.list")
	if err != nil {
		t.Fatal(err)
	}
	var list struct {
		Total int `json:"total"`
	}
	json.NewDecoder(resp.Body).Decode(&list)
	resp.Body.Close()
	if list.Total != 100000 {
		t.Errorf("crm.deal.list total %d, want 100000", list.Total)
	}
	if el := time.Since(begin); el > 3*time.Second {
		t.Errorf("served after %v, want within 3 s", el)
	}
	if !strings.Contains(info["limits"], "bucket 50, drain 20/s, operating 48s per 1m0s") {
		t.Errorf("limits line %q", info["limits"])
	}
	resp, err = client.Get(info["audit"])
	if err != nil {
		t.Fatal(err)
	}
	var audit struct {
		Requests int `json:"requests"`
	}
	json.NewDecoder(resp.Body).Decode(&audit)
	resp.Body.Close()
	if audit.Requests != 2 {
		t.Errorf("audit requests %d, want 2", audit.Requests)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit code %d", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("fake did not stop")
	}
	if _, err := os.Stat(info["certificate"]); !os.IsNotExist(err) {
		t.Errorf("certificate file left behind: %v", err)
	}
}

// TestFakeLegacyTime: "b24 fake" writes time.start and time.processing as
// integers, as current portals do; --legacy-time as floats. A profile call
// takes the 20 ms of -latency-request (and none for its row).
func TestFakeLegacyTime(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		processing string // the JSON literal
		intStart   bool
	}{
		{"current", nil, "0", true},
		{"legacy", []string{"--legacy-time"}, "0.02", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			f := serveFake(t, ctx, append([]string{"--latency-row", "0"}, tt.args...)...)
			resp, err := f.client.Get(f.info["webhook"] + "profile")
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body struct {
				Time map[string]any `json:"time"`
			}
			dec := json.NewDecoder(resp.Body)
			dec.UseNumber()
			if err := dec.Decode(&body); err != nil {
				t.Fatal(err)
			}
			if got, _ := body.Time["processing"].(json.Number); string(got) != tt.processing {
				t.Errorf("processing %#v, want %s", body.Time["processing"], tt.processing)
			}
			// A legacy start is an integral number of seconds once in a
			// million calls (microseconds): only the current form is checked.
			start, _ := body.Time["start"].(json.Number)
			if _, err := strconv.ParseInt(string(start), 10, 64); tt.intStart && err != nil {
				t.Errorf("start %#v, want an integer", body.Time["start"])
			}
			cancel()
			if code := <-f.done; code != 0 {
				t.Errorf("exit code %d", code)
			}
		})
	}
}

// TestFakeWeightAndBan: -batch-weight and -operating-ban reach the portal
// and its limits line (scaled by the time scale).
func TestFakeWeightAndBan(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := serveFake(t, ctx, "--time-scale", "10", "--batch-weight", "0.5", "--operating-ban", "300s", "--deals", "1")
	if want := "batch billed as batch at weight 0.5, ban 30s"; !strings.Contains(f.info["limits"], want) {
		t.Errorf("limits line %q, want %q in it", f.info["limits"], want)
	}
}

// TestFakeMoreWebhooks: --more-webhooks prints a webhook per user, each
// acting as its user (profile) with a secret of its own; a user id that is
// not positive or is --user's is refused.
func TestFakeMoreWebhooks(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := serveFake(t, ctx, "--more-webhooks", "7,9", "--users", "10", "--no-limits")
	for _, u := range []string{"1", "7", "9"} {
		url := f.info["webhook"]
		if u != "1" {
			url = f.info["webhook "+u]
		}
		if !strings.Contains(url, "/rest/"+u+"/") {
			t.Fatalf("user %s's webhook %q", u, url)
		}
		resp, err := f.client.Get(url + "profile")
		if err != nil {
			t.Fatal(err)
		}
		var p struct {
			Result struct {
				ID string `json:"ID"`
			} `json:"result"`
		}
		json.NewDecoder(resp.Body).Decode(&p)
		resp.Body.Close()
		if p.Result.ID != u {
			t.Errorf("profile through user %s's webhook: ID %q", u, p.Result.ID)
		}
	}
	if f.info["webhook 7"] == f.info["webhook 9"] {
		t.Error("two users, one webhook")
	}
	for _, bad := range []string{"1", "0", "x"} {
		var out, errb strings.Builder
		if code := run(ctx, []string{"fake", "--more-webhooks", bad}, strings.NewReader(""), &out, &errb, nil); code != exitUsage {
			t.Errorf("--more-webhooks %s: exit %d, %s", bad, code, errb.String())
		}
	}
}
