package main

import (
	"strings"

	"github.com/b24go/b24/cmd/b24/internal/compcache"
	"github.com/b24go/b24/cmd/b24/internal/userdir"
	"github.com/spf13/cobra"
)

// Method and field names complete from the cache "b24 methods" and "b24
// fields" write (package compcache), for the portal the command line points
// at; a Tab never sends a request. Without a webhook, the names of every
// cached portal complete.

// cacheHost returns the cache directory and the portal host of c's command
// line ("" when it names none).
func cacheHost(c *cli) (dir, host string, ok bool) {
	dir, err := userdir.Cache(c.getenv)
	if err != nil {
		return "", "", false
	}
	if raw, err := c.webhook(); err == nil {
		host = compcache.Host(raw)
	}
	return dir, host, true
}

// saveMethodCache records the portal's method names for completion.
func saveMethodCache(c *cli, methods []string) error {
	dir, host, ok := cacheHost(c)
	if !ok || host == "" {
		return nil
	}
	return compcache.WriteMethods(dir, host, methods)
}

// saveFieldCache records entity's field codes for completion.
func saveFieldCache(c *cli, entity string, fields []string) error {
	dir, host, ok := cacheHost(c)
	if !ok || host == "" {
		return nil
	}
	return compcache.WriteFields(dir, host, entity, fields)
}

// completeMethod completes a METHOD argument from the cache; the arguments
// after it complete as files.
func completeMethod(c *cli, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveDefault
	}
	dir, host, ok := cacheHost(c)
	if !ok {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return matching(compcache.Methods(dir, host), toComplete), cobra.ShellCompDirectiveNoFileComp
}

// fieldValues completes a comma-separated list of the fields of the entity
// of the command's METHOD argument (--select ID,TI<Tab>): crm.deal's for
// crm.deal.list.
func fieldValues(c *cli, args []string, toComplete string) []string {
	if len(args) == 0 {
		return nil
	}
	entity := args[0]
	if i := strings.LastIndexByte(entity, '.'); i > 0 {
		entity = entity[:i]
	}
	dir, host, ok := cacheHost(c)
	if !ok {
		return nil
	}
	done, last := "", toComplete
	if i := strings.LastIndexByte(toComplete, ','); i >= 0 {
		done, last = toComplete[:i+1], toComplete[i+1:]
	}
	var out []string
	for _, f := range matching(compcache.Fields(dir, host, entity), last) {
		out = append(out, done+f)
	}
	return out
}
