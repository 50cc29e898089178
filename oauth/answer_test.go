package oauth

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

// TestParseAnswer: the token endpoint's answers as the REST docs show them
// (testdata/refresh_answer_docs.json: no user_id, no expires, the OAuth
// server's domain), with numbers sent as strings or ids as numbers, and
// refusals. A field of an unexpected JSON type made the whole answer
// unreadable: the tokens the server had just rotated were dropped.
func TestParseAnswer(t *testing.T) {
	docs, err := os.ReadFile("testdata/refresh_answer_docs.json")
	if err != nil {
		t.Fatal(err)
	}
	src, err := New(Config{ClientID: "app.1", ClientSecret: "client-secret-1234", Store: &MemoryStore{}})
	if err != nil {
		t.Fatal(err)
	}
	sent := time.Date(2026, 12, 7, 6, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		status int
		body   string
		want   Token // zero: an error
		code   string
	}{
		{"docs", 200, string(docs), Token{AccessToken: "acc0docs1shape2token3", RefreshToken: "ref0docs1shape2token3",
			Expiry: sent.Add(time.Hour), MemberID: "0123456789abcdef0123456789abcdef"}, ""},
		{"numbers as strings", 200, `{"access_token":"a1","refresh_token":"r1","expires_in":"3600","user_id":"7","member_id":"m1"}`,
			Token{AccessToken: "a1", RefreshToken: "r1", Expiry: sent.Add(time.Hour), MemberID: "m1", UserID: 7}, ""},
		{"ids as numbers", 200, `{"access_token":"a1","refresh_token":"r1","expires_in":60,"user_id":7,"member_id":12345}`,
			Token{AccessToken: "a1", RefreshToken: "r1", Expiry: sent.Add(time.Minute), MemberID: "12345", UserID: 7}, ""},
		{"user null, member false", 200, `{"access_token":"a1","refresh_token":"r1","expires_in":60,"user_id":null,"member_id":false}`,
			Token{AccessToken: "a1", RefreshToken: "r1", Expiry: sent.Add(time.Minute)}, ""},
		{"negative user", 200, `{"access_token":"a1","refresh_token":"r1","expires_in":60,"user_id":-3}`,
			Token{AccessToken: "a1", RefreshToken: "r1", Expiry: sent.Add(time.Minute)}, ""},
		{"expires_in text", 200, `{"access_token":"a1","refresh_token":"r1","expires_in":"soon"}`, Token{}, ""},
		{"expires_in object", 200, `{"access_token":"a1","refresh_token":"r1","expires_in":{}}`, Token{}, ""},
		{"expires_in fraction", 200, `{"access_token":"a1","refresh_token":"r1","expires_in":3600.5}`, Token{}, ""},
		{"payment required", 401, `{"error":"PAYMENT_REQUIRED","error_description":"Payment required"}`, Token{}, "PAYMENT_REQUIRED"},
		{"invalid grant", 400, `{"error":"invalid_grant","error_description":"Invalid refresh token"}`, Token{}, "invalid_grant"},
		{"not json", 502, `<html>`, Token{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := src.parseAnswer(tt.status, []byte(tt.body), sent)
			if tt.want.AccessToken == "" {
				var oe *Error
				if err == nil {
					t.Fatalf("no error: %+v", got)
				}
				if tt.code != "" && (!errors.As(err, &oe) || oe.Code != tt.code) {
					t.Fatalf("error %v, want the refusal %s", err, tt.code)
				}
				if strings.Contains(err.Error(), "client-secret-1234") {
					t.Fatalf("the error shows the secret: %v", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %+v, %v\nwant %+v", got, err, tt.want)
			}
		})
	}
}
