//go:build unix

package main

import (
	"syscall"
	"time"
)

// cpuTime returns the process's user and system CPU time; ok is false when unknown.
func cpuTime() (time.Duration, bool) {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
