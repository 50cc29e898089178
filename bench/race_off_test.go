//go:build !race

package bench

// raceOn is whether the race detector is on: TestSlotsVirtual's first case
// runs always without it (a second), and takes half a minute with it.
const raceOn = false
