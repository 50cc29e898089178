//go:build !windows

package userdir

import "io/fs"

// Exposed reports whether a file of this mode can be read or written by
// group or others (as ssh refuses such a key). Never on Windows, whose
// permissions are not mode bits.
func Exposed(mode fs.FileMode) bool { return mode.Perm()&0o077 != 0 }
