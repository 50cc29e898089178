package php

import (
	"math"
	"strconv"
	"strings"
	"testing"
)

func TestFloatVal(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want float64
	}{
		{"12", 12}, {" 12abc", 12}, {"-3.5x", -3.5}, {"+.5", 0.5}, {"5.", 5}, {"1e3", 1000}, {"1e", 1},
		{"1e+", 1}, {"2E-2z", 0.02}, {"abc", 0}, {"", 0}, {".", 0}, {"-", 0}, {"$result[a][ID]", 0},
		{"\t\n7", 7}, {"1,5", 1}, {"0x1A", 0}, {"1e999", math.Inf(1)},
	} {
		if got := FloatVal(tc.in); got != tc.want {
			t.Errorf("FloatVal(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

// FuzzFloatVal: the value is strconv's reading of some prefix of the trimmed
// input, the whole of it when the input is a plain decimal number.
func FuzzFloatVal(f *testing.F) {
	for _, s := range []string{"12abc", "-3.5e2x", " .5", "abc", "1e", "9999999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := FloatVal(s)
		if math.IsNaN(got) {
			t.Fatalf("FloatVal(%q) is NaN", s)
		}
		trimmed := strings.TrimLeft(s, " \t\n\r\v\f")
		if want, err := strconv.ParseFloat(trimmed, 64); err == nil && !strings.ContainsAny(trimmed, "xXpPiInN_") {
			if got != want {
				t.Fatalf("FloatVal(%q) = %v, strconv %v", s, got, want)
			}
		}
		if got != 0 {
			for n := 1; n <= len(trimmed); n++ {
				if v, err := strconv.ParseFloat(trimmed[:n], 64); (err == nil || math.IsInf(v, 0)) && v == got {
					return
				}
			}
			t.Fatalf("FloatVal(%q) = %v is no prefix's value", s, got)
		}
	})
}
