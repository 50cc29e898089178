package userdir

import "github.com/b24go/b24/internal/durable"

// WriteFile replaces path with b atomically, mode 0600 (durable.WriteFile).
func WriteFile(path string, b []byte) error { return durable.WriteFile(path, b) }
