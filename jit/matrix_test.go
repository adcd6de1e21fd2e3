package jit_test

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/crewjam/saml"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/internal/testidp"
)

var referenceRE = regexp.MustCompile(`<code id="reference">([^<]+)</code>`)

// matrixEnv adds, for one case, an IdP in a mode and helpers to put a user in a state.
type matrixEnv struct {
	*env
	idp   string
	actor directory.SCIMActor
}

func (m *matrixEnv) setMode(mode directory.Mode) {
	m.tb.Helper()
	if _, err := m.svc.UpdateIdP(m.ctx, "admin:test", m.idp, func(p directory.IdP) (directory.IdP, error) {
		p.Mode = mode
		return p, nil
	}); err != nil {
		m.tb.Fatal(err)
	}
}

// jitUser signs uid in once, in mode jit, so that a JIT-owned user exists.
func (m *matrixEnv) jitUser(uid, email string) directory.User {
	m.tb.Helper()
	m.setMode(directory.ModeJIT)
	login, err := m.svc.Login(m.ctx, directory.Login{IdP: m.idp, UniqueUserID: uid, Email: email, FirstName: "Old", LastName: "Old"})
	if err != nil {
		m.tb.Fatal(err)
	}
	return login
}

// scimUser creates a SCIM-owned user whose externalId is uid (the IdP matches on externalId).
func (m *matrixEnv) scimUser(uid, email string) directory.User {
	m.tb.Helper()
	m.setMode(directory.ModeBoth)
	u, err := m.svc.SCIMCreateUser(m.ctx, m.actor, directory.User{
		UserName: email, ExternalID: uid, Active: true,
		Name:   directory.Name{GivenName: "Old", FamilyName: "Old"},
		Emails: []directory.MultiValue{{Value: email, Type: "work", Primary: true}},
	})
	if err != nil {
		m.tb.Fatal(err)
	}
	return u
}

// TestLoginRuleMatrix drives sign-ins end to end through HTTP for every provisioning mode and
// every state the person's user can be in, and checks the outcome the rules prescribe: the
// answer, the user afterwards, and the one event that explains it.
func TestLoginRuleMatrix(t *testing.T) {
	const uid, email = "00u-person", "person@example.com"
	type outcome struct {
		status int
		// for a sign-in: the event type and rule, and the familyName the user has afterwards
		event, rule, familyName string
		owner                   directory.Owner
		// for a refusal: the code's words on the page
		words string
	}
	signedIn := func(event, rule, family string, owner directory.Owner) outcome {
		return outcome{status: http.StatusSeeOther, event: event, rule: rule, familyName: family, owner: owner}
	}
	refused := func(rule, words string) outcome {
		return outcome{status: http.StatusForbidden, event: directory.EventLoginRefused, rule: rule, words: words}
	}
	const (
		notProvisioned = "has not been provisioned yet"
		deactivated    = "Your account is deactivated"
		removed        = "Your account has been removed"
		nameTaken      = "already exists and belongs to another sign-in"
	)

	states := []struct {
		name  string
		setup func(m *matrixEnv)
	}{
		{"no user", func(m *matrixEnv) {}},
		{"JIT-owned user", func(m *matrixEnv) { m.jitUser(uid, email) }},
		{"SCIM-owned user", func(m *matrixEnv) { m.scimUser(uid, email) }},
		{"inactive JIT-owned user", func(m *matrixEnv) {
			u := m.jitUser(uid, email)
			if _, err := m.svc.DeactivateUser(m.ctx, "admin:test", u.ID); err != nil {
				m.tb.Fatal(err)
			}
		}},
		{"inactive SCIM-owned user", func(m *matrixEnv) {
			u := m.scimUser(uid, email)
			if _, err := m.svc.SCIMUpdateUser(m.ctx, m.actor, u.ID, 0, func(u directory.User) (directory.User, error) {
				u.Active = false
				return u, nil
			}); err != nil {
				m.tb.Fatal(err)
			}
		}},
		{"tombstoned by SCIM delete", func(m *matrixEnv) {
			u := m.scimUser(uid, email)
			if err := m.svc.SCIMDeleteUser(m.ctx, m.actor, u.ID, 0); err != nil {
				m.tb.Fatal(err)
			}
		}},
		{"userName taken by another identity", func(m *matrixEnv) { m.jitUser("00u-someone-else", email) }},
	}
	want := map[string]map[directory.Mode]outcome{
		"no user": {
			directory.ModeJIT:  signedIn(directory.EventUserCreated, "R2", "New", directory.OwnerJIT),
			directory.ModeSCIM: refused("R3", notProvisioned),
			directory.ModeBoth: signedIn(directory.EventUserCreated, "R4", "New", directory.OwnerJIT),
		},
		"JIT-owned user": {
			directory.ModeJIT:  signedIn(directory.EventUserLogin, "R2", "New", directory.OwnerJIT),
			directory.ModeSCIM: signedIn(directory.EventUserLogin, "R3", "Old", directory.OwnerJIT),
			directory.ModeBoth: signedIn(directory.EventUserLogin, "R4", "New", directory.OwnerJIT),
		},
		"SCIM-owned user": {
			directory.ModeJIT:  signedIn(directory.EventUserLogin, "R11", "New", directory.OwnerSCIM),
			directory.ModeSCIM: signedIn(directory.EventUserLogin, "R3", "Old", directory.OwnerSCIM),
			directory.ModeBoth: signedIn(directory.EventUserLogin, "R4", "Old", directory.OwnerSCIM),
		},
		"inactive JIT-owned user": {
			directory.ModeJIT:  refused("R2", deactivated),
			directory.ModeSCIM: refused("R3", deactivated),
			directory.ModeBoth: refused("R4", deactivated),
		},
		"inactive SCIM-owned user": {
			directory.ModeJIT:  refused("R6", deactivated),
			directory.ModeSCIM: refused("R6", deactivated),
			directory.ModeBoth: refused("R6", deactivated),
		},
		"tombstoned by SCIM delete": {
			// Mode jit does not enforce SCIM's tombstones: the person gets a new user (R2).
			directory.ModeJIT:  signedIn(directory.EventUserCreated, "R2", "New", directory.OwnerJIT),
			directory.ModeSCIM: refused("R6", removed),
			directory.ModeBoth: refused("R6", removed),
		},
		"userName taken by another identity": {
			directory.ModeJIT:  refused("R8", nameTaken),
			directory.ModeSCIM: refused("R3", notProvisioned),
			directory.ModeBoth: refused("R8", nameTaken),
		},
	}

	n := 0
	for _, st := range states {
		for _, mode := range []directory.Mode{directory.ModeJIT, directory.ModeSCIM, directory.ModeBoth} {
			n++
			idpID := fmt.Sprintf("idp%d", n)
			t.Run(st.name+"/mode "+string(mode), func(t *testing.T) {
				w := want[st.name][mode]
				// userNames are unique across IdPs, so each case gets its own store.
				e := newEnv(t)
				e.idp.SetEncrypt(false)
				e.addIdP(directory.IdP{ID: idpID, Mode: directory.ModeBoth})
				tok, _, err := e.svc.CreateToken(e.ctx, "admin:test", directory.TokenSCIM, idpID, "matrix", time.Time{})
				if err != nil {
					t.Fatal(err)
				}
				m := &matrixEnv{env: e, idp: idpID, actor: directory.SCIMActor{IdP: idpID, TokenID: tok.ID}}
				st.setup(m)
				m.setMode(mode)

				before := e.Snapshot()
				e.idp.SignIn(testidp.Person{NameID: uid, Attrs: testidp.Attrs("uniqueUserId", uid, "email", email, "firstName", "New", "lastName", "New")})
				b := newBrowser(t)
				resp, body := b.Submit(b.startLogin(e, idpID, "/app"))
				if resp.StatusCode != w.status {
					t.Fatalf("status %d, want %d:\n%s", resp.StatusCode, w.status, body)
				}
				// Exactly one event describes the outcome (R12); group events may accompany a creation.
				var decisive []directory.Event
				for _, ev := range e.Events(before.LastSeq) {
					if strings.HasPrefix(ev.Type, "user.") || ev.Type == directory.EventLoginRefused {
						decisive = append(decisive, ev)
					}
				}
				if len(decisive) != 1 || decisive[0].Type != w.event || string(decisive[0].Rule) != w.rule {
					t.Fatalf("events %+v, want one %s by %s", decisive, w.event, w.rule)
				}
				ev := decisive[0]
				if w.status == http.StatusForbidden {
					if !strings.Contains(body, w.words) {
						t.Errorf("refusal page lacks %q:\n%s", w.words, body)
					}
					ref := referenceRE.FindStringSubmatch(body)
					if ref == nil || ref[1] != ev.ID {
						t.Errorf("page reference %v, want the refusal event's id %s", ref, ev.ID)
					}
					if strings.Contains(body, ev.Reason) {
						t.Errorf("the page shows the internal reason %q", ev.Reason)
					}
					after := e.Snapshot()
					before.LastSeq = after.LastSeq // the refusal event is the only change allowed
					e.MustUnchanged(before)
					if status, _ := b.me(e); status != http.StatusUnauthorized {
						t.Errorf("a refused person has a session: /api/v1/me %d", status)
					}
					return
				}
				status, me := b.me(e)
				if status != http.StatusOK {
					t.Fatalf("/api/v1/me %d after sign-in", status)
				}
				if me.ID != ev.Subject || me.UniqueUserID != uid || me.Name.FamilyName != w.familyName || me.Owner != w.owner {
					t.Errorf("user %+v, want subject %s, familyName %s, owner %s", me, ev.Subject, w.familyName, w.owner)
				}
				if w.event == directory.EventUserLogin {
					var existing *directory.User
					for i := range before.Users {
						if before.Users[i].UniqueUserID == uid && before.Users[i].IdP == idpID {
							existing = &before.Users[i]
						}
					}
					if existing == nil || existing.ID != me.ID {
						t.Errorf("the login did not sign in the existing user %+v", existing)
					}
				}
			})
		}
	}
}

// TestUniqueUserIDFallback: without a uniqueUserId attribute the persistent NameID is the key;
// with a transient NameID there is no key and the directory refuses under R1, with an event.
func TestUniqueUserIDFallback(t *testing.T) {
	e := newEnv(t)
	e.addIdP(directory.IdP{ID: "acme", Mode: directory.ModeJIT})

	e.idp.SignIn(testidp.Person{NameID: "persistent-42", Attrs: testidp.Attrs("email", "p42@example.com")})
	b := newBrowser(t)
	b.login(e, "acme", "", "/")
	if status, me := b.me(e); status != http.StatusOK || me.UniqueUserID != "persistent-42" {
		t.Errorf("persistent NameID: /api/v1/me %d %+v", status, me)
	}

	e.idp.SignIn(testidp.Person{NameID: "_transient-1", NameIDFormat: saml.TransientNameIDFormat, Attrs: testidp.Attrs("email", "t@example.com")})
	before := e.Snapshot()
	b2 := newBrowser(t)
	resp, body := b2.Submit(b2.startLogin(e, "acme", ""))
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "did not send the identifier") {
		t.Fatalf("transient NameID: %d\n%s", resp.StatusCode, body)
	}
	evs := e.Events(before.LastSeq)
	if len(evs) != 1 || evs[0].Type != directory.EventLoginRefused || evs[0].Rule != "R1" {
		t.Fatalf("events %+v, want one login.refused by R1", evs)
	}
	if ref := referenceRE.FindStringSubmatch(body); ref == nil || ref[1] != evs[0].ID {
		t.Errorf("reference %v, want %s", ref, evs[0].ID)
	}
	after := e.Snapshot()
	before.LastSeq = after.LastSeq
	e.MustUnchanged(before)
}
