package main

import (
	"bufio"
	"encoding/json"

	"github.com/b24go/b24/cmd/b24/internal/jsonout"
)

// tableWriter prints rows in aligned columns (--format table), CSV's
// columns and values; it holds the rows until the footer, which aligns
// them, so it is for a terminal and a sample (--limit).
type tableWriter struct {
	w       *bufio.Writer
	columns []string
	rows    [][]string
}

func (t *tableWriter) Header() error { return nil }
func (t *tableWriter) Flush() error  { return t.w.Flush() }
func (t *tableWriter) Footer() error { return jsonout.Table(t.w, t.columns, t.rows) }

func (t *tableWriter) Row(raw json.RawMessage) error {
	rec, err := rowRecord(raw, t.columns)
	if err == nil {
		t.rows = append(t.rows, rec)
	}
	return err
}
