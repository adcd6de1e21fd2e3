package jit_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crewjam/saml"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/internal/testidp"
)

// The ACS benchmarks post genuine IdP-initiated responses of the test IdP (plaintext, signed on
// response and assertion) to Roster's router in-process, and report logins per second beside
// the cost of crewjam/saml verifying the same responses alone (ServiceProvider.ParseXMLResponse
// without a replay cache), measured in the same run. The ratio "x-verify" is what a login costs
// in units of bare signature-and-conditions checking; the rest is the replay cache, the
// directory's rules and event, and the session, each a store write.

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

// verifyOnly times crewjam/saml's verification of the responses with an SP configured like
// Roster's, and returns the mean cost of one.
func verifyOnly(b *testing.B, e *env, forms []testidp.Form) time.Duration {
	b.Helper()
	entityID, _ := url.Parse(e.handler.SPEntityID("bench"))
	acs, _ := url.Parse(e.handler.ACSURL("bench"))
	sp := &saml.ServiceProvider{EntityID: entityID.String(), MetadataURL: *entityID, AcsURL: *acs,
		IDPMetadata: e.idp.Metadata(), AllowIDPInitiated: true}
	raws := make([][]byte, len(forms))
	for i, f := range forms {
		raws[i] = f.ResponseXML(b)
	}
	start := time.Now()
	for _, raw := range raws {
		if _, err := sp.ParseXMLResponse(raw, nil, *acs); err != nil {
			b.Fatalf("baseline verification failed: %v", err)
		}
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

// benchEnv serves an IdP in mode jit that allows IdP-initiated sign-in. The server's log is
// discarded: it would grow with every login and time its own formatting.
func benchEnv(b *testing.B) *env {
	cfg := jitConfig()
	cfg.DiscardLog = true
	e := newEnvWith(b, cfg)
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

// BenchmarkACSNewUsers: every login creates its user (and joins a JIT group).
func BenchmarkACSNewUsers(b *testing.B) {
	e := benchEnv(b)
	run := benchRun.Add(1)
	forms := benchResponses(b, e, b.N, func(i int) string { return fmt.Sprintf("new-%d-%d", run, i) })
	verify := verifyOnly(b, e, forms)
	h := e.Handler
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if err := postACS(h, forms[i]); err != nil {
			b.Fatal(err)
		}
	}
	report(b, time.Since(start), b.N, verify)
}

// BenchmarkACSReturningUser: the same person signs in again and again; only lastLoginAt changes.
func BenchmarkACSReturningUser(b *testing.B) {
	e := benchEnv(b)
	forms := benchResponses(b, e, b.N+1, func(int) string { return "returning" })
	verify := verifyOnly(b, e, forms[1:])
	h := e.Handler
	if err := postACS(h, forms[0]); err != nil { // the first login creates the user
		b.Fatal(err)
	}
	b.ResetTimer()
	start := time.Now()
	for i := 1; i <= b.N; i++ {
		if err := postACS(h, forms[i]); err != nil {
			b.Fatal(err)
		}
	}
	report(b, time.Since(start), b.N, verify)
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
