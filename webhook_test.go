package b24

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/b24go/b24/limit"
)

const testSecret = "8g9l071eismy9q2l"

func TestFromWebhookURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		host    string
		uid     int64
		wantErr string // substring of the error; "" means success
	}{
		{"v2 with slash", "https://example.bitrix24.com/rest/1/" + testSecret + "/", "example.bitrix24.com", 1, ""},
		{"v2 no slash", "https://example.bitrix24.com/rest/17/" + testSecret, "example.bitrix24.com", 17, ""},
		{"v3 form", "https://example.bitrix24.com/rest/api/5/" + testSecret + "/", "example.bitrix24.com", 5, ""},
		{"upper-case host", "https://Example.Bitrix24.COM/rest/1/" + testSecret, "example.bitrix24.com", 1, ""},
		{"default port dropped", "https://example.com:443/rest/1/" + testSecret, "example.com", 1, ""},
		{"other port kept", "https://example.com:8443/rest/1/" + testSecret, "example.com:8443", 1, ""},
		{"ipv4 and port", "https://127.0.0.1:9000/rest/1/" + testSecret, "127.0.0.1:9000", 1, ""},
		{"ipv6", "https://[::1]:9000/rest/1/" + testSecret, "[::1]:9000", 1, ""},
		{"surrounding spaces", "  https://example.com/rest/1/" + testSecret + "/  ", "example.com", 1, ""},
		{"blank", "   ", "", 0, "empty"},
		{"not a URL", "https://exa mple.com/rest/1/" + testSecret, "", 0, "not a valid URL"},
		{"no scheme", "example.com/rest/1/" + testSecret, "", 0, "absolute https URL"},
		{"http", "http://example.com/rest/1/" + testSecret, "", 0, "must use https"},
		{"ftp", "ftp://example.com/rest/1/" + testSecret, "", 0, "must use https"},
		{"method suffix", "https://example.com/rest/1/" + testSecret + "/crm.deal.list", "", 0, "pass the base webhook URL"},
		{"v3 method suffix", "https://example.com/rest/api/1/" + testSecret + "/tasks.task.get", "", 0, "pass the base webhook URL"},
		{"no rest", "https://example.com/api/1/" + testSecret, "", 0, "path must be"},
		{"secret only", "https://example.com/rest/" + testSecret, "", 0, "path must be"},
		{"root", "https://example.com/", "", 0, "path must be"},
		{"uid not numeric", "https://example.com/rest/admin/" + testSecret, "", 0, "positive integer"},
		{"uid zero", "https://example.com/rest/0/" + testSecret, "", 0, "positive integer"},
		{"uid negative", "https://example.com/rest/-1/" + testSecret, "", 0, "positive integer"},
		{"uid overflow", "https://example.com/rest/99999999999999999999/" + testSecret, "", 0, "positive integer"},
		{"secret with bad char", "https://example.com/rest/1/abc%20def", "", 0, "character a token cannot have"},
		{"secret with at", "https://example.com/rest/1/abc@def", "", 0, "character a token cannot have"},
		{"query", "https://example.com/rest/1/" + testSecret + "/?x=1", "", 0, "query or a fragment"},
		{"empty query", "https://example.com/rest/1/" + testSecret + "/?", "", 0, "query or a fragment"},
		{"fragment", "https://example.com/rest/1/" + testSecret + "/#top", "", 0, "query or a fragment"},
		{"user info", "https://user:pw@example.com/rest/1/" + testSecret, "", 0, "user information"},
		{"bad port", "https://example.com:99999/rest/1/" + testSecret, "", 0, `port "99999" is not valid`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := FromWebhookURL(tt.in)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("FromWebhookURL(%q) succeeded, want error containing %q", tt.in, tt.wantErr)
				}
				if !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %q does not contain %q", err, tt.wantErr)
				}
			} else {
				if err != nil {
					t.Fatalf("FromWebhookURL(%q): %v", tt.in, err)
				}
				if h.Portal() != tt.host || h.UserID() != tt.uid {
					t.Fatalf("got host %q uid %d, want %q %d", h.Portal(), h.UserID(), tt.host, tt.uid)
				}
				if got := h.TargetOriginWithPath(APIv2).Reveal(); got != "https://"+tt.host+"/rest/"+strconv.FormatInt(tt.uid, 10)+"/"+testSecret {
					t.Fatalf("v2 base %q", got)
				}
				if got := h.TargetOriginWithPath(APIv3).Reveal(); got != "https://"+tt.host+"/rest/api/"+strconv.FormatInt(tt.uid, 10)+"/"+testSecret {
					t.Fatalf("v3 base %q", got)
				}
				return
			}
			if !errors.Is(err, ErrInvalidWebhook) {
				t.Errorf("error %v does not wrap ErrInvalidWebhook", err)
			}
			if strings.Contains(err.Error(), testSecret) || strings.Contains(err.Error(), "abc") {
				t.Errorf("error leaks the secret: %v", err)
			}
		})
	}
}

func TestNew(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		p       HookParams
		wantErr string
	}{
		{"ok", HookParams{"https://Example.com/", 3, testSecret}, ""},
		{"ok with port", HookParams{"https://example.com:8443", 3, testSecret}, ""},
		{"empty portal", HookParams{"", 3, testSecret}, "portal URL is empty"},
		{"http portal", HookParams{"http://example.com", 3, testSecret}, "must use https"},
		{"bare host", HookParams{"example.com", 3, testSecret}, "absolute https URL"},
		{"portal with path", HookParams{"https://example.com/rest/1", 3, testSecret}, "origin only"},
		{"zero user", HookParams{"https://example.com", 0, testSecret}, "positive integer"},
		{"empty secret", HookParams{"https://example.com", 1, ""}, "secret is empty"},
		{"secret with slash", HookParams{"https://example.com", 1, "ab/cd"}, "cannot have"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := New(tt.p)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if !strings.HasPrefix(h.TargetOrigin(), "https://example.com") {
					t.Fatalf("origin %q", h.TargetOrigin())
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("New(%+v) error = %v, want %q", tt.p.PortalURL, err, tt.wantErr)
			}
			if tt.p.Secret != "" && strings.Contains(err.Error(), tt.p.Secret) {
				t.Fatalf("error leaks the secret: %v", err)
			}
		})
	}
}

func TestOptionsValidated(t *testing.T) {
	t.Parallel()
	url := "https://example.com/rest/1/" + testSecret
	bad := map[string]Option{
		"nil client":   WithHTTPClient(nil),
		"nil logger":   WithLogger(nil),
		"nil limiter":  WithLimiter(nil),
		"empty ua":     WithUserAgent(" "),
		"zero timeout": WithTimeout(0),
		"tiny body":    WithMaxResponseSize(10),
		"bad params":   WithRestrictionParams(RestrictionParams{Params: limit.Params{RateLimit: limit.RateLimit{Burst: -1}}}),
		"nil option":   nil,
	}
	for name, opt := range bad {
		if _, err := FromWebhookURL(url, opt); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// FuzzParseWebhookURL checks that no input panics, that accepted URLs give a
// consistent hook, and that no error repeats the secret segment.
func FuzzParseWebhookURL(f *testing.F) {
	for _, s := range []string{
		"https://example.bitrix24.com/rest/1/" + testSecret + "/",
		"https://example.bitrix24.com/rest/api/1/" + testSecret,
		"http://x/rest/1/" + testSecret, "https://x/rest/1/" + testSecret + "/crm.deal.get",
		"https://[::1]:443/rest/1/a", "https://x/rest/1/a?b#c", "", " ", "https://%zz/rest/1/a",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		wh, err := parseWebhookURL(raw)
		if err != nil {
			if !errors.Is(err, ErrInvalidWebhook) {
				t.Fatalf("error not wrapping ErrInvalidWebhook: %v", err)
			}
			// The error must not repeat a secret-looking path segment (the host may be shown).
			path := raw
			if _, after, ok := strings.Cut(raw, "://"); ok {
				_, path, _ = strings.Cut(after, "/")
			}
			for _, seg := range strings.Split(path, "/") {
				if len(seg) >= 12 && strings.Contains(err.Error(), seg) {
					t.Fatalf("error %q repeats input segment %q", err, seg)
				}
			}
			return
		}
		if wh.userID <= 0 || wh.secret == "" || wh.host == "" {
			t.Fatalf("accepted %q with empty parts: %+v", raw, wh)
		}
		if checkSecret(wh.secret) != nil {
			t.Fatalf("accepted a bad secret from %q", raw)
		}
		// The base URL it derives parses back to the same webhook.
		again, err := parseWebhookURL("https://" + wh.host + "/rest/" + strconv.FormatInt(wh.userID, 10) + "/" + wh.secret + "/")
		if err != nil || again != wh {
			t.Fatalf("round trip of %q: %+v, %v", raw, again, err)
		}
	})
}
