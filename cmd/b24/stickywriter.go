package main

import "io"

// stickyWriter remembers the first error of its writer, so that a write
// whose error was not checked (fmt.Fprintf) still fails the command.
type stickyWriter struct {
	w   io.Writer
	err error
}

func (s *stickyWriter) Write(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	n, err := s.w.Write(p)
	if err != nil {
		s.err = err
	}
	return n, err
}
