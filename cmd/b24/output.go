package main

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/b24go/b24/internal/durable"
	"github.com/b24go/b24/internal/jsonscan"
)

// rowWriter writes rows in one of the output formats.
type rowWriter interface {
	// Header writes what comes before the first row (CSV's header line,
	// JSON's "["), unless the output is being resumed.
	Header() error
	Row(raw json.RawMessage) error
	// Footer writes what comes after the last row (JSON's "]").
	Footer() error
	// Flush pushes buffered bytes to the underlying writer.
	Flush() error
}

func newRowWriter(format string, w io.Writer, columns []string) (rowWriter, error) {
	bw := bufio.NewWriterSize(w, 256<<10)
	switch format {
	case "ndjson":
		return &ndjsonWriter{w: bw}, nil
	case "json":
		return &jsonWriter{w: bw}, nil
	case "csv":
		return &csvWriter{bw: bw, w: csv.NewWriter(bw), columns: columns}, nil
	case "table":
		return &tableWriter{w: bw, columns: columns}, nil
	}
	return nil, usagef("--format must be ndjson, csv, json or table, not %q", format)
}

type ndjsonWriter struct{ w *bufio.Writer }

func (n *ndjsonWriter) Header() error { return nil }
func (n *ndjsonWriter) Footer() error { return nil }
func (n *ndjsonWriter) Flush() error  { return n.w.Flush() }
func (n *ndjsonWriter) Row(raw json.RawMessage) error {
	b, err := appendCompact(n.w.AvailableBuffer(), raw)
	if err != nil {
		return err
	}
	_, err = n.w.Write(append(b, '\n'))
	return err
}

// appendCompact appends raw to dst as json.Compact writes it (in one pass,
// straight into the writer's free buffer when it fits), or returns
// json.Compact's error for a row that is not valid JSON.
func appendCompact(dst []byte, raw json.RawMessage) ([]byte, error) {
	if !jsonscan.Valid(raw) {
		var b bytes.Buffer
		err := json.Compact(&b, raw)
		if err == nil {
			err = errors.New("invalid JSON") // unreachable: Valid agrees with json.Valid
		}
		return dst, err
	}
	return jsonscan.AppendCompact(dst, raw), nil
}

type jsonWriter struct {
	w    *bufio.Writer
	rows int
}

func (j *jsonWriter) Header() error { _, err := j.w.WriteString("["); return err }
func (j *jsonWriter) Footer() error {
	s := "]\n"
	if j.rows > 0 {
		s = "\n]\n"
	}
	_, err := j.w.WriteString(s)
	return err
}
func (j *jsonWriter) Flush() error { return j.w.Flush() }
func (j *jsonWriter) Row(raw json.RawMessage) error {
	sep := ",\n"
	if j.rows == 0 {
		sep = "\n"
	}
	j.rows++
	b, err := appendCompact(append(j.w.AvailableBuffer(), sep...), raw)
	if err != nil {
		return err
	}
	_, err = j.w.Write(b)
	return err
}

type csvWriter struct {
	bw      *bufio.Writer
	w       *csv.Writer
	columns []string
}

func (c *csvWriter) Header() error { return c.w.Write(c.columns) }
func (c *csvWriter) Footer() error { return nil }
func (c *csvWriter) Flush() error {
	c.w.Flush()
	if err := c.w.Error(); err != nil {
		return err
	}
	return c.bw.Flush()
}

// Row writes the row's values in the header's columns: strings as they
// are, null and absent as empty, other values as JSON.
func (c *csvWriter) Row(raw json.RawMessage) error {
	rec, err := rowRecord(raw, c.columns)
	if err != nil {
		return err
	}
	return c.w.Write(rec)
}

// rowRecord is a row's values in columns (csvValue's text).
func rowRecord(raw json.RawMessage, columns []string) ([]string, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("row is not an object: %v", err)
	}
	rec := make([]string, len(columns))
	for i, col := range columns {
		rec[i] = csvValue(m[col])
	}
	return rec, nil
}

func csvValue(v json.RawMessage) string {
	v = bytes.TrimSpace(v)
	if len(v) == 0 || string(v) == "null" {
		return ""
	}
	if v[0] == '"' {
		var s string
		if json.Unmarshal(v, &s) == nil {
			return s
		}
	}
	var b bytes.Buffer
	if json.Compact(&b, v) == nil {
		return b.String()
	}
	return string(v)
}

// atomicFile is an output written under a temporary name and renamed over
// its final name by Commit, or, with final empty, a FIFO or a device
// written in place (see openOutput).
type atomicFile struct {
	*os.File
	final string
}

// createAtomic starts a temporary file beside path; perm, when not zero,
// is the mode of the file it replaces (else 0666 less the umask).
func createAtomic(path string, perm os.FileMode) (*atomicFile, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := createTemp(dir, base)
	if err != nil {
		return nil, err
	}
	if perm != 0 {
		if err := f.Chmod(perm); err != nil {
			f.Close()
			os.Remove(f.Name())
			return nil, err
		}
	}
	return &atomicFile{File: f, final: path}, nil
}

// Commit syncs the file and renames it to its final name.
func (a *atomicFile) Commit() error {
	if a.final == "" {
		return a.Close()
	}
	defer dropTemp(a.Name())
	if err := a.Sync(); err != nil {
		a.Abort()
		return err
	}
	if err := a.Close(); err != nil {
		os.Remove(a.Name())
		return err
	}
	if err := os.Rename(a.Name(), a.final); err != nil {
		os.Remove(a.Name())
		return err
	}
	durable.SyncDir(a.final)
	return nil
}

// Abort removes the temporary file (closes a FIFO or a device).
func (a *atomicFile) Abort() {
	a.Close()
	if a.final != "" {
		os.Remove(a.Name())
		dropTemp(a.Name())
	}
}

// writeFileAtomic writes data to path through a synced temporary file.
func writeFileAtomic(path string, data []byte) error {
	a, err := createAtomic(path, 0)
	if err != nil {
		return err
	}
	if _, err := a.Write(data); err != nil {
		a.Abort()
		return err
	}
	return a.Commit()
}

// splitList splits "a,b, c" into its non-empty items.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
