package dbsync

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/b24go/b24"
	"github.com/b24go/b24/b24test"
)

// TestResumeAfterStop: a first walk stopped after some commits leaves its
// id cursor in the state; the next run resumes from it (mode "resume",
// rows before the cursor not read again), then walks the ids, and the
// table equals the portal.
func TestResumeAfterStop(t *testing.T) {
	drivers(t, func(t *testing.T, url string) {
		s := fake(t, 3000)
		h := hookOf(s)
		db := openDB(t, url)
		ctx, cancel := context.WithCancel(context.Background())
		pages := 0
		_, err := db.Sync(ctx, h, Options{Entity: "crm.deal", CommitRows: 100, Progress: func(p Progress) {
			if pages++; pages == 1 {
				cancel()
			}
		}})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("stopped run: %v", err)
		}
		var cursor int64
		if err := db.SQL().QueryRow(`SELECT cursor FROM b24sync_state WHERE tbl = 'crm_deal'`).Scan(&cursor); err != nil || cursor == 0 {
			t.Fatalf("cursor %d, %v", cursor, err)
		}
		rep := mustSync(t, db, h, Options{Entity: "crm.deal"})
		if rep.Mode != "resume" || rep.Written >= 6000 {
			t.Fatalf("resumed run: %+v", rep)
		}
		sameDeals(t, db, h)
	})
}

// childEnv names the environment of TestMain's child sync (see killChild).
const childEnv = "B24_DBSYNC_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(childSync())
	}
	os.Exit(m.Run())
}

// childSync runs one sync for a parent test that kills it: DB URL, webhook
// URL and the fake's certificate file in the environment.
func childSync() int {
	pem, err := os.ReadFile(os.Getenv(childEnv + "_CERT"))
	if err != nil {
		return 2
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	h, err := b24.FromWebhookURL(os.Getenv(childEnv+"_HOOK"), b24.WithHTTPClient(client))
	if err != nil {
		return 2
	}
	db, err := Open(context.Background(), os.Getenv(childEnv))
	if err != nil {
		return 2
	}
	progress := func(Progress) { fmt.Println("written") } // the parent kills after the first
	if _, err := db.Sync(context.Background(), h, Options{Entity: "crm.deal", CommitRows: 100, Progress: progress}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// TestKillAtRandomPoints: a sync process killed with SIGKILL at a random
// moment after its first rows are written (mid-walk, mid-commit, during the
// id walk: it holds the table's lock) leaves a database the next run
// completes: no manual unlock (each next process gets the lock: none fails,
// with ErrLocked or else), and the table equals the portal. Edits land
// between the kills.
func TestKillAtRandomPoints(t *testing.T) {
	drivers(t, func(t *testing.T, url string) {
		s := fake(t, 3000, b24test.WithAddr("127.0.0.1:0"))
		cert := filepath.Join(t.TempDir(), "cert.pem")
		if err := os.WriteFile(cert, s.CertificatePEM(), 0o600); err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
		killed := 0
		for i := range 4 {
			if killChild(t, url, s, cert, time.Duration(rng.IntN(400))*time.Millisecond) {
				killed++
			}
			s.CallAs(1, "crm.deal.update", map[string]any{"id": 10 + i, "fields": map[string]any{"TITLE": fmt.Sprint("k", i)}})
		}
		if killed == 0 {
			t.Fatal("every child finished before its kill: nothing was killed mid-run")
		}
		db := openDB(t, url)
		mustSync(t, db, hookOf(s), Options{Entity: "crm.deal"})
		sameDeals(t, db, hookOf(s))
	})
}

// killChild runs a child sync and kills it delay after its first rows are
// written; it reports whether the kill ended it (false: it finished first).
// A child that failed (the lock still held: ErrLocked) fails the test.
func killChild(t *testing.T, url string, s *b24test.Server, cert string, delay time.Duration) bool {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+url, childEnv+"_HOOK="+s.WebhookURL(), childEnv+"_CERT="+cert)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(out)
	if _, err := r.ReadString('\n'); err == nil {
		time.AfterFunc(delay, func() { cmd.Process.Signal(syscall.SIGKILL) })
	}
	io.Copy(io.Discard, r) // to the end: what it printed before the kill
	err = cmd.Wait()
	t.Logf("kill %v after the first rows: %v", delay, err)
	var exit *exec.ExitError
	switch {
	case err == nil:
		return false
	case errors.As(err, &exit) && exit.Sys().(syscall.WaitStatus).Signal() == syscall.SIGKILL:
		return true
	}
	t.Fatalf("child sync: %v: %s", err, stderr.String())
	return false
}
