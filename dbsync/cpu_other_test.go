//go:build !unix

package dbsync

// cpuSeconds is 0 where getrusage is missing: the benchmark's CPU metric
// then reads 0.
func cpuSeconds() float64 { return 0 }

// serverCPU is nil where /proc is missing: no server-cpu-µs/row metric.
func serverCPU(*DB) map[int]float64 { return nil }
