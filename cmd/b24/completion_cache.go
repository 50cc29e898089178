package main

import (
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
)

// The completion cache holds what a Tab completes from the portal without
// asking it: method names ("b24 methods" writes them) and each entity's
// field codes ("b24 fields ENTITY"). Files, one directory per portal host:
//
//	$XDG_CACHE_HOME/b24/HOST/methods.json           ["crm.deal.list", ...]
//	$XDG_CACHE_HOME/b24/HOST/fields-ENTITY.json     ["ID", "TITLE", ...]
//
// ENTITY is a method's name less its last part ("crm.deal" for
// crm.deal.list). A missing or damaged file completes nothing.

// cacheRoot is the cache directory of b24: $XDG_CACHE_HOME/b24 from the
// command's environment, else the system's user cache directory.
func cacheRoot(c *cli) (string, bool) {
	if d := c.getenv("XDG_CACHE_HOME"); filepath.IsAbs(d) {
		return filepath.Join(d, "b24"), true
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", false
	}
	return filepath.Join(d, "b24"), true
}

// portalCacheDir is the cache directory of the portal the command line
// points at (its webhook's host), without any request.
func portalCacheDir(c *cli) (string, bool) {
	root, ok := cacheRoot(c)
	if !ok {
		return "", false
	}
	raw, err := c.webhook()
	if err != nil {
		return "", false
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || strings.ContainsAny(u.Host, `/\`) || strings.HasPrefix(u.Host, ".") {
		return "", false
	}
	return filepath.Join(root, u.Host), true
}

// fieldsFile is the cache file of entity's fields.
func fieldsFile(entity string) string {
	return "fields-" + entity + ".json"
}

// validEntity is true for a name safe in a file name (crm.deal, tasks.task).
func validEntity(entity string) bool {
	if entity == "" || strings.HasPrefix(entity, ".") {
		return false
	}
	for _, r := range entity {
		if !(r == '.' || r == '_' || r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// readCache reads a JSON list of names from the portal's cache directory.
func readCache(c *cli, name string) []string {
	dir, ok := portalCacheDir(c)
	if !ok {
		return nil
	}
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil || len(b) > 8<<20 {
		return nil
	}
	var names []string
	if json.Unmarshal(b, &names) != nil {
		return nil
	}
	return names
}

// writeCache saves names for the portal the command points at, atomically
// (a Tab never reads half a file). Used by the commands that learn them.
func writeCache(c *cli, name string, names []string) error {
	dir, ok := portalCacheDir(c)
	if !ok {
		return nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	b, err := json.Marshal(names)
	if err != nil {
		return err
	}
	return writeAtomic(filepath.Join(dir, name), b)
}

// writeAtomic writes b to a temporary file beside path and renames it over
// path.
func writeAtomic(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

// saveMethodCache records the portal's method names for completion.
func saveMethodCache(c *cli, methods []string) error { return writeCache(c, "methods.json", methods) }

// saveFieldCache records entity's field codes for completion.
func saveFieldCache(c *cli, entity string, fields []string) error {
	if !validEntity(entity) {
		return nil
	}
	return writeCache(c, fieldsFile(entity), fields)
}

// completeMethod completes a METHOD argument from the cache; the arguments
// after it complete as files.
func completeMethod(c *cli, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveDefault
	}
	return matching(readCache(c, "methods.json"), toComplete), cobra.ShellCompDirectiveNoFileComp
}

// fieldValues completes a comma-separated list of the fields of the entity
// of the command's METHOD argument (--select ID,TI<Tab>).
func fieldValues(c *cli, args []string, toComplete string) []string {
	if len(args) == 0 {
		return nil
	}
	entity := args[0]
	if i := strings.LastIndexByte(entity, '.'); i > 0 {
		entity = entity[:i]
	}
	if !validEntity(entity) {
		return nil
	}
	done, last := "", toComplete
	if i := strings.LastIndexByte(toComplete, ','); i >= 0 {
		done, last = toComplete[:i+1], toComplete[i+1:]
	}
	var out []string
	for _, f := range matching(readCache(c, fieldsFile(entity)), last) {
		out = append(out, done+f)
	}
	return out
}
