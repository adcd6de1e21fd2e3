package webhooks

import (
	"crypto/rand"
	"encoding/base64"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/internal/outbound"
)

// Config tunes the API and the delivery worker. Zero values take the documented defaults.
type Config struct {
	Logger *slog.Logger
	// HTTPClient sends deliveries; nil uses a client of the outbound policy that allows no
	// non-public destination. The handler uses a copy whose redirect policy refuses other
	// hosts, whatever the given client's policy.
	HTTPClient *http.Client
	// MaxAttempts is how many consecutive failed attempts at one event mark the webhook
	// failing (default 8). A failing webhook keeps its place and is retried every MaxBackoff.
	MaxAttempts int
	// Timeout bounds one delivery attempt, response included (default 10s).
	Timeout time.Duration
	// InitialBackoff is the delay after the first failure; it doubles per failure, with
	// jitter, up to MaxBackoff (defaults 1s and 5m).
	InitialBackoff time.Duration
	MaxBackoff     time.Duration
	// LeaseTTL is how long a worker's claim on a webhook lasts without renewal (default 15s).
	// It is renewed every third of it; after a crash another worker (or the restarted one)
	// takes over once it has expired.
	LeaseTTL time.Duration
	// PollInterval is how often an idle worker looks for events written by other replicas and
	// for administrators' changes made on other replicas (default 1s).
	PollInterval time.Duration
	// BatchSize is how many events a worker reads per store read (default 100).
	BatchSize int
	// CursorSyncInterval is how often a busy worker commits its cursor (default 100ms); it
	// also commits when it catches up with the log, before recording a failure and when
	// stopping.
	// A crash repeats at most the deliveries since the last commit, in order, with the same
	// webhook-ids. A negative value commits after every delivery.
	CursorSyncInterval time.Duration
	// MaxResponseBytes bounds how much of a receiver's answer is read (default 64 KiB).
	MaxResponseBytes int64
}

func (c *Config) defaults() {
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 8
	}
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Second
	}
	if c.InitialBackoff <= 0 {
		c.InitialBackoff = time.Second
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = 5 * time.Minute
	}
	if c.MaxBackoff < c.InitialBackoff {
		c.MaxBackoff = c.InitialBackoff
	}
	if c.LeaseTTL <= 0 {
		c.LeaseTTL = 15 * time.Second
	}
	if c.PollInterval <= 0 {
		c.PollInterval = time.Second
	}
	if c.BatchSize <= 0 {
		c.BatchSize = 100
	}
	if c.CursorSyncInterval == 0 {
		c.CursorSyncInterval = 100 * time.Millisecond
	}
	if c.MaxResponseBytes <= 0 {
		c.MaxResponseBytes = 64 << 10
	}
}

// Handler serves /admin/api/v1/webhooks and, through Run, delivers events. It is an
// http.Handler so tests drive it without gin; Routes mounts it in a gin router.
type Handler struct {
	svc    *directory.Service
	cfg    Config
	log    *slog.Logger
	client *http.Client
	// holder identifies this Handler's workers in leases. It is random per process, so a
	// restarted process waits for its predecessor's leases to expire rather than assuming
	// that a lease with its name is still rightfully its own.
	holder string

	mu sync.Mutex
	// kicks wake the local worker of a webhook when an administrator changed it here, so the
	// change takes effect at once rather than at the next poll.
	kicks map[string]chan struct{}
	// created wakes Run's scan when a webhook is added here.
	created chan struct{}
	running bool
}

// New returns the webhooks handler over svc.
func New(svc *directory.Service, cfg Config) *Handler {
	cfg.defaults()
	var client http.Client
	if cfg.HTTPClient != nil {
		client = *cfg.HTTPClient
	} else {
		client = *outbound.Policy{}.Client()
	}
	client.CheckRedirect = sameHostRedirect
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return &Handler{
		svc: svc, cfg: cfg, log: cfg.Logger, client: &client,
		holder:  base64.RawURLEncoding.EncodeToString(b),
		kicks:   map[string]chan struct{}{},
		created: make(chan struct{}, 1),
	}
}

// kick wakes the local worker of webhook id, if there is one.
func (h *Handler) kick(id string) {
	h.mu.Lock()
	ch := h.kicks[id]
	h.mu.Unlock()
	if ch != nil {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

func (h *Handler) kickChan(id string) chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	ch := h.kicks[id]
	if ch == nil {
		ch = make(chan struct{}, 1)
		h.kicks[id] = ch
	}
	return ch
}

func (h *Handler) dropKick(id string) {
	h.mu.Lock()
	delete(h.kicks, id)
	h.mu.Unlock()
}
