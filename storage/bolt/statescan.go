package bolt

import (
	"bytes"

	"github.com/rosterhq/roster/directory"
)

// scanUserState reads the four top-level fields readStates counts users by — org, idp, owner
// and active — from a user's JSON document, passing over the rest without decoding it: a
// build of the figures at 100,000 users spent most of its time in encoding/json. It gives up
// (ok false) on anything but a plain object whose wanted values are strings without escapes
// and booleans, or null; readStates then decodes the document with encoding/json, which this
// agrees with wherever both read a document (FuzzScanUserState); it reads every document
// json.Marshal writes of a user. It does not check what it passes over: a document that is
// not JSON at all may be read where encoding/json would refuse it. Keys match as encoding/json
// matches them to a struct's fields: the last one wins, and case is folded.
func scanUserState(raw []byte) (org, idp string, owner directory.Owner, active, ok bool) {
	i := skipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return "", "", "", false, false
	}
	i = skipSpace(raw, i+1)
	if i < len(raw) && raw[i] == '}' {
		return "", "", "", false, skipSpace(raw, i+1) == len(raw)
	}
	for {
		key, next, plain := scanString(raw, i)
		if next < 0 || !plain {
			return "", "", "", false, false
		}
		i = skipSpace(raw, next)
		if i >= len(raw) || raw[i] != ':' {
			return "", "", "", false, false
		}
		i = skipSpace(raw, i+1)
		var field int // 0: none; 1 org, 2 idp, 3 owner, 4 active
		switch {
		case bytes.EqualFold(key, []byte("org")):
			field = 1
		case bytes.EqualFold(key, []byte("idp")):
			field = 2
		case bytes.EqualFold(key, []byte("owner")):
			field = 3
		case bytes.EqualFold(key, []byte("active")):
			field = 4
		}
		switch {
		case field == 0:
			if i = skipValue(raw, i); i < 0 {
				return "", "", "", false, false
			}
		case bytes.HasPrefix(raw[i:], []byte("null")):
			i += 4
		case field == 4 && bytes.HasPrefix(raw[i:], []byte("true")):
			active, i = true, i+4
		case field == 4 && bytes.HasPrefix(raw[i:], []byte("false")):
			active, i = false, i+5
		case field == 4:
			return "", "", "", false, false
		default:
			v, next, plain := scanString(raw, i)
			if next < 0 || !plain {
				return "", "", "", false, false
			}
			switch field {
			case 1:
				org = string(v)
			case 2:
				idp = string(v)
			case 3:
				owner = directory.Owner(v)
			}
			i = next
		}
		i = skipSpace(raw, i)
		if i >= len(raw) {
			return "", "", "", false, false
		}
		switch raw[i] {
		case ',':
			i = skipSpace(raw, i+1)
		case '}':
			return org, idp, owner, active, skipSpace(raw, i+1) == len(raw)
		default:
			return "", "", "", false, false
		}
	}
}

func skipSpace(raw []byte, i int) int {
	for i < len(raw) && (raw[i] == ' ' || raw[i] == '\t' || raw[i] == '\n' || raw[i] == '\r') {
		i++
	}
	return i
}

// scanString reads the JSON string at raw[i]: its bytes between the quotes, the index after
// it (-1 when there is no string there), and whether it holds no escape and no control or
// non-ASCII byte, so that its bytes are its value as encoding/json would give it.
func scanString(raw []byte, i int) (s []byte, next int, plain bool) {
	if i >= len(raw) || raw[i] != '"' {
		return nil, -1, false
	}
	plain = true
	for j := i + 1; j < len(raw); j++ {
		switch c := raw[j]; {
		case c == '"':
			return raw[i+1 : j], j + 1, plain
		case c == '\\':
			plain = false
			j++
		case c < 0x20 || c >= 0x80:
			plain = false
		}
	}
	return nil, -1, false
}

// skipValue passes over the JSON value at raw[i] and returns the index after it, or -1. It
// checks no more than the nesting of brackets and the ends of strings: the document is one
// that encoding/json wrote, and readStates falls back to it on anything else it meets.
func skipValue(raw []byte, i int) int {
	depth := 0
	for i < len(raw) {
		switch c := raw[i]; c {
		case '"':
			_, next, _ := scanString(raw, i)
			if next < 0 {
				return -1
			}
			i = next
			if depth == 0 {
				return i
			}
			continue
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return i // the end of the enclosing object: a scalar ended here
			}
			if depth--; depth == 0 {
				return i + 1
			}
		case ',':
			if depth == 0 {
				return i
			}
		}
		i++
	}
	if depth == 0 {
		return i
	}
	return -1
}
