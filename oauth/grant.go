package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/b24go/b24/internal/redact"
)

// maxAnswer bounds the token endpoint's answer.
const maxAnswer = 64 << 10

// maxTokenLife bounds the expires_in a hostile server may claim.
const maxTokenLife = 30 * 24 * time.Hour

// answer is the token endpoint's JSON. The numbers are read as a JSON
// number or a string of one ("3600" as PHP may send it), the member id as
// a string or a number: a field of an unexpected JSON type must not make
// the answer unreadable, since the server has rotated the tokens by then.
type answer struct {
	AccessToken  string  `json:"access_token"`
	RefreshToken string  `json:"refresh_token"`
	ExpiresIn    lenient `json:"expires_in"`
	MemberID     lenient `json:"member_id"`
	UserID       lenient `json:"user_id"`
	Error        string  `json:"error"`
	Description  string  `json:"error_description"`
}

// lenient is a JSON string or number, as text; "" for anything else
// (null, false, an object).
type lenient string

func (l *lenient) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		*l = lenient(strings.TrimSpace(s))
		return nil
	}
	var n json.Number
	if json.Unmarshal(b, &n) == nil {
		*l = lenient(n.String())
		return nil
	}
	*l = ""
	return nil
}

// int returns l as an integer; ok is false when it is not one.
func (l lenient) int() (int64, bool) {
	n, err := strconv.ParseInt(string(l), 10, 64)
	return n, err == nil
}

// grant sends the refresh grant (GET TokenURL?grant_type=refresh_token&...)
// and returns the new tokens, or an *Error for a refusal.
func (s *Source) grant(ctx context.Context, refreshToken string) (Token, error) {
	return s.request(ctx, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshToken}})
}

// request sends a grant of the token endpoint (q plus the client's id and
// secret) and returns the tokens, or an *Error for a refusal.
func (s *Source) request(ctx context.Context, q url.Values) (Token, error) {
	q.Set("client_id", s.cfg.ClientID)
	q.Set("client_secret", string(s.cfg.ClientSecret))
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.cfg.TokenURL+"?"+q.Encode(), nil)
	if err != nil {
		return Token{}, errors.New("oauth: building the refresh request failed")
	}
	req.Header.Set("Accept", "application/json")
	start := time.Now()
	resp, err := s.cfg.HTTPClient.Do(req)
	if err != nil {
		// *url.Error quotes the URL, which holds the secrets: keep its cause only.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return Token{}, fmt.Errorf("oauth: the refresh request failed (the refresh token is kept): %s", s.scrub(err.Error()))
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil || len(b) > maxAnswer {
		return Token{}, fmt.Errorf("oauth: reading the refresh answer failed (status %d)", resp.StatusCode)
	}
	return s.parseAnswer(resp.StatusCode, b, start)
}

// parseAnswer checks the token endpoint's answer.
func (s *Source) parseAnswer(status int, b []byte, sent time.Time) (Token, error) {
	var a answer
	if err := json.Unmarshal(b, &a); err != nil {
		return Token{}, fmt.Errorf("oauth: the refresh answer (status %d) is not JSON", status)
	}
	if a.Error != "" {
		return Token{}, &Error{Status: status, Code: s.scrub(a.Error), Description: s.scrub(a.Description)}
	}
	if status != http.StatusOK || !ValidToken(a.AccessToken) || !ValidToken(a.RefreshToken) {
		return Token{}, fmt.Errorf("oauth: the refresh answer (status %d) has no valid tokens", status)
	}
	secs, _ := a.ExpiresIn.int()
	life := time.Duration(secs) * time.Second
	if life <= 0 || life > maxTokenLife {
		return Token{}, fmt.Errorf("oauth: the refresh answer's expires_in %.20q is not plausible", a.ExpiresIn)
	}
	// The life counts from when the request left: never later than the server's.
	user, _ := a.UserID.int() // absent (the documented answers have none) or malformed: unknown
	return Token{AccessToken: a.AccessToken, RefreshToken: a.RefreshToken, Expiry: sent.Add(life),
		MemberID: string(a.MemberID), UserID: max(user, 0)}, nil
}

// ValidToken reports whether t can be a token: what can travel in a header,
// 1-512 letters, digits, - _ . ~
func ValidToken(t string) bool {
	if t == "" || len(t) > 512 {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~') {
			return false
		}
	}
	return true
}

// scrub masks the client secret and the tokens in s.
func (s *Source) scrub(str string) string {
	for _, sec := range s.Secrets() {
		str = redact.String(str, sec)
	}
	return str
}
