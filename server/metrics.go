package server

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/rosterhq/roster/directory"
)

// Metrics is Roster's Prometheus registry: what GET /metrics shows.
//
//   - roster_http_requests_total and roster_http_request_duration_seconds, by surface (scim,
//     sso, admin, api, ops, other) and status class (2xx…5xx): a gin middleware times every
//     request.
//   - roster_events_total by type, roster_logins_total by IdP, outcome (created, updated,
//     linked, refused) and rule, and roster_scim_operations_total by IdP, operation (the event
//     type) and result (ok, refused): counted where the events are written, through the one
//     hook directory.Service has for it (OnEvents), and classified by directory.ClassifyEvent,
//     the same function the dashboard uses.
//   - roster_event_log_last_seq and roster_webhook_lag_events by webhook: read from the store
//     at each scrape.
//   - roster_store_commit_seconds by result: storage/timed, a Store decorator, times every
//     write transaction and reports it to ObserveCommit.
//   - the Go runtime and the process.
//
// Why count at the write rather than follow the log: each process counts the events it
// committed, once each and only after the commit, so counters never count a rolled-back write,
// cost no read of the log, and add up across replicas the way Prometheus expects (sum by
// instance), where followers of a shared log would each count every replica's events. What all
// replicas share — the log's length, each webhook's lag — is read from the store, so every
// replica reports the same value (take max, not sum).
type Metrics struct {
	reg          *prometheus.Registry
	httpRequests *prometheus.CounterVec
	httpDuration *prometheus.HistogramVec
	events       *prometheus.CounterVec
	logins       *prometheus.CounterVec
	scimOps      *prometheus.CounterVec
	commits      *prometheus.HistogramVec

	// watchOnce ties the Metrics to the one Service whose events it counts and whose store
	// each scrape reads.
	watchOnce sync.Once
}

// NewMetrics returns a registry with every metric of Roster, zero until used.
func NewMetrics() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.httpRequests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "roster_http_requests_total",
		Help: "HTTP requests answered, by surface and status class."}, []string{"surface", "code"})
	m.httpDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "roster_http_request_duration_seconds",
		Help:    "Time to answer an HTTP request, by surface and status class (long polls included).",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}}, []string{"surface", "code"})
	m.events = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "roster_events_total",
		Help: "Events this process wrote to the event log, by type."}, []string{"type"})
	m.logins = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "roster_logins_total",
		Help: "Sign-ins by IdP, outcome (created, updated, linked, refused) and rule (none for a protocol refusal)."},
		[]string{"idp", "outcome", "rule"})
	m.scimOps = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "roster_scim_operations_total",
		Help: "SCIM writes by IdP, operation (the event type) and result (ok, refused)."}, []string{"idp", "operation", "result"})
	m.commits = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "roster_store_commit_seconds",
		Help:    "Time of a store write transaction, commit included, by result (ok, conflict, error).",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}}, []string{"result"})
	m.reg.MustRegister(m.httpRequests, m.httpDuration, m.events, m.logins, m.scimOps, m.commits,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// ObserveCommit records one store write transaction: how long it took, commit included, and
// how it ended. cmd/roster and the test server give it to storage/timed, which wraps the store
// before directory.New: only directory and storage/... may name a write transaction.
func (m *Metrics) ObserveCommit(d time.Duration, err error) {
	result := "ok"
	switch {
	case errors.Is(err, directory.ErrConflict):
		result = "conflict"
	case err != nil:
		result = "error"
	}
	m.commits.WithLabelValues(result).Observe(d.Seconds())
}

// watch counts svc's events and reads its store at each scrape. A Metrics watches one Service;
// later calls do nothing.
func (m *Metrics) watch(svc *directory.Service) {
	m.watchOnce.Do(func() {
		svc.OnEvents(m.countEvents)
		m.reg.MustRegister(&logCollector{svc: svc})
	})
}

// countEvents counts committed events.
func (m *Metrics) countEvents(evs []directory.Event) {
	for _, e := range evs {
		m.events.WithLabelValues(e.Type).Inc()
		class, outcome := directory.ClassifyEvent(e)
		switch class {
		case directory.ClassSignIn, directory.ClassSignInRefused:
			m.logins.WithLabelValues(e.IdP, outcome, ruleLabel(e.Rule)).Inc()
		case directory.ClassSCIM:
			m.scimOps.WithLabelValues(e.IdP, outcome, "ok").Inc()
		case directory.ClassSCIMRefused:
			m.scimOps.WithLabelValues(e.IdP, e.Type, "refused").Inc()
		}
	}
}

func ruleLabel(r directory.Rule) string {
	if r == "" {
		return "none"
	}
	return string(r)
}

// logCollector reads, at each scrape, what every replica shares: the event log's last sequence
// number and each webhook's lag behind it.
type logCollector struct {
	svc *directory.Service
}

var (
	lastSeqDesc = prometheus.NewDesc("roster_event_log_last_seq",
		"Sequence number of the last event of the log (the same on every replica).", nil, nil)
	webhookLagDesc = prometheus.NewDesc("roster_webhook_lag_events",
		"Events written after a webhook's cursor: how far its delivery is behind the log.", []string{"webhook"}, nil)
	scrapeErrorDesc = prometheus.NewDesc("roster_metrics_store_read_errors",
		"1 when this scrape could not read the event log or the webhooks from the store.", nil, nil)
)

func (c *logCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- lastSeqDesc
	ch <- webhookLagDesc
	ch <- scrapeErrorDesc
}

// scrapeTimeout bounds the store reads of one scrape, below Prometheus's default timeout.
const scrapeTimeout = 5 * time.Second

func (c *logCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	var last uint64
	err := c.svc.View(ctx, func(tx directory.ReadTx) error {
		var err error
		last, err = tx.LastSeq()
		return err
	})
	var hooks []directory.Webhook
	if err == nil {
		hooks, err = c.svc.Webhooks(ctx, "")
	}
	failed := 0.0
	if err != nil {
		failed = 1
	} else {
		ch <- prometheus.MustNewConstMetric(lastSeqDesc, prometheus.GaugeValue, float64(last))
		for _, w := range hooks {
			lag := 0.0
			if last > w.State.Cursor {
				lag = float64(last - w.State.Cursor)
			}
			ch <- prometheus.MustNewConstMetric(webhookLagDesc, prometheus.GaugeValue, lag, w.ID)
		}
	}
	ch <- prometheus.MustNewConstMetric(scrapeErrorDesc, prometheus.GaugeValue, failed)
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// middleware times every request into the HTTP metrics.
func (m *Metrics) middleware() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		surface := surfaceOf(c.Request.URL.Path)
		code := strconv.Itoa(c.Writer.Status()/100) + "xx"
		m.httpRequests.WithLabelValues(surface, code).Inc()
		m.httpDuration.WithLabelValues(surface, code).Observe(time.Since(start).Seconds())
	}
}

// surfaceOf names the surface a path belongs to, for the HTTP metrics.
func surfaceOf(path string) string {
	switch {
	case path == "/scim/v2" || strings.HasPrefix(path, "/scim/"):
		return "scim"
	case strings.HasPrefix(path, "/sso/") || path == "/auth/verify":
		return "sso"
	case path == "/admin" || strings.HasPrefix(path, "/admin/"):
		return "admin"
	case strings.HasPrefix(path, "/api/"):
		return "api"
	case path == "/healthz" || path == "/readyz" || path == "/metrics":
		return "ops"
	}
	return "other"
}
