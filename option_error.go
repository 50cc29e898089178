package b24

import (
	"errors"
	"fmt"
)

// ErrInvalidOption is wrapped by the error of every option given a bad value
// (errors.Is): New and FromWebhookURL fail with it, and so does a call given a
// bad per-call, list or batch option, before anything is sent or waited for.
var ErrInvalidOption = errors.New("b24: invalid option")

// invalidOption reports a bad value of the option named name.
func invalidOption(name string, value any, why string) error {
	return fmt.Errorf("%w: %s(%v): %s", ErrInvalidOption, name, value, why)
}
