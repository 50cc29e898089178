// Package tokenstore keeps an application's OAuth tokens in Redis: an
// oauth.Store and oauth.Locker for processes on several machines, with the
// FileStore's semantics. Save is one SET (atomic: a reader sees the old
// pair or the new one); Lock is a lock with an expiry (SET NX PX, released
// by its owner only), so a process that dies holding it blocks the others
// for LockTTL at most; and a Save made under a lock that expired and was
// taken by another process is refused (fenced), so a late refresher never
// overwrites newer tokens.
package tokenstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/b24go/b24/oauth"
	"github.com/redis/go-redis/v9"
)

// DefaultLockTTL is how long a lock lives when its holder does not release it.
const DefaultLockTTL = 30 * time.Second

// lockPoll is how often Lock tries again while another process holds the lock.
const lockPoll = 20 * time.Millisecond

// ErrLockLost is returned by Save when this Store's lock expired (another
// process may have refreshed since), or another process holds the lock:
// the tokens were not saved.
var ErrLockLost = errors.New("tokenstore: the lock expired or another process holds it: tokens not saved")

// Store is one application's tokens on one portal, under Key (and the lock
// under Key+":lock"). It is safe for concurrent use.
type Store struct {
	client  redis.UniversalClient
	key     string
	lockTTL time.Duration

	mu    sync.Mutex
	owner string // the value of the lock this Store holds, "" when none
}

// New returns the Store of key. lockTTL 0 is DefaultLockTTL; it must be
// longer than a refresh request takes.
func New(client redis.UniversalClient, key string, lockTTL time.Duration) (*Store, error) {
	if client == nil || key == "" {
		return nil, fmt.Errorf("%w: tokenstore: a client and a key are required", oauth.ErrInvalidConfig)
	}
	if lockTTL == 0 {
		lockTTL = DefaultLockTTL
	}
	if lockTTL < 100*time.Millisecond || lockTTL > 10*time.Minute {
		return nil, fmt.Errorf("%w: tokenstore: lock TTL %v outside [100ms, 10m]", oauth.ErrInvalidConfig, lockTTL)
	}
	return &Store{client: client, key: key, lockTTL: lockTTL}, nil
}

// record is the stored encoding (oauth.Token's own MarshalJSON hides the tokens).
type record struct {
	AccessToken  string    `json:"access_token"`
	RefreshToken string    `json:"refresh_token"`
	Expiry       time.Time `json:"expiry"`
	MemberID     string    `json:"member_id,omitempty"`
	UserID       int64     `json:"user_id,omitempty"`
}

// Load reads the tokens; oauth.ErrNoTokens when there are none.
func (s *Store) Load(ctx context.Context) (oauth.Token, error) {
	b, err := s.client.Get(ctx, s.key).Bytes()
	if errors.Is(err, redis.Nil) {
		return oauth.Token{}, oauth.ErrNoTokens
	}
	if err != nil {
		return oauth.Token{}, fmt.Errorf("tokenstore: reading the tokens: %w", err)
	}
	var r record
	if err := json.Unmarshal(b, &r); err != nil || r.RefreshToken == "" {
		return oauth.Token{}, fmt.Errorf("tokenstore: %s does not hold tokens", s.key)
	}
	return oauth.Token(r), nil
}

// fencedSet sets KEYS[1] when the caller still holds the lock KEYS[2]
// (ARGV[2], its value), or, holding no lock (ARGV[2] == ""), when nobody
// does: a lock that expired under its holder makes its Save fail, even
// when the process that took it since has released it.
var fencedSet = redis.NewScript(`
local cur = redis.call('GET', KEYS[2])
if ARGV[2] ~= '' and cur ~= ARGV[2] then return 0 end
if ARGV[2] == '' and cur then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
return 1`)

// unlockScript deletes the lock when it is still the caller's.
var unlockScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`)

// Save replaces the tokens in one SET. It is refused (ErrLockLost) when
// this Store's lock expired, or, without a lock, while another process
// holds one.
func (s *Store) Save(ctx context.Context, t oauth.Token) error {
	b, err := json.Marshal(record(t))
	if err != nil {
		return err
	}
	s.mu.Lock()
	owner := s.owner
	s.mu.Unlock()
	n, err := fencedSet.Run(ctx, s.client, []string{s.key, s.key + ":lock"}, b, owner).Int()
	if err != nil {
		return fmt.Errorf("tokenstore: saving the tokens: %w", err)
	}
	if n == 0 {
		return ErrLockLost
	}
	return nil
}

// Lock takes the lock, waiting while another process holds it (until it
// releases it, its LockTTL passes, or ctx ends).
func (s *Store) Lock(ctx context.Context) (func(), error) {
	var b [16]byte
	rand.Read(b[:])
	owner := hex.EncodeToString(b[:])
	t := time.NewTicker(lockPoll)
	defer t.Stop()
	for {
		ok, err := s.client.SetNX(ctx, s.key+":lock", owner, s.lockTTL).Result()
		if err != nil {
			return nil, fmt.Errorf("tokenstore: taking the lock: %w", err)
		}
		if ok {
			break
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-t.C:
		}
	}
	s.mu.Lock()
	s.owner = owner
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		if s.owner == owner {
			s.owner = ""
		}
		s.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		unlockScript.Run(ctx, s.client, []string{s.key + ":lock"}, owner)
	}, nil
}

// Format prints the Store by its key only, for every verb.
func (s *Store) Format(f fmt.State, _ rune) { fmt.Fprintf(f, "tokenstore.Store(%s)", s.key) }
