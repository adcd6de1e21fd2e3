package scim

import (
	"mime"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	scimerrors "github.com/elimity-com/scim/errors"
)

// checkBody refuses a request body that is not JSON text Roster can read without changing it:
// a declared media type other than JSON (415; a SCIM body is application/scim+json, and
// application/json is what some clients send), bytes that are not valid UTF-8, or a \u escape
// of half a surrogate pair. Go's JSON decoder would quietly turn either into U+FFFD, storing
// something other than what the client sent; here it is a 400 instead. What the strings may
// hold is the directory's input policy, applied when the write reaches the Service.
func checkBody(r *http.Request, body []byte) *scimerrors.ScimError {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/scim+json" && mt != "application/json") {
			return &scimerrors.ScimError{Status: http.StatusUnsupportedMediaType,
				Detail: "Send the body as application/scim+json (or application/json), not " + strconv.Quote(ct) + "."}
		}
	}
	if !utf8.Valid(body) {
		se := badRequest(scimerrors.ScimTypeInvalidSyntax, "The request body is not valid UTF-8.")
		return &se
	}
	if at, ok := loneSurrogate(body); ok {
		se := badRequest(scimerrors.ScimTypeInvalidSyntax,
			"The request body escapes half of a UTF-16 surrogate pair ("+at+"), which is no character.")
		return &se
	}
	return nil
}

// loneSurrogate finds a \uD800–\uDFFF escape inside a JSON string that is not a high surrogate
// followed at once by an escaped low one.
func loneSurrogate(body []byte) (string, bool) {
	inString := false
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch {
		case !inString:
			inString = c == '"'
		case c == '"':
			inString = false
		case c == '\\' && i+1 < len(body):
			if body[i+1] != 'u' {
				i++ // an escaped character, which may be a quote
				continue
			}
			v, ok := hex4(body, i+2)
			if !ok || v < 0xD800 || v > 0xDFFF {
				i += 5
				continue
			}
			if v <= 0xDBFF && i+7 < len(body) && body[i+6] == '\\' && body[i+7] == 'u' {
				if lo, ok := hex4(body, i+8); ok && lo >= 0xDC00 && lo <= 0xDFFF {
					i += 11
					continue
				}
			}
			return string(body[i : i+6]), true
		}
	}
	return "", false
}

// hex4 reads four hexadecimal digits at body[at:].
func hex4(body []byte, at int) (int, bool) {
	if at+4 > len(body) {
		return 0, false
	}
	v, err := strconv.ParseUint(strings.ToLower(string(body[at:at+4])), 16, 32)
	return int(v), err == nil
}
