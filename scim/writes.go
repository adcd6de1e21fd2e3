package scim

import "net/http"

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
