package jit

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/internal/outbound"
)

// Config is what the sign-in edge needs to know about its deployment.
type Config struct {
	// BaseURL is Roster's public URL without a trailing slash. SAML entity ids, ACS URLs and
	// the allowed redirect origin derive from it; an https base URL makes cookies Secure.
	BaseURL string
	Logger  *slog.Logger
	// ClockSkew is the tolerance for NotBefore and NotOnOrAfter of SAML assertions and for the
	// iat of an OIDC ID token. crewjam/saml applies its own package-wide bound
	// (saml.MaxClockSkew, 3 minutes) first, so a larger value has no effect beyond it for SAML.
	ClockSkew time.Duration
	// SessionTTL is how long a sign-in session lasts.
	SessionTTL time.Duration
	// HTTPClient fetches IdP metadata from metadata_url and makes the OIDC discovery, JWKS
	// and token requests; nil uses a client of the outbound policy that allows no non-public
	// destination.
	HTTPClient *http.Client

	// OperatorOrg is the operator's own organization: its console admin groups sign in to
	// the console as owners, its viewer groups as viewers of every organization; "" is none.
	OperatorOrg string
	// MetadataTTL is how long metadata fetched from a metadata URL is reused before it is
	// fetched again; 0 means 10 minutes.
	MetadataTTL time.Duration
}

// Handler serves the sign-in routes. It is an http.Handler so tests drive it without gin;
// Routes mounts it in a gin router.
type Handler struct {
	svc        *directory.Service
	base       *url.URL
	baseURL    string
	log        *slog.Logger
	skew       time.Duration
	ttl        time.Duration
	httpClient *http.Client
	secure     bool
	// operatorOrg and mdTTL are Config's OperatorOrg and MetadataTTL.
	operatorOrg string
	mdTTL       time.Duration

	mdCache metadataCache
	// oidcCache keeps OIDC discovery per issuer (oidc.go).
	oidcCache oidcProviders

	// spKey caches the SP key pair read from the store; it never changes once created.
	spKeyMu sync.Mutex
	spKey   *spKeyPair

	// refusalBudget bounds the protocol refusals recorded as events (pages.go).
	refusalBudget refusalBudget
}

// New returns the sign-in handler.
func New(svc *directory.Service, cfg Config) (*Handler, error) {
	if svc == nil {
		return nil, errors.New("jit: a directory.Service is required")
	}
	cfg.BaseURL = strings.TrimRight(strings.TrimSpace(cfg.BaseURL), "/")
	base, err := url.Parse(cfg.BaseURL)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, errors.New("jit: BaseURL must be an absolute http(s) URL, such as https://roster.example.com")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.ClockSkew <= 0 {
		cfg.ClockSkew = 2 * time.Minute
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = 12 * time.Hour
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = outbound.Policy{}.Client()
	}
	if cfg.MetadataTTL <= 0 {
		cfg.MetadataTTL = metadataTTL
	}
	return &Handler{
		svc:        svc,
		base:       base,
		baseURL:    cfg.BaseURL,
		log:        cfg.Logger,
		skew:       cfg.ClockSkew,
		ttl:        cfg.SessionTTL,
		httpClient: cfg.HTTPClient,
		secure:     base.Scheme == "https",

		operatorOrg: strings.TrimSpace(cfg.OperatorOrg),
		mdTTL:       cfg.MetadataTTL,
	}, nil
}

// ServeHTTP dispatches the sign-in routes. The /sso/ tree is parsed here rather than in gin
// because gin cannot hold /sso/logout beside /sso/:idp/... routes.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	switch {
	case path == "/api/v1/me":
		h.only(w, r, h.serveMe, http.MethodGet, http.MethodHead)
	case path == "/auth/verify":
		// Reverse proxies forward-auth with the method of the original request or with GET;
		// the answer depends only on the cookie.
		h.serveVerify(w, r)
	case path == "/sso/logout":
		h.only(w, r, h.serveLogout, http.MethodPost)
	case path == "/sso/discover":
		// No IdP route is /sso/<id> alone, so an IdP named "discover" keeps its routes.
		h.only(w, r, h.serveDiscover, http.MethodGet, http.MethodHead)
	case strings.HasPrefix(path, "/sso/"):
		rest := strings.TrimPrefix(path, "/sso/")
		idp, action, ok := strings.Cut(rest, "/")
		if !ok || idp == "" {
			http.NotFound(w, r)
			return
		}
		switch action {
		case "login":
			h.only(w, r, func(w http.ResponseWriter, r *http.Request) { h.serveLoginByProtocol(w, r, idp) }, http.MethodGet)
		case "saml/metadata":
			h.only(w, r, func(w http.ResponseWriter, r *http.Request) { h.serveSAMLMetadata(w, r, idp) }, http.MethodGet, http.MethodHead)
		case "oidc/callback":
			h.only(w, r, func(w http.ResponseWriter, r *http.Request) { h.serveOIDCCallback(w, r, idp) }, http.MethodGet)
		case "saml/acs":
			h.only(w, r, func(w http.ResponseWriter, r *http.Request) { h.serveACS(w, r, idp) }, http.MethodPost)
		default:
			http.NotFound(w, r)
		}
	default:
		http.NotFound(w, r)
	}
}

// only runs fn when the request's method is one of methods, else answers 405.
func (h *Handler) only(w http.ResponseWriter, r *http.Request, fn http.HandlerFunc, methods ...string) {
	for _, m := range methods {
		if r.Method == m {
			fn(w, r)
			return
		}
	}
	w.Header().Set("Allow", strings.Join(methods, ", "))
	http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
}

// SPEntityID is the SAML entity id of Roster for an IdP; it is also the SP metadata URL.
func (h *Handler) SPEntityID(idp string) string {
	return h.baseURL + "/sso/" + url.PathEscape(idp) + "/saml/metadata"
}

// ACSURL is the assertion consumer service URL of Roster for an IdP.
func (h *Handler) ACSURL(idp string) string {
	return h.baseURL + "/sso/" + url.PathEscape(idp) + "/saml/acs"
}

// LoginURL is where a sign-in through an IdP starts.
func (h *Handler) LoginURL(idp string) string {
	return h.baseURL + "/sso/" + url.PathEscape(idp) + "/login"
}

// OIDCRedirectURI is the redirect URI an administrator registers at an OpenID Connect IdP.
func (h *Handler) OIDCRedirectURI(idp string) string {
	return h.baseURL + "/sso/" + url.PathEscape(idp) + "/oidc/callback"
}
