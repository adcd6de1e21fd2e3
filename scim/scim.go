package scim

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	scimerrors "github.com/elimity-com/scim/errors"

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
	// MaxBulkOperations is the most operations one bulk request may carry (default 1000,
	// advertised as bulk.maxOperations); its maxPayloadSize is MaxBodyBytes.
	MaxBulkOperations int
}

// Prefix is where the surface is mounted.
const Prefix = "/scim/v2"

// Handler is the SCIM service provider.
type Handler struct {
	svc  *directory.Service
	opts Options
	log  *slog.Logger
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
	if opts.MaxBulkOperations <= 0 {
		opts.MaxBulkOperations = 1000
	}
	if opts.DefaultPageSize <= 0 || opts.DefaultPageSize > opts.MaxPageSize {
		opts.DefaultPageSize = min(200, opts.MaxPageSize)
	}
	return &Handler{svc: svc, opts: opts, log: opts.Logger}
}

func (h *Handler) scimBase() string { return h.opts.BaseURL + Prefix }

type actorKey struct{}

// actorFrom returns the authenticated caller of a request.
func actorFrom(r *http.Request) directory.SCIMActor {
	a, _ := r.Context().Value(actorKey{}).(directory.SCIMActor)
	return a
}

// ServeHTTP authenticates the request, reads its body up to the limit and answers it. Each
// request takes one path: its body is decoded once, normalised for the vendor that sent it,
// checked against the library's schemas and applied through the Service, and the answer is
// encoded once.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := canonicalPath(r.URL.Path)

	actor, idp, err := h.authenticate(r)
	if err != nil {
		writeError(w, errorFor(h.log, r, err))
		return
	}
	r = r.WithContext(context.WithValue(r.Context(), actorKey{}, actor))

	// The body is read, up to the limit, only for an authenticated caller.
	var body []byte
	if r.Body != nil && r.Body != http.NoBody {
		body, err = io.ReadAll(io.LimitReader(r.Body, h.opts.MaxBodyBytes+1))
		if err != nil {
			writeError(w, badRequest(scimerrors.ScimTypeInvalidSyntax, "The request body could not be read."))
			return
		}
		if int64(len(body)) > h.opts.MaxBodyBytes {
			detail := fmt.Sprintf("The request body is larger than the %d bytes this server accepts.", h.opts.MaxBodyBytes)
			if path == "/Bulk" {
				// RFC 7644 §3.7.4: the answer names the limit exceeded.
				detail = fmt.Sprintf("The size of the bulk request exceeds maxPayloadSize (%d bytes).", h.opts.MaxBodyBytes)
			}
			writeError(w, scimerrors.ScimError{Status: http.StatusRequestEntityTooLarge, Detail: detail})
			return
		}
		if len(body) > 0 {
			if se := checkBody(r, body); se != nil {
				writeError(w, *se)
				return
			}
		}
	}

	// User creates and updates leave the mode check (R2) to the Service, which records the
	// refusal as an event (R12); everything else is refused here, before any work, and recorded
	// the same way.
	if !isUserWrite(r.Method, path) {
		if err := h.svc.CheckSCIMAccessOf(r.Context(), actor, idp, r.Method+" "+path); err != nil {
			writeError(w, errorFor(h.log, r, err))
			return
		}
	}
	h.route(w, r, path, body)
}

// route sends a request to the handler of its path and method.
func (h *Handler) route(w http.ResponseWriter, r *http.Request, path string, body []byte) {
	method := r.Method
	switch path {
	case "/ServiceProviderConfig":
		if method == http.MethodGet {
			h.serveServiceProviderConfig(w, r)
			return
		}
	case "/Schemas":
		if method == http.MethodGet {
			h.serveSchemas(w, r)
			return
		}
	case "/ResourceTypes":
		if method == http.MethodGet {
			h.serveResourceTypes(w, r)
			return
		}
	case "/Users", "/Groups":
		rt := resourceTypeOf(path)
		switch method {
		case http.MethodGet:
			p, se := listParamsFromQuery(r, h.opts)
			h.serveList(w, r, rt, p, se)
			return
		case http.MethodPost:
			h.serveWrite(w, r, rt, "", body)
			return
		}
	case "/Users/.search", "/Groups/.search":
		if method == http.MethodPost {
			p, se := listParamsFromBody(body, h.opts)
			h.serveList(w, r, resourceTypeOf(path), p, se)
			return
		}
	case "/":
		if method == http.MethodGet {
			p, se := listParamsFromQuery(r, h.opts)
			h.serveRootList(w, r, p, se)
			return
		}
	case "/.search":
		if method == http.MethodPost {
			p, se := listParamsFromBody(body, h.opts)
			h.serveRootList(w, r, p, se)
			return
		}
	case "/Bulk":
		if method == http.MethodPost {
			h.serveBulk(w, r, body)
			return
		}
	case "/Me":
		writeError(w, scimerrors.ScimError{Status: http.StatusNotImplemented, Detail: "/Me is not supported: a SCIM token belongs to an identity provider, not to a person."})
		return
	default:
		h.routeResource(w, r, path, body)
		return
	}
	writeError(w, methodNotAllowed(method, path))
}

// routeResource answers the paths below a collection: one schema, resource type, user or group.
func (h *Handler) routeResource(w http.ResponseWriter, r *http.Request, path string, body []byte) {
	collection, rawID, ok := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	id, err := url.PathUnescape(rawID)
	if !ok || err != nil || id == "" || strings.Contains(id, "/") {
		writeError(w, scimerrors.ScimError{Status: http.StatusNotFound, Detail: "There is no endpoint " + path + "."})
		return
	}
	switch collection {
	case "Schemas", "ResourceTypes":
		if r.Method != http.MethodGet {
			writeError(w, methodNotAllowed(r.Method, path))
			return
		}
		if collection == "Schemas" {
			h.serveSchema(w, r, id)
		} else {
			h.serveResourceType(w, r, id)
		}
		return
	case "Users", "Groups":
		rt := resourceTypeOf("/" + collection)
		switch r.Method {
		case http.MethodGet:
			h.serveGet(w, r, rt, id)
		case http.MethodPut, http.MethodPatch:
			h.serveWrite(w, r, rt, id, body)
		case http.MethodDelete:
			h.serveDelete(w, r, rt, id)
		default:
			writeError(w, methodNotAllowed(r.Method, path))
		}
		return
	}
	writeError(w, scimerrors.ScimError{Status: http.StatusNotFound, Detail: "There is no endpoint " + path + "."})
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

// authenticate resolves the bearer token to the actor (R10 scopes everything by its IdP) and
// its IdP, read with the token, for the mode check (R2).
func (h *Handler) authenticate(r *http.Request) (directory.SCIMActor, directory.IdP, error) {
	authz := r.Header.Get("Authorization")
	scheme, secret, ok := strings.Cut(strings.TrimSpace(authz), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(secret) == "" {
		return directory.SCIMActor{}, directory.IdP{}, directory.ErrUnauthenticated
	}
	return h.svc.AuthenticateSCIM(r.Context(), strings.TrimSpace(secret))
}

func methodNotAllowed(method, path string) scimerrors.ScimError {
	return scimerrors.ScimError{Status: http.StatusMethodNotAllowed, Detail: method + " is not allowed on " + path + "."}
}
