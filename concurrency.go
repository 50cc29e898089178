package b24

import "fmt"

// MaxConcurrency is the largest WithConcurrency.
const MaxConcurrency = 64

// ConcurrencyOption is the one parallelism option, both a ListOption and a
// BatchOption (see WithConcurrency).
type ConcurrencyOption struct{ n int }

// WithConcurrency sets how many requests of a list walk or a BatchByChunk
// may be in flight at once; it must be in [1, MaxConcurrency].
//
// For a list walk (default 1) the walk first probes the smallest and
// largest id of the range (one request), then cuts the range into shards
// sized by the density of ids it observes, and walks n of them
// concurrently. Rows still arrive in id order unless WithUnordered(true);
// memory stays bounded by a window of about 2n shards.
//
// For BatchByChunk (default DefaultChunkConcurrency; 1 is sequential) it
// keeps the request bucket busy when a request takes longer than the
// bucket's drain interval. On the Standard plan, batches of 50 writes keep
// the bucket busy from 8.
//
// Every request is paced by the hook's one limiter, so more concurrency
// never earns a refusal; above about 4 a list walk gets no faster.
func WithConcurrency(n int) ConcurrencyOption { return ConcurrencyOption{n} }

func (o ConcurrencyOption) check() error {
	if o.n < 1 || o.n > MaxConcurrency {
		return invalidOption("WithConcurrency", o.n, fmt.Sprintf("must be in [1, %d]", MaxConcurrency))
	}
	return nil
}

func (o ConcurrencyOption) applyList(c *listConfig) error {
	if err := o.check(); err != nil {
		return err
	}
	c.walk.Shards = o.n
	return nil
}

func (o ConcurrencyOption) applyBatch(c *batchConfig) error {
	if err := o.check(); err != nil {
		return err
	}
	c.concurrency = o.n
	return nil
}
