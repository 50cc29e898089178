//go:build !unix

package main

// oNoFollow: no such flag; openAppendOutput's Lstat check stands alone.
const oNoFollow = 0
