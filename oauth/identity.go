package oauth

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/b24go/b24"
)

// UserID returns the user h acts as: a webhook's user, or the user an
// application's tokens act for: the token answer's user_id when the Source
// knows it (b24.Hook.UserID), else the portal's answer to "profile" (one
// request). Journals, checkpoints and synced databases record it next to
// the portal to refuse another credential's file, so it must be the same
// on every run of one credential: an application's Hook.UserID alone is 0
// until its first tokens are read.
func UserID(ctx context.Context, h *b24.Hook) (int64, error) {
	if u := h.UserID(); u > 0 {
		return u, nil
	}
	resp, err := h.Call(ctx, "profile", nil)
	if err != nil {
		return 0, fmt.Errorf("oauth: asking the portal which user the application acts for: %w", err)
	}
	var p struct {
		ID b24.ID `json:"ID"`
	}
	if err := json.Unmarshal(resp.Result, &p); err != nil || p.ID <= 0 {
		return 0, fmt.Errorf("oauth: the portal's profile answer has no user id")
	}
	return int64(p.ID), nil
}

// UserID returns the user the Source's tokens act for (the token answer's
// user_id), or 0 when it is not known yet.
func (s *Source) UserID() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.Load().tok.UserID
}
