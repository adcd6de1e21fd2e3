package scim

import (
	"net/http"
	"net/url"

	scimerrors "github.com/elimity-com/scim/errors"
	"github.com/elimity-com/scim/schema"
)

// The discovery endpoints (RFC 7644 §4) describe what this server supports. Schemas come from
// the library's definitions, as validation uses them; the documents are Roster's own, so that
// they state what Roster really does (the library's own ServiceProviderConfig says etag and
// sort are unsupported) and their lists are well-formed.

var resourceTypes = []*resourceType{userType, groupType}

// discoverySchemas are the schemas /Schemas lists: those of the discovery resources, then
// those of each resource type.
func discoverySchemas() []schema.Schema {
	out := []schema.Schema{schema.Definition(), schema.ResourceTypeSchema(), schema.ServiceProviderConfigSchema()}
	for _, rt := range resourceTypes {
		out = append(out, rt.schema)
		out = append(out, rt.extensions...)
	}
	return out
}

// refuseDiscoveryFilter answers 403 to a filter on a discovery endpoint, as RFC 7644 §4 asks,
// so that a client cannot take an ignored filter for a matching one. Paging and sorting
// parameters are ignored: the lists are short.
func refuseDiscoveryFilter(w http.ResponseWriter, r *http.Request) bool {
	if r.URL.Query().Get("filter") == "" {
		return false
	}
	writeError(w, scimerrors.ScimError{Status: http.StatusForbidden, Detail: "The discovery endpoints take no filter (RFC 7644 §4); they always list everything."})
	return true
}

// serveServiceProviderConfig states what this server really supports.
func (h *Handler) serveServiceProviderConfig(w http.ResponseWriter, r *http.Request) {
	if refuseDiscoveryFilter(w, r) {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"schemas":          []string{"urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"},
		"documentationUri": h.opts.BaseURL + "/admin",
		"patch":            map[string]any{"supported": true},
		"bulk":             map[string]any{"supported": true, "maxOperations": h.opts.MaxBulkOperations, "maxPayloadSize": h.opts.MaxBodyBytes},
		"filter":           map[string]any{"supported": true, "maxResults": h.opts.MaxPageSize},
		"changePassword":   map[string]any{"supported": false},
		"sort":             map[string]any{"supported": true},
		"etag":             map[string]any{"supported": true},
		"authenticationSchemes": []map[string]any{{
			"type": "oauthbearertoken", "name": "OAuth Bearer Token",
			"description": "A SCIM token of one identity provider, created in the Roster admin console, sent as Authorization: Bearer <token>.",
			"specUri":     "https://www.rfc-editor.org/info/rfc6750", "primary": true,
		}},
		"meta": map[string]any{"resourceType": "ServiceProviderConfig", "location": h.scimBase() + "/ServiceProviderConfig"},
	})
}

// schemaDoc is a schema as /Schemas shows it.
func (h *Handler) schemaDoc(s schema.Schema) map[string]any {
	doc := s.ToMap()
	doc["meta"] = map[string]any{"resourceType": "Schema", "location": h.scimBase() + "/Schemas/" + s.ID}
	return doc
}

// resourceTypeDoc is a resource type as /ResourceTypes shows it (RFC 7643 §6).
func (h *Handler) resourceTypeDoc(rt *resourceType) map[string]any {
	exts := make([]map[string]any, 0, len(rt.extensions))
	for _, e := range rt.extensions {
		exts = append(exts, map[string]any{"schema": e.ID, "required": false})
	}
	return map[string]any{
		"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:ResourceType"},
		"id":      rt.name, "name": rt.name, "description": rt.description, "endpoint": rt.endpoint,
		"schema": rt.schema.ID, "schemaExtensions": exts,
		"meta": map[string]any{"resourceType": "ResourceType", "location": h.scimBase() + "/ResourceTypes/" + rt.name},
	}
}

func (h *Handler) serveSchemas(w http.ResponseWriter, r *http.Request) {
	if refuseDiscoveryFilter(w, r) {
		return
	}
	var docs []any
	for _, s := range discoverySchemas() {
		docs = append(docs, h.schemaDoc(s))
	}
	writeList(w, len(docs), 1, docs)
}

func (h *Handler) serveSchema(w http.ResponseWriter, r *http.Request, id string) {
	for _, s := range discoverySchemas() {
		if s.ID == id {
			writeJSON(w, http.StatusOK, h.schemaDoc(s))
			return
		}
	}
	writeError(w, scimerrors.ScimError{Status: http.StatusNotFound, Detail: "There is no schema " + url.PathEscape(id) + "."})
}

func (h *Handler) serveResourceTypes(w http.ResponseWriter, r *http.Request) {
	if refuseDiscoveryFilter(w, r) {
		return
	}
	var docs []any
	for _, rt := range resourceTypes {
		docs = append(docs, h.resourceTypeDoc(rt))
	}
	writeList(w, len(docs), 1, docs)
}

func (h *Handler) serveResourceType(w http.ResponseWriter, r *http.Request, name string) {
	for _, rt := range resourceTypes {
		if rt.name == name {
			writeJSON(w, http.StatusOK, h.resourceTypeDoc(rt))
			return
		}
	}
	writeError(w, scimerrors.ScimError{Status: http.StatusNotFound, Detail: "There is no resource type " + url.PathEscape(name) + "."})
}
