//go:build race

package bench

// raceOn is whether the race detector is on (race_off_test.go).
const raceOn = true
