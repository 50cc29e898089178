package main

import (
	"errors"

	"github.com/b24go/b24"
	"github.com/b24go/b24/internal/php"
)

// checkBatchable refuses, before anything is journaled or sent, a row whose
// params a REST v2 batch command (a query string) cannot carry: an empty
// array, null or a boolean (see b24.Cmd).
func checkBatchable(v b24.APIVersion, rows []updateRow) error {
	if v != b24.APIv2 {
		return nil
	}
	for _, r := range rows {
		var ve *php.ValueError
		if _, err := php.Encode(r.Params); errors.As(err, &ve) {
			return usagef("--from: row %d: %s is %s, which a batch command (a query string) cannot send: leave it out or give it a value (\"Y\"/\"N\", 1/0)", r.Row, ve.Path, ve.Value)
		}
	}
	return nil
}
