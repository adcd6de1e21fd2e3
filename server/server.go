package server

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/rosterhq/roster/admin"
	"github.com/rosterhq/roster/admin/webhooks"
	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/internal/dnscheck"
	"github.com/rosterhq/roster/internal/outbound"
	"github.com/rosterhq/roster/jit"
	"github.com/rosterhq/roster/scim"
)

// Config is what the surfaces need to know about their deployment.
type Config struct {
	// BaseURL is the public URL used in metadata, redirect URIs and SCIM locations, without a
	// trailing slash.
	BaseURL string
	Logger  *slog.Logger
	// Ready reports whether the store answers; nil means always ready.
	Ready func(ctx context.Context) error
	// SAMLClockSkew is the tolerance for NotBefore/NotOnOrAfter of SAML assertions.
	SAMLClockSkew time.Duration
	// SessionTTL is how long a sign-in session lasts.
	SessionTTL time.Duration
	// Backup writes a consistent copy of the store; nil when the backend has no such copy
	// (PostgreSQL deployments use the database's own tools).
	Backup func(w io.Writer) (int64, error)
	// SkipOIDCDiscovery saves OIDC IdPs without fetching their issuer's discovery document, and
	// an IdP's health reports it unchecked rather than fetching it.
	// Only tests whose IdPs name placeholder issuers set it.
	SkipOIDCDiscovery bool
	// Context ends the background workers (webhook delivery); nil runs them for the life of
	// the process. Workers, when set, counts them so the caller can wait before closing the store.
	Context context.Context
	Workers *sync.WaitGroup
	// AllowOutbound lists the non-public CIDRs and host names that Roster's own requests
	// (metadata URLs, OIDC issuers, webhooks) may reach, comma-separated; empty allows none.
	AllowOutbound string
	// TrustedProxies lists the reverse proxies (CIDRs or addresses, comma-separated) whose
	// X-Forwarded-For names the client address, for the admin failure limiter and the access
	// log; empty trusts none, and the TCP peer is the client.
	TrustedProxies string
	// DNSResolver is the host:port of the DNS server that domain verification asks; empty
	// asks the system resolver.
	DNSResolver string
	// Metrics is what GET /metrics shows; nil makes one, without store commit latency (which
	// needs the store wrapped by storage/timed, reporting to Metrics.ObserveCommit, before
	// directory.New).
	Metrics *Metrics
	// OperatorOrg is the operator's own organization: its console admin groups sign in to the
	// console as owners, its viewer groups as viewers of every organization; empty is none.
	OperatorOrg string
}

// New returns the handler of every surface.
func New(cfg Config, svc *directory.Service) (http.Handler, error) {
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.SAMLClockSkew == 0 {
		cfg.SAMLClockSkew = 2 * time.Minute
	}
	if cfg.SessionTTL == 0 {
		cfg.SessionTTL = 12 * time.Hour
	}
	allow, err := outbound.ParseAllowList(cfg.AllowOutbound)
	if err != nil {
		return nil, err
	}
	outboundClient := outbound.Policy{Allow: allow}.Client()
	dns, err := dnscheck.New(cfg.DNSResolver)
	if err != nil {
		return nil, err
	}
	proxies, err := admin.ParseTrustedProxies(cfg.TrustedProxies)
	if err != nil {
		return nil, err
	}
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	if cfg.Metrics == nil {
		cfg.Metrics = NewMetrics()
	}
	cfg.Metrics.watch(svc)
	// gin believes X-Forwarded-For from every peer unless told otherwise.
	var proxyList []string
	for _, p := range proxies {
		proxyList = append(proxyList, p.String())
	}
	if err := r.SetTrustedProxies(proxyList); err != nil {
		return nil, err
	}
	r.Use(gin.Recovery(), cfg.Metrics.middleware(), accessLog(cfg.Logger), limitRequests)
	r.RedirectTrailingSlash = false

	r.GET("/healthz", func(c *gin.Context) { c.String(http.StatusOK, "ok\n") })
	r.GET("/readyz", func(c *gin.Context) {
		if cfg.Ready != nil {
			if err := cfg.Ready(c.Request.Context()); err != nil {
				cfg.Logger.Warn("not ready", "err", err)
				c.String(http.StatusServiceUnavailable, "store unavailable\n")
				return
			}
		}
		c.String(http.StatusOK, "ready\n")
	})

	// Each surface mounts itself below; keep one block per package.
	// mount: scim
	scimHandler := scim.New(svc, scim.Options{BaseURL: cfg.BaseURL, Logger: cfg.Logger})
	r.Any(scim.Prefix, gin.WrapH(scimHandler))
	r.Any(scim.Prefix+"/*path", gin.WrapH(scimHandler))
	// mount: jit
	jitHandler, err := jit.New(svc, jit.Config{BaseURL: cfg.BaseURL, Logger: cfg.Logger,
		ClockSkew: cfg.SAMLClockSkew, SessionTTL: cfg.SessionTTL, HTTPClient: outboundClient, OperatorOrg: cfg.OperatorOrg})
	if err != nil {
		return nil, err
	}
	jitHandler.Routes(r)
	// mount: webhooks. Their routes are the admin API's, which admits their requests like its
	// own and mounts them with its own routes; their delivery starts below.
	hooks := webhooks.New(svc, webhooks.Config{Logger: cfg.Logger, HTTPClient: outboundClient})
	// mount: admin
	var presets []admin.PresetInfo
	for _, p := range jit.Presets() {
		info := admin.PresetInfo{ID: p.ID, Name: p.Name, Mapping: p.Mapping,
			UniqueUserIDSource: p.UniqueUserIDSource, SCIMMatchAdvice: p.SCIMMatchAdvice,
			SCIMMatch: p.SCIMMatch, SCIMConnector: p.SCIMConnector, Guide: p.Guide}
		for _, proto := range p.Protocols {
			info.Protocols = append(info.Protocols, string(proto))
		}
		presets = append(presets, info)
	}
	// An IdP is saved only when its protocol settings work: SAML metadata parses and carries a
	// signing certificate, and an OIDC issuer's discovery document answers.
	validateIdP := func(ctx context.Context, p directory.IdP) []string {
		problems := jitHandler.ValidateIdP(ctx, p)
		if len(problems) == 0 && !cfg.SkipOIDCDiscovery {
			problems = jitHandler.ValidateOIDCDiscovery(ctx, p)
		}
		return problems
	}
	connectionStatus := jitHandler.ConnectionStatus
	if cfg.SkipOIDCDiscovery {
		connectionStatus = func(ctx context.Context, p directory.IdP) directory.ProtocolStatus {
			if p.Protocol == directory.ProtocolOIDC {
				return directory.ProtocolStatus{Source: "discovery", Problem: "discovery is not fetched by this server (SkipOIDCDiscovery)"}
			}
			return jitHandler.ConnectionStatus(ctx, p)
		}
	}
	// One failure limiter guards every admin route, the webhooks API's included.
	limiter := admin.NewAuthLimiter(svc, admin.LimiterConfig{TrustedProxies: proxies, Logger: cfg.Logger})
	adminHandler := admin.New(svc, admin.Config{BaseURL: cfg.BaseURL, Logger: cfg.Logger, Backup: cfg.Backup,
		Presets: presets, ValidateIdP: validateIdP, DNS: dns, Webhooks: hooks, ConnectionStatus: connectionStatus,
		Limiter: limiter})
	adminHandler.Routes(r)
	mountOps(r, cfg.Metrics, adminHandler)
	// Webhook delivery.
	runCtx := cfg.Context
	if runCtx == nil {
		runCtx = context.Background()
	}
	if cfg.Workers != nil {
		cfg.Workers.Add(1)
	}
	go func() {
		if cfg.Workers != nil {
			defer cfg.Workers.Done()
		}
		// Run releases the webhook leases when the context ends, so a restarted or other replica
		// takes over delivery at once.
		if err := hooks.Run(runCtx); err != nil && runCtx.Err() == nil {
			cfg.Logger.Error("webhook delivery stopped", "err", err)
		}
	}()

	return headAsGet(r), nil
}

// accessLog writes one structured line per request.
func accessLog(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		log.Info("http", "method", c.Request.Method, "path", c.Request.URL.Path, "status", c.Writer.Status(),
			"duration_ms", float64(time.Since(start).Microseconds())/1000, "remote", c.ClientIP())
	}
}
