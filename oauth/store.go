package oauth

import (
	"context"
	"sync/atomic"
)

// Store keeps an application's tokens. Save must be atomic: after a crash
// Load returns the old tokens or the new ones, never a mix. Load returns
// ErrNoTokens when there are none.
type Store interface {
	Load(ctx context.Context) (Token, error)
	Save(ctx context.Context, t Token) error
}

// Locker is a Store whose tokens are shared with other processes: a Source
// holds the lock while it refreshes and re-reads the tokens under it.
type Locker interface {
	Lock(ctx context.Context) (unlock func(), err error)
}

// MemoryStore keeps the tokens in memory (one process).
type MemoryStore struct {
	t atomic.Pointer[Token] // prints as an address, even through reflection
}

// NewMemoryStore returns a MemoryStore holding t.
func NewMemoryStore(t Token) *MemoryStore {
	m := &MemoryStore{}
	m.t.Store(&t)
	return m
}

// Load returns the tokens.
func (m *MemoryStore) Load(context.Context) (Token, error) {
	t := m.t.Load()
	if t == nil || t.RefreshToken == "" {
		return Token{}, ErrNoTokens
	}
	return *t, nil
}

// Save replaces the tokens.
func (m *MemoryStore) Save(_ context.Context, t Token) error {
	m.t.Store(&t)
	return nil
}
