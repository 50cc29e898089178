package b24test

import (
	"strings"

	"github.com/b24go/b24/b24test/internal/store"
)

// query runs a list query of the call, applying its list fault: unsorted
// rows ignore q.Order, an ignored start reads from offset 0 (the handler
// still computes next from the offset it was asked for), an ignored filter
// keeps only its conditions on the id.
func (c *Call) query(st *store.Store, e store.Entity, q store.Query) (store.Page, error) {
	switch c.fault {
	case FaultUnsorted:
		q.Scramble = true
	case FaultIgnoreStart:
		q.Offset = 0
	case FaultIgnoreFilter:
		var f store.Filter
		for _, cd := range q.Filter.Conds {
			if strings.EqualFold(cd.Field, "ID") {
				f.Conds = append(f.Conds, cd)
			}
		}
		q.Filter = f
	}
	return st.Query(e, q)
}
