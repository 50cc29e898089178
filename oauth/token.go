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
	UserID       int64     // the user the tokens act for, when the OAuth server gave it
}

func shown(s string) string {
	if s == "" {
		return ""
	}
	return "****"
}

// String describes the token with its secrets redacted.
func (t Token) String() string {
	return fmt.Sprintf("oauth.Token{AccessToken:%q, RefreshToken:%q, Expiry:%s, MemberID:%q, UserID:%d}",
		shown(t.AccessToken), shown(t.RefreshToken), t.Expiry.UTC().Format(time.RFC3339), t.MemberID, t.UserID)
}

// GoString implements fmt.GoStringer without the secrets.
func (t Token) GoString() string { return t.String() }

// Format implements fmt.Formatter without the secrets, for every verb.
func (t Token) Format(f fmt.State, _ rune) { fmt.Fprint(f, t.String()) }

// LogValue implements slog.LogValuer without the secrets.
func (t Token) LogValue() slog.Value {
	return slog.GroupValue(slog.Time("expiry", t.Expiry), slog.String("member_id", t.MemberID), slog.Int64("user_id", t.UserID))
}

// MarshalJSON describes the token without its secrets (stores use their own encoding).
func (t Token) MarshalJSON() ([]byte, error) {
	return fmt.Appendf(nil, `{"access_token":%q,"refresh_token":%q,"expiry":%q,"member_id":%q,"user_id":%d}`,
		shown(t.AccessToken), shown(t.RefreshToken), t.Expiry.UTC().Format(time.RFC3339), t.MemberID, t.UserID), nil
}

// Secret is a client secret: it prints, logs and encodes as "****".
type Secret string

// String returns "****" (or "" for an empty secret).
func (s Secret) String() string { return shown(string(s)) }

// GoString implements fmt.GoStringer without the secret.
func (s Secret) GoString() string { return fmt.Sprintf("oauth.Secret(%q)", s.String()) }

// Format implements fmt.Formatter without the secret, for every verb.
func (s Secret) Format(f fmt.State, _ rune) { fmt.Fprint(f, s.String()) }

// LogValue implements slog.LogValuer without the secret.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalText writes "****" (JSON, flags and other encoders).
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Format prints a Source as its client id only, for every verb.
func (s *Source) Format(f fmt.State, _ rune) { fmt.Fprintf(f, "oauth.Source(%s)", s.cfg.ClientID) }

// LogValue implements slog.LogValuer with the client id only.
func (s *Source) LogValue() slog.Value {
	return slog.StringValue("oauth.Source(" + s.cfg.ClientID + ")")
}

// Format prints a MemoryStore without its tokens, for every verb.
func (m *MemoryStore) Format(f fmt.State, _ rune) { fmt.Fprint(f, "oauth.MemoryStore") }

// LogValue implements slog.LogValuer without the tokens.
func (m *MemoryStore) LogValue() slog.Value { return slog.StringValue("oauth.MemoryStore") }
