package scim

import (
	"errors"
	"net/http"

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

// patchCopy carries out a PATCH without doing its work inside the write transaction where the
// store runs one writer at a time (bbolt) and every other writer would wait for it: it reads
// the resource, applies the operations to that copy (apply), and has write store the result
// if the stored resource is still the version it read. write runs the Service's update with
// the function it is given; the Service's own checks (the mode, R2; the IdP's scope, R10;
// If-Match) run before that function, so a PATCH is refused for the same reasons, in the same
// order, as when it is applied inside. What apply reports is reported from inside too, after
// those checks.
//
// When the stored resource changed since it was read (another PATCH of it committed in
// between, or in the same group commit), the operations are applied inside, to the version
// stored there: a PATCH is never written over a version it did not see, and never refused
// because others changed the resource first. Where writers run together (inside, PostgreSQL),
// applying inside delays no one, and the read before would cost the request round trips of
// its own: the operations are applied in the write transaction, and read is not called.
//
// Server-kept fields that change without a new version (a user's lastLoginAt) are taken from
// the stored resource inside the transaction, so the copy's stale ones are never written.
func patchCopy[T interface{ Clone() T }](inside bool, read func() (T, error), version func(T) int64, apply func(T) (T, error),
	write func(fn func(T) (T, error)) (T, error)) (T, error) {
	if inside {
		// The Service passes each run of the function a copy of its own.
		return write(apply)
	}
	base, err := read()
	if errors.Is(err, directory.ErrNotFound) {
		// The write says why (or finds the resource created since, and applies inside).
		return write(apply)
	} else if err != nil {
		var zero T
		return zero, err
	}
	patched, applyErr := apply(base.Clone())
	return write(func(cur T) (T, error) {
		if version(cur) != version(base) {
			return apply(cur)
		}
		if applyErr != nil {
			var zero T
			return zero, applyErr
		}
		// The function may run more than once; each run returns its own copy.
		return patched.Clone(), nil
	})
}
