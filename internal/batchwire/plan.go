// Package batchwire is the wire format of a batch request: each command
// encoded once (v2: the query string "method?query"; REST 3.0: the object
// {"method","query","as"}), the bodies of a chunk, the checks of batch
// references, and the sections of a v2 answer. It knows nothing of calls,
// limits or command states: package b24 sends the bodies and reads the
// answers through it.
package batchwire

import (
	"bytes"
	"encoding/json"
	"strconv"

	"github.com/b24go/b24/internal/php"
)

// Plan holds a batch's commands in wire form, each encoded once: on v2 the
// JSON string "method?query", on REST 3.0 the JSON object
// {"method","query","as"}. Methods, Names and Wire are indexed alike.
type Plan struct {
	V3      bool
	Methods []string
	Names   []string
	Wire    [][]byte
}

// V2Line is a v2 command's wire form, "method?query" (params in PHP's query
// encoding). A value the query cannot carry is a *php.ValueError.
func V2Line(method string, params any) (string, error) {
	q, err := php.Encode(params)
	if err != nil || q == "" {
		return method, err
	}
	return method + "?" + q, nil
}

// V3Command is a REST 3.0 command's wire form: {"method","query","as"},
// "as" only for a named command. query must be a JSON object.
func V3Command(method string, query []byte, alias string) []byte {
	var b bytes.Buffer
	m, _ := json.Marshal(method)
	b.WriteString(`{"method":`)
	b.Write(m)
	b.WriteString(`,"query":`)
	b.Write(query)
	if alias != "" {
		as, _ := json.Marshal(alias)
		b.WriteString(`,"as":`)
		b.Write(as)
	}
	b.WriteByte('}')
	return b.Bytes()
}

// Named reports whether any command of the chunk has a name: a v2 chunk is
// then sent as an object keyed by name (an unnamed command by its global
// position), otherwise as a list.
func (p *Plan) Named(idx []int) bool {
	for _, i := range idx {
		if p.Names[i] != "" {
			return true
		}
	}
	return false
}

// Key is the key of command i (at chunk position j) in a v2 chunk.
func (p *Plan) Key(i, j int, named bool) string {
	switch {
	case !named:
		return strconv.Itoa(j)
	case p.Names[i] != "":
		return p.Names[i]
	}
	return strconv.Itoa(i)
}

// Size is the body size command i adds to a chunk.
func (p *Plan) Size(i int) int {
	n := len(p.Wire[i]) + 1
	if !p.V3 {
		n += len(p.Names[i]) + 8 // "key": (a global position at most)
	}
	return n
}

// V2Body builds the JSON body of a v2 batch and the wire key of each command.
func (p *Plan) V2Body(idx []int, halt bool) ([]byte, []string) {
	named := p.Named(idx)
	var b bytes.Buffer
	n := 32
	for _, i := range idx {
		n += p.Size(i)
	}
	b.Grow(n)
	if halt {
		b.WriteString(`{"halt":1,"cmd":`)
	} else {
		b.WriteString(`{"halt":0,"cmd":`)
	}
	keys := make([]string, len(idx))
	open, end := byte('['), "]}"
	if named {
		open, end = '{', "}}"
	}
	b.WriteByte(open)
	for j, i := range idx {
		if j > 0 {
			b.WriteByte(',')
		}
		keys[j] = p.Key(i, j, named)
		if named {
			k, _ := json.Marshal(keys[j])
			b.Write(k)
			b.WriteByte(':')
		}
		b.Write(p.Wire[i])
	}
	b.WriteString(end)
	return b.Bytes(), keys
}

// V3Body is the JSON array of a REST 3.0 batch.
func (p *Plan) V3Body(idx []int) []byte {
	n := 2
	for _, i := range idx {
		n += p.Size(i)
	}
	b := make([]byte, 0, n)
	b = append(b, '[')
	for j, i := range idx {
		if j > 0 {
			b = append(b, ',')
		}
		b = append(b, p.Wire[i]...)
	}
	return append(b, ']')
}

// MaxCommands is the number of commands one batch request runs.
const MaxCommands = 50
