package b24

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/b24go/b24/limit"
)

// assertNoSecret fails when s contains the secret or its URL-encoded form.
func assertNoSecret(t *testing.T, what, s string) {
	t.Helper()
	if strings.Contains(s, testSecret) || strings.Contains(s, url.QueryEscape(testSecret)) || strings.Contains(s, url.PathEscape(testSecret)) {
		t.Errorf("%s leaks the secret: %s", what, s)
	}
}

// showEverywhere renders v in every way a user might print or log it.
func showEverywhere(t *testing.T, name string, v any) {
	t.Helper()
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%T %[1]v"} {
		assertNoSecret(t, name+" "+verb, fmt.Sprintf(verb, v))
	}
	if b, err := json.Marshal(v); err == nil {
		assertNoSecret(t, name+" JSON", string(b))
	}
	for _, h := range []func(*bytes.Buffer) slog.Handler{
		func(b *bytes.Buffer) slog.Handler {
			return slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug})
		},
		func(b *bytes.Buffer) slog.Handler {
			return slog.NewJSONHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug})
		},
	} {
		var buf bytes.Buffer
		slog.New(h(&buf)).Debug("value", "v", v)
		assertNoSecret(t, name+" slog", buf.String())
	}
}

func TestSecretNeverShown(t *testing.T) {
	t.Parallel()
	h, err := FromWebhookURL("https://portal.example.com/rest/7/" + testSecret + "/")
	if err != nil {
		t.Fatal(err)
	}
	if h.Auth().AccessToken.Reveal() != testSecret || h.TargetOriginWithPath(APIv2).Reveal() != "https://portal.example.com/rest/7/"+testSecret {
		t.Fatal("Reveal does not return the secret")
	}
	values := map[string]any{
		"hook": h, "*hook deref": reflect.ValueOf(h).Elem(), "auth": h.Auth(), "&auth": ptr(h.Auth()),
		"secret": h.Auth().AccessToken, "v2 base": h.TargetOriginWithPath(APIv2), "v3 base": h.TargetOriginWithPath(APIv3),
		"api v2": h.V2(), "api v3": h.V3(), "stats": h.Stats(), "params": h.RestrictionParams(),
		"http client": h.HTTPClient(), "limit request": limit.Request{Portal: h.Portal(), Credential: h.CredentialHash(), Methods: []string{"batch"}},
	}
	for name, v := range values {
		showEverywhere(t, name, v)
	}
	if got := fmt.Sprint(h.TargetOriginWithPath(APIv2)); got != "https://portal.example.com/rest/7/****" {
		t.Errorf("redacted URL = %q", got)
	}
}

func ptr[T any](v T) *T { return &v }

// TestSecretNotInFailures drives real failures (TLS server, refused
// connection, redirect, HTML page that echoes the URL, debug logging) and
// checks every error and log line.
func TestSecretNotInFailures(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))

	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasSuffix(r.URL.Path, "/moved"):
			http.Redirect(w, r, "https://elsewhere.example.net"+r.URL.Path, http.StatusFound)
		case strings.HasSuffix(r.URL.Path, "/echo"):
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			fmt.Fprintf(w, "<html>502: upstream failed for %s and %s</html>", r.URL.Path, url.PathEscape(r.URL.Path))
		default:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(401)
			fmt.Fprint(w, `{"error":"INVALID_CREDENTIALS","error_description":"Invalid request credentials"}`)
		}
	}))
	defer srv.Close()
	h, err := FromWebhookURL(srv.URL+"/rest/1/"+testSecret+"/", WithHTTPClient(srv.Client()), WithLogger(logger),
		WithRestrictionParams(RestrictionParams{Retry: RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond}}))
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	var errs []error
	for _, m := range []string{"moved", "echo", "profile", "crm.deal.add"} {
		_, err := h.Call(ctx, m, map[string]any{"fields": map[string]any{"TITLE": "x"}})
		if err == nil {
			t.Fatalf("%s: no error", m)
		}
		errs = append(errs, err)
	}
	var redirect *RedirectError
	if !errors.As(errs[0], &redirect) || redirect.Location != "https://elsewhere.example.net" {
		t.Errorf("redirect error = %v", errs[0])
	}
	if !errors.Is(errs[2], ErrInvalidCredentials) {
		t.Errorf("credentials error = %v", errs[2])
	}

	// A port nothing listens on: the dial fails, and net/http's *url.Error
	// would quote the whole URL.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	dead, err := FromWebhookURL("https://"+addr+"/rest/1/"+testSecret+"/", WithLogger(logger),
		WithRestrictionParams(RestrictionParams{Retry: RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond}}))
	if err != nil {
		t.Fatal(err)
	}
	_, err = dead.Call(ctx, "crm.deal.add", nil)
	var te *TransportError
	if !errors.As(err, &te) || !te.NotSent {
		t.Errorf("refused connection: %v", err)
	}
	errs = append(errs, err)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = h.Call(cctx, "crm.deal.add", nil)
	errs = append(errs, err)

	for i, err := range errs {
		showEverywhere(t, fmt.Sprintf("error %d", i), err)
		for e := err; e != nil; e = errors.Unwrap(e) {
			assertNoSecret(t, fmt.Sprintf("error %d chain", i), fmt.Sprintf("%#v", e))
		}
	}
	if !strings.Contains(logs.String(), `"msg":"b24 request"`) {
		t.Fatal("debug logging wrote no request lines")
	}
	assertNoSecret(t, "debug log", logs.String())
}

// TestBatchSubErrorsRedacted: a portal that echoes the secret in a batch
// command's error (result_error) does not leak it through the command's
// error, the batch's error or the result.
func TestBatchSubErrorsRedacted(t *testing.T) {
	t.Parallel()
	body := `{"result":{"result":{"ok":{"ID":"1"}},"result_error":{` +
		`"bad":{"error":"ERROR_` + testSecret + `","error_description":"no access for /rest/1/` + testSecret + `/","argument":"` + testSecret + `"},` +
		`"odd":"/rest/1/` + testSecret + `/ is not allowed"},` +
		`"result_total":[],"result_next":[],"result_time":[]},` +
		`"time":{"start":1,"finish":1.5,"duration":0.5,"processing":0,"date_start":"","date_finish":""}}`
	tr := &scriptTransport{steps: []func(*http.Request) (*http.Response, error){answer(200, body)}}
	h := scriptedHook(t, tr)
	res, err := h.V2().Batch(context.Background(), []Cmd{
		{Name: "ok", Method: "crm.deal.get", Params: map[string]any{"id": 1}},
		{Name: "bad", Method: "crm.deal.get", Params: map[string]any{"id": 2}},
		{Name: "odd", Method: "crm.deal.get", Params: map[string]any{"id": 3}},
	}, WithHalt(false))
	if err == nil || res == nil {
		t.Fatalf("err %v, res %v: want the failed commands reported", err, res)
	}
	redactedSeen := false
	for _, c := range res.Commands[1:] {
		if c.State != CommandFailed || c.Err == nil {
			t.Fatalf("%s: state %v err %v, want failed", c.Name, c.State, c.Err)
		}
		showEverywhere(t, c.Name+" error", c.Err)
		redactedSeen = redactedSeen || strings.Contains(c.Err.Error(), redacted)
	}
	if !redactedSeen {
		t.Fatal("no command error shows the redaction marker: the audit would pass vacuously")
	}
	showEverywhere(t, "batch error", err)
	showEverywhere(t, "batch result", res)
	showEverywhere(t, "stats", h.Stats())
}
