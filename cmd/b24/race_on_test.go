//go:build race

package main

// raceEnabled: the race detector slows everything down several times.
const raceEnabled = true
