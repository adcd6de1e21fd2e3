package scim

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"

	elimity "github.com/elimity-com/scim"
	scimerrors "github.com/elimity-com/scim/errors"
	"github.com/elimity-com/scim/optional"
	"github.com/elimity-com/scim/schema"

	"github.com/rosterhq/roster/directory"
)

// Options configure the SCIM surface.
type Options struct {
	// BaseURL is Roster's public URL without a trailing slash; locations are BaseURL/scim/v2/….
	BaseURL string
	Logger  *slog.Logger
	// MaxBodyBytes bounds request bodies; larger ones are refused with 413. Default 1 MiB, the
	// figure RFC 7644's examples use for maxPayloadSize.
	MaxBodyBytes int64
	// DefaultPageSize is the count used when a list request gives none (default 200), and
	// MaxPageSize the most one page returns (default 1000, advertised as filter.maxResults).
	DefaultPageSize, MaxPageSize int
}

// Prefix is where the surface is mounted.
const Prefix = "/scim/v2"

// Handler is the SCIM service provider.
type Handler struct {
	svc    *directory.Service
	opts   Options
	log    *slog.Logger
	lib    elimity.Server
	users  *userHandler
	groups *groupHandler
	// cursors speeds up deep startIndex paging of unfiltered user lists.
	cursors pageCursors
}

var _ http.Handler = (*Handler)(nil)

// New returns the SCIM handler. It serves requests whose path starts with Prefix, and, so that
// tests can drive it directly, paths without it.
func New(svc *directory.Service, opts Options) *Handler {
	opts.BaseURL = strings.TrimRight(opts.BaseURL, "/")
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = 1 << 20
	}
	if opts.MaxPageSize <= 0 {
		opts.MaxPageSize = 1000
	}
	if opts.DefaultPageSize <= 0 || opts.DefaultPageSize > opts.MaxPageSize {
		opts.DefaultPageSize = min(200, opts.MaxPageSize)
	}
	h := &Handler{svc: svc, opts: opts, log: opts.Logger}
	h.users = &userHandler{h: h}
	h.groups = &groupHandler{h: h}
	lib, err := elimity.NewServer(&elimity.ServerArgs{
		ServiceProviderConfig: &elimity.ServiceProviderConfig{
			MaxResults: opts.MaxPageSize, SupportFiltering: true, SupportPatch: true,
			AuthenticationSchemes: authSchemes,
		},
		ResourceTypes: []elimity.ResourceType{
			{
				ID: optional.NewString("User"), Name: "User", Endpoint: "/Users",
				Description: optional.NewString("User Account"),
				Schema:      userSchema(),
				SchemaExtensions: []elimity.SchemaExtension{
					{Schema: schema.ExtensionEnterpriseUser()},
				},
				Handler: h.users,
			},
			{
				ID: optional.NewString("Group"), Name: "Group", Endpoint: "/Groups",
				Description: optional.NewString("Group"),
				Schema:      schema.CoreGroupSchema(),
				Handler:     h.groups,
			},
		},
	}, elimity.WithBaseURL(h.scimBase()), elimity.WithLogger(libLogger{h.log}))
	if err != nil {
		// NewServer fails only on nil arguments, which the code above never passes.
		panic("scim: building the library server: " + err.Error())
	}
	h.lib = lib
	return h
}

var authSchemes = []elimity.AuthenticationScheme{{
	Type: elimity.AuthenticationTypeOauthBearerToken, Name: "OAuth Bearer Token",
	Description: "A SCIM token of one identity provider, created in the Roster admin console, sent as Authorization: Bearer <token>.",
	SpecURI:     optional.NewString("https://www.rfc-editor.org/info/rfc6750"),
	Primary:     true,
}}

// userSchema is the library's core User schema without the attributes Roster does not keep
// (ims, photos, x509Certificates), so that /Schemas advertises only what is stored.
func userSchema() schema.Schema {
	s := schema.CoreUserSchema()
	kept := s.Attributes[:0:0]
	for _, a := range s.Attributes {
		switch a.Name() {
		case "ims", "photos", "x509Certificates":
			continue
		}
		kept = append(kept, a)
	}
	s.Attributes = kept
	return s
}

func (h *Handler) scimBase() string { return h.opts.BaseURL + Prefix }

type libLogger struct{ log *slog.Logger }

func (l libLogger) Error(args ...any) { l.log.Error("scim library", "detail", fmt.Sprint(args...)) }

type actorKey struct{}

// actorFrom returns the authenticated caller of a request.
func actorFrom(r *http.Request) directory.SCIMActor {
	a, _ := r.Context().Value(actorKey{}).(directory.SCIMActor)
	return a
}

// ServeHTTP runs the request through authentication, the body limit and the vendor normaliser,
// then to Roster's own handlers or the library.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := canonicalPath(r.URL.Path)

	actor, err := h.authenticate(r)
	if err != nil {
		writeError(w, errorFor(h.log, r, err))
		return
	}
	r = r.WithContext(context.WithValue(r.Context(), actorKey{}, actor))

	// The body is read, up to the limit, only for an authenticated caller.
	if r.Body != nil && r.Body != http.NoBody {
		body, err := io.ReadAll(io.LimitReader(r.Body, h.opts.MaxBodyBytes+1))
		if err != nil {
			writeError(w, badRequest(scimerrors.ScimTypeInvalidSyntax, "The request body could not be read."))
			return
		}
		if int64(len(body)) > h.opts.MaxBodyBytes {
			writeError(w, scimerrors.ScimError{Status: http.StatusRequestEntityTooLarge,
				Detail: fmt.Sprintf("The request body is larger than the %d bytes this server accepts.", h.opts.MaxBodyBytes)})
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
	}

	// User creates and updates leave the mode check (R2) to the Service, which records the
	// refusal as an event (R12); everything else is refused here, before any work, and recorded
	// the same way.
	if !isUserWrite(r.Method, path) {
		if err := h.svc.CheckSCIMAccess(r.Context(), actor, r.Method+" "+path); err != nil {
			writeError(w, errorFor(h.log, r, err))
			return
		}
	}

	if r.Body != nil && r.Body != http.NoBody && (r.Method == http.MethodPost || r.Method == http.MethodPut || r.Method == http.MethodPatch) {
		body, _ := io.ReadAll(r.Body)
		normalized, paths, serr := normalizeBody(r.Method, path, body)
		if serr != nil {
			writeError(w, *serr)
			return
		}
		if paths != nil {
			r = r.WithContext(withPatchPaths(r.Context(), paths))
		}
		if se := precheckResource(r.Method, path, normalized); se != nil {
			writeError(w, *se)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(normalized))
		r.ContentLength = int64(len(normalized))
	}

	if h.serveOwn(w, r, path) {
		return
	}
	r2 := r.Clone(r.Context())
	r2.URL.Path, r2.URL.RawPath = path, ""
	r2.Body = r.Body
	h.lib.ServeHTTP(w, r2)
}

// isUserWrite reports whether a request creates, replaces or patches a user: the requests the
// Service itself refuses under R2, recording the refusal. (SCIMDeleteUser refuses without
// recording, so deletes are checked here.)
func isUserWrite(method, path string) bool {
	switch {
	case path == "/Users":
		return method == http.MethodPost
	case strings.HasPrefix(path, "/Users/") && path != "/Users/.search":
		return method == http.MethodPut || method == http.MethodPatch
	}
	return false
}

// authenticate resolves the bearer token to the actor (R10 scopes everything by its IdP).
func (h *Handler) authenticate(r *http.Request) (directory.SCIMActor, error) {
	authz := r.Header.Get("Authorization")
	scheme, secret, ok := strings.Cut(strings.TrimSpace(authz), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(secret) == "" {
		return directory.SCIMActor{}, directory.ErrUnauthenticated
	}
	tok, err := h.svc.Authenticate(r.Context(), directory.TokenSCIM, strings.TrimSpace(secret))
	if err != nil {
		return directory.SCIMActor{}, err
	}
	return directory.SCIMActor{IdP: tok.IdP, TokenID: tok.ID}, nil
}

// serveOwn handles what Roster answers itself rather than the library, and reports whether it
// did.
func (h *Handler) serveOwn(w http.ResponseWriter, r *http.Request, path string) bool {
	switch path {
	case "/ServiceProviderConfig":
		if r.Method != http.MethodGet {
			writeError(w, methodNotAllowed(r.Method, path))
			return true
		}
		h.serveServiceProviderConfig(w, r)
		return true
	case "/Schemas", "/ResourceTypes":
		if r.Method != http.MethodGet {
			writeError(w, methodNotAllowed(r.Method, path))
			return true
		}
		h.serveDiscoveryList(w, r, path)
		return true
	case "/Users", "/Groups":
		if r.Method == http.MethodGet {
			h.serveList(w, r, path[1:], listParamsFromQuery)
			return true
		}
	case "/Users/.search", "/Groups/.search":
		if r.Method == http.MethodPost {
			h.serveList(w, r, strings.TrimSuffix(path[1:], "/.search"), listParamsFromBody)
			return true
		}
		writeError(w, methodNotAllowed(r.Method, path))
		return true
	case "/":
		if r.Method == http.MethodGet {
			h.serveRootList(w, r, listParamsFromQuery)
			return true
		}
	case "/.search":
		if r.Method == http.MethodPost {
			h.serveRootList(w, r, listParamsFromBody)
			return true
		}
		writeError(w, methodNotAllowed(r.Method, path))
		return true
	case "/Bulk":
		writeError(w, scimerrors.ScimError{Status: http.StatusNotImplemented, Detail: "Bulk operations are not supported (see ServiceProviderConfig)."})
		return true
	}
	if r.Method == http.MethodGet {
		if id, ok := strings.CutPrefix(path, "/Users/"); ok && id != "" {
			h.serveGet(w, r, "Users", id)
			return true
		}
		if id, ok := strings.CutPrefix(path, "/Groups/"); ok && id != "" {
			h.serveGet(w, r, "Groups", id)
			return true
		}
	}
	return false
}

func methodNotAllowed(method, path string) scimerrors.ScimError {
	return scimerrors.ScimError{Status: http.StatusMethodNotAllowed, Detail: method + " is not allowed on " + path + "."}
}

// serveServiceProviderConfig states what this server really supports; the library's own
// document hard-codes etag and sort to false.
func (h *Handler) serveServiceProviderConfig(w http.ResponseWriter, r *http.Request) {
	loc := h.scimBase() + "/ServiceProviderConfig"
	writeJSON(w, http.StatusOK, map[string]any{
		"schemas":          []string{"urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"},
		"documentationUri": h.opts.BaseURL + "/admin",
		"patch":            map[string]any{"supported": true},
		"bulk":             map[string]any{"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
		"filter":           map[string]any{"supported": true, "maxResults": h.opts.MaxPageSize},
		"changePassword":   map[string]any{"supported": false},
		"sort":             map[string]any{"supported": true},
		"etag":             map[string]any{"supported": true},
		"authenticationSchemes": []map[string]any{{
			"type": "oauthbearertoken", "name": authSchemes[0].Name, "description": authSchemes[0].Description,
			"specUri": authSchemes[0].SpecURI.Value(), "primary": true,
		}},
		"meta": map[string]any{"resourceType": "ServiceProviderConfig", "location": loc},
	})
}

// serveDiscoveryList lets the library list schemas and resource types, then corrects its
// envelope: the library reports itemsPerPage as the requested count, not the number returned.
func (h *Handler) serveDiscoveryList(w http.ResponseWriter, r *http.Request, path string) {
	rec := httptest.NewRecorder()
	r2 := r.Clone(r.Context())
	r2.URL.Path, r2.URL.RawPath = path, ""
	h.lib.ServeHTTP(rec, r2)
	var list map[string]any
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &list) != nil {
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
		return
	}
	resources, _ := list["Resources"].([]any)
	if resources == nil {
		resources = []any{}
	}
	list["Resources"], list["itemsPerPage"] = resources, len(resources)
	writeJSON(w, http.StatusOK, list)
}

// libError converts an error for the library's handlers, which write it as the body.
func (h *Handler) libError(r *http.Request, err error) error {
	if err == nil {
		return nil
	}
	return errorFor(h.log, r, err)
}
