package b24

import "context"

// chainLen is the number of list commands of a full chained batch.
const chainLen = 50

// chainAvailable turns chained batches on once the Batch API is in.
const chainAvailable = false

func (w *walk[T]) stepChain(ctx context.Context, sh *shard[T], n int) (*chunk[T], error) {
	panic("b24: chained batches are not available")
}

func (w *walk[T]) probeChain(ctx context.Context, sh *shard[T], rev region) (first, reverse [][]byte, err error) {
	panic("b24: chained batches are not available")
}
