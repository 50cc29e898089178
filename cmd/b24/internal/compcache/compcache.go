// Package compcache holds the names shell completion offers without asking
// the portal: the methods "b24 methods" saw and the fields "b24 fields
// ENTITY" saw, one directory per portal host under the user's cache
// directory (userdir.Cache):
//
//	<cache>/<host>/methods.json         {"version":1,"names":["batch","crm.deal.add",...]}
//	<cache>/<host>/fields-<entity>.json {"version":1,"names":["ID","TITLE","UF_CRM_1",...]}
//
// Readers never fail: a missing or damaged file completes nothing.
package compcache

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/b24go/b24/internal/durable"
)

// version is the files' format.
const version = 1

type file struct {
	Version int      `json:"version"`
	Names   []string `json:"names"`
}

var (
	safeHost   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9.-]*(:[0-9]+)?$`)
	safeEntity = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._]*$`)
)

// Host returns the cache's key of a webhook URL (its host[:port]), or ""
// when it has none.
func Host(webhook string) string {
	u, err := url.Parse(webhook)
	if err != nil || !safeHost.MatchString(u.Host) {
		return ""
	}
	return strings.ToLower(u.Host)
}

// hostDir is the directory of one host: ':' is not allowed in Windows
// names, so a port is joined with '_'.
func hostDir(cacheDir, host string) (string, error) {
	if !safeHost.MatchString(host) {
		return "", fmt.Errorf("compcache: host %q is not a host name", host)
	}
	return filepath.Join(cacheDir, strings.ReplaceAll(strings.ToLower(host), ":", "_")), nil
}

func fieldsFile(entity string) (string, error) {
	if !safeEntity.MatchString(entity) {
		return "", fmt.Errorf("compcache: entity %q is not a method prefix", entity)
	}
	return "fields-" + entity + ".json", nil
}

// WriteMethods records the method names of host.
func WriteMethods(cacheDir, host string, names []string) error {
	return write(cacheDir, host, "methods.json", names)
}

// WriteFields records the field codes of entity ("crm.deal") on host.
func WriteFields(cacheDir, host, entity string, names []string) error {
	f, err := fieldsFile(entity)
	if err != nil {
		return err
	}
	return write(cacheDir, host, f, names)
}

// Methods returns the method names recorded for host; with host "" those
// of every host, merged.
func Methods(cacheDir, host string) []string { return read(cacheDir, host, "methods.json") }

// Fields returns the field codes recorded for entity on host; with host ""
// those of every host, merged.
func Fields(cacheDir, host, entity string) []string {
	f, err := fieldsFile(entity)
	if err != nil {
		return nil
	}
	return read(cacheDir, host, f)
}

func write(cacheDir, host, name string, names []string) error {
	dir, err := hostDir(cacheDir, host)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	names = slices.Compact(slices.Sorted(slices.Values(names)))
	b, err := json.Marshal(file{Version: version, Names: names})
	if err != nil {
		return err
	}
	return durable.WriteFile(filepath.Join(dir, name), append(b, '\n'))
}

func read(cacheDir, host, name string) []string {
	var dirs []string
	if host == "" {
		dirs, _ = filepath.Glob(filepath.Join(cacheDir, "*"))
	} else if d, err := hostDir(cacheDir, host); err == nil {
		dirs = []string{d}
	}
	var all []string
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(d, name))
		var f file
		if err != nil || json.Unmarshal(b, &f) != nil || f.Version != version {
			continue
		}
		all = append(all, f.Names...)
	}
	if len(all) == 0 {
		return nil
	}
	return slices.Compact(slices.Sorted(slices.Values(all)))
}
