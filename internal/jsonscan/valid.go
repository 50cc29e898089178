package jsonscan

// maxDepth is encoding/json's nesting limit: a text nested deeper is not
// valid for json.Valid either.
const maxDepth = 10000

// strPlain marks the bytes a JSON string holds as they are: not the quote,
// not the backslash, not a control character.
var strPlain = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// Valid reports whether b is one JSON value surrounded by optional
// whitespace: exactly the texts json.Valid accepts (bytes of invalid
// UTF-8 inside strings included, nesting up to encoding/json's limit),
// in one pass over b, without allocating below 64 levels of nesting
// (FuzzValid checks it against json.Valid). A text Valid accepts can be
// split with EachMember, Elements and SkipValue, which do not check.
func Valid(b []byte) bool {
	var buf [64]byte
	stack := buf[:0] // the open containers, '{' or '['
	i := skipSpace(b, 0)
	for {
		// A value starts at b[i].
		if i >= len(b) {
			return false
		}
		switch c := b[i]; c {
		case '{', '[':
			if len(stack) >= maxDepth {
				return false
			}
			close := byte('}')
			if c == '[' {
				close = ']'
			}
			i = skipSpace(b, i+1)
			if i < len(b) && b[i] == close {
				i++
				break
			}
			stack = append(stack, c)
			if c == '{' {
				if i = validKey(b, i); i < 0 {
					return false
				}
			}
			continue
		case '"':
			if i = validString(b, i); i < 0 {
				return false
			}
		case 't':
			if i = validLiteral(b, i, "true"); i < 0 {
				return false
			}
		case 'f':
			if i = validLiteral(b, i, "false"); i < 0 {
				return false
			}
		case 'n':
			if i = validLiteral(b, i, "null"); i < 0 {
				return false
			}
		default:
			if i = validNumber(b, i); i < 0 {
				return false
			}
		}
		// After a value: close containers, or a comma before the next.
		if i, stack = validAfter(b, i, stack); i < 0 {
			return false
		}
		if len(stack) == 0 {
			return skipSpace(b, i) == len(b)
		}
	}
}

// validAfter reads what follows a value inside the open containers of
// stack: their closing brackets, then a comma and (in an object) the next
// key and colon. It returns the start of the next value and the remaining
// stack; -1 for a text that is not valid, and i with an empty stack when
// the top-level value ended.
func validAfter(b []byte, i int, stack []byte) (int, []byte) {
	for len(stack) > 0 {
		i = skipSpace(b, i)
		if i >= len(b) {
			return -1, stack
		}
		top := stack[len(stack)-1]
		switch {
		case b[i] == ',':
			i = skipSpace(b, i+1)
			if top == '{' {
				i = validKey(b, i)
			}
			return i, stack
		case top == '{' && b[i] == '}', top == '[' && b[i] == ']':
			stack = stack[:len(stack)-1]
			i++
		default:
			return -1, stack
		}
	}
	return i, stack
}

// validKey reads a member's key and colon at b[i] and returns the start of
// its value (-1 if not valid).
func validKey(b []byte, i int) int {
	if i >= len(b) || b[i] != '"' {
		return -1
	}
	if i = validString(b, i); i < 0 {
		return -1
	}
	i = skipSpace(b, i)
	if i >= len(b) || b[i] != ':' {
		return -1
	}
	return skipSpace(b, i+1)
}

// validString returns the index after the string at b[i] == '"', or -1.
func validString(b []byte, i int) int {
	for j := i + 1; j < len(b); {
		j = plainEnd(b, j)
		for j+4 <= len(b) && strPlain[b[j]] && strPlain[b[j+1]] && strPlain[b[j+2]] && strPlain[b[j+3]] {
			j += 4
		}
		if j >= len(b) {
			break
		}
		switch c := b[j]; {
		case c == '"':
			return j + 1
		case c == '\\':
			if j+1 >= len(b) {
				return -1
			}
			switch b[j+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				j += 2
			case 'u':
				if j+6 > len(b) || !isHex(b[j+2]) || !isHex(b[j+3]) || !isHex(b[j+4]) || !isHex(b[j+5]) {
					return -1
				}
				j += 6
			default:
				return -1
			}
		case c < 0x20:
			return -1
		default:
			j++
		}
	}
	return -1
}

func isHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// validLiteral returns the index after lit at b[i], or -1.
func validLiteral(b []byte, i int, lit string) int {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return -1
	}
	return i + len(lit)
}

// validNumber returns the index after the number at b[i], or -1:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func validNumber(b []byte, i int) int {
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i >= len(b):
		return -1
	case b[i] == '0':
		i++
	case '1' <= b[i] && b[i] <= '9':
		for i++; i < len(b) && isDigit(b[i]); i++ {
		}
	default:
		return -1
	}
	if i < len(b) && b[i] == '.' {
		if i++; i >= len(b) || !isDigit(b[i]) {
			return -1
		}
		for ; i < len(b) && isDigit(b[i]); i++ {
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		if i++; i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || !isDigit(b[i]) {
			return -1
		}
		for ; i < len(b) && isDigit(b[i]); i++ {
		}
	}
	return i
}

// AppendCompact appends src, a text Valid accepted, to dst without the
// whitespace outside its strings: json.Compact's output, in one pass
// (FuzzAppendCompact).
func AppendCompact(dst, src []byte) []byte {
	start := 0 // the start of the run not yet copied
	for i := 0; i < len(src); {
		switch c := src[i]; {
		case c == '"':
			end, err := skipString(src, i)
			if err != nil {
				return append(dst, src[start:]...) // not valid: left as it is
			}
			i = end
		case IsSpace(c):
			dst = append(dst, src[start:i]...)
			i++
			start = i
		default:
			i++
		}
	}
	return append(dst, src[start:]...)
}
