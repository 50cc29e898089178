package b24

import (
	"errors"
	"strings"
	"testing"
)

func TestNoResendCause(t *testing.T) {
	tests := []struct{ in, want string }{
		{"http2: Transport: cannot retry err [stream error: stream ID 3; PROTOCOL_ERROR; received from peer] after Request.Body was written; define Request.GetBody to avoid this error",
			"stream error: stream ID 3; PROTOCOL_ERROR; received from peer"},
		{"http2: Transport: cannot retry err [http2: Transport received Server's graceful shutdown GOAWAY] after Request.Body was written; define Request.GetBody to avoid this error",
			"http2: Transport received Server's graceful shutdown GOAWAY"},
		{"http2: Transport: cannot retry err [] after Request.Body was written", "http2: Transport: cannot retry err [] after Request.Body was written"},
		{"http2: Transport: cannot retry err [x", "http2: Transport: cannot retry err [x"},
		{"read tcp: connection reset by peer", "read tcp: connection reset by peer"},
	}
	for _, tt := range tests {
		if got := noResendCause(errors.New(tt.in)).Error(); got != tt.want {
			t.Errorf("noResendCause(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	plain := errors.New("plain")
	if noResendCause(plain) != plain {
		t.Error("an error of another kind is not returned as it is")
	}
}

func FuzzNoResendCause(f *testing.F) {
	f.Add("http2: Transport: cannot retry err [stream error: stream ID 3; CANCEL; received from peer] after Request.Body was written; define Request.GetBody to avoid this error")
	f.Add("http2: Transport: cannot retry err [] after Request.Body was written] after Request.Body was written")
	f.Add("EOF")
	f.Fuzz(func(t *testing.T, s string) {
		got := noResendCause(errors.New(s)).Error()
		if !strings.Contains(s, got) {
			t.Fatalf("noResendCause(%q) = %q, not part of the error", s, got)
		}
		if !strings.HasPrefix(s, h2NoResend) && got != s {
			t.Fatalf("noResendCause(%q) = %q, want it unchanged", s, got)
		}
	})
}
