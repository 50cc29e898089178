package b24

import (
	"encoding/json"
	"fmt"
	"log/slog"
)

// redacted replaces the webhook secret wherever a value that carries it is shown.
const redacted = "****"

// Secret holds a value that carries the webhook secret: the secret itself, or
// a URL whose path contains it. Every way of showing it redacts: String,
// GoString, Format (so every fmt verb, %v, %+v, %#v, %s, %q, %x included),
// MarshalJSON and LogValue. Reveal is the one explicit way to read it.
//
// The zero Secret is empty. Secrets are immutable and safe to copy.
type Secret struct {
	shown string  // what is displayed: "****" or the URL with "****" for the secret
	value *string // behind a pointer, so that reflection-based printing shows an address
}

func newSecret(value, shown string) Secret { return Secret{shown: shown, value: &value} }

// Reveal returns the secret value. Pass it only to what must have it (an HTTP
// request to the portal); never log or print it.
func (s Secret) Reveal() string {
	if s.value == nil {
		return ""
	}
	return *s.value
}

// IsZero reports whether s holds nothing.
func (s Secret) IsZero() bool { return s.value == nil || *s.value == "" }

// String returns the redacted form.
func (s Secret) String() string {
	if s.value == nil {
		return ""
	}
	return s.shown
}

// GoString returns the redacted form for %#v.
func (s Secret) GoString() string { return fmt.Sprintf("b24.Secret(%q)", s.String()) }

// Format implements fmt.Formatter: every verb prints the redacted form.
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		fmt.Fprint(f, s.GoString())
		return
	}
	fmt.Fprintf(f, fmt.FormatString(f, verb), s.String())
}

// MarshalJSON writes the redacted form as a JSON string.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// MarshalText writes the redacted form (used by encoding/xml, flags and others).
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// LogValue implements slog.LogValuer with the redacted form.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }
