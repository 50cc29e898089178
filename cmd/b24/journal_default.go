package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/b24go/b24/cmd/b24/internal/userdir"
)

// defaultJournal is update's journal when --journal is not given:
// <state>/journals/<host>-u<user>-<hash>.journal, hash being the first 16
// hex digits of the SHA-256 of the input's absolute path, so that the same
// command run again (same portal, webhook user and input file) finds it.
// Stdin has no such name: --journal is then required.
func (c *cli) defaultJournal(host string, user int64, from string) (string, error) {
	if from == "-" {
		return "", usagef("--journal is required with --from - (stdin has no name to find the journal by)")
	}
	abs, err := filepath.Abs(from)
	if err != nil {
		return "", usagef("--from: %v", err)
	}
	state, err := userdir.State(c.getenv)
	if err != nil {
		return "", usagef("no state directory for the default journal (%v): give --journal", err)
	}
	dir := filepath.Join(state, "journals")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("default journal: %w", err)
	}
	sum := sha256.Sum256([]byte(abs))
	name := fmt.Sprintf("%s-u%d-%s.journal", strings.ReplaceAll(host, ":", "_"), user, hex.EncodeToString(sum[:8]))
	return filepath.Join(dir, name), nil
}
