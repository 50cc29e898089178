// Package jsonout runs the b24 command's --jq programs (through gojq) on
// its JSON output and prints their results as gh does: a string raw,
// anything else as indented JSON; and prints tables (--format table).
package jsonout

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/itchyny/gojq"
)

// ErrJQ marks an error of a --jq program, at compile or at run time.
var ErrJQ = errors.New("--jq")

// Query is a compiled --jq program.
type Query struct{ code *gojq.Code }

// Compile parses and compiles expr; errors wrap ErrJQ and say where.
func Compile(expr string) (*Query, error) {
	q, err := gojq.Parse(expr)
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrJQ, parseError(expr, err))
	}
	code, err := gojq.Compile(q)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrJQ, err)
	}
	return &Query{code: code}, nil
}

// parseError shows where in expr parsing stopped, as jq does:
// "unexpected token \")\" at offset 5 of \".a | )\"".
func parseError(expr string, err error) string {
	var pe *gojq.ParseError
	if errors.As(err, &pe) {
		return fmt.Sprintf("%v at offset %d of %q", err, pe.Offset, expr)
	}
	return err.Error()
}

// Write runs q on the JSON document raw (numbers keep their text: gojq
// takes json.Number) and prints each result on w, one a line.
func (q *Query) Write(ctx context.Context, w io.Writer, raw []byte) error {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var in any
	if err := d.Decode(&in); err != nil {
		return err
	}
	it := q.code.RunWithContext(ctx, in)
	for {
		v, ok := it.Next()
		if !ok {
			return nil
		}
		if err, ok := v.(error); ok {
			var he *gojq.HaltError
			if errors.As(err, &he) && he.Value() == nil {
				return nil // halt
			}
			return fmt.Errorf("%w: %v", ErrJQ, err)
		}
		if err := writeValue(w, v); err != nil {
			return err
		}
	}
}

// writeValue prints a string raw and anything else as indented JSON.
func writeValue(w io.Writer, v any) error {
	if s, ok := v.(string); ok {
		_, err := io.WriteString(w, s+"\n")
		return err
	}
	b, err := gojq.Marshal(v)
	if err != nil {
		return err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		return err
	}
	out.WriteByte('\n')
	_, err = w.Write(out.Bytes())
	return err
}
