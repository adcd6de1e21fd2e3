package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime/debug"
	"sync"
	"time"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/server"
	"github.com/rosterhq/roster/storage/bolt"
	"github.com/rosterhq/roster/storage/timed"
)

func init() {
	register(command{name: "serve", summary: "run the Roster server (default)", run: runServe})
}

// openedStore is a directory.Store with what serve needs besides.
type openedStore struct {
	directory.Store
	ping   func(context.Context) error
	backup func(w io.Writer) (int64, error)
	desc   string
}

func openStore(ctx context.Context, cfg serveConfig, log *slog.Logger) (*openedStore, error) {
	if cfg.DatabaseURL != "" {
		return openPostgres(ctx, cfg.DatabaseURL, log)
	}
	s, err := bolt.Open(cfg.Data)
	if err != nil {
		return nil, err
	}
	return &openedStore{Store: s, ping: s.Ping, backup: s.WriteTo, desc: "bbolt " + cfg.Data}, nil
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := loadServeConfig(args, os.Getenv, stderr)
	if errors.Is(err, flagHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "roster:", err)
		return 2
	}
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level}))

	// Listen first: a port in use must fail before anything else happens — no store opened or
	// created, no admin token minted and none printed.
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		fmt.Fprintf(stderr, "roster: cannot listen on %s: %v\n", cfg.Addr, err)
		return 1
	}
	defer ln.Close()
	store, err := openStore(ctx, cfg, log)
	if err != nil {
		fmt.Fprintln(stderr, "roster:", err)
		return 1
	}
	defer store.Close()
	metrics := server.NewMetrics()
	svc := directory.New(timed.New(store, metrics.ObserveCommit))
	// Indexes built under an older folding of userNames and emails are built again once; a
	// user whose name now collides with another's is reported (roster check lists them too).
	if n, collisions, err := svc.RefoldIndexes(ctx); err != nil {
		fmt.Fprintln(stderr, "roster: re-indexing userNames and emails:", err)
		return 1
	} else if n > 0 || len(collisions) > 0 {
		log.Info("re-indexed userNames and emails under the present folding", "users", n, "version", directory.FoldVersion)
		for _, c := range collisions {
			log.Warn("a userName collides with another user's under the present folding; run roster check",
				"org", c.Org, "user", c.UserID, "user_name", c.UserName, "holder", c.Holder)
		}
	}
	// A rebuild reads every user in one transaction (1.4 GB of heap at a million users); what it
	// held goes back to the system now rather than over the next minutes. After a start with
	// nothing to rebuild this is one collection of a small heap.
	debug.FreeOSMemory()

	if cfg.OperatorOrg != "" {
		if _, err := svc.Org(ctx, cfg.OperatorOrg); err != nil {
			log.Warn("the operator organization does not exist (yet); console sign-ins make nobody an owner until it does",
				"operator_org", cfg.OperatorOrg, "err", err)
		}
	}

	workersCtx, stopWorkers := context.WithCancel(context.Background())
	defer stopWorkers()
	var workers sync.WaitGroup
	handler, err := server.New(server.Config{
		BaseURL: cfg.BaseURL, Logger: log, Ready: store.ping,
		SAMLClockSkew: cfg.SAMLClockSkew, SessionTTL: cfg.SessionTTL, Backup: store.backup,
		Context: workersCtx, Workers: &workers, AllowOutbound: cfg.AllowOutbound, DNSResolver: cfg.DNSResolver,
		Metrics: metrics, OperatorOrg: cfg.OperatorOrg, TrustedProxies: cfg.TrustedProxies,
	}, svc)
	if err != nil {
		fmt.Fprintln(stderr, "roster:", err)
		return 1
	}
	// The token is minted, and Roster announced, only once everything else stands.
	secret, created, err := svc.EnsureAdminToken(ctx, cfg.AdminToken)
	if err != nil {
		fmt.Fprintln(stderr, "roster: creating the admin token:", err)
		return 1
	}
	if created {
		fmt.Fprintf(stdout, "\nRoster is ready. This admin token is shown once; keep it safe:\n\n    %s\n\nConsole: %s/admin\n\n", secret, cfg.BaseURL)
	}
	srv := server.HTTPServer(handler)
	log.Info("roster started", "addr", ln.Addr().String(), "base_url", cfg.BaseURL, "store", store.desc)

	go purgeLoop(ctx, svc, log)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		log.Error("server stopped", "err", err)
		stopWorkers()
		workers.Wait()
		return 1
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing in-flight requests", "grace", cfg.ShutdownGrace.String())
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.Warn("shutdown grace ran out; closing remaining connections", "err", err)
		srv.Close()
	}
	stopWorkers()
	workers.Wait()
	log.Info("roster stopped")
	return 0
}

// purgeLoop deletes expired sessions, login state and replay-cache entries every few minutes.
// First it lists, once, the sessions an older Roster left on no user's list.
func purgeLoop(ctx context.Context, svc *directory.Service, log *slog.Logger) {
	if n, err := svc.ListUnlistedSessions(ctx); err != nil {
		log.Warn("listing sessions by user", "err", err)
	} else if n > 0 {
		log.Info("listed sessions begun under an older version by user", "sessions", n)
	}
	t := time.NewTicker(5 * time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n, err := svc.PurgeExpired(ctx); err != nil {
				log.Warn("purging expired entries", "err", err)
			} else if n > 0 {
				log.Debug("purged expired entries", "count", n)
			}
		}
	}
}
