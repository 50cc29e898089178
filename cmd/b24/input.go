package main

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

// errNotUTF8 is the class of input refused for not being UTF-8 (a usage
// error, exit 2). Every input is checked whole before anything is sent: a
// raw byte would reach the portal (and break every later list of the
// record) or become U+FFFD silently.
var errNotUTF8 = errors.New("not valid UTF-8")

// checkUTF8 refuses data that is not valid UTF-8, naming what it is
// (a file, stdin) and the line and column of the first bad byte; data
// starts at line first.
func checkUTF8(what string, first int, data []byte) error {
	if utf8.Valid(data) {
		return nil
	}
	line, col := first, 1
	for i := 0; i < len(data); {
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n == 1 {
			return &usageError{msg: fmt.Sprintf("%s: line %d, column %d: byte 0x%02x is not valid UTF-8; nothing was sent (convert the file to UTF-8, e.g. iconv -f cp1251 -t utf-8)", what, line, col, data[i]), err: errNotUTF8}
		}
		if data[i] == '\n' {
			line, col = line+1, 0
		}
		col++
		i += n
	}
	return nil
}

// checkArgUTF8 refuses a command-line argument that is not valid UTF-8.
func checkArgUTF8(what, arg string) error {
	if utf8.ValidString(arg) {
		return nil
	}
	return &usageError{msg: fmt.Sprintf("%s %q is not valid UTF-8; nothing was sent", what, arg), err: errNotUTF8}
}
