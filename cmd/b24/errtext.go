package main

import (
	"errors"
	"strings"

	"github.com/b24go/b24"
)

// noCodeText stands for an empty error code (legacy methods send one).
const noCodeText = "error (no code)"

// cleanCode rewrites the text of an API error without a code inside msg:
// `crm.deal.get: "": Not found` becomes `crm.deal.get: Not found`, never
// printing the empty code as "".
func cleanCode(msg string, err error) string {
	var ae *b24.APIError
	if !errors.As(err, &ae) || ae.Code != "" {
		return msg
	}
	full := strings.TrimPrefix(ae.Error(), "b24: ")
	clean := strings.Replace(full, `"": `, "", 1)
	if clean == full {
		clean = strings.Replace(full, `""`, noCodeText, 1)
	}
	return strings.Replace(msg, full, clean, 1)
}

// authFailure reports whether err is the portal refusing the webhook
// itself (wrong or deleted webhook, expired or invalid token), not one
// command: exit 1, as for any call, even inside a batch.
func authFailure(err error) bool {
	for _, c := range []b24.Code{b24.ErrInvalidCredentials, b24.ErrNoAuthFound, "expired_token", "invalid_token"} {
		if errors.Is(err, c) {
			return true
		}
	}
	return false
}
