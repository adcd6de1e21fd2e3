package scim

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	scimerrors "github.com/elimity-com/scim/errors"

	"github.com/rosterhq/roster/directory"
	filter "github.com/rosterhq/roster/internal/scimfilter"
)

// genericInternal is all a client learns of an internal failure; the cause goes to the log.
const genericInternal = "The server could not complete the request; the error has been logged."

// errorFor maps an error to the SCIM error a client sees. It is the one place where directory
// errors become HTTP statuses. Errors that are already SCIM errors pass unchanged.
func errorFor(log *slog.Logger, r *http.Request, err error) scimerrors.ScimError {
	var se scimerrors.ScimError
	if errors.As(err, &se) {
		return se
	}
	var sep *scimerrors.ScimError
	if errors.As(err, &sep) && sep != nil {
		return *sep
	}
	var conflict *directory.ConflictError
	var invalid *directory.InvalidError
	var syntax *filter.SyntaxError
	if refusal, ok := directory.AsRefusal(err); ok {
		detail := refusal.Reason + " (rule " + string(refusal.Rule) + ")"
		if refusal.EventID != "" {
			detail += "; event " + refusal.EventID
		}
		if refusal.Code == directory.RefuseNoIdentity || refusal.Code == directory.RefuseEmailDomain {
			// A body without the IdP's matching attribute (RFC 7644 §3.12), or with an email
			// outside the organization's verified domains (R13), is a client mistake the client
			// can fix, not an authorization problem: 400, with the same advice.
			return scimerrors.ScimError{Status: http.StatusBadRequest, ScimType: scimerrors.ScimTypeInvalidValue, Detail: detail}
		}
		return scimerrors.ScimError{Status: http.StatusForbidden, Detail: detail}
	}
	switch {
	case errors.Is(err, directory.ErrNotFound):
		return scimerrors.ScimError{Status: http.StatusNotFound, Detail: "Resource not found."}
	case errors.As(err, &conflict):
		return scimerrors.ScimError{Status: http.StatusConflict, ScimType: scimerrors.ScimTypeUniqueness, Detail: conflict.Error()}
	case errors.Is(err, directory.ErrPrecondition):
		return scimerrors.ScimError{Status: http.StatusPreconditionFailed, Detail: "The resource has changed: " + err.Error()}
	case errors.As(err, &invalid):
		return scimerrors.ScimError{Status: http.StatusBadRequest, ScimType: scimerrors.ScimTypeInvalidValue, Detail: invalid.Msg}
	case errors.Is(err, directory.ErrInvalid):
		return scimerrors.ScimError{Status: http.StatusBadRequest, ScimType: scimerrors.ScimTypeInvalidValue, Detail: err.Error()}
	case errors.As(err, &syntax):
		return scimerrors.ScimError{Status: http.StatusBadRequest, ScimType: scimerrors.ScimTypeInvalidFilter, Detail: syntax.Error()}
	case errors.Is(err, directory.ErrUnauthenticated):
		return scimerrors.ScimError{Status: http.StatusUnauthorized, Detail: "The bearer token is missing, unknown, expired or revoked."}
	}
	log.Error("scim: internal error", "method", r.Method, "path", r.URL.Path, "err", err)
	return scimerrors.ScimError{Status: http.StatusInternalServerError, Detail: genericInternal}
}

// badRequest is a 400 with a scimType and a message the client can act on.
func badRequest(scimType scimerrors.ScimType, detail string) scimerrors.ScimError {
	return scimerrors.ScimError{Status: http.StatusBadRequest, ScimType: scimType, Detail: detail}
}

// writeError writes a SCIM error body.
func writeError(w http.ResponseWriter, se scimerrors.ScimError) {
	w.Header().Set("Content-Type", contentType)
	if se.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="scim"`)
	}
	w.WriteHeader(se.Status)
	_ = json.NewEncoder(w).Encode(se)
}

const contentType = "application/scim+json"

// writeJSON writes a successful SCIM body.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	writeBody(w, v)
}
