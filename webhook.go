package b24

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// webhook is a parsed, validated inbound webhook: the portal's origin, the user
// id and the secret.
type webhook struct {
	host   string // normalised host[:port], lower-case, no default port
	userID int64
	secret string
	app    TokenSource // an application (NewApp): no user id or secret
}

func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidWebhook}, args...)...)
}

const webhookForm = "https://<portal>/rest/<userId>/<secret>/ (or /rest/api/<userId>/<secret>/)"

// parseWebhookURL validates a webhook URL of the form
// https://portal/rest/<userId>/<secret>/ or https://portal/rest/api/<userId>/<secret>/.
func parseWebhookURL(raw string) (webhook, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return webhook{}, invalidf("webhook URL is empty")
	}
	// url.Parse errors quote the input, which holds the secret: never wrap them.
	u, err := url.Parse(s)
	if err != nil || u.Opaque != "" {
		return webhook{}, invalidf("webhook URL is not a valid URL; expected %s", webhookForm)
	}
	if u.Scheme == "" || u.Host == "" {
		return webhook{}, invalidf("webhook URL must be an absolute https URL: %s", webhookForm)
	}
	if u.Scheme != "https" {
		return webhook{}, invalidf("webhook URL must use https, not %q (the secret must not travel in clear text)", u.Scheme)
	}
	if u.User != nil {
		return webhook{}, invalidf("webhook URL must not contain user information before the host")
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(s, "#") {
		return webhook{}, invalidf("webhook URL must not have a query or a fragment; expected %s", webhookForm)
	}
	host, err := normaliseHost(u.Host)
	if err != nil {
		return webhook{}, err
	}
	var segs []string
	for _, seg := range strings.Split(u.EscapedPath(), "/") {
		if seg != "" {
			segs = append(segs, seg)
		}
	}
	if len(segs) == 0 || segs[0] != "rest" {
		return webhook{}, invalidf("webhook URL path must be /rest/<userId>/<secret>/ or /rest/api/<userId>/<secret>/")
	}
	base := 3
	if len(segs) >= 2 && segs[1] == "api" {
		base = 4
	}
	if len(segs) < base {
		return webhook{}, invalidf("webhook URL path must be /rest/<userId>/<secret>/ or /rest/api/<userId>/<secret>/")
	}
	if len(segs) > base {
		return webhook{}, invalidf("webhook URL has extra path segments after the secret (a method name?): pass the base webhook URL, %s", webhookForm)
	}
	uid, err := parseUserID(segs[base-2])
	if err != nil {
		return webhook{}, err
	}
	secret := segs[base-1]
	if err := checkSecret(secret); err != nil {
		return webhook{}, err
	}
	return webhook{host: host, userID: uid, secret: secret}, nil
}

// parseHookParams validates the parts of a webhook given separately.
func parseHookParams(p HookParams) (webhook, error) {
	host, err := parsePortalURL(p.PortalURL)
	if err != nil {
		return webhook{}, err
	}
	if p.UserID <= 0 {
		return webhook{}, invalidf("user id must be a positive integer, got %d", p.UserID)
	}
	if err := checkSecret(p.Secret); err != nil {
		return webhook{}, err
	}
	return webhook{host: host, userID: p.UserID, secret: p.Secret}, nil
}

// parsePortalURL validates a portal's origin, https://host[:port], and
// returns its normalised host.
func parsePortalURL(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", invalidf("portal URL is empty")
	}
	u, err := url.Parse(s)
	if err != nil || u.Opaque != "" || u.Scheme == "" || u.Host == "" {
		return "", invalidf("portal URL must be an absolute https URL such as https://example.bitrix24.com")
	}
	if u.Scheme != "https" {
		return "", invalidf("portal URL must use https, not %q", u.Scheme)
	}
	if u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || (u.Path != "" && u.Path != "/") {
		return "", invalidf("portal URL must be an origin only (https://host[:port]), without path, query or fragment")
	}
	return normaliseHost(u.Host)
}

func normaliseHost(hostport string) (string, error) {
	host, port := hostport, ""
	if h, p, err := net.SplitHostPort(hostport); err == nil {
		host, port = h, p
	} else if strings.HasPrefix(hostport, "[") && strings.HasSuffix(hostport, "]") {
		host = hostport[1 : len(hostport)-1]
	}
	host = strings.ToLower(host)
	if host == "" {
		return "", invalidf("webhook URL has no host")
	}
	for _, r := range host {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '.' || r == ':' || r == '_') {
			return "", invalidf("webhook URL host %q has invalid characters", host)
		}
	}
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return "", invalidf("webhook URL port %q is not valid", port)
		}
		port = strconv.Itoa(n)
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port == "" || port == "443" {
		return host, nil
	}
	return host + ":" + port, nil
}

func parseUserID(seg string) (int64, error) {
	if seg == "" || strings.TrimLeft(seg, "0123456789") != "" {
		return 0, invalidf("user id in the webhook URL must be a positive integer (the /rest/<userId>/ segment)")
	}
	n, err := strconv.ParseInt(seg, 10, 64)
	if err != nil || n <= 0 {
		return 0, invalidf("user id in the webhook URL must be a positive integer (the /rest/<userId>/ segment)")
	}
	return n, nil
}

// checkSecret accepts the characters a webhook token can have (RFC 3986
// unreserved characters); Bitrix24 issues lower-case letters and digits.
func checkSecret(secret string) error {
	if secret == "" {
		return invalidf("webhook secret is empty")
	}
	if len(secret) > 256 {
		return invalidf("webhook secret is too long (%d characters)", len(secret))
	}
	for i := 0; i < len(secret); i++ {
		c := secret[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~') {
			return invalidf("webhook secret has a character a token cannot have (allowed: letters, digits, - _ . ~)")
		}
	}
	return nil
}
