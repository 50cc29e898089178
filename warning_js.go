//go:build js

package b24

import (
	"context"
	"log/slog"
)

// warnClientSide logs, on every call, that a webhook must not be used where a
// browser may run the code (GOOS=js), unless OffClientSideWarning was called.
func warnClientSide(h *Hook) {
	if h.noWarning.Load() {
		return
	}
	h.Logger().LogAttrs(context.Background(), slog.LevelWarn, "b24: a webhook is for server-side use only; its secret must not be used in browser or mobile code",
		slog.String("code", "CLIENT_SIDE_WARNING"))
}
