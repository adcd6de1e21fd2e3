package jit

import (
	"errors"
	"net/url"
	"strings"
)

// errBadReturnTo refuses a return_to. It is answered with 400 rather than a silent redirect to
// "/", so that a crafted link fails visibly.
var errBadReturnTo = errors.New("return_to must be a path on this site, such as /app")

// safeReturnTo validates where to send a person after sign-in and returns the target to put in
// the Location header. Accepted: a relative path ("/app?x=1"), or an absolute URL on the base
// URL's origin. Everything a browser might read as another origin is refused: "//evil",
// "/\evil", schemes such as javascript:, userinfo, control characters or spaces (browsers drop
// tabs and newlines, turning "/\t/evil" into "//evil"), and the same tricks percent-encoded,
// because the application behind Roster may decode the path once more before redirecting.
func (h *Handler) safeReturnTo(raw string) (string, error) {
	if raw == "" {
		return "/", nil
	}
	if len(raw) > 2048 {
		return "", errBadReturnTo
	}
	for _, c := range raw {
		if c <= ' ' || c == 0x7f || c == '\\' {
			return "", errBadReturnTo
		}
	}
	decoded := raw
	for range 3 { // undo nested encodings such as %252F
		d, err := url.PathUnescape(decoded)
		if err != nil {
			return "", errBadReturnTo
		}
		if d == decoded {
			break
		}
		decoded = d
	}
	for _, c := range decoded {
		if c < ' ' || c == 0x7f || c == '\\' {
			return "", errBadReturnTo
		}
	}
	u, err := url.Parse(raw)
	if err != nil || u.User != nil || u.Opaque != "" {
		return "", errBadReturnTo
	}
	if strings.HasPrefix(raw, "/") {
		if strings.HasPrefix(raw, "//") || strings.HasPrefix(decoded, "//") || u.Scheme != "" || u.Host != "" {
			return "", errBadReturnTo
		}
		return u.String(), nil
	}
	// Only an absolute URL on the base URL's own origin is left to accept.
	if !strings.EqualFold(u.Scheme, h.base.Scheme) || !strings.EqualFold(u.Host, h.base.Host) {
		return "", errBadReturnTo
	}
	if u.Path != "" && !strings.HasPrefix(u.Path, "/") || strings.HasPrefix(u.Path, "//") ||
		strings.HasPrefix(strings.TrimPrefix(decoded, u.Scheme+"://"+u.Host), "//") {
		return "", errBadReturnTo
	}
	return u.String(), nil
}
