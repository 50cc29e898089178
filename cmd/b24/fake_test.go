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
	}
	for _, tt := range tests {
		var out, errb strings.Builder
		if got := run(context.Background(), tt.args, strings.NewReader(""), &out, &errb, nil); got != tt.code {
			t.Errorf("run %q = %d, want %d (stderr %q)", tt.args, got, tt.code, errb.String())
		}
	}
}

// TestFake starts "b24 fake --deals 100000", checks that it serves within
// 3 s with the printed URL and certificate, exposes the audit, and stops
// when its context ends.
func TestFake(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	var errb strings.Builder
	done := make(chan int, 1)
	begin := time.Now()
	go func() {
		done <- run(ctx, []string{"fake", "--deals", "100000", "--time-scale", "10", "--faults", "unavailable=0"}, nil, pw, &errb, []string{"TMPDIR=" + t.TempDir()})
		pw.Close()
	}()
	info := map[string]string{}
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "serving") {
			break
		}
		k, v, _ := strings.Cut(line, ":")
		info[k] = strings.TrimSpace(v)
	}
	go io.Copy(io.Discard, pr)
	if info["webhook"] == "" {
		t.Fatalf("no webhook line; stderr %q", errb.String())
	}
	pemBytes, err := os.ReadFile(info["certificate"])
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemBytes) {
		t.Fatal("bad PEM")
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
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
