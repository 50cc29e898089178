package b24

// AuthData is the synthetic authorisation data of a webhook, as the JS SDK's
// AuthHookManager gives it: a webhook has no OAuth token, so the access token
// is the secret and nothing ever expires.
type AuthData struct {
	AccessToken  Secret // the webhook secret, redacted when shown
	RefreshToken string // always "hook"
	Expires      int64  // always 0
	ExpiresIn    int64  // always 0
	Domain       string // the portal's host
	MemberID     string // the portal's host (a webhook has no member id of its own)
	IsAdmin      bool   // always true, as in the JS SDK
}

// Unique returns prefix + "_" + MemberID: a name unique to the portal (the JS SDK's getUniq).
func (a AuthData) Unique(prefix string) string { return prefix + "_" + a.MemberID }

// Auth returns the Hook's synthetic auth data. Refreshing it is never needed.
func (h *Hook) Auth() AuthData {
	return AuthData{
		AccessToken:  h.secret,
		RefreshToken: "hook",
		Domain:       h.host,
		MemberID:     h.host,
		IsAdmin:      true,
	}
}
