//go:build unix

package bench

import "syscall"

// cpuSeconds is the process's CPU time so far (user and system), which a
// loaded machine does not inflate as it does wall time.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}
