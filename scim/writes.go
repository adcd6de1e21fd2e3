package scim

import (
	"errors"
	"net/http"

	scimerrors "github.com/elimity-com/scim/errors"

	"github.com/rosterhq/roster/directory"
)

// serveWrite answers POST to a collection (id "") and PUT or PATCH of one resource. The body
// is decoded once and normalised for the vendor that sent it; the handlers validate it against
// the schema and write it through the Service, which returns what it wrote.
func (h *Handler) serveWrite(w http.ResponseWriter, r *http.Request, rt *resourceType, id string, body []byte) {
	obj, ops, se := normalizeBody(r.Method, rt.endpoint, body)
	if se != nil {
		writeError(w, *se)
		return
	}
	switch {
	case r.Method == http.MethodPost && rt == userType:
		h.createUser(w, r, obj)
	case r.Method == http.MethodPost:
		h.createGroup(w, r, obj)
	case r.Method == http.MethodPut && rt == userType:
		h.replaceUser(w, r, id, obj)
	case r.Method == http.MethodPut:
		h.replaceGroup(w, r, id, obj)
	case rt == userType:
		h.patchUser(w, r, id, ops)
	default:
		h.patchGroup(w, r, id, ops)
	}
}

// serveDelete answers DELETE of one user or group.
func (h *Handler) serveDelete(w http.ResponseWriter, r *http.Request, rt *resourceType, id string) {
	del := h.svc.SCIMDeleteGroup
	if rt == userType {
		del = h.svc.SCIMDeleteUser
	}
	if err := del(r.Context(), actorFrom(r), id, expectedVersion(r)); err != nil {
		writeError(w, errorFor(h.log, r, err))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// answer writes a resource that a request wrote: its ETag, for a create its Location, and the
// resource as rendered.
func (h *Handler) answer(w http.ResponseWriter, status int, path string, version int64, body any) {
	w.Header().Set("ETag", etag(version))
	if status == http.StatusCreated {
		w.Header().Set("Location", h.scimBase()+path)
	}
	writeJSON(w, status, body)
}

// errChanged says the stored resource is no longer the version a PATCH was applied to.
var errChanged = errors.New("the resource changed while the PATCH was applied to it")

// patchAttempts bounds how often a PATCH too costly to apply inside is applied again to a
// resource that keeps changing under it.
const patchAttempts = 5

// patchCopy carries out a PATCH. write runs the Service's update with the function it is
// given; the Service's own checks (the mode, R2; the IdP's scope, R10; If-Match) run before
// that function, so a PATCH is refused for the same reasons, in the same order, however it is
// applied, and what applying it reports is reported from inside too, after those checks.
// apply applies the operations to a copy of the resource it is given, within the budget of a
// PATCH applied inside a write transaction (insideOperations, insideFilterWork) when inside is
// set, errNotInside when that is not enough.
//
// A small PATCH (small: within insideOperations) is applied inside the write transaction,
// to the stored version, where writers run together (together: PostgreSQL), so that work done
// inside delays no other writer while a read before it would cost round trips of its own.
// Otherwise — bbolt, whose writers take turns, or a PATCH that needs more than the inside
// budget — it is applied to a copy read before the write, which stores the result if the
// stored resource is still the version read. When it is not (another PATCH committed in
// between, or in the same group commit), a small PATCH is applied inside to the version stored
// there, so that concurrent PATCHes of one resource are all applied; a costly one is read and
// applied again, and refused with 409 if the resource keeps changing. No PATCH is ever
// written over a version it was not applied to, and none holds the writer, or a connection,
// for more than the inside budget's work.
//
// Server-kept fields that change without a new version (a user's lastLoginAt) are taken from
// the stored resource inside the transaction, so the copy's stale ones are never written.
func patchCopy[T interface{ Clone() T }](together, small bool, read func() (T, error), version func(T) int64,
	apply func(res T, inside bool) (T, error), write func(fn func(T) (T, error)) (T, error)) (T, error) {
	var zero T
	applyInside := func(cur T) (T, error) { return apply(cur, true) }
	if together && small {
		// The Service passes each run of the function a copy of its own.
		out, err := write(applyInside)
		if !errors.Is(err, errNotInside) {
			return out, err
		}
	}
	for range patchAttempts {
		base, readErr := read()
		if readErr != nil && !errors.Is(readErr, directory.ErrNotFound) {
			return zero, readErr
		}
		var patched T
		var applyErr error
		if readErr == nil {
			patched, applyErr = apply(base.Clone(), false)
		}
		out, err := write(func(cur T) (T, error) {
			// A missing resource that now exists, or one at another version, was changed by
			// someone else since it was read.
			if readErr != nil || version(cur) != version(base) {
				if small {
					if out, err := applyInside(cur); !errors.Is(err, errNotInside) {
						return out, err
					}
				}
				return zero, errChanged
			}
			if applyErr != nil {
				return zero, applyErr
			}
			// The function may run more than once; each run returns its own copy.
			return patched.Clone(), nil
		})
		if !errors.Is(err, errChanged) {
			return out, err
		}
	}
	return zero, scimerrors.ScimError{Status: http.StatusConflict,
		Detail: "The resource kept changing while this PATCH was applied to it; send the PATCH again."}
}
