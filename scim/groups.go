package scim

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"

	elimity "github.com/elimity-com/scim"
	scimerrors "github.com/elimity-com/scim/errors"
	"github.com/elimity-com/scim/optional"

	"github.com/rosterhq/roster/directory"
)

// groupJSON is the wire form of a SCIM Group.
type groupJSON struct {
	Schemas     []string  `json:"schemas,omitempty"`
	ID          string    `json:"id,omitempty"`
	ExternalID  string    `json:"externalId,omitempty"`
	DisplayName string    `json:"displayName"`
	Members     []refJSON `json:"members"`
	Meta        *metaJSON `json:"meta,omitempty"`
}

func decodeGroup(attrs map[string]any) (groupJSON, error) {
	raw, err := json.Marshal(attrs)
	if err != nil {
		return groupJSON{}, directory.Invalidf("the group could not be read: %v", err)
	}
	var j groupJSON
	if err := json.NewDecoder(bytes.NewReader(raw)).Decode(&j); err != nil {
		return groupJSON{}, badRequest(scimerrors.ScimTypeInvalidValue, "The group has an attribute of the wrong type: "+jsonProblem(err))
	}
	return j, nil
}

// groupFromJSON builds the group a SCIM create or replace asks for. Members are user ids;
// the Service checks that each is a user of the token's IdP (R10).
func groupFromJSON(j groupJSON) (directory.Group, error) {
	if strings.TrimSpace(j.DisplayName) == "" {
		return directory.Group{}, directory.Invalidf("displayName is required and must not be empty")
	}
	g := directory.Group{DisplayName: strings.TrimSpace(j.DisplayName), ExternalID: strings.TrimSpace(j.ExternalID), Members: []string{}}
	for _, m := range j.Members {
		if m.Type != "" && !strings.EqualFold(m.Type, "User") {
			return directory.Group{}, directory.Invalidf("member %q has type %q; only users can be members", m.Value, m.Type)
		}
		if strings.TrimSpace(m.Value) == "" {
			return directory.Group{}, directory.Invalidf("a member has no value (the user's id)")
		}
		g.Members = append(g.Members, strings.TrimSpace(m.Value))
	}
	return g, nil
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

func (h *Handler) groupResource(r *http.Request, g directory.Group) elimity.Resource {
	m := project(toMap(h.groupJSONOf(g)), selectionFromQuery(r))
	res := elimity.Resource{ID: g.ID, Attributes: m, Meta: elimity.Meta{Version: etag(g.Meta.Version)}}
	if g.ExternalID != "" {
		res.ExternalID = optional.NewString(g.ExternalID)
	}
	created, modified := g.Meta.Created, g.Meta.LastModified
	res.Meta.Created, res.Meta.LastModified = &created, &modified
	return res
}

// groupHandler is the library's ResourceHandler for /Groups.
type groupHandler struct{ h *Handler }

func (gh *groupHandler) Create(r *http.Request, attrs elimity.ResourceAttributes) (elimity.Resource, error) {
	h := gh.h
	j, err := decodeGroup(attrs)
	if err != nil {
		return elimity.Resource{}, h.libError(r, err)
	}
	in, err := groupFromJSON(j)
	if err != nil {
		return elimity.Resource{}, h.libError(r, err)
	}
	out, err := h.svc.SCIMCreateGroup(r.Context(), actorFrom(r), in)
	if err != nil {
		return elimity.Resource{}, h.libError(r, err)
	}
	return h.groupResource(r, out), nil
}

func (gh *groupHandler) Get(r *http.Request, id string) (elimity.Resource, error) {
	g, err := gh.h.svc.SCIMGroup(r.Context(), actorFrom(r), id)
	if err != nil {
		return elimity.Resource{}, gh.h.libError(r, err)
	}
	return gh.h.groupResource(r, g), nil
}

// GetAll is never reached: Handler.serveList answers GET /Groups itself.
func (gh *groupHandler) GetAll(r *http.Request, _ elimity.ListRequestParams) (elimity.Page, error) {
	return elimity.Page{}, scimerrors.ScimError{Status: http.StatusNotImplemented, Detail: "List groups with GET /Groups."}
}

func (gh *groupHandler) Replace(r *http.Request, id string, attrs elimity.ResourceAttributes) (elimity.Resource, error) {
	h := gh.h
	j, err := decodeGroup(attrs)
	if err != nil {
		return elimity.Resource{}, h.libError(r, err)
	}
	in, err := groupFromJSON(j)
	if err != nil {
		return elimity.Resource{}, h.libError(r, err)
	}
	out, err := h.svc.SCIMUpdateGroup(r.Context(), actorFrom(r), id, expectedVersion(r), func(old directory.Group) (directory.Group, error) {
		return in, nil
	})
	if err != nil {
		return elimity.Resource{}, h.libError(r, err)
	}
	return h.groupResource(r, out), nil
}

func (gh *groupHandler) Delete(r *http.Request, id string) error {
	return gh.h.libError(r, gh.h.svc.SCIMDeleteGroup(r.Context(), actorFrom(r), id, expectedVersion(r)))
}

// Patch answers 204 unless the request selects attributes: group pushes send many member
// changes, and Entra ID expects no body back.
func (gh *groupHandler) Patch(r *http.Request, id string, ops []elimity.PatchOperation) (elimity.Resource, error) {
	h := gh.h
	out, err := h.svc.SCIMUpdateGroup(r.Context(), actorFrom(r), id, expectedVersion(r), func(old directory.Group) (directory.Group, error) {
		m := toMap(h.groupJSONOf(old))
		if err := applyPatch(r.Context(), m, ops, groupAttrs); err != nil {
			return directory.Group{}, err
		}
		j, err := decodeGroup(m)
		if err != nil {
			return directory.Group{}, err
		}
		return groupFromJSON(j)
	})
	if err != nil {
		return elimity.Resource{}, h.libError(r, err)
	}
	q := r.URL.Query()
	if q.Get("attributes") == "" && q.Get("excludedAttributes") == "" {
		return elimity.Resource{ID: out.ID, Meta: elimity.Meta{Version: etag(out.Meta.Version)}}, nil
	}
	return h.groupResource(r, out), nil
}
