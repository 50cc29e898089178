package jsonscan

import (
	"encoding/binary"
	"math/bits"
)

// Eight bytes at a time: a string's plain run is skipped a word at a time
// instead of a byte at a time (most of an answer is inside strings).
const (
	ones   = 0x0101010101010101
	highs  = 0x8080808080808080
	quotes = '"' * ones
	slashs = '\\' * ones
	spaces = 0x20 * ones
)

// zeroBytes marks the bytes of w that are 0: the lowest mark is exact
// (borrows can only mark bytes above a zero byte).
func zeroBytes(w uint64) uint64 { return (w - ones) &^ w & highs }

// stringEnd returns the index of the first quote or backslash in b at or
// after j that is 8 bytes or more from b's end, else the first index from
// which fewer than 8 bytes are left: the caller goes on a byte at a time.
func stringEnd(b []byte, j int) int {
	for j+8 <= len(b) {
		w := binary.LittleEndian.Uint64(b[j:])
		if m := zeroBytes(w^quotes) | zeroBytes(w^slashs); m != 0 {
			return j + bits.TrailingZeros64(m)>>3
		}
		j += 8
	}
	return j
}

// plainEnd is stringEnd that also stops at a control character (below
// 0x20), which a JSON string may not hold as it is.
func plainEnd(b []byte, j int) int {
	for j+8 <= len(b) {
		w := binary.LittleEndian.Uint64(b[j:])
		if m := zeroBytes(w^quotes) | zeroBytes(w^slashs) | (w-spaces)&^w&highs; m != 0 {
			return j + bits.TrailingZeros64(m)>>3
		}
		j += 8
	}
	return j
}
