// Package profiles stores named credentials for the b24 command, webhooks
// and applications: one JSON file, profiles.json, mode 0600 in a directory
// of mode 0700, replaced atomically under a lock. A file that group or
// others can open is refused, as ssh refuses such a key (not on Windows).
// An application's tokens live next to it, in tokens/NAME.json (an
// oauth.FileStore: 0600, replaced atomically, refreshed under its lock).
package profiles

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"

	"github.com/b24go/b24/cmd/b24/internal/userdir"
)

// FileName is the store's file in its directory.
const FileName = "profiles.json"

var (
	// ErrNotFound is returned for a profile the store does not hold.
	ErrNotFound = errors.New("no such profile")
	// ErrExposed is returned when the file is open to group or others, or
	// is not a regular file.
	ErrExposed = errors.New("profiles file is not private")
	// ErrBadName is returned for a name that is not [A-Za-z0-9][A-Za-z0-9._-]*.
	// ErrNotWebhook is returned by Webhook for an application's profile.
	ErrNotWebhook = errors.New("an application's profile has no webhook")
	ErrBadName    = errors.New("a profile name is letters, digits, '.', '_' and '-', up to 64, starting with a letter or digit")
)

var validName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// CheckName returns ErrBadName unless name can name a profile.
func CheckName(name string) error {
	if !validName.MatchString(name) {
		return fmt.Errorf("profile %q: %w", name, ErrBadName)
	}
	return nil
}

// Store is the profiles file of one directory. Its methods are safe for
// concurrent use, by goroutines and processes alike.
type Store struct{ dir string }

// New returns the store in dir (created on the first write).
func New(dir string) *Store { return &Store{dir: dir} }

// Path returns the store's file.
func (s *Store) Path() string { return filepath.Join(s.dir, FileName) }

// data is the file's content.
type data struct {
	Active   string           `json:"active,omitempty"`
	Profiles map[string]entry `json:"profiles"`
}

// Kinds of profile.
const (
	KindWebhook = "webhook" // an inbound webhook URL
	KindApp     = "app"     // an application: portal, client id and secret; tokens in TokenPath
)

// Profile is one saved credential. Printing a Profile shows no secret.
type Profile struct {
	Kind         string `json:"kind,omitempty"`    // KindWebhook when empty
	Webhook      string `json:"webhook,omitempty"` // KindWebhook: the URL, secret included
	Portal       string `json:"portal,omitempty"`  // KindApp: https://portal origin
	ClientID     string `json:"client_id,omitempty"`
	ClientSecret string `json:"client_secret,omitempty"`
	TokenURL     string `json:"token_url,omitempty"` // KindApp: the OAuth server; "" is oauth.bitrix.info
}

// IsApp reports whether p is an application's profile.
func (p Profile) IsApp() bool { return p.Kind == KindApp }

// Format prints p without its secrets, for every verb.
func (p Profile) Format(f fmt.State, _ rune) {
	if p.IsApp() {
		fmt.Fprintf(f, "profiles.Profile{app %s client %s}", p.Portal, p.ClientID)
		return
	}
	fmt.Fprint(f, "profiles.Profile{webhook}")
}

type entry = Profile

// load reads the file; a missing file is an empty store.
func (s *Store) load() (data, error) {
	d := data{Profiles: map[string]entry{}}
	p := s.Path()
	fi, err := os.Lstat(p)
	if errors.Is(err, os.ErrNotExist) {
		return d, nil
	}
	if err != nil {
		return d, err
	}
	if !fi.Mode().IsRegular() {
		return d, fmt.Errorf("%s is not a regular file: %w", p, ErrExposed)
	}
	if userdir.Exposed(fi.Mode()) {
		return d, fmt.Errorf("%s is open to group or others (mode %04o), and it holds webhook secrets: chmod 600 %s: %w", p, fi.Mode().Perm(), p, ErrExposed)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return d, err
	}
	if err := json.Unmarshal(b, &d); err != nil {
		return d, fmt.Errorf("%s is damaged (%v): fix it or remove it and add the profiles again", p, err)
	}
	if d.Profiles == nil {
		d.Profiles = map[string]entry{}
	}
	return d, nil
}

// List returns the profiles' names, sorted, and the active one ("" if none).
func (s *Store) List() (names []string, active string, err error) {
	d, err := s.load()
	if err != nil {
		return nil, "", err
	}
	for n := range d.Profiles {
		names = append(names, n)
	}
	slices.Sort(names)
	return names, d.Active, nil
}

// Get returns the profile name.
func (s *Store) Get(name string) (Profile, error) {
	d, err := s.load()
	if err != nil {
		return Profile{}, err
	}
	e, ok := d.Profiles[name]
	if !ok {
		return Profile{}, fmt.Errorf("profile %q: %w (b24 auth list shows them)", name, ErrNotFound)
	}
	return e, nil
}

// Webhook returns the webhook URL of the profile name; an application's
// profile has none (ErrNotWebhook).
func (s *Store) Webhook(name string) (string, error) {
	p, err := s.Get(name)
	if err != nil {
		return "", err
	}
	if p.IsApp() {
		return "", fmt.Errorf("profile %q: %w", name, ErrNotWebhook)
	}
	return p.Webhook, nil
}

// Active returns the active profile's name and profile; name is "" when
// no profile is active.
func (s *Store) Active() (name string, p Profile, err error) {
	d, err := s.load()
	if err != nil || d.Active == "" {
		return "", Profile{}, err
	}
	e, ok := d.Profiles[d.Active]
	if !ok {
		return "", Profile{}, fmt.Errorf("the active profile %q: %w", d.Active, ErrNotFound)
	}
	return d.Active, e, nil
}

// TokenPath returns the token file of the application profile name
// (tokens/NAME.json; the name is checked by CheckName before any write).
func (s *Store) TokenPath(name string) string {
	return filepath.Join(s.dir, "tokens", name+".json")
}

// Names returns the profile names of the store in dir, for completion:
// nil when there are none or the file cannot be read.
func Names(dir string) []string {
	names, _, _ := New(dir).List()
	return names
}
