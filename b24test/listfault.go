package b24test

import "github.com/b24go/b24/b24test/internal/store"

// query runs a list query of the call, applying its list fault: unsorted
// rows ignore q.Order, an ignored start reads from offset 0 (the handler
// still computes next from the offset it was asked for).
func (c *Call) query(st *store.Store, e store.Entity, q store.Query) (store.Page, error) {
	switch c.fault {
	case FaultUnsorted:
		q.Scramble = true
	case FaultIgnoreStart:
		q.Offset = 0
	}
	return st.Query(e, q)
}
