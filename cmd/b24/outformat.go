package main

import (
	"path/filepath"
	"strings"
)

// formatOf is the output format -o path's extension implies: csv, json,
// or ndjson (.ndjson, .jsonl, anything else and stdout).
func formatOf(path string) string {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv":
		return "csv"
	case ".json":
		return "json"
	}
	return "ndjson"
}
