//go:build unix

package dbsync

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// cpuSeconds is the process's CPU time so far (user and system), which a
// loaded machine does not inflate as it does wall time.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// serverCPU is the CPU time so far of each PostgreSQL server process of
// db's server (pg_stat_activity's pids, read in /proc/PID/stat: a server
// on this host, Linux), or nil for SQLite or where it cannot be read.
func serverCPU(db *DB) map[int]float64 {
	if db.d.name() != "postgres" {
		return nil
	}
	rows, err := db.sql.Query(`SELECT pid FROM pg_stat_activity`)
	if err != nil {
		return nil
	}
	defer rows.Close()
	out := map[int]float64{}
	for rows.Next() {
		var pid int
		if rows.Scan(&pid) != nil {
			return nil
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return nil
		}
		// the fields after the command's closing parenthesis: utime and
		// stime are the 12th and 13th, in clock ticks (100 a second)
		f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		if len(f) < 13 {
			return nil
		}
		u, _ := strconv.ParseFloat(f[11], 64)
		s, _ := strconv.ParseFloat(f[12], 64)
		out[pid] = (u + s) / 100
	}
	return out
}
