// Package userdir finds the b24 command's own directories (configuration,
// state, cache) from an environment given as a lookup function, so that
// tests pass their own instead of the process's.
package userdir

import (
	"errors"
	"path/filepath"
	"runtime"
)

// Getenv looks a variable up in the command's environment.
type Getenv func(key string) string

// ErrNoHome is returned when the environment names no home directory.
var ErrNoHome = errors.New("neither $HOME nor the platform's directory variable is set")

// Config returns b24's configuration directory: os.UserConfigDir's rules
// applied to getenv ($XDG_CONFIG_HOME or ~/.config on Unix, ~/Library/
// Application Support on macOS, %AppData% on Windows), then "b24".
func Config(getenv Getenv) (string, error) {
	return under(getenv, "XDG_CONFIG_HOME", ".config", "Library/Application Support", "AppData")
}

// State returns b24's state directory (default journals): $XDG_STATE_HOME
// or ~/.local/state on Unix and macOS, %LocalAppData% on Windows, then "b24".
func State(getenv Getenv) (string, error) {
	return under(getenv, "XDG_STATE_HOME", ".local/state", "", "LocalAppData")
}

// Cache returns b24's cache directory (completion data): os.UserCacheDir's
// rules ($XDG_CACHE_HOME or ~/.cache, ~/Library/Caches, %LocalAppData%),
// then "b24".
func Cache(getenv Getenv) (string, error) {
	return under(getenv, "XDG_CACHE_HOME", ".cache", "Library/Caches", "LocalAppData")
}

// under joins "b24" to the base directory the platform's rules pick; an
// empty darwinRel applies the Unix rules on macOS.
func under(getenv Getenv, xdg, unixRel, darwinRel, winVar string) (string, error) {
	var base string
	switch runtime.GOOS {
	case "windows":
		base = getenv(winVar)
	case "darwin", "ios":
		if h := getenv("HOME"); h != "" && darwinRel != "" {
			base = filepath.Join(h, filepath.FromSlash(darwinRel))
			break
		}
		fallthrough
	default:
		if v := getenv(xdg); filepath.IsAbs(v) {
			base = v
		} else if h := getenv("HOME"); h != "" {
			base = filepath.Join(h, filepath.FromSlash(unixRel))
		}
	}
	if base == "" {
		return "", ErrNoHome
	}
	return filepath.Join(base, "b24"), nil
}
