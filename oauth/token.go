package oauth

import (
	"fmt"
	"log/slog"
	"time"
)

// Token is an application's pair of tokens on one portal. Printing,
// logging or JSON-encoding a Token shows its tokens as "****".
type Token struct {
	AccessToken  string
	RefreshToken string
	Expiry       time.Time // when the access token expires
	MemberID     string    // the portal's member id, when the OAuth server gave it
}

func shown(s string) string {
	if s == "" {
		return ""
	}
	return "****"
}

// String describes the token with its secrets redacted.
func (t Token) String() string {
	return fmt.Sprintf("oauth.Token{AccessToken:%q, RefreshToken:%q, Expiry:%s, MemberID:%q}",
		shown(t.AccessToken), shown(t.RefreshToken), t.Expiry.UTC().Format(time.RFC3339), t.MemberID)
}

// GoString implements fmt.GoStringer without the secrets.
func (t Token) GoString() string { return t.String() }

// Format implements fmt.Formatter without the secrets, for every verb.
func (t Token) Format(f fmt.State, _ rune) { fmt.Fprint(f, t.String()) }

// LogValue implements slog.LogValuer without the secrets.
func (t Token) LogValue() slog.Value {
	return slog.GroupValue(slog.Time("expiry", t.Expiry), slog.String("member_id", t.MemberID))
}

// MarshalJSON describes the token without its secrets (stores use their own encoding).
func (t Token) MarshalJSON() ([]byte, error) {
	return fmt.Appendf(nil, `{"access_token":%q,"refresh_token":%q,"expiry":%q,"member_id":%q}`,
		shown(t.AccessToken), shown(t.RefreshToken), t.Expiry.UTC().Format(time.RFC3339), t.MemberID), nil
}
