package directory_test

import (
	"time"

	. "github.com/rosterhq/roster/directory"
)

// Lookups that end the test on an error, so that a failed read cannot pass a check that its
// zero value would pass (an inactive zero user, an empty token list, an empty session secret).

func (e *env) mustUser(id string) User {
	e.t.Helper()
	u, err := e.svc.User(e.ctx, id)
	if err != nil {
		e.t.Fatalf("User(%s): %v", id, err)
	}
	return u
}

func (e *env) mustSession(userID, idp string, ttl time.Duration) string {
	e.t.Helper()
	secret, err := e.svc.CreateSession(e.ctx, userID, idp, ttl)
	if err != nil {
		e.t.Fatalf("CreateSession(%s): %v", userID, err)
	}
	return secret
}

func (e *env) mustTokens(kind TokenKind, idp string) []Token {
	e.t.Helper()
	ts, err := e.svc.Tokens(e.ctx, kind, idp)
	if err != nil {
		e.t.Fatalf("Tokens(%s, %q): %v", kind, idp, err)
	}
	return ts
}

func (e *env) mustIdP(id string) IdP {
	e.t.Helper()
	p, err := e.svc.IdP(e.ctx, id)
	if err != nil {
		e.t.Fatalf("IdP(%s): %v", id, err)
	}
	return p
}
