// Package offline subscribes an application to a portal's events
// (event.bind, event.get, event.unbind) and consumes its offline event
// queue (event.offline.*) at least once.
//
// A Consumer reads the queue with event.offline.get and clear=0 (never the
// default, which deletes what it returns), under a process id of its own;
// it hands each event to your function, clears exactly the records it
// handled, marks the failed ones with event.offline.error and retries them
// (they come back only with error=1), and recovers records hidden under its
// process id when a get's answer was lost or the process died. Every
// method needs an application's Hook (b24.NewApp): a webhook gets
// WRONG_AUTH_TYPE. docs/events.md has the guarantees and the caveats.
package offline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/b24go/b24"
)

// Binding is one event handler of the application.
type Binding struct {
	Event string `json:"event"` // ONCRMDEALUPDATE (any case)
	// Handler is the URL the portal POSTs the event to; empty for an
	// offline binding.
	Handler string `json:"handler,omitempty"`
	// Offline binds the event to the offline queue (event_type=offline).
	Offline bool `json:"offline,omitempty"`
	// AuthType is the user the handler is authorised as (0: the user whose
	// action raised the event).
	AuthType int `json:"auth_type,omitempty"`
	// Connector is the offline queue's source key (auth_connector, on plans
	// that have it): writes made with it raise no event in this queue.
	Connector string `json:"connector,omitempty"`
}

// ErrInvalid is wrapped by the errors of a Binding or a Config that cannot be
// sent.
var ErrInvalid = errors.New("offline: invalid argument")

func (b Binding) params() (map[string]any, error) {
	p := map[string]any{"event": strings.TrimSpace(b.Event)}
	if p["event"] == "" {
		return nil, fmt.Errorf("%w: Binding.Event is empty", ErrInvalid)
	}
	if b.Offline {
		if b.Handler != "" {
			return nil, fmt.Errorf("%w: an offline binding takes no Handler", ErrInvalid)
		}
		p["event_type"] = "offline"
		if b.Connector != "" {
			p["auth_connector"] = b.Connector
		}
	} else {
		if !strings.HasPrefix(b.Handler, "https://") && !strings.HasPrefix(b.Handler, "http://") {
			return nil, fmt.Errorf("%w: an online binding needs an http(s) Handler", ErrInvalid)
		}
		if b.Connector != "" {
			return nil, fmt.Errorf("%w: Connector is for offline bindings", ErrInvalid)
		}
		p["handler"] = b.Handler
	}
	if b.AuthType < 0 {
		return nil, fmt.Errorf("%w: AuthType is negative", ErrInvalid)
	}
	if b.AuthType > 0 {
		p["auth_type"] = b.AuthType
	}
	return p, nil
}

// Bind registers b (event.bind). A binding that exists already is an
// *b24.APIError from the portal.
func Bind(ctx context.Context, h *b24.Hook, b Binding) error {
	p, err := b.params()
	if err != nil {
		return err
	}
	_, err = h.V2().Call(ctx, "event.bind", p)
	return err
}

// Unbind removes the bindings of b.Event that match b's Handler (if set),
// Offline, AuthType and Connector (if set), and returns how many the portal
// removed (event.unbind).
func Unbind(ctx context.Context, h *b24.Hook, b Binding) (int, error) {
	p := map[string]any{"event": strings.TrimSpace(b.Event)}
	if p["event"] == "" {
		return 0, fmt.Errorf("%w: Binding.Event is empty", ErrInvalid)
	}
	if b.Offline {
		p["event_type"] = "offline"
	}
	if b.Handler != "" {
		p["handler"] = b.Handler
	}
	if b.Connector != "" {
		p["auth_connector"] = b.Connector
	}
	p["auth_type"] = b.AuthType
	var res struct {
		Count json.Number `json:"count"`
	}
	resp, err := h.V2().Call(ctx, "event.unbind", p)
	if err != nil {
		return 0, err
	}
	if err := json.Unmarshal(resp.Result, &res); err != nil {
		return 0, fmt.Errorf("offline: event.unbind answer: %w", err)
	}
	n, err := strconv.Atoi(res.Count.String())
	if err != nil || n < 0 {
		return 0, fmt.Errorf("offline: event.unbind answered count %q", res.Count)
	}
	return n, nil
}

// Bindings returns the application's bindings (event.get).
func Bindings(ctx context.Context, h *b24.Hook) ([]Binding, error) {
	resp, err := h.V2().Call(ctx, "event.get", nil)
	if err != nil {
		return nil, err
	}
	var rows []struct {
		Event     string          `json:"event"`
		Handler   string          `json:"handler"`
		AuthType  json.RawMessage `json:"auth_type"`
		Offline   json.RawMessage `json:"offline"`
		Connector string          `json:"connector_id"`
	}
	if err := json.Unmarshal(resp.Result, &rows); err != nil {
		return nil, fmt.Errorf("offline: event.get answer: %w", err)
	}
	out := make([]Binding, len(rows))
	for i, r := range rows {
		at, _ := strconv.Atoi(strings.Trim(string(r.AuthType), `"`))
		off := strings.Trim(string(r.Offline), `"`)
		out[i] = Binding{Event: r.Event, Handler: r.Handler, AuthType: at,
			Offline: off == "1" || off == "true", Connector: r.Connector}
	}
	return out, nil
}
