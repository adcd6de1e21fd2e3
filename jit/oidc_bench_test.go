package jit_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/internal/testidp"
)

// The OIDC callback benchmarks answer genuine callbacks (a code and state from a login the
// browser started at Roster and the test OP authorized) through Roster's router in-process,
// and report logins per second beside the cost of go-oidc verifying an ID token of that OP
// (IDTokenVerifier.Verify, keys cached), in alternating rounds of the same run. A callback
// costs: the code's redemption at the OP over loopback HTTP, the ID token's verification, and
// one store transaction (the state's single use, the user, its event, the session). The OP
// signs its ID tokens when it issues the code (testidp.OPConfig.SignAtAuthorization), so the
// OP's own RSA signature is not timed as Roster's. "x-verify" is the callback's cost in units
// of verification.

// oidcBenchEnv is an OIDC IdP in mode jit at a test OP that keeps the ID tokens it issues.
func oidcBenchEnv(b *testing.B) *oidcEnv {
	e := &oidcEnv{env: newEnvWith(b, benchConfig()), op: testidp.NewOP(b, testidp.OPConfig{SignAtAuthorization: true})}
	e.addOIDCIdP(directory.IdP{ID: "bench", Preset: "okta"})
	return e
}

// pendingCallback is a callback ready to be answered: its URL and the browser's cookies.
type pendingCallback struct {
	path    string
	cookies []*http.Cookie
}

// benchCallbacks starts n logins, one per person from sub(i), each in its own browser.
func benchCallbacks(b *testing.B, e *oidcEnv, n int, sub func(i int) string) []pendingCallback {
	b.Helper()
	out := make([]pendingCallback, n)
	for i := range out {
		s := sub(i)
		e.op.SignIn(testidp.OPPerson{Sub: s, IDToken: map[string]any{"email": s + "@example.com", "email_verified": true,
			"given_name": "Bench", "family_name": "Mark", "groups": []any{"bench"}}})
		br := newBrowser(b)
		cb := br.oidcCallback(e, "bench", "/")
		u, err := url.Parse(cb)
		if err != nil {
			b.Fatal(err)
		}
		// The cookies the browser would send to the callback: the binding cookie is scoped to /sso/.
		out[i] = pendingCallback{path: strings.TrimPrefix(cb, e.BaseURL), cookies: br.Jar.Cookies(u)}
	}
	return out
}

func answerCallback(h http.Handler, c pendingCallback) error {
	req := httptest.NewRequest(http.MethodGet, c.path, nil)
	for _, ck := range c.cookies {
		req.AddCookie(ck)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusSeeOther {
		return fmt.Errorf("callback answered %d:\n%s", rec.Code, rec.Body)
	}
	return nil
}

// oidcVerifier is go-oidc's verifier for the bench client, configured as Roster's, with its
// key set fetched once before any timing.
func oidcVerifier(b *testing.B, e *oidcEnv) *oidc.IDTokenVerifier {
	b.Helper()
	prov, err := oidc.NewProvider(context.Background(), e.op.Issuer)
	if err != nil {
		b.Fatal(err)
	}
	v := prov.Verifier(&oidc.Config{ClientID: "roster-bench", SupportedSigningAlgs: []string{oidc.RS256}})
	e.op.RecordIDTokens(true)
	benchCallbacksWarm(b, e)
	e.op.RecordIDTokens(false)
	for _, tok := range e.op.IDTokens() {
		if _, err := v.Verify(context.Background(), tok); err != nil {
			b.Fatal(err)
		}
	}
	return v
}

// benchCallbacksWarm signs one person in, so that Roster's discovery and JWKS caches are warm.
func benchCallbacksWarm(b *testing.B, e *oidcEnv) {
	b.Helper()
	for _, c := range benchCallbacks(b, e, 1, func(int) string { return "warm-up" }) {
		if err := answerCallback(e.Handler, c); err != nil {
			b.Fatal(err)
		}
	}
}

func benchOIDCCallbacks(b *testing.B, sub func(run int64, i int) string) {
	e := oidcBenchEnv(b)
	v := oidcVerifier(b, e)
	tok := e.op.LastIDToken()
	run := benchRun.Add(1)
	rounds := 7 * b.N
	callbacks := benchCallbacks(b, e, rounds*signInsPerRound, func(i int) string { return sub(run, i) })
	h := e.Handler
	ctx := context.Background()
	benchSignIns(b, rounds, func(int) {
		if _, err := v.Verify(ctx, tok); err != nil {
			b.Fatalf("baseline verification failed: %v", err)
		}
	}, func(i int) error { return answerCallback(h, callbacks[i]) })
}

// BenchmarkOIDCCallbackNewUsers: every login creates its user (and joins a JIT group).
func BenchmarkOIDCCallbackNewUsers(b *testing.B) {
	benchOIDCCallbacks(b, func(run int64, i int) string { return fmt.Sprintf("new-%d-%d", run, i) })
}

// BenchmarkOIDCCallbackReturningUser: the same person signs in again and again.
func BenchmarkOIDCCallbackReturningUser(b *testing.B) {
	benchOIDCCallbacks(b, func(int64, int) string { return "returning" })
}

// BenchmarkOIDCVerifyIDToken is the baseline alone: go-oidc verifying one ID token.
func BenchmarkOIDCVerifyIDToken(b *testing.B) {
	e := oidcBenchEnv(b)
	v := oidcVerifier(b, e)
	benchCallbacksWarm(b, e)
	tok := e.op.LastIDToken()
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := v.Verify(ctx, tok); err != nil {
			b.Fatal(err)
		}
	}
}
