package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/b24go/b24/internal/durable"
	"github.com/b24go/b24/internal/filelock"
	"github.com/b24go/b24/internal/wait"
)

// FileStore keeps the tokens in a JSON file readable by its owner only
// (0600), replaced atomically (a temporary file, fsync, rename, directory
// sync). It is a Locker: processes sharing the file refresh one at a time,
// through an advisory lock on Path+".lock".
type FileStore struct {
	Path string
}

// fileToken is the file's encoding (Token's MarshalJSON redacts).
type fileToken struct {
	AccessToken  string    `json:"access_token"`
	RefreshToken string    `json:"refresh_token"`
	Expiry       time.Time `json:"expiry"`
	MemberID     string    `json:"member_id,omitempty"`
	UserID       int64     `json:"user_id,omitempty"`
}

// Load reads the tokens; ErrNoTokens when the file does not exist.
func (f FileStore) Load(context.Context) (Token, error) {
	b, err := os.ReadFile(f.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return Token{}, ErrNoTokens
	}
	if err != nil {
		return Token{}, fmt.Errorf("oauth: reading the token file: %w", err)
	}
	var ft fileToken
	if err := json.Unmarshal(b, &ft); err != nil || ft.RefreshToken == "" {
		return Token{}, fmt.Errorf("oauth: the token file %s is not a token file", f.Path)
	}
	return Token(ft), nil
}

// Save writes t atomically, mode 0600.
func (f FileStore) Save(_ context.Context, t Token) error {
	b, err := json.Marshal(fileToken(t))
	if err != nil {
		return err
	}
	if err := durable.WriteFile(f.Path, b); err != nil {
		return fmt.Errorf("oauth: saving the tokens: %w", err)
	}
	return nil
}

// staleTemp is the age from which a temporary file of Save is left over
// by a process that died inside it (SIGKILL, power loss): a Save takes
// milliseconds.
const staleTemp = time.Minute

// removeStaleTemps removes the temporary files that Saves of processes
// killed before their rename left beside the file: each holds a pair of
// tokens, maybe still valid. Called under the lock; a temporary file
// younger than staleTemp may be a Save in progress (one made without the
// lock) and is kept.
func (f FileStore) removeStaleTemps() {
	dir, prefix := filepath.Dir(f.Path), "."+filepath.Base(f.Path)+"-"
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if !e.Type().IsRegular() || !strings.HasPrefix(e.Name(), prefix) || !strings.HasSuffix(e.Name(), ".tmp") {
			continue
		}
		if fi, err := e.Info(); err == nil && time.Since(fi.ModTime()) > staleTemp {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

// lockPoll is how often Lock tries again while another process holds the lock.
const lockPoll = 20 * time.Millisecond

// Lock takes the advisory lock on Path+".lock", waiting until it is free
// or ctx ends. The lock ends with the process, however it ends.
func (f FileStore) Lock(ctx context.Context) (func(), error) {
	lf, err := os.OpenFile(f.Path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("oauth: opening the lock file: %w", err)
	}
	for {
		err := filelock.Lock(lf)
		if err == nil {
			f.removeStaleTemps()
			return func() { lf.Close() }, nil
		}
		if !errors.Is(err, filelock.ErrLocked) {
			lf.Close()
			return nil, fmt.Errorf("oauth: locking the token file: %w", err)
		}
		if err := wait.For(ctx, lockPoll, nil); err != nil {
			lf.Close()
			return nil, err
		}
	}
}
