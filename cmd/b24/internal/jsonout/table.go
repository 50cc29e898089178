package jsonout

import (
	"io"
	"strings"
	"text/tabwriter"
)

// Table prints rows under headers in aligned columns, for a terminal
// (--format table). Tabs and newlines inside a cell are shown as spaces.
func Table(w io.Writer, headers []string, rows [][]string) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
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
	return tw.Flush()
}
