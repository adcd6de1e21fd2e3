package jit_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crewjam/saml"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/internal/benchgoal"
	"github.com/rosterhq/roster/internal/rawbolt"
	"github.com/rosterhq/roster/internal/testidp"
	"github.com/rosterhq/roster/internal/testserver"
	"github.com/rosterhq/roster/storage/bolt"
)

// The ACS benchmarks post genuine IdP-initiated responses of the test IdP (plaintext, signed on
// response and assertion) to Roster's router in-process, and report logins per second beside
// the cost of crewjam/saml verifying the same responses alone (ServiceProvider.ParseXMLResponse
// without a replay cache), measured in the same run. The ratio "x-verify" is what a login costs
// in units of bare signature-and-conditions checking; the rest is the sign-in's one store
// transaction (replay entry, user, event, session) and the rules.

// benchResponses asks the test IdP for n responses, one per person from uid(i).
func benchResponses(b *testing.B, e *env, n int, uid func(i int) string) []testidp.Form {
	b.Helper()
	forms := make([]testidp.Form, n)
	br := newBrowser(b)
	for i := range forms {
		u := uid(i)
		e.idp.SignIn(testidp.Person{NameID: u, Attrs: testidp.Attrs("uniqueUserId", u, "email", u+"@example.com", "firstName", "Bench", "lastName", "Mark", "groups", "bench")})
		forms[i] = br.startIdPInitiated(e, "bench", "/")
	}
	return forms
}

// verifier returns crewjam/saml's verification of responses with an SP configured like
// Roster's, without a replay cache: the baseline of a sign-in.
func verifier(b *testing.B, e *env) func(raw []byte) {
	b.Helper()
	entityID, _ := url.Parse(e.handler.SPEntityID("bench"))
	acs, _ := url.Parse(e.handler.ACSURL("bench"))
	sp := &saml.ServiceProvider{EntityID: entityID.String(), MetadataURL: *entityID, AcsURL: *acs,
		IDPMetadata: e.idp.Metadata(), AllowIDPInitiated: true}
	return func(raw []byte) {
		if _, err := sp.ParseXMLResponse(raw, nil, *acs); err != nil {
			b.Fatalf("baseline verification failed: %v", err)
		}
	}
}

// verifyOnly times the verification of the responses alone and returns the mean cost of one.
func verifyOnly(b *testing.B, e *env, forms []testidp.Form) time.Duration {
	b.Helper()
	verify := verifier(b, e)
	raws := make([][]byte, len(forms))
	for i, f := range forms {
		raws[i] = f.ResponseXML(b)
	}
	start := time.Now()
	for _, raw := range raws {
		verify(raw)
	}
	return time.Since(start) / time.Duration(len(raws))
}

// postACS posts one response; it returns an error rather than failing, because the parallel
// benchmark calls it off the benchmark's goroutine.
func postACS(h http.Handler, f testidp.Form) error {
	form := url.Values{"SAMLResponse": {f.SAMLResponse}}
	req := httptest.NewRequest(http.MethodPost, "/sso/bench/saml/acs", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusSeeOther {
		return fmt.Errorf("ACS answered %d:\n%s", rec.Code, rec.Body)
	}
	return nil
}

// storeTime adds up the time the server's store spends in write transactions (queueing for
// the group commit, the transaction and its fsync), for "store-x-verify".
var storeTime atomic.Int64

// benchConfig is the server of the sign-in benchmarks: its log is discarded (it would grow
// with every login and time its own formatting) and its write transactions are timed.
func benchConfig() testserver.Config {
	cfg := jitConfig()
	cfg.DiscardLog = true
	cfg.OnCommit = func(d time.Duration, _ error) { storeTime.Add(int64(d)) }
	return cfg
}

// benchEnv serves an IdP in mode jit that allows IdP-initiated sign-in.
func benchEnv(b *testing.B) *env {
	e := newEnvWith(b, benchConfig())
	e.idp.SetEncrypt(false)
	e.addIdP(directory.IdP{ID: "bench", Mode: directory.ModeJIT, SAML: directory.SAMLSettings{AllowIdPInitiated: true}})
	return e
}

func report(b *testing.B, elapsed time.Duration, n int, verify time.Duration) {
	perLogin := elapsed / time.Duration(n)
	b.ReportMetric(float64(time.Second)/float64(perLogin), "logins/s")
	b.ReportMetric(float64(time.Second)/float64(verify), "verifies/s")
	b.ReportMetric(float64(perLogin)/float64(verify), "x-verify")
}

var benchRun atomic.Int64

// signInsPerRound is how many sign-ins, and as many verifications, one round times.
const signInsPerRound = 20

// benchACS posts sign-ins one after another, in rounds that alternate with rounds of the
// verification alone of as many responses: "x-verify" is a sign-in's cost in units of bare
// signature-and-conditions checking, the median of the rounds. What a sign-in adds is its one
// store transaction (the replay entry, the user, its event and group, the session, with
// its fsync), the rules and the answer.
func benchACS(b *testing.B, uid func(i int) string) {
	e := benchEnv(b)
	rounds := 7 * b.N
	forms := benchResponses(b, e, rounds*signInsPerRound+1, uid)
	raws := make([][]byte, len(forms))
	for i, f := range forms {
		raws[i] = f.ResponseXML(b)
	}
	h := e.Handler
	if err := postACS(h, forms[0]); err != nil { // a returning user's first sign-in creates it
		b.Fatal(err)
	}
	verify := verifier(b, e)
	next := 1
	benchSignIns(b, rounds, func(i int) { verify(raws[1+i%(len(raws)-1)]) }, func(int) error {
		next++
		return postACS(h, forms[next-1])
	})
}

// benchSignIns alternates rounds of perRound bare verifications (verify) and sign-ins (signIn),
// and reports both rates and "x-verify", a sign-in's cost in units of verification. Beside it,
// "store-x-verify" is the part of a sign-in spent in the store's write transaction, fsync
// included, in the same units (the median over the rounds, each sign-in round against the
// verification round beside it), and "commit-x-verify" the least any durable write costs on
// this machine: a raw bbolt transaction putting one small key (its two fsyncs), timed after
// each sign-in round. A sign-in cannot cost less than 1 + commit-x-verify.
func benchSignIns(b *testing.B, rounds int, verify func(i int), signIn func(i int) error) {
	const perRound = signInsPerRound
	done := 0
	var inStore []float64 // seconds per sign-in spent in the store, per round
	var commits []float64 // seconds per raw one-key commit, per round
	raw, err := rawbolt.Open(filepath.Join(b.TempDir(), "raw.db"), 1)
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	oneKey := func(i int) {
		if err := raw.Commit([]bolt.Write{{Bucket: []byte("kv"), Key: fmt.Appendf(nil, "floor\x00%d", i), Value: make([]byte, 40)}}); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	rs := benchgoal.Alternate(rounds,
		func() float64 { return benchgoal.PerOp(perRound, func(i int) { verify(done + i) }) },
		func() float64 {
			defer func() { done += perRound }()
			before := storeTime.Load()
			cost := benchgoal.PerOp(perRound, func(i int) {
				if err := signIn(done + i); err != nil {
					b.Fatal(err)
				}
			})
			inStore = append(inStore, time.Duration(storeTime.Load()-before).Seconds()/perRound)
			commits = append(commits, benchgoal.PerOp(5, func(i int) { oneKey(done + i) }))
			return cost
		})
	b.StopTimer()
	rs.ReportRates(b, "logins/s", "verifies/s")
	b.ReportMetric(rs.CostRatio(), "x-verify")
	shares, floors := make([]float64, len(rs)), make([]float64, len(rs))
	for i, r := range rs {
		shares[i], floors[i] = inStore[i]/r.Baseline, commits[i]/r.Baseline
	}
	b.ReportMetric(benchgoal.Median(shares), "store-x-verify")
	b.ReportMetric(benchgoal.Median(floors), "commit-x-verify")
}

// BenchmarkACSNewUsers: every sign-in creates its user (and joins a JIT group).
func BenchmarkACSNewUsers(b *testing.B) {
	run := benchRun.Add(1)
	benchACS(b, func(i int) string { return fmt.Sprintf("new-%d-%d", run, i) })
}

// BenchmarkACSReturningUser: the same person signs in again and again; only lastLoginAt changes.
func BenchmarkACSReturningUser(b *testing.B) {
	benchACS(b, func(int) string { return "returning" })
}

// BenchmarkACSNewUsersParallel: concurrent logins, where the store's group commit shares fsyncs.
func BenchmarkACSNewUsersParallel(b *testing.B) {
	e := benchEnv(b)
	run := benchRun.Add(1)
	forms := benchResponses(b, e, b.N, func(i int) string { return fmt.Sprintf("par-%d-%d", run, i) })
	verify := verifyOnly(b, e, forms)
	h := e.Handler
	var next atomic.Int64
	b.ResetTimer()
	start := time.Now()
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := postACS(h, forms[next.Add(1)-1]); err != nil {
				b.Error(err)
				return
			}
		}
	})
	report(b, time.Since(start), b.N, verify)
}
