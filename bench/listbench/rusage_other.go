//go:build !unix

package main

import "time"

// cpuTime reports no CPU time: getrusage is Unix only, and the report leaves it out.
func cpuTime() (user, sys time.Duration, ok bool) { return 0, 0, false }
