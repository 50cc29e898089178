package oauth_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/b24go/b24"
	"github.com/b24go/b24/b24test"
	"github.com/b24go/b24/oauth"
)

// childEnv marks a process started by TestFourProcesses.
const childEnv = "B24_OAUTH_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		if err := child(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// child makes 16 concurrent calls with the tokens of the shared file.
func child() error {
	pem, err := os.ReadFile(os.Getenv("B24_OAUTH_CERT"))
	if err != nil {
		return err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	src, err := oauth.New(oauth.Config{ClientID: "app.test", ClientSecret: "client-secret-1234",
		Store: oauth.FileStore{Path: os.Getenv("B24_OAUTH_STORE")}, TokenURL: os.Getenv("B24_OAUTH_URL") + b24test.OAuthTokenPath, HTTPClient: client})
	if err != nil {
		return err
	}
	h, err := b24.NewApp(os.Getenv("B24_OAUTH_URL"), src, b24.WithHTTPClient(client))
	if err != nil {
		return err
	}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Go(func() {
			if _, err := h.Call(context.Background(), "profile", nil); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// TestFourProcesses: four processes sharing a FileStore, 16 goroutines
// each, all on an expired token, make exactly one refresh.
func TestFourProcesses(t *testing.T) {
	s := b24test.NewServer(t, b24test.WithoutLimits())
	first := s.RegisterApp("app.test", "client-secret-1234")
	dir := t.TempDir()
	store, cert := filepath.Join(dir, "tokens.json"), filepath.Join(dir, "cert.pem")
	if err := os.WriteFile(cert, s.CertificatePEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	tok := oauth.Token{AccessToken: first.AccessToken, RefreshToken: first.RefreshToken, Expiry: first.Expires}
	if err := (oauth.FileStore{Path: store}).Save(context.Background(), tok); err != nil {
		t.Fatal(err)
	}
	s.ExpireAccessTokens()
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), childEnv+"=1", "B24_OAUTH_CERT="+cert, "B24_OAUTH_STORE="+store, "B24_OAUTH_URL="+s.URL())
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("process %d: %v: %s", i, err, out)
			}
		})
	}
	wg.Wait()
	if n := s.Refreshes(); n != 1 {
		t.Fatalf("%d refreshes, want 1", n)
	}
}
