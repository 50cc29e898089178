package b24test

import (
	"context"
	"crypto/sha256"
	"net/http"
	"strings"
	"sync"
	"time"
)

// idempotencyKey returns the Idempotency-Key header and whether it was sent.
func idempotencyKey(r *http.Request) (string, bool) {
	vs, ok := r.Header[http.CanonicalHeaderKey("Idempotency-Key")]
	if !ok || len(vs) == 0 {
		return "", false
	}
	return vs[0], true
}

// validIdempotencyKey: 1 to 255 printable ASCII characters.
func validIdempotencyKey(k string) bool {
	if len(k) < 1 || len(k) > 255 || strings.TrimSpace(k) == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x20 || k[i] > 0x7e {
			return false
		}
	}
	return true
}

type idemKey struct {
	cred, method, key string
}

// idemEntry is one key's record: pending until its first request finishes.
type idemEntry struct {
	k       idemKey
	hash    [32]byte
	done    chan struct{}
	stored  bool
	status  int
	body    []byte
	expires time.Time
}

// idemStore keeps the answers of successful v3 writes per (credential,
// method, key) for a day (divided by the time scale).
type idemStore struct {
	mu  sync.Mutex
	ttl time.Duration
	m   map[idemKey]*idemEntry
}

func newIdemStore(ttl time.Duration) *idemStore {
	return &idemStore{ttl: ttl, m: map[idemKey]*idemEntry{}}
}

// begin looks k up. It returns the stored entry to replay, or conflict when
// the key was used with another body, or a new pending entry that the
// caller owns and must finish or abandon. A request that finds the key
// pending waits for it.
func (st *idemStore) begin(ctx context.Context, k idemKey, body []byte, now time.Time) (own, stored *idemEntry, conflict bool, err error) {
	h := sha256.Sum256(body)
	for {
		st.mu.Lock()
		e := st.m[k]
		if e != nil && e.stored && !now.Before(e.expires) {
			delete(st.m, k)
			e = nil
		}
		if e == nil {
			e = &idemEntry{k: k, hash: h, done: make(chan struct{})}
			st.m[k] = e
			st.mu.Unlock()
			return e, nil, false, nil
		}
		if e.hash != h {
			st.mu.Unlock()
			return nil, nil, true, nil
		}
		if e.stored {
			st.mu.Unlock()
			return nil, e, false, nil
		}
		done := e.done
		st.mu.Unlock()
		select {
		case <-done:
		case <-ctx.Done():
			return nil, nil, false, ctx.Err()
		}
	}
}

// finish records the answer of a pending entry: kept if successful,
// forgotten otherwise.
func (st *idemStore) finish(e *idemEntry, rep reply, now time.Time) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if rep.status == http.StatusOK {
		e.stored, e.status, e.body, e.expires = true, rep.status, rep.body, now.Add(st.ttl)
	} else if st.m[e.k] == e {
		delete(st.m, e.k)
	}
	close(e.done)
}

// abandon forgets a pending entry whose request did not run.
func (st *idemStore) abandon(e *idemEntry) {
	if e == nil {
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.m[e.k] == e {
		delete(st.m, e.k)
	}
	close(e.done)
}
