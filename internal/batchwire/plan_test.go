package batchwire

import (
	"testing"
)

// TestV2Body: a chunk of unnamed commands is a list keyed by chunk
// position; one named command makes it an object, the unnamed ones keyed by
// their global position, so that keys stay unique across chunks.
func TestV2Body(t *testing.T) {
	t.Parallel()
	p := &Plan{Methods: []string{"a", "b", "c"}, Names: []string{"", "", ""},
		Wire: [][]byte{[]byte(`"a"`), []byte(`"b?x=1"`), []byte(`"c"`)}}
	for _, tc := range []struct {
		name  string
		names []string
		idx   []int
		halt  bool
		body  string
		keys  string
	}{
		{"list", []string{"", "", ""}, []int{1, 2}, true, `{"halt":1,"cmd":["b?x=1","c"]}`, "[0 1]"},
		{"named", []string{"", "n", ""}, []int{1, 2}, false, `{"halt":0,"cmd":{"n":"b?x=1","2":"c"}}`, "[n 2]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p.Names = tc.names
			body, keys := p.V2Body(tc.idx, tc.halt)
			if string(body) != tc.body || sprint(keys) != tc.keys {
				t.Errorf("%s %v; want %s %s", body, keys, tc.body, tc.keys)
			}
			size := 32
			for _, i := range tc.idx {
				size += p.Size(i)
			}
			if len(body) > size {
				t.Errorf("body %d bytes, Size counted %d", len(body), size)
			}
		})
	}
}

// TestV3Body: REST 3.0 commands travel as {"method","query","as"} in an array.
func TestV3Body(t *testing.T) {
	t.Parallel()
	p := &Plan{V3: true, Methods: []string{"m", "n"}, Names: []string{"a", ""},
		Wire: [][]byte{V3Command("m", []byte(`{"id":1}`), "a"), V3Command("n", []byte(`{}`), "")}}
	want := `[{"method":"m","query":{"id":1},"as":"a"},{"method":"n","query":{}}]`
	if got := string(p.V3Body([]int{0, 1})); got != want {
		t.Errorf("%s\nwant %s", got, want)
	}
}

func sprint(s []string) string {
	out := "["
	for i, v := range s {
		if i > 0 {
			out += " "
		}
		out += v
	}
	return out + "]"
}
