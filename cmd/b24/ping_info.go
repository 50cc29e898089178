package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/b24go/b24"
	"github.com/b24go/b24/cmd/b24/internal/profiles"
)

// pingResult is what ping learns, as --json prints it.
type pingResult struct {
	Source  string   `json:"source,omitempty"` // auth status: where the credential came from
	Kind    string   `json:"kind,omitempty"`   // auth status: webhook or app
	Portal  string   `json:"portal"`
	Webhook string   `json:"webhook,omitempty"` // redacted; "" for an application
	App     string   `json:"app,omitempty"`     // an application's client id (never its secret or tokens)
	UserID  int64    `json:"user_id"`
	User    string   `json:"user"`
	Admin   bool     `json:"admin"`
	Scope   []string `json:"scope"`
	License string   `json:"license,omitempty"`
	RTTms   float64  `json:"rtt_ms"`
	rtt     time.Duration
}

// fetchPing calls profile and app.info.
func fetchPing(ctx context.Context, h *b24.Hook) (pingResult, error) {
	var profile struct {
		ID       b24.ID `json:"ID"`
		Name     string `json:"NAME"`
		LastName string `json:"LAST_NAME"`
		Admin    bool   `json:"ADMIN"`
	}
	var app struct {
		Scope   []string `json:"SCOPE"`
		License string   `json:"LICENSE"`
	}
	start := time.Now()
	resp, err := h.Call(ctx, "profile", nil)
	if err != nil {
		return pingResult{}, err
	}
	rtt := time.Since(start)
	if err := json.Unmarshal(resp.Result, &profile); err != nil {
		return pingResult{}, fmt.Errorf("profile: unexpected result: %v", err)
	}
	if resp, err = h.Call(ctx, "app.info", nil); err != nil {
		return pingResult{}, err
	}
	if err := json.Unmarshal(resp.Result, &app); err != nil {
		return pingResult{}, fmt.Errorf("app.info: unexpected result: %v", err)
	}
	if app.Scope == nil {
		app.Scope = []string{}
	}
	return pingResult{Portal: h.TargetOrigin(), Webhook: h.TargetOriginWithPath(b24.APIv2).String() + "/",
		UserID: int64(profile.ID), User: strings.TrimSpace(profile.Name + " " + profile.LastName), Admin: profile.Admin,
		Scope: app.Scope, License: app.License, RTTms: float64(rtt.Microseconds()) / 1000, rtt: rtt}, nil
}

// writePing prints r for a person.
func writePing(w io.Writer, r pingResult) error {
	name := r.User
	if r.Admin {
		name += " (admin)"
	}
	var b strings.Builder
	if r.Source != "" {
		fmt.Fprintf(&b, "source:  %s\n", r.Source)
	}
	if r.Kind != "" {
		fmt.Fprintf(&b, "kind:    %s\n", r.Kind)
	}
	fmt.Fprintf(&b, "portal:  %s\n", r.Portal)
	if r.App != "" {
		fmt.Fprintf(&b, "app:     %s (client id)\n", r.App)
		name += ", whom the application's tokens act for"
	} else {
		fmt.Fprintf(&b, "webhook: %s\n", r.Webhook)
	}
	fmt.Fprintf(&b, "user:    #%d %s\n", r.UserID, name)
	fmt.Fprintf(&b, "scope:   %s\n", strings.Join(r.Scope, ", "))
	if r.License != "" {
		fmt.Fprintf(&b, "license: %s\n", r.License)
	}
	fmt.Fprintf(&b, "rtt:     %s\n", r.rtt.Round(100*time.Microsecond))
	_, err := io.WriteString(w, b.String())
	return err
}

// authStatus says where the webhook comes from and pings it.
func (c *cli) authStatus(ctx context.Context, o *outputFlags) error {
	cr, err := c.webhookSource()
	if err != nil {
		return err
	}
	kind := profiles.KindWebhook
	if cr.IsApp() {
		kind = profiles.KindApp
	}
	return c.pingOut(ctx, o, cr.from, kind)
}

// pingOut pings the portal and prints the result through o; source and
// kind, when set, say where the credential came from and what it is.
func (c *cli) pingOut(ctx context.Context, o *outputFlags, source, kind string) error {
	h, err := c.hook(ctx)
	if err != nil {
		return err
	}
	defer h.Close()
	r, err := fetchPing(ctx, h)
	if err != nil {
		return err
	}
	r.Source, r.Kind = source, kind
	if c.appID != "" { // an application has no webhook URL: its client id says which it is
		r.Webhook, r.App = "", c.appID
	}
	return c.emit(ctx, o, r, func(w io.Writer) error { return writePing(w, r) })
}
