package b24_test

import (
	"errors"
	"net/http"
	"testing"
	"testing/synctest"

	"github.com/b24go/b24"
	"github.com/b24go/b24/b24test"
)

func TestPingAndHealthCheck(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		srv := b24test.NewServer(t, b24test.InMemory())
		h := srv.Hook()
		d, err := h.Ping(t.Context())
		if err != nil || d <= 0 {
			t.Fatalf("Ping = %v, %v", d, err)
		}
		if ok, err := h.HealthCheck(t.Context()); !ok || err != nil {
			t.Fatalf("HealthCheck = %v, %v", ok, err)
		}
		bad, err := b24.FromWebhookURL(srv.URL()+"/rest/1/wrongsecret/", b24.WithHTTPClient(&http.Client{Transport: srv.Transport()}))
		if err != nil {
			t.Fatal(err)
		}
		if ok, err := bad.HealthCheck(t.Context()); ok || !errors.Is(err, b24.ErrInvalidCredentials) {
			t.Fatalf("HealthCheck with a wrong secret = %v, %v", ok, err)
		}
		if _, err := bad.Ping(t.Context()); !errors.Is(err, b24.ErrInvalidCredentials) {
			t.Fatalf("Ping with a wrong secret: %v", err)
		}
	})
}
