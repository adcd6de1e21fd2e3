package admin

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/internal/dnscheck"
	"github.com/rosterhq/roster/internal/view"
)

// Prefix is where the admin API is mounted.
const Prefix = "/admin/api/v1"

// maxBody is the largest request body the API reads; SAML metadata is the biggest thing an
// administrator sends, and real federation metadata of one IdP stays far below it.
const maxBody = 1 << 20

// PresetInfo is what the console and the API show about one vendor preset: the mapping to
// pre-fill and what must feed uniqueUserId on both the SSO and the SCIM side (R1). cmd fills it
// from jit.Presets so that admin does not depend on the sign-in package.
type PresetInfo struct {
	ID        string            `json:"id"`
	Name      string            `json:"name"`
	Protocols []string          `json:"protocols"`
	Mapping   directory.Mapping `json:"mapping"`
	// UniqueUserIDSource names the IdP-side value that must feed uniqueUserId.
	UniqueUserIDSource string `json:"unique_user_id_source"`
	// SCIMMatchAdvice tells how to make the SCIM connector send the same key.
	SCIMMatchAdvice string `json:"scim_match_advice"`
	// SCIMMatch is the matching attribute an IdP of this preset gets when none is chosen.
	SCIMMatch string `json:"scim_match"`
	// SCIMConnector says in one line what the vendor's SCIM connector sends as externalId.
	SCIMConnector string `json:"scim_connector"`
	// Guide is the set-up in the vendor's console, step by step; the values to paste are
	// named, and GET /idps/{id}/setup-guide fills them in for one IdP.
	Guide view.Guide `json:"guide"`
}

// Config is what the admin surface needs from its deployment.
type Config struct {
	// BaseURL is the public URL of Roster, without a trailing slash; the values to paste into
	// an IdP are built from it.
	BaseURL string
	Logger  *slog.Logger
	// Backup writes a consistent copy of the store; nil when the backend has none, and then
	// GET /backup answers 501.
	Backup func(w io.Writer) (int64, error)
	// Presets are the vendor presets the console offers; nil offers none.
	Presets []PresetInfo
	// Webhooks serves the webhook routes, which the API admits like its own; nil serves none.
	Webhooks WebhookAPI
	// ValidateIdP reports the protocol problems of an IdP's sign-in settings (SAML metadata,
	// OIDC issuer); nil skips protocol checks.
	ValidateIdP func(ctx context.Context, p directory.IdP) []string
	// Limiter slows and records failed authentications (limiter.go); server.New shares one
	// with the webhooks API. nil makes one from MaxAuthFailures, AuthFailureWindow and Now.
	Limiter *AuthLimiter
	// MaxAuthFailures is how many failed authentications one address may make within
	// AuthFailureWindow before its failures are slowed and answered 429; 0 means 10.
	MaxAuthFailures int
	// AuthFailureWindow is how long failures are remembered; 0 means 15 minutes.
	AuthFailureWindow time.Duration
	// AuthFailureDelay is how long a failure past the limit waits for its answer; 0 means 1s.
	AuthFailureDelay time.Duration
	// Now is the clock of the failure counter; nil means time.Now.
	Now func() time.Time
	// DNS looks up the TXT records that verify an organization's domains; nil asks the
	// system resolver.
	DNS *dnscheck.Resolver
	// ConnectionStatus says what the sign-in edge finds about an IdP's connection now (its
	// metadata or discovery, its signing certificates), for GET /idps/{id}/health; nil
	// reports it unchecked.
	ConnectionStatus func(ctx context.Context, p directory.IdP) directory.ProtocolStatus
}

// Handler serves the admin API and the console. It is an http.Handler, so tests drive it
// without gin; Routes mounts it in a gin router.
type Handler struct {
	svc     *directory.Service
	cfg     Config
	log     *slog.Logger
	mux     *http.ServeMux
	limiter *AuthLimiter
	dns     *dnscheck.Resolver
}

// New returns the admin handler over svc.
func New(svc *directory.Service, cfg Config) *Handler {
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Limiter == nil {
		cfg.Limiter = NewAuthLimiter(svc, LimiterConfig{MaxFailures: cfg.MaxAuthFailures, Window: cfg.AuthFailureWindow,
			Delay: cfg.AuthFailureDelay, Now: cfg.Now, Logger: cfg.Logger})
	}
	h := &Handler{svc: svc, cfg: cfg, log: cfg.Logger, dns: cfg.DNS, limiter: cfg.Limiter}
	if h.dns == nil {
		h.dns, _ = dnscheck.New("") // the system resolver needs no address to check
	}
	h.mux = http.NewServeMux()
	for _, rt := range h.apiRoutes() {
		h.mux.Handle(rt.method+" "+Prefix+rt.path, h.api(rt))
	}
	console := consoleHandler()
	h.mux.Handle("GET /admin", console)
	h.mux.Handle("GET /admin/{$}", console)
	h.mux.Handle("GET /admin/static/", console)
	h.mux.HandleFunc("GET /admin/sso/{org}", h.serveConsoleSSO)
	h.mux.HandleFunc("GET /setup/{secret}", h.serveSetup)
	// Anything else below the API prefix is a JSON 404 rather than the mux's plain text.
	h.mux.HandleFunc(Prefix+"/", func(w http.ResponseWriter, r *http.Request) {
		securityHeaders(w)
		writeError(w, http.StatusNotFound, "no such endpoint: "+r.Method+" "+r.URL.Path)
	})
	return h
}

// route is one endpoint of the API: what it does, as far as authorization cares (action), and
// how the organization of its resource is found (scope). The middleware decides once per
// request from these two; handlers check no role.
type route struct {
	method, path string
	action       directory.Action
	scope        scope
	handle       func(w http.ResponseWriter, r *http.Request, a access) error
}

func (h *Handler) apiRoutes() []route {
	const read, write, owner = directory.ActionRead, directory.ActionWrite, directory.ActionOwner
	routes := []route{
		{"GET", "/orgs", read, unscoped, h.listOrgs},
		{"POST", "/orgs", owner, unscoped, h.createOrg},
		{"GET", "/orgs/{org}", read, inOrgPath, h.getOrg},
		// Console access may make a group of the operator's organization owners, so only an
		// owner changes an organization's settings.
		{"PATCH", "/orgs/{org}", owner, inOrgPath, h.patchOrg},
		{"DELETE", "/orgs/{org}", owner, inOrgPath, h.deleteOrg},
		{"POST", "/orgs/{org}/domains", write, inOrgPath, h.addDomain},
		{"POST", "/orgs/{org}/domains/{domain}/verify", write, inOrgPath, h.verifyDomain},
		{"DELETE", "/orgs/{org}/domains/{domain}", write, inOrgPath, h.removeDomain},
		{"GET", "/orgs/{org}/setup-links", read, inOrgPath, h.listSetupLinks},
		{"POST", "/orgs/{org}/setup-links", write, inOrgPath, h.createSetupLink},
		{"DELETE", "/setup-links/{id}", write, ofSetupLinkPath, h.revokeSetupLink},
		{"GET", "/admin-tokens", owner, unscoped, h.listAdminTokens},
		{"POST", "/admin-tokens", owner, unscoped, h.createAdminToken},
		{"DELETE", "/admin-tokens/{id}", owner, unscoped, h.revokeAdminToken},
		{"GET", "/idps", read, orgQuery, h.listIdPs},
		{"POST", "/idps", write, inOrgOfBody, h.createIdP},
		{"GET", "/idps/{id}", read, ofIdPPath, h.getIdP},
		{"PATCH", "/idps/{id}", write, ofIdPPath, h.patchIdP},
		{"DELETE", "/idps/{id}", write, ofIdPPath, h.deleteIdP},
		{"GET", "/idps/{id}/scim-tokens", read, ofIdPPath, h.listTokens},
		{"POST", "/idps/{id}/scim-tokens", write, ofIdPPath, h.createToken},
		{"GET", "/idps/{id}/reconciliation", read, ofIdPPath, h.reconciliation},
		{"GET", "/idps/{id}/health", read, ofIdPPath, h.idpHealth},
		{"GET", "/idps/{id}/setup-guide", read, ofIdPPath, h.setupGuide},
		{"POST", "/idps/{id}/test-sign-in", write, ofIdPPath, h.createTestTicket},
		{"GET", "/idps/{id}/mode-preview", read, ofIdPPath, h.modePreview},
		{"DELETE", "/scim-tokens/{id}", write, ofSCIMTokenPath, h.revokeToken},
		{"GET", "/users", read, orgQuery, h.listUsers},
		{"GET", "/users/{id}", read, ofUserPath, h.getUser},
		{"POST", "/users/{id}/deactivate", write, ofUserPath, h.deactivateUser},
		{"POST", "/users/{id}/reactivate", write, ofUserPath, h.reactivateUser},
		{"DELETE", "/users/{id}", write, ofUserPath, h.deleteUser},
		{"GET", "/users/{id}/sessions", read, ofUserPath, h.listSessions},
		{"POST", "/users/{id}/sessions/revoke", write, ofUserPath, h.revokeSessions},
		{"DELETE", "/tombstones/{idp}/{uid...}", write, ofTombstonePath, h.clearTombstone},
		{"GET", "/groups", read, orgQuery, h.listGroups},
		{"GET", "/groups/{id}", read, ofGroupPath, h.getGroup},
		{"GET", "/events", read, orgQuery, h.listEvents},
		{"GET", "/stats", read, orgQuery, h.stats},
		{"GET", "/presets", read, unscoped, h.listPresets},
		// A backup is every organization's data at once.
		{"GET", "/backup", owner, unscoped, h.backup},
		{"GET", "/whoami", read, unscoped, h.whoami},
		{"POST", "/logout", read, unscoped, h.logout},
	}
	return append(routes, h.webhookRoutes()...)
}

// ServeHTTP serves the API and the console.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mux.ServeHTTP(w, r)
}

// securityHeaders are set on every answer of the surface: the console must not be framed, and
// nothing here may be cached or sniffed into another type.
func securityHeaders(w http.ResponseWriter) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
		"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
}

// api wraps an endpoint with headers, authentication, the body limit, the one authorization
// decision and error mapping.
func (h *Handler) api(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		securityHeaders(w)
		w.Header().Set("Cache-Control", "no-store")
		// A correct credential always passes; only a wrong, missing or ended one meets the
		// limiter.
		if p, handled := h.sessionCredential(w, r); handled {
			if p != nil {
				h.serveAs(w, r, rt, *p)
			}
			return
		}
		secret, ok := bearer(r)
		tok, err := h.svc.Authenticate(r.Context(), directory.TokenAdmin, secret)
		if !ok || errors.Is(err, directory.ErrUnauthenticated) {
			if h.limitFailure(w, r, secret) {
				return
			}
			if !ok {
				w.Header().Set("WWW-Authenticate", `Bearer realm="roster-admin"`)
				writeError(w, http.StatusUnauthorized, "an admin token is required: send it as \"Authorization: Bearer <token>\"")
				return
			}
			w.Header().Set("WWW-Authenticate", `Bearer realm="roster-admin", error="invalid_token"`)
			writeError(w, http.StatusUnauthorized, "the admin token is unknown, revoked or expired")
			return
		}
		if err != nil {
			h.fail(w, r, err)
			return
		}
		h.serveAs(w, r, rt, principalOf(tok))
	})
}

// serveAs serves an authenticated request: the body limit, the one authorization decision
// and the handler, with errors mapped.
func (h *Handler) serveAs(w http.ResponseWriter, r *http.Request, rt route, p directory.Principal) {
	if r.Body != nil && r.Body != http.NoBody && (r.Method == http.MethodPost || r.Method == http.MethodPatch || r.Method == http.MethodPut) {
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	}
	a, err := h.authorize(r, p, rt)
	if err == nil {
		err = rt.handle(w, r, a)
	}
	if err != nil {
		h.fail(w, r, err)
	}
}

func bearer(r *http.Request) (string, bool) {
	v := r.Header.Get("Authorization")
	scheme, secret, ok := strings.Cut(v, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(secret) == "" {
		return "", false
	}
	return strings.TrimSpace(secret), true
}

// limitFailure reports a failed authentication to the limiter and, when the client is over
// the limit, answers 429 and returns true.
func (h *Handler) limitFailure(w http.ResponseWriter, r *http.Request, credential string) bool {
	status, wait := h.limiter.Failed(r, credential)
	if status != http.StatusTooManyRequests {
		return false
	}
	w.Header().Set("Retry-After", retryAfter(wait))
	writeError(w, http.StatusTooManyRequests, "too many failed authentications from this address; try again later")
	return true
}

func retryAfter(d time.Duration) string {
	s := int(d.Seconds()) + 1
	return itoa(s)
}

// --- errors -----------------------------------------------------------------------------------

// apiError is an error with its HTTP status and the problems to list.
type apiError struct {
	status   int
	msg      string
	problems []string
}

func (e *apiError) Error() string { return e.msg }

func badRequest(msg string, problems ...string) error {
	return &apiError{status: http.StatusBadRequest, msg: msg, problems: problems}
}

func notFound(msg string) error { return &apiError{status: http.StatusNotFound, msg: msg} }

type errorBody struct {
	Error    string   `json:"error"`
	Problems []string `json:"problems,omitempty"`
}

func writeError(w http.ResponseWriter, status int, msg string, problems ...string) {
	writeJSON(w, status, errorBody{Error: msg, Problems: problems})
}

// writeCreated answers 201 with the new resource and where it lives.
func writeCreated(w http.ResponseWriter, location string, v any) {
	w.Header().Set("Location", location)
	writeJSON(w, http.StatusCreated, v)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// fail maps an error to its JSON answer in one place. Internal errors are logged and answered
// with a generic message, so a person never sees a driver's words.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	var ae *apiError
	var inv *directory.InvalidError
	var conflict *directory.ConflictError
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &ae):
		writeError(w, ae.status, ae.msg, ae.problems...)
	case errors.As(err, &tooBig):
		writeError(w, http.StatusRequestEntityTooLarge, "the request body is larger than 1 MiB")
	case errors.As(err, &inv):
		writeError(w, http.StatusBadRequest, inv.Msg, strings.Split(inv.Msg, "; ")...)
	case errors.As(err, &conflict):
		writeError(w, http.StatusConflict, conflict.Error())
	case errors.Is(err, directory.ErrNotFound):
		writeError(w, http.StatusNotFound, "not found: "+r.URL.Path)
	case errors.Is(err, context.Canceled):
		// The client went away; nobody reads an answer.
	default:
		h.log.ErrorContext(r.Context(), "admin: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		writeError(w, http.StatusInternalServerError, "internal error; the server log has the details")
	}
}

// decodeJSON reads a JSON body into v, refusing unknown fields so that a misspelt setting is
// reported instead of silently ignored.
func decodeJSON(r *http.Request, v any) error {
	if err := requireJSON(r); err != nil {
		return err
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonProblem(err)
	}
	if dec.More() {
		return badRequest("the body must hold one JSON object")
	}
	return nil
}

// requireJSON refuses bodies that are not declared JSON: HTML forms of other sites can only
// send form encodings, so this is one more barrier against cross-site requests.
func requireJSON(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	if ct == "" && (r.Body == nil || r.Body == http.NoBody) {
		return nil
	}
	mt, _, _ := strings.Cut(ct, ";")
	if !strings.EqualFold(strings.TrimSpace(mt), "application/json") {
		return &apiError{status: http.StatusUnsupportedMediaType, msg: "send the body as JSON with \"Content-Type: application/json\""}
	}
	return nil
}

func jsonProblem(err error) error {
	var tooBig *http.MaxBytesError
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &tooBig):
		return err
	case errors.Is(err, io.EOF):
		return badRequest("the body is empty; send a JSON object")
	case errors.As(err, &syn):
		return badRequest("the body is not valid JSON: " + syn.Error())
	case errors.As(err, &typ):
		return badRequest("field " + typ.Field + " must be a " + typ.Type.String() + ", not a JSON " + typ.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return badRequest("unknown field " + strings.TrimPrefix(err.Error(), "json: unknown field "))
	default:
		return badRequest("the body is not valid JSON: " + err.Error())
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
