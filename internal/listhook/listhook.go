// Package listhook hands the tree's own modules list options that package
// b24 does not export (its exported API is kept short). Package b24 sets the
// values at init; they are b24.ListOption values held as any, because this
// package cannot import b24.
package listhook

// NoRangeProbe is a b24.ListOption: a sequential chained walk skips the
// range probe and starts with a whole chain (listwalk.Config.NoProbe).
// dbsync's walks use it: a re-sync's cost is its requests.
var NoRangeProbe any
