package b24test

import "testing"

func TestRegistryAdd(t *testing.T) {
	h := func(*Call) (Result, *Error) { return Value(true), nil }
	tests := []struct {
		name    string
		methods []Method
		wantErr bool
	}{
		{"ok", []Method{{Name: "a.b", API: V2, Handler: h}, {Name: "a.b", API: V3, Handler: h}}, false},
		{"upper", []Method{{Name: "A.b", API: V2, Handler: h}}, true},
		{"no handler", []Method{{Name: "a", API: V2}}, true},
		{"no api", []Method{{Name: "a", Handler: h}}, true},
		{"dup both", []Method{{Name: "a", API: Both, Handler: h}, {Name: "a", API: V3, Handler: h}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &registry{v2: map[string]*Method{}, v3: map[string]*Method{}}
			var err error
			for _, m := range tt.methods {
				if err = r.add(m); err != nil {
					break
				}
			}
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
		})
	}
}

func TestRegistryLookupCaseInsensitive(t *testing.T) {
	r := &registry{v2: map[string]*Method{}, v3: map[string]*Method{}}
	h := func(*Call) (Result, *Error) { return Value(true), nil }
	if err := r.add(Method{Name: "crm.deal.list", API: V2, Handler: h}); err != nil {
		t.Fatal(err)
	}
	if r.lookup(V2, "CRM.Deal.List") == nil {
		t.Error("case-insensitive lookup failed")
	}
	if r.lookup(V3, "crm.deal.list") != nil {
		t.Error("v2-only method found on v3")
	}
}

func TestNextStart(t *testing.T) {
	tests := []struct{ start, n, total, want int }{
		{0, 50, 120, 50}, {50, 50, 120, 100}, {100, 20, 120, -1}, {-1, 50, 0, -1}, {0, 0, 0, -1},
	}
	for _, tt := range tests {
		if got := NextStart(tt.start, tt.n, tt.total); got != tt.want {
			t.Errorf("NextStart(%d,%d,%d) = %d, want %d", tt.start, tt.n, tt.total, got, tt.want)
		}
	}
}
