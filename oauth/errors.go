package oauth

import (
	"errors"
	"fmt"
)

// Error is a refusal of the OAuth server (its "error" code and text). A
// refused refresh is not repeated for the same refresh token.
type Error struct {
	Status      int
	Code        string // invalid_grant, wrong_client, invalid_client, ...
	Description string
}

func (e *Error) Error() string {
	return fmt.Sprintf("oauth: the OAuth server refused the grant (%d %s: %s)", e.Status, e.Code, e.Description)
}

// Is matches an *Error with the same Code, so errors.Is(err, ErrInvalidGrant) works.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// Refusals the OAuth server answers.
var (
	ErrInvalidGrant = &Error{Code: "invalid_grant"} // the refresh token is unknown, used up, expired or revoked: reinstall or re-authorize
	ErrWrongClient  = &Error{Code: "wrong_client"}  // the client id or secret is wrong
)

// ErrInvalidConfig is wrapped by New for a configuration it refuses.
var ErrInvalidConfig = errors.New("oauth: invalid configuration")

// ErrNoTokens is returned when the Store holds no tokens.
var ErrNoTokens = errors.New("oauth: the store holds no tokens")
