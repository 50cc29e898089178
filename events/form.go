package events

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Form limits: a request over any of them is refused before it is parsed
// further. The portal's events stay far below them.
const (
	MaxBody  = 64 << 10 // bytes of body
	MaxKeys  = 256      // key=value pairs
	MaxDepth = 4        // bracket levels in one key (data[FIELDS][ID] is 2)
)

// ErrForm is wrapped by every error of ParseForm.
var ErrForm = errors.New("events: malformed form")

// ParseForm reads an application/x-www-form-urlencoded body strictly: at
// most MaxKeys pairs, at most MaxDepth bracket levels per key, no empty
// names or "[]" appends, and no key twice. Keys come back in canonical
// form ("data[FIELDS][ID]"); an error wraps ErrForm.
func ParseForm(body string) (map[string]string, error) {
	if len(body) > MaxBody {
		return nil, fmt.Errorf("%w: body over %d bytes", ErrForm, MaxBody)
	}
	if n := strings.Count(body, "&") + 1; n > MaxKeys {
		return nil, fmt.Errorf("%w: %d pairs, over %d", ErrForm, n, MaxKeys)
	}
	form := make(map[string]string)
	for pair := range strings.SplitSeq(body, "&") {
		if pair == "" {
			continue
		}
		rawKey, rawVal, _ := strings.Cut(pair, "=")
		key, err := url.QueryUnescape(rawKey)
		if err != nil {
			return nil, fmt.Errorf("%w: key encoding", ErrForm)
		}
		val, err := url.QueryUnescape(rawVal)
		if err != nil {
			return nil, fmt.Errorf("%w: value encoding of %q", ErrForm, clip(key))
		}
		canon, err := canonKey(key)
		if err != nil {
			return nil, err
		}
		if _, dup := form[canon]; dup {
			return nil, fmt.Errorf("%w: duplicate key %q", ErrForm, clip(canon))
		}
		form[canon] = val
	}
	return form, nil
}

// canonKey checks name[a][b] and returns it unchanged, or an error.
func canonKey(key string) (string, error) {
	name, rest, _ := strings.Cut(key, "[")
	if name == "" || strings.ContainsAny(name, "]\x00") {
		return "", fmt.Errorf("%w: bad key %q", ErrForm, clip(key))
	}
	if rest == "" && !strings.Contains(key, "[") {
		return key, nil
	}
	rest = "[" + rest
	depth := 0
	for rest != "" {
		if rest[0] != '[' {
			return "", fmt.Errorf("%w: bad key %q", ErrForm, clip(key))
		}
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			return "", fmt.Errorf("%w: unclosed bracket in %q", ErrForm, clip(key))
		}
		seg := rest[1:end]
		if seg == "" || strings.ContainsAny(seg, "[\x00") {
			return "", fmt.Errorf("%w: bad key %q", ErrForm, clip(key))
		}
		if depth++; depth > MaxDepth {
			return "", fmt.Errorf("%w: key nested over %d levels", ErrForm, MaxDepth)
		}
		rest = rest[end+1:]
	}
	return key, nil
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
