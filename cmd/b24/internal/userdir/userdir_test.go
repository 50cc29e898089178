package userdir

import (
	"io/fs"
	"path/filepath"
	"runtime"
	"testing"
)

func env(m map[string]string) Getenv { return func(k string) string { return m[k] } }

func TestDirs(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the table holds Linux's rules")
	}
	cases := []struct {
		name string
		f    func(Getenv) (string, error)
		env  map[string]string
		want string
	}{
		{"config xdg", Config, map[string]string{"XDG_CONFIG_HOME": "/x", "HOME": "/h"}, "/x/b24"},
		{"config home", Config, map[string]string{"HOME": "/h"}, "/h/.config/b24"},
		{"config relative xdg ignored", Config, map[string]string{"XDG_CONFIG_HOME": "rel", "HOME": "/h"}, "/h/.config/b24"},
		{"state xdg", State, map[string]string{"XDG_STATE_HOME": "/s", "HOME": "/h"}, "/s/b24"},
		{"state home", State, map[string]string{"HOME": "/h"}, "/h/.local/state/b24"},
		{"cache xdg", Cache, map[string]string{"XDG_CACHE_HOME": "/c"}, "/c/b24"},
		{"cache home", Cache, map[string]string{"HOME": "/h"}, "/h/.cache/b24"},
		{"no home", Cache, map[string]string{}, ""},
	}
	for _, c := range cases {
		got, err := c.f(env(c.env))
		if c.want == "" {
			if err == nil {
				t.Errorf("%s: got %q, want an error", c.name, got)
			}
			continue
		}
		if err != nil || got != filepath.FromSlash(c.want) {
			t.Errorf("%s: got %q, %v; want %q", c.name, got, err, c.want)
		}
	}
}

func TestExposed(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no mode bits")
	}
	for mode, want := range map[uint32]bool{0o600: false, 0o700: false, 0o640: true, 0o604: true, 0o400: false} {
		if got := Exposed(fsMode(mode)); got != want {
			t.Errorf("Exposed(%04o) = %v, want %v", mode, got, want)
		}
	}
}

func fsMode(m uint32) (mode fs.FileMode) { return fs.FileMode(m) }
