//go:build windows

package userdir

import "io/fs"

// Exposed is false on Windows, whose permissions are not mode bits.
func Exposed(fs.FileMode) bool { return false }
