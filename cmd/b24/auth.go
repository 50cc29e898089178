package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/b24go/b24"
	"github.com/b24go/b24/cmd/b24/internal/profiles"
	"golang.org/x/term"
)

// authAdd stores the webhook read from stdin (a hidden prompt on a
// terminal; never an argument, which would show in ps and the shell's
// history) as profile name, after checking its form with
// b24.FromWebhookURL. Nothing is sent to the portal.
func (c *cli) authAdd(ctx context.Context, name string) error {
	s, err := c.profileStore()
	if err != nil {
		return err
	}
	raw, err := c.readSecretLine(ctx, "webhook URL", name)
	if err != nil {
		return err
	}
	h, err := b24.FromWebhookURL(raw)
	if err != nil {
		return usagef("%v", strings.TrimPrefix(err.Error(), "b24: "))
	}
	h.Close()
	replaced, err := s.Add(ctx, name, raw)
	if err != nil {
		return usagef("%v", err)
	}
	verb := "added"
	if replaced {
		verb = "replaced"
	}
	_, active, _ := s.List()
	note := ""
	if active == name {
		note = ", active"
	}
	fmt.Fprintf(c.stderr, "%s: %s profile %s (%s/)%s\n", c.name, verb, name, h.TargetOriginWithPath(b24.APIv2), note)
	return nil
}

// readSecretLine reads one line: from the terminal without echo when
// stdin is one (prompting on stderr for what, of profile name), else the
// next line of stdin.
func (c *cli) readSecretLine(ctx context.Context, what, name string) (string, error) {
	type answer struct {
		s   string
		err error
	}
	ch := make(chan answer, 1)
	f, tty := c.stdin.(*os.File)
	tty = tty && term.IsTerminal(int(f.Fd()))
	if tty {
		fmt.Fprintf(c.stderr, "%s%s for profile %s: ", strings.ToUpper(what[:1]), what[1:], name)
	}
	if c.lines == nil {
		c.lines = bufio.NewReader(c.stdin)
	}
	go func() {
		if tty {
			b, err := term.ReadPassword(int(f.Fd()))
			fmt.Fprintln(c.stderr)
			ch <- answer{string(b), err}
			return
		}
		line, err := c.lines.ReadString('\n')
		if err == io.EOF && line != "" {
			err = nil
		}
		ch <- answer{line, err}
	}()
	select {
	case <-ctx.Done():
		return "", ctx.Err()
	case a := <-ch:
		s := strings.TrimSpace(a.s)
		if a.err != nil && a.err != io.EOF {
			return "", fmt.Errorf("reading the %s: %w", what, a.err)
		}
		if s == "" {
			return "", usagef("no %s on stdin (b24 auth add NAME < file, or type it at the prompt)", what)
		}
		return s, nil
	}
}

// profileView is a profile as auth list and auth status print it: never
// the secret.
type profileView struct {
	Name     string `json:"name"`
	Active   bool   `json:"active"`
	Kind     string `json:"kind"` // webhook or app
	Portal   string `json:"portal"`
	Webhook  string `json:"webhook,omitempty"` // redacted: https://portal/rest/1/****/
	UserID   int64  `json:"user_id,omitempty"`
	ClientID string `json:"client_id,omitempty"` // an application's
}

// viewOf describes the profile name.
func viewOf(name string, p profiles.Profile, active bool) profileView {
	v := profileView{Name: name, Active: active, Kind: profiles.KindWebhook}
	if p.IsApp() {
		v.Kind, v.Portal, v.ClientID = p.Kind, p.Portal, p.ClientID
		return v
	}
	if h, err := b24.FromWebhookURL(p.Webhook); err == nil {
		v.Portal, v.Webhook, v.UserID = h.TargetOrigin(), h.TargetOriginWithPath(b24.APIv2).String()+"/", h.UserID()
		h.Close()
	}
	return v
}

// authList prints the profiles, the active one marked with "*".
func (c *cli) authList(ctx context.Context, o *outputFlags) error {
	s, err := c.profileStore()
	if err != nil {
		return err
	}
	names, active, err := s.List()
	if err != nil {
		return usagef("%v", err)
	}
	views := make([]profileView, 0, len(names))
	for _, n := range names {
		p, err := s.Get(n)
		if err != nil {
			return err
		}
		views = append(views, viewOf(n, p, n == active))
	}
	return c.emit(ctx, o, views, func(w io.Writer) error {
		if len(views) == 0 {
			fmt.Fprintf(c.stderr, "%s: no profiles (b24 auth add NAME)\n", c.name)
		}
		for _, v := range views {
			mark := " "
			if v.Active {
				mark = "*"
			}
			if v.Kind == profiles.KindApp {
				fmt.Fprintf(w, "%s %-12s app     %s (client %s)\n", mark, v.Name, v.Portal, v.ClientID)
				continue
			}
			fmt.Fprintf(w, "%s %-12s webhook %s\n", mark, v.Name, v.Webhook)
		}
		return nil
	})
}

// authUse makes name the active profile.
func (c *cli) authUse(ctx context.Context, name string) error {
	return c.authChange(ctx, name, (*profiles.Store).Use, "profile %s is active")
}

// authRemove deletes name.
func (c *cli) authRemove(ctx context.Context, name string) error {
	return c.authChange(ctx, name, (*profiles.Store).Remove, "removed profile %s")
}

// authChange applies change to profile name and says so on stderr (done
// is a format with the name).
func (c *cli) authChange(ctx context.Context, name string, change func(*profiles.Store, context.Context, string) error, done string) error {
	s, err := c.profileStore()
	if err != nil {
		return err
	}
	if err := change(s, ctx, name); err != nil {
		return usagef("%v", err)
	}
	fmt.Fprintf(c.stderr, "%s: "+done+"\n", c.name, name)
	return nil
}
