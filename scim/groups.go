package scim

import (
	"errors"
	"net/http"
	"strings"

	"github.com/rosterhq/roster/directory"
)

// groupJSON is the wire form of a SCIM Group, as answers encode it.
type groupJSON struct {
	Schemas     []string  `json:"schemas,omitempty"`
	ID          string    `json:"id,omitempty"`
	ExternalID  string    `json:"externalId,omitempty"`
	DisplayName string    `json:"displayName"`
	Members     []refJSON `json:"members"`
	Meta        *metaJSON `json:"meta,omitempty"`
}

func (h *Handler) groupJSONOf(g directory.Group) groupJSON {
	j := groupJSON{
		Schemas: []string{groupSchemaURN}, ID: g.ID, ExternalID: g.ExternalID, DisplayName: g.DisplayName,
		Members: make([]refJSON, 0, len(g.Members)),
		Meta: &metaJSON{ResourceType: "Group", Created: formatTime(g.Meta.Created), LastModified: formatTime(g.Meta.LastModified),
			Location: h.scimBase() + "/Groups/" + g.ID, Version: etag(g.Meta.Version)},
	}
	for _, m := range g.Members {
		j.Members = append(j.Members, refJSON{Value: m, Type: "User", Ref: h.scimBase() + "/Users/" + m})
	}
	return j
}

// groupAttrsOf is a stored group in generic form: what groupJSONOf encodes to, built directly.
func (h *Handler) groupAttrsOf(g directory.Group) map[string]any {
	members := make([]any, 0, len(g.Members))
	for _, m := range g.Members {
		members = append(members, map[string]any{"value": m, "type": "User", "$ref": h.scimBase() + "/Users/" + m})
	}
	out := map[string]any{"schemas": []any{groupSchemaURN}, "id": g.ID, "displayName": g.DisplayName, "members": members,
		"meta": metaAttrs("Group", h.scimBase()+"/Groups/"+g.ID, g.Meta)}
	putStrings(out, "externalId", g.ExternalID)
	return out
}

// groupFromAttrs builds the group a SCIM create, replace or patch asks for, from attributes in
// generic form. Members are user ids; the Service checks that each is a user of the token's IdP
// (R10).
func groupFromAttrs(m map[string]any) (directory.Group, error) {
	var ar attrReader
	g := directory.Group{DisplayName: strings.TrimSpace(ar.str(m, "displayName")), ExternalID: strings.TrimSpace(ar.str(m, "externalId")), Members: []string{}}
	for _, member := range ar.objects(m, "members") {
		value, typ := strings.TrimSpace(ar.str(member, "value")), ar.str(member, "type")
		if ar.err != nil {
			break
		}
		if typ != "" && !strings.EqualFold(typ, "User") {
			return directory.Group{}, directory.Invalidf("member %q has type %q; only users can be members", value, typ)
		}
		if value == "" {
			return directory.Group{}, directory.Invalidf("a member has no value (the user's id)")
		}
		g.Members = append(g.Members, value)
	}
	if ar.err != nil {
		return directory.Group{}, ar.err
	}
	if g.DisplayName == "" {
		return directory.Group{}, directory.Invalidf("displayName is required and must not be empty")
	}
	return g, nil
}

// createGroup answers POST /Groups.
func (h *Handler) createGroup(w http.ResponseWriter, r *http.Request, obj map[string]any) {
	in, err := groupFromBody(obj)
	if err != nil {
		writeError(w, errorFor(h.log, r, err))
		return
	}
	out, err := h.svc.SCIMCreateGroup(r.Context(), actorFrom(r), in)
	h.answerGroup(w, r, http.StatusCreated, out, err)
}

// replaceGroup answers PUT /Groups/{id}.
func (h *Handler) replaceGroup(w http.ResponseWriter, r *http.Request, id string, obj map[string]any) {
	in, err := groupFromBody(obj)
	if err != nil {
		writeError(w, errorFor(h.log, r, err))
		return
	}
	out, err := h.svc.SCIMUpdateGroup(r.Context(), actorFrom(r), id, expectedVersion(r), func(directory.Group) (directory.Group, error) {
		return in, nil
	})
	h.answerGroup(w, r, http.StatusOK, out, err)
}

func groupFromBody(obj map[string]any) (directory.Group, error) {
	attrs, err := groupType.validate(obj)
	if err != nil {
		return directory.Group{}, err
	}
	return groupFromAttrs(attrs)
}

// patchGroup answers PATCH /Groups/{id}: 204 unless the request selects attributes, since
// group pushes send many member changes and Entra ID expects no body back. A PATCH that adds
// and removes members by id is made in one transaction, member by member on a large group
// without reading its members (memberChanges, SCIMChangeMembers); any other is applied to a
// copy outside the write transaction (patchCopy).
func (h *Handler) patchGroup(w http.ResponseWriter, r *http.Request, id string, ops []patchOp) {
	resolved, err := groupType.resolvePatch(ops)
	if err != nil {
		writeError(w, errorFor(h.log, r, err))
		return
	}
	ctx, actor := r.Context(), actorFrom(r)
	if changes, ok := memberChanges(resolved); ok && selectionFromQuery(r).empty() {
		out, err := h.svc.SCIMChangeMembers(ctx, actor, id, expectedVersion(r), changes)
		switch {
		case err == nil:
			w.Header().Set("ETag", etag(out.Meta.Version))
			w.WriteHeader(http.StatusNoContent)
			return
		case !errors.Is(err, directory.ErrWholeGroup):
			writeError(w, errorFor(h.log, r, err))
			return
		}
	}
	// A group's PATCH is applied to a copy read before the write, whatever its size: the
	// group may have thousands of members, which applying it inside would hold the writer,
	// or a connection, for.
	out, err := patchCopy(false, false,
		func() (directory.Group, error) { return h.svc.SCIMGroup(ctx, actor, id) },
		func(g directory.Group) int64 { return g.Meta.Version },
		func(old directory.Group, _ bool) (directory.Group, error) {
			if g, ok, err := patchMembers(old, resolved); ok {
				return g, err
			}
			m := h.groupAttrsOf(old)
			if err := applyPatch(m, resolved, false); err != nil {
				return directory.Group{}, err
			}
			return groupFromAttrs(m)
		},
		func(fn func(directory.Group) (directory.Group, error)) (directory.Group, error) {
			return h.svc.SCIMUpdateGroup(ctx, actor, id, expectedVersion(r), fn)
		})
	if err == nil && selectionFromQuery(r).empty() {
		w.Header().Set("ETag", etag(out.Meta.Version))
		w.WriteHeader(http.StatusNoContent)
		return
	}
	h.answerGroup(w, r, http.StatusOK, out, err)
}

// answerGroup writes the group a write returned, or the error.
func (h *Handler) answerGroup(w http.ResponseWriter, r *http.Request, status int, g directory.Group, err error) {
	if err != nil {
		writeError(w, errorFor(h.log, r, err))
		return
	}
	h.answer(w, status, "/Groups/"+g.ID, g.Meta.Version, h.renderGroup(g, selectionFromQuery(r)))
}

// renderGroup is a group as an answer shows it, with attributes selected.
func (h *Handler) renderGroup(g directory.Group, sel selection) any {
	if sel.empty() {
		return h.groupJSONOf(g)
	}
	return project(h.groupAttrsOf(g), sel)
}
