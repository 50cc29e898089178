// Package oauth is the token source of a Bitrix24 application (OAuth 2.0):
// a Source gives a b24.Hook built by b24.NewApp its access tokens.
//
// A Source refreshes the access token before it expires (Leeway) and when
// the portal answers expired_token; one refresh runs at a time (the others
// wait for it and take its tokens); a refresh the OAuth server refused is
// not repeated for the same refresh token; the rotated tokens are saved to
// the Store before any request uses them, then passed to OnRefresh. Tokens
// and the client secret never appear in errors, logs or %v output.
// docs/oauth.md has the protocol and the sources relied on.
package oauth
