package b24test

import "errors"

// ErrInvalidOption is wrapped by the error of every option given a bad value
// (errors.Is): NewServer fails the test with it, Start returns it.
var ErrInvalidOption = errors.New("b24test: invalid option")
