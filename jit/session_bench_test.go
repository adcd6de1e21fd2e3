package jit_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	bbolt "go.etcd.io/bbolt"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/internal/benchgoal"
	"github.com/rosterhq/roster/internal/teststore"
	"github.com/rosterhq/roster/storage/bolt"
	"github.com/rosterhq/roster/storage/timed"
)

// The session check benchmarks answer GET /auth/verify, the forward-auth a reverse proxy
// makes before every request of the product, through Roster's router in-process, for the
// sessions of 1,000 users taken at random. Beside it, in alternating rounds of the same run,
// is the least such a check can cost on the same store: reading the session's entry and its
// user by their keys, without decoding either (on bbolt a read transaction of two gets; on
// PostgreSQL one statement that reads the entry, one round trip). "x-raw" is a check's cost in
// units of that read.

const sessionBenchUsers = 1000

// sessionBench signs in sessionBenchUsers users and returns each one's session secret, its
// session entry's key and its user's id.
func sessionBench(b *testing.B, e *env) (secrets, keys, ids []string) {
	b.Helper()
	e.addIdP(directory.IdP{ID: "bench", Mode: directory.ModeJIT})
	for i := range sessionBenchUsers {
		uid := fmt.Sprintf("person-%d", i)
		u, secret, err := e.svc.SignIn(e.ctx, directory.Login{IdP: "bench", UniqueUserID: uid, Email: uid + "@example.com",
			FirstName: "Bench", LastName: "Mark"}, time.Hour)
		if err != nil {
			b.Fatal(err)
		}
		secrets, keys, ids = append(secrets, secret), append(keys, base64.RawURLEncoding.EncodeToString(directory.HashSecret(secret))), append(ids, u.ID)
	}
	return secrets, keys, ids
}

// benchSessionChecks alternates rounds of raw reads (raw) with rounds of checks.
func benchSessionChecks(b *testing.B, e *env, secrets []string, raw func(i int)) {
	const perRound = 500
	check := func(i int) {
		req := httptest.NewRequest(http.MethodGet, "/auth/verify", nil)
		req.AddCookie(&http.Cookie{Name: "roster_session", Value: secrets[i]})
		rec := httptest.NewRecorder()
		e.Handler.ServeHTTP(rec, req)
		if rec.Code != http.StatusNoContent {
			b.Fatalf("/auth/verify answered %d:\n%s", rec.Code, rec.Body)
		}
	}
	pick := rand.New(rand.NewPCG(1, 2))
	order := make([]int, perRound)
	shuffle := func() {
		for i := range order {
			order[i] = pick.IntN(len(secrets))
		}
	}
	b.ResetTimer()
	rs := benchgoal.Alternate(5*b.N,
		func() float64 { shuffle(); return benchgoal.PerOp(perRound, func(i int) { raw(order[i]) }) },
		func() float64 { shuffle(); return benchgoal.PerOp(perRound, func(i int) { check(order[i]) }) })
	b.StopTimer()
	rs.ReportRates(b, "checks/s", "raw-reads/s")
	b.ReportMetric(rs.CostRatio(), "x-raw")
}

// BenchmarkSessionCheck: /auth/verify on the bbolt store.
func BenchmarkSessionCheck(b *testing.B) {
	cfg := jitConfig()
	cfg.DiscardLog = true
	e := newEnvWith(b, cfg)
	secrets, keys, ids := sessionBench(b, e)
	db := e.store.(*timed.Store).Store.(*bolt.Store).DB()
	benchSessionChecks(b, e, secrets, func(i int) {
		if err := db.View(func(tx *bbolt.Tx) error {
			if tx.Bucket([]byte("kv")).Get([]byte("session\x00"+keys[i])) == nil || tx.Bucket([]byte("users")).Get([]byte(ids[i])) == nil {
				return fmt.Errorf("no session %s of user %s", keys[i], ids[i])
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkSessionCheckPostgres: /auth/verify on PostgreSQL.
func BenchmarkSessionCheckPostgres(b *testing.B) {
	cfg := jitConfig()
	cfg.DiscardLog = true
	cfg.DatabaseURL = teststore.PostgresURL(b)
	e := newEnvWith(b, cfg)
	secrets, keys, _ := sessionBench(b, e)
	pool, err := pgxpool.New(context.Background(), cfg.DatabaseURL)
	if err != nil {
		b.Fatal(err)
	}
	defer pool.Close()
	benchSessionChecks(b, e, secrets, func(i int) {
		var v []byte
		if err := pool.QueryRow(context.Background(), `SELECT value FROM kv WHERE ns = 'session' AND key = $1`, keys[i]).Scan(&v); err != nil {
			b.Fatal(err)
		}
	})
}
