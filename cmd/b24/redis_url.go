package main

import (
	"fmt"
	"net/url"
	"os"
	"runtime"
	"strings"
)

// resolveRedis sets c.g.redis from --redis, else --redis-file, else
// $B24_REDIS_URL. A URL with a password belongs in the file or the
// variable: an argument shows in every local user's process list
// (/proc/PID/cmdline), so --redis with one draws a warning. The file must
// not be open to group or others (except on Windows). The URL is never
// echoed.
func (c *cli) resolveRedis() error {
	g := &c.g
	switch {
	case g.redis != "" && g.redisFile != "":
		return usagef("give --redis or --redis-file, not both")
	case g.redisFile != "":
		fi, err := os.Stat(g.redisFile)
		if err != nil {
			return usagef("--redis-file: %v", err)
		}
		if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
			return usagef("--redis-file %s is open to group or others (mode %04o), and it may hold a password: chmod 600 %s", g.redisFile, fi.Mode().Perm(), g.redisFile)
		}
		b, err := os.ReadFile(g.redisFile)
		if err != nil {
			return usagef("--redis-file: %v", err)
		}
		if g.redis = strings.TrimSpace(string(b)); g.redis == "" {
			return usagef("--redis-file %s is empty", g.redisFile)
		}
		g.redisFile = ""
	case g.redis != "":
		if u, err := url.Parse(g.redis); err == nil && u.User != nil {
			if _, has := u.User.Password(); has {
				fmt.Fprintf(c.stderr, "%s: warning: --redis carries a password, which every local user can read in the process list; give the URL in $B24_REDIS_URL or --redis-file\n", c.name)
			}
		}
	default:
		g.redis = strings.TrimSpace(c.getenv("B24_REDIS_URL"))
	}
	return nil
}
