package main

import (
	"encoding/json"
	"testing"
)

// FuzzDecodeFields: a hostile *.fields answer never panics the decoder,
// and what it accepts is an object whose every key became one field.
func FuzzDecodeFields(f *testing.F) {
	for _, s := range []string{`{"ID":{"type":"integer","isReadOnly":true}}`, `{"fields":{"id":{"type":"integer"}}}`,
		`{"A":{"TYPE":"string","TITLE":"a","REQUIRED":true}}`, `{}`, `[]`, `{"A":1}`, `{"fields":[]}`, `{"A":{"title":{}}}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		fs, err := decodeFields(json.RawMessage(raw))
		if err != nil {
			return
		}
		var obj map[string]json.RawMessage
		if json.Unmarshal([]byte(raw), &obj) != nil {
			t.Fatalf("accepted %q, which is not a JSON object", raw)
		}
		if len(fs) > len(raw) {
			t.Fatalf("%d fields from %d bytes", len(fs), len(raw))
		}
	})
}
