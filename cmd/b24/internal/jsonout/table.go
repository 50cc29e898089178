package jsonout

import (
	"bytes"
	"io"
	"strings"
	"text/tabwriter"
)

// Table prints rows under headers in aligned columns, for a terminal
// (--format table). Tabs and newlines inside a cell are shown as spaces;
// no line ends in spaces.
func Table(w io.Writer, headers []string, rows [][]string) error {
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
	line := func(cells []string) {
		for i, c := range cells {
			if i > 0 {
				io.WriteString(tw, "\t")
			}
			io.WriteString(tw, strings.NewReplacer("\t", " ", "\n", " ", "\r", " ").Replace(c))
		}
		io.WriteString(tw, "\n")
	}
	line(headers)
	for _, r := range rows {
		line(r)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	var out bytes.Buffer
	for line := range bytes.Lines(buf.Bytes()) {
		out.Write(bytes.TrimRight(line, " \n"))
		out.WriteByte('\n')
	}
	_, err := w.Write(out.Bytes())
	return err
}
