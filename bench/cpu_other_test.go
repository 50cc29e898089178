//go:build !unix

package bench

// cpuSeconds is 0 where getrusage is missing: the benchmark's CPU metric
// then reads 0.
func cpuSeconds() float64 { return 0 }
