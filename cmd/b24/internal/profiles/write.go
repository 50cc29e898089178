package profiles

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/b24go/b24/internal/durable"
	"github.com/b24go/b24/internal/filelock"
)

// lockWait bounds how long a change waits for another process's.
var lockWait = 5 * time.Second

// Add stores webhook under name, replacing a profile of that name; the
// first profile added becomes the active one. It reports whether a
// profile was replaced.
func (s *Store) Add(ctx context.Context, name, webhook string) (replaced bool, err error) {
	return s.Put(ctx, name, Profile{Kind: KindWebhook, Webhook: webhook})
}

// Put stores p under name, replacing a profile of that name (and the
// tokens of an application profile it replaces); the first profile added
// becomes the active one. It reports whether a profile was replaced. An
// application's tokens are saved to TokenPath(name) by the caller, after
// Put: MkTokenDir makes its directory.
func (s *Store) Put(ctx context.Context, name string, p Profile) (replaced bool, err error) {
	if err := CheckName(name); err != nil {
		return false, err
	}
	if p.Kind != KindWebhook && p.Kind != KindApp {
		return false, fmt.Errorf("profile %q: unknown kind %q", name, p.Kind)
	}
	err = s.change(ctx, func(d *data) error {
		_, replaced = d.Profiles[name]
		d.Profiles[name] = p
		if d.Active == "" {
			d.Active = name
		}
		return s.removeTokens(name)
	})
	return replaced, err
}

// MkTokenDir makes the directory of the application tokens (0700).
func (s *Store) MkTokenDir() error {
	return os.MkdirAll(filepath.Dir(s.TokenPath("x")), 0o700)
}

// removeTokens deletes the token file of name and its lock, if any.
func (s *Store) removeTokens(name string) error {
	for _, p := range []string{s.TokenPath(name), s.TokenPath(name) + ".lock"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
}

// Use makes name the active profile.
func (s *Store) Use(ctx context.Context, name string) error {
	return s.change(ctx, func(d *data) error {
		if _, ok := d.Profiles[name]; !ok {
			return fmt.Errorf("profile %q: %w (b24 auth list shows them)", name, ErrNotFound)
		}
		d.Active = name
		return nil
	})
}

// Remove deletes name; removing the active profile leaves none active.
func (s *Store) Remove(ctx context.Context, name string) error {
	return s.change(ctx, func(d *data) error {
		if _, ok := d.Profiles[name]; !ok {
			return fmt.Errorf("profile %q: %w", name, ErrNotFound)
		}
		delete(d.Profiles, name)
		if d.Active == name {
			d.Active = ""
		}
		return s.removeTokens(name)
	})
}

// change applies f to the file under the store's lock and replaces the
// file atomically: a crash leaves the old file or the new one.
func (s *Store) change(ctx context.Context, f func(*data) error) error {
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return err
	}
	unlock, err := s.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	d, err := s.load()
	if err != nil {
		return err
	}
	if err := f(&d); err != nil {
		return err
	}
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return err
	}
	return durable.WriteFile(s.Path(), append(b, '\n'))
}

// lock takes profiles.lock, waiting for another change up to lockWait.
func (s *Store) lock(ctx context.Context) (unlock func(), err error) {
	f, err := os.OpenFile(filepath.Join(s.dir, "profiles.lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(lockWait)
	for {
		err := filelock.Lock(f)
		if err == nil {
			return func() { f.Close() }, nil
		}
		if !errors.Is(err, filelock.ErrLocked) || time.Now().After(deadline) {
			f.Close()
			return nil, fmt.Errorf("%s: %w", s.Path(), err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}
