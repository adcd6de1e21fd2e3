package jit_test

// This file runs two Roster replicas on one PostgreSQL database and drives them over HTTP as a
// load balancer would: each replica is its own postgres.Open (its own connection pool), its own
// directory.Service and its own server.New handler on its own listener (testserver.Replica),
// and both are configured with the same public base URL. The browser and the SCIM client send every request to that
// public URL; their transport delivers it to the replica the test names, and refuses an answer
// from any other replica, so "signed in through B" means B answered.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/internal/testidp"
	"github.com/rosterhq/roster/internal/testserver"
	"github.com/rosterhq/roster/internal/teststore"
)

// servedByHeader names the replica that answered; each replica's handler sets it.
const servedByHeader = "X-Test-Replica"

const scimUserSchema = "urn:ietf:params:scim:schemas:core:2.0:User"

// replica is one Roster process.
type replica struct {
	name string
	addr string // its listener, host:port
	// env speaks through this replica's own directory.Service, and its URLs are the public
	// ones, so the harness's helpers (startLogin, me, Snapshot, ...) work unchanged.
	env *env
}

// cluster is two replicas on one database behind one public URL.
type cluster struct {
	t      *testing.T
	public string // the shared BaseURL
	host   string // its host:port
	idp    *testidp.SAML
	a, b   *replica
}

// servedBy marks every answer of a replica with its name.
func servedBy(name string) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set(servedByHeader, name)
			h.ServeHTTP(w, r)
		})
	}
}

// newCluster starts replica A on a fresh schema and replica B beside it, each with a store of
// its own (testserver.Replica). The public URL is A's address: the IdP fetches the SP metadata
// from it, as it would from a load balancer. Requests the test sends are routed explicitly.
func newCluster(t *testing.T) *cluster {
	t.Helper()
	cfg := jitConfig()
	cfg.DatabaseURL = teststore.PostgresURL(t)
	cfg.Wrap = servedBy("a")
	srvA := testserver.Start(t, cfg)
	srvB := srvA.Replica(t, servedBy("b"))
	c := &cluster{t: t, public: srvA.BaseURL, idp: testidp.NewSAML(t)}
	c.host = strings.TrimPrefix(c.public, "http://")
	c.a = &replica{name: "a", addr: strings.TrimPrefix(srvA.URL, "http://"), env: envOf(t, srvA, c.idp)}
	c.b = &replica{name: "b", addr: strings.TrimPrefix(srvB.URL, "http://"), env: envOf(t, srvB, c.idp)}
	return c
}

// router delivers requests for the public URL to one replica, and checks that it answered.
// Requests to other hosts (the IdP) go out unchanged.
type router struct {
	c  *cluster
	mu sync.Mutex
	to *replica
}

// via sends the following requests to r.
func (rt *router) via(r *replica) {
	rt.mu.Lock()
	rt.to = r
	rt.mu.Unlock()
}

func (rt *router) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Host != rt.c.host {
		return http.DefaultTransport.RoundTrip(req)
	}
	rt.mu.Lock()
	to := rt.to
	rt.mu.Unlock()
	out := req.Clone(req.Context())
	out.URL.Host = to.addr
	out.Host = rt.c.host // the replica sees the public host, as behind a load balancer
	resp, err := http.DefaultTransport.RoundTrip(out)
	if err != nil {
		return nil, err
	}
	if got := resp.Header.Get(servedByHeader); got != to.name {
		resp.Body.Close()
		return nil, fmt.Errorf("%s %s was routed to replica %s but %q answered", req.Method, req.URL, to.name, got)
	}
	return resp, nil
}

// browser returns a browser whose requests to Roster go to replica to until told otherwise.
func (c *cluster) browser(t testing.TB, to *replica) (*browser, *router) {
	b := newBrowser(t)
	rt := &router{c: c, to: to}
	b.SetTransport(rt)
	return b, rt
}

// scim sends one SCIM request to replica r and returns the status and the decoded body. It
// reports failures with Errorf, so other goroutines than the test's may call it.
func (c *cluster) scim(t testing.TB, r *replica, secret, method, path string, body any) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, c.public+"/scim/v2"+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+secret)
	req.Header.Set("Accept", "application/scim+json")
	if body != nil {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	resp, err := (&http.Client{Transport: &router{c: c, to: r}}).Do(req)
	if err != nil {
		t.Errorf("%s %s via %s: %v", method, path, r.name, err)
		return 0, nil
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Errorf("%s %s via %s: reading the answer: %v", method, path, r.name, err)
	}
	var out map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Errorf("%s %s via %s: %d, body is not JSON: %v\n%s", method, path, r.name, resp.StatusCode, err, raw)
		}
	}
	return resp.StatusCode, out
}

func scimUser(userName, externalID, given, family string) map[string]any {
	return map[string]any{
		"schemas":    []string{scimUserSchema},
		"userName":   userName,
		"externalId": externalID,
		"active":     true,
		"name":       map[string]any{"givenName": given, "familyName": family},
		"emails":     []map[string]any{{"value": userName, "type": "work", "primary": true}},
	}
}

// post is browser.Submit for other goroutines than the test's: it reports a failure to reach
// Roster with Errorf (and status 0) rather than Fatal.
func post(t testing.TB, b *browser, f testidp.Form) (int, string) {
	status, body, err := b.Post(f)
	if err != nil {
		t.Errorf("posting the SAML response: %v", err)
	}
	return status, body
}

// usersWithIdentity returns the users of idp whose uniqueUserId is uid, read through r's service.
func usersWithIdentity(t testing.TB, r *replica, idp, uid string) []directory.User {
	t.Helper()
	var out []directory.User
	err := r.env.svc.View(context.Background(), func(tx directory.ReadTx) error {
		return tx.ScanUsers(directory.ScanQuery{IdP: idp}, func(u directory.User) error {
			if u.UniqueUserID == uid {
				out = append(out, u)
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// userEvents returns the user.* events after seq, read through r's service.
func userEvents(t testing.TB, r *replica, after uint64) []directory.Event {
	t.Helper()
	var out []directory.Event
	for _, ev := range r.env.Events(after) {
		if strings.HasPrefix(ev.Type, "user.") {
			out = append(out, ev)
		}
	}
	return out
}

// feed reads the whole event log through svc, in small pages so that paging is exercised.
func feed(t testing.TB, svc *directory.Service) []directory.Event {
	t.Helper()
	var all []directory.Event
	after := uint64(0)
	for {
		page, err := svc.Events(context.Background(), after, 7, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			return all
		}
		all = append(all, page...)
		after = page[len(page)-1].Seq
	}
}

func TestTwoReplicasOnePostgres(t *testing.T) {
	c := newCluster(t)
	a, b := c.a, c.b
	ctx := context.Background()

	const corp = "corp"
	a.env.addIdP(directory.IdP{ID: corp, Mode: directory.ModeBoth, SCIMMatch: directory.MatchExternalID})
	_, secret, err := a.env.svc.CreateToken(ctx, "admin:test", directory.TokenSCIM, corp, "t", time.Time{})
	if err != nil {
		t.Fatal(err)
	}

	// Grace is created by SCIM through A and signs in through B; her session outlives subtest 1.
	const graceUID, graceEmail = "00u-grace", "grace@example.com"
	var graceID string
	var graceBrowser *browser
	var graceRoute *router

	t.Run("SCIM create on A, SAML sign-in on B: one user", func(t *testing.T) {
		status, created := c.scim(t, a, secret, http.MethodPost, "/Users", scimUser(graceEmail, graceUID, "Grace", "Hopper"))
		if status != http.StatusCreated {
			t.Fatalf("SCIM POST via A: %d %v", status, created)
		}
		id, _ := created["id"].(string)
		if id == "" {
			t.Fatalf("SCIM POST via A answered no id: %v", created)
		}
		if got := usersWithIdentity(t, b, corp, graceUID); len(got) != 1 || got[0].ID != id || got[0].Owner != directory.OwnerSCIM {
			t.Fatalf("B's service does not see A's SCIM user %s: %+v", id, got)
		}
		before := b.env.Snapshot()

		c.idp.SignIn(testidp.Person{NameID: graceUID, Attrs: testidp.Attrs(
			"uniqueUserId", graceUID, "email", graceEmail, "firstName", "Grace", "lastName", "Hopper")})
		br, rt := c.browser(t, a)
		// The AuthnRequest is issued by A (and A creates the SP key the IdP encrypts to); the
		// response is posted to B, which must find both in the store.
		form := br.startLogin(a.env, corp, "/app")
		if !strings.Contains(string(form.ResponseXML(t)), "EncryptedAssertion") {
			t.Fatalf("the IdP did not encrypt the assertion:\n%s", form.ResponseXML(t))
		}
		rt.via(b)
		resp, body := br.Submit(form)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/app" {
			t.Fatalf("ACS on B: %d Location %q, want 303 to /app\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
		}
		status, me := br.me(b.env)
		if status != http.StatusOK || me.ID != id || me.Owner != directory.OwnerSCIM || me.UniqueUserID != graceUID || me.IdP != corp {
			t.Fatalf("/api/v1/me on B: %d %+v, want the SCIM user %s", status, me, id)
		}
		for _, r := range []*replica{a, b} {
			if got := usersWithIdentity(t, r, corp, graceUID); len(got) != 1 || got[0].ID != id {
				t.Errorf("through %s's service, users with uniqueUserId %s: %+v, want exactly %s", r.name, graceUID, got, id)
			}
			status, list := c.scim(t, r, secret, http.MethodGet, "/Users?filter="+url.QueryEscape(`externalId eq "`+graceUID+`"`), nil)
			res, _ := list["Resources"].([]any)
			if status != http.StatusOK || list["totalResults"] != float64(1) || len(res) != 1 || res[0].(map[string]any)["id"] != id {
				t.Errorf("SCIM filter by externalId via %s: %d %v, want exactly %s", r.name, status, list, id)
			}
		}
		evs := userEvents(t, a, before.LastSeq)
		if len(evs) != 1 || evs[0].Type != directory.EventUserLogin || evs[0].Subject != id {
			t.Errorf("user events of the sign-in: %+v, want one user.login of %s", evs, id)
		}
		graceID, graceBrowser, graceRoute = id, br, rt
	})

	t.Run("SCIM deactivation on A ends the session on B", func(t *testing.T) {
		if graceID == "" {
			t.Skip("needs the sign-in of the first subtest")
		}
		br, rt := graceBrowser, graceRoute
		for _, r := range []*replica{a, b} {
			rt.via(r)
			if got := br.verify(r.env); got != http.StatusNoContent {
				t.Fatalf("/auth/verify on %s before the deactivation: %d, want 204", r.name, got)
			}
			if status, me := br.me(r.env); status != http.StatusOK || me.ID != graceID {
				t.Fatalf("/api/v1/me on %s before the deactivation: %d %+v", r.name, status, me)
			}
		}
		before := b.env.Snapshot()
		status, patched := c.scim(t, a, secret, http.MethodPatch, "/Users/"+graceID, map[string]any{
			"schemas":    []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
			"Operations": []map[string]any{{"op": "replace", "path": "active", "value": false}},
		})
		if status != http.StatusOK || patched["active"] != false {
			t.Fatalf("SCIM PATCH active=false via A: %d %v", status, patched)
		}
		// The PATCH has been answered, so it is committed: B must see it on the next request.
		for _, r := range []*replica{b, a} {
			rt.via(r)
			if got := br.verify(r.env); got != http.StatusUnauthorized {
				t.Errorf("/auth/verify on %s after the deactivation on A: %d, want 401", r.name, got)
			}
			if status, _ := br.me(r.env); status != http.StatusUnauthorized {
				t.Errorf("/api/v1/me on %s after the deactivation on A: %d, want 401", r.name, status)
			}
		}
		evs := userEvents(t, b, before.LastSeq)
		if len(evs) != 1 || evs[0].Type != directory.EventUserDeactivated || evs[0].Subject != graceID || evs[0].Rule != "R6" {
			t.Errorf("user events of the deactivation, read through B: %+v, want one user.deactivated (R6) of %s", evs, graceID)
		}
	})

	t.Run("a SAML response accepted by one replica is refused by the other", func(t *testing.T) {
		const open = "open"
		a.env.addIdP(directory.IdP{ID: open, Mode: directory.ModeJIT, SAML: directory.SAMLSettings{AllowIdPInitiated: true}})
		c.idp.SignIn(testidp.Person{NameID: "00u-replay", Attrs: testidp.Attrs("uniqueUserId", "00u-replay", "email", "replay@example.com")})
		for _, flow := range []string{"sp-initiated", "idp-initiated"} {
			t.Run(flow, func(t *testing.T) {
				for _, pair := range [][2]*replica{{a, b}, {b, a}} {
					first, second := pair[0], pair[1]
					// SP-initiated, the request is issued by the second replica, accepted by the
					// first and replayed to the issuer: only if the first replica's use of the
					// request reaches the issuer can the issuer refuse it.
					br, rt := c.browser(t, second)
					var form testidp.Form
					if flow == "sp-initiated" {
						form = br.startLogin(second.env, open, "/app")
					} else {
						form = br.startIdPInitiated(second.env, open, "/app")
					}
					rt.via(first)
					if resp, body := br.Submit(form); resp.StatusCode != http.StatusSeeOther {
						t.Fatalf("first post to %s: %d\n%s", first.name, resp.StatusCode, body)
					}
					if status, _ := br.me(first.env); status != http.StatusOK {
						t.Fatalf("/api/v1/me on %s after the accepted post: %d", first.name, status)
					}
					before := second.env.Snapshot()
					logStart := len(second.env.logs.String())
					replayer, _ := c.browser(t, second)
					resp, body := replayer.Submit(form)
					if resp.StatusCode != http.StatusForbidden {
						t.Errorf("replay to %s of a response %s accepted: %d, want 403\n%s", second.name, first.name, resp.StatusCode, body)
					}
					// The replicas share the database: the refusal is the one event either sees.
					second.env.MustRecordRefusal(before, pageReference(t, body))
					if status, _ := replayer.me(second.env); status != http.StatusUnauthorized {
						t.Errorf("the replayer has a session on %s: /api/v1/me %d", second.name, status)
					}
					// SP-initiated, the issuer no longer finds its request pending; IdP-initiated,
					// the response names no request, so only the shared replay cache can stop it.
					reason := map[string]string{"sp-initiated": "InResponseTo", "idp-initiated": "already been used"}[flow]
					if log := second.env.logs.String()[logStart:]; !strings.Contains(log, reason) {
						t.Errorf("%s did not refuse the replay for the reason expected (%q):\n%s", second.name, reason, log)
					}
				}
			})
		}

		// One response posted many times at once to both replicas is accepted exactly once.
		for _, flow := range []string{"sp-initiated", "idp-initiated"} {
			t.Run(flow+", posted concurrently to both", func(t *testing.T) {
				br, _ := c.browser(t, a)
				var form testidp.Form
				if flow == "sp-initiated" {
					form = br.startLogin(a.env, open, "/app")
				} else {
					form = br.startIdPInitiated(a.env, open, "/app")
				}
				const posts = 12
				statuses := make([]int, posts)
				start := make(chan struct{})
				var wg sync.WaitGroup
				for i := range posts {
					poster, _ := c.browser(t, []*replica{a, b}[i%2])
					// The posts carry the cookies of the browser that started the sign-in, as its
					// own double submit would; a post from another browser is refused before it
					// (binding_test.go).
					poster.Follow.Jar, poster.NoFollow.Jar = br.Jar, br.Jar
					wg.Add(1)
					go func() {
						defer wg.Done()
						<-start
						statuses[i], _ = post(t, poster, form)
					}()
				}
				close(start)
				wg.Wait()
				accepted := 0
				for i, s := range statuses {
					switch s {
					case http.StatusSeeOther:
						accepted++
					case http.StatusForbidden:
					default:
						t.Errorf("post %d (replica %s): %d, want 303 or 403", i, []string{"a", "b"}[i%2], s)
					}
				}
				if accepted != 1 {
					t.Errorf("one response was accepted %d times across two replicas (%v), want once", accepted, statuses)
				}
			})
		}
	})

	// 50 creates of one key at once over both replicas: SCIM POSTs to A and B beside SAML
	// sign-ins posted to the replica that did not issue their request. Released together, the
	// SCIM POSTs reach the directory first (an ACS has a signature to check and an assertion to
	// decrypt), so a second round releases them only when the first sign-in has been answered:
	// a JIT user then exists, one POST adopts it (R5) while the other sign-ins still arrive.
	for _, round := range []struct {
		name, uid, email    string
		scimAfterFirstLogin bool
	}{
		{"released together", "00u-race", "race@example.com", false},
		{"SCIM released by the first sign-in", "00u-race-2", "race2@example.com", true},
	} {
		t.Run("50 concurrent creates of one key over both replicas make one user/"+round.name, func(t *testing.T) {
			raceOneKey(t, c, corp, secret, round.uid, round.email, round.scimAfterFirstLogin)
		})
	}

	t.Run("the event feed is the same through both replicas and gap-free", func(t *testing.T) {
		// A long poll on B wakes for a write committed by A. (B may also find the event
		// already there; either way it must return A's event and not time out empty.)
		last := b.env.Snapshot().LastSeq
		type polled struct {
			evs []directory.Event
			err error
		}
		got := make(chan polled, 1)
		go func() {
			evs, err := b.env.svc.Events(ctx, last, 10, 2*time.Minute)
			got <- polled{evs, err}
		}()
		status, late := c.scim(t, a, secret, http.MethodPost, "/Users", scimUser("late@example.com", "00u-late", "La", "Te"))
		if status != http.StatusCreated {
			t.Fatalf("SCIM POST via A: %d %v", status, late)
		}
		p := <-got
		if p.err != nil || len(p.evs) == 0 || p.evs[0].Seq != last+1 || p.evs[0].Type != directory.EventUserCreated || p.evs[0].Subject != late["id"] {
			t.Errorf("long poll on B after seq %d: %+v, %v; want the user.created of %v written through A", last, p.evs, p.err, late["id"])
		}

		feedA, feedB := feed(t, a.env.svc), feed(t, b.env.svc)
		if diff := cmp.Diff(feedA, feedB); diff != "" {
			t.Errorf("the feeds differ (-A +B):\n%s", diff)
		}
		lastA, lastB := a.env.Snapshot().LastSeq, b.env.Snapshot().LastSeq
		if lastA != lastB || uint64(len(feedA)) != lastA {
			t.Errorf("LastSeq A %d, B %d; the feed has %d events", lastA, lastB, len(feedA))
		}
		// Every subtest above wrote events; a near-empty feed would prove nothing.
		if len(feedA) < 20 {
			t.Errorf("only %d events in the feed", len(feedA))
		}
		ids := map[string]bool{}
		for i, ev := range feedA {
			if ev.Seq != uint64(i+1) {
				t.Fatalf("event %d has seq %d: a gap or a reordering", i+1, ev.Seq)
			}
			if ev.ID == "" || ids[ev.ID] {
				t.Errorf("event %d has id %q, empty or repeated", ev.Seq, ev.ID)
			}
			ids[ev.ID] = true
		}
	})
}

// raceOneKey runs 24 sign-ins and 26 SCIM POSTs of one person at once over both replicas and
// checks that they end with exactly one user, which every sign-in signed in to.
func raceOneKey(t *testing.T, c *cluster, idp, secret, uid, email string, scimAfterFirstLogin bool) {
	const logins, posts = 24, 26
	a, b := c.a, c.b
	replicas := []*replica{a, b}
	c.idp.SignIn(testidp.Person{NameID: uid, Attrs: testidp.Attrs("uniqueUserId", uid, "email", email, "firstName", "Ra", "lastName", "Ce")})

	// The IdP's answers are fetched first, each from a request issued by one replica; at the
	// start signal they are posted to the other replica.
	browsers := make([]*browser, logins)
	forms := make([]testidp.Form, logins)
	for i := range logins {
		br, rt := c.browser(t, replicas[i%2])
		forms[i] = br.startLogin(replicas[i%2].env, idp, "/")
		rt.via(replicas[(i+1)%2])
		browsers[i] = br
	}
	before := a.env.Snapshot()

	type result struct {
		status int
		id     string
		body   string
	}
	loginRes := make([]result, logins)
	postRes := make([]result, posts)
	start := make(chan struct{})
	scimStart := start
	firstLogin := make(chan struct{})
	var firstOnce sync.Once
	if scimAfterFirstLogin {
		scimStart = firstLogin
	}
	var wg sync.WaitGroup
	for i := range logins {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer firstOnce.Do(func() { close(firstLogin) })
			<-start
			status, body := post(t, browsers[i], forms[i])
			loginRes[i] = result{status: status, body: body}
		}()
	}
	for i := range posts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-scimStart
			status, out := c.scim(t, replicas[i%2], secret, http.MethodPost, "/Users", scimUser(email, uid, "Ra", "Ce"))
			id, _ := out["id"].(string)
			postRes[i] = result{status: status, id: id, body: fmt.Sprint(out)}
		}()
	}
	close(start)
	wg.Wait()

	users := usersWithIdentity(t, a, idp, uid)
	if len(users) != 1 {
		t.Fatalf("%d users with uniqueUserId %s after the race, want 1: %+v", len(users), uid, users)
	}
	id := users[0].ID
	if got := usersWithIdentity(t, b, idp, uid); len(got) != 1 || got[0].ID != id {
		t.Errorf("B's service sees %+v, A's sees %s", got, id)
	}
	if users[0].Owner != directory.OwnerSCIM {
		t.Errorf("the user is owned by %s, want scim: a SCIM POST created or adopted it", users[0].Owner)
	}
	created := 0
	for i, r := range postRes {
		switch r.status {
		case http.StatusCreated:
			created++
			if r.id != id {
				t.Errorf("SCIM POST %d via %s created %q, but the user is %s", i, replicas[i%2].name, r.id, id)
			}
		case http.StatusConflict:
		default:
			t.Errorf("SCIM POST %d via %s: %d, want 201 or 409: %s", i, replicas[i%2].name, r.status, r.body)
		}
	}
	// Either a SCIM POST created the user, or a sign-in did and one POST adopted it (R5); every
	// other POST finds a SCIM-owned user and conflicts.
	if created != 1 {
		t.Errorf("%d SCIM POSTs answered 201, want exactly 1", created)
	}
	for i, r := range loginRes {
		if r.status != http.StatusSeeOther {
			t.Errorf("sign-in %d on %s: %d, want 303\n%s", i, replicas[(i+1)%2].name, r.status, r.body)
			continue
		}
		if status, me := browsers[i].me(replicas[i%2].env); status != http.StatusOK || me.ID != id {
			t.Errorf("sign-in %d: /api/v1/me %d %+v, want user %s", i, status, me, id)
		}
	}
	var creations, adoptions []directory.Event
	for _, ev := range userEvents(t, b, before.LastSeq) {
		if ev.Subject != id {
			t.Errorf("event %d (%s) names user %s, not the one user %s", ev.Seq, ev.Type, ev.Subject, id)
		}
		switch ev.Type {
		case directory.EventUserCreated:
			creations = append(creations, ev)
		case directory.EventUserAdopted:
			adoptions = append(adoptions, ev)
		}
	}
	if len(creations) != 1 {
		t.Fatalf("user.created events %+v, want 1", creations)
	}
	byJIT := strings.HasPrefix(creations[0].Actor, "jit:")
	switch {
	case scimAfterFirstLogin && !byJIT:
		t.Errorf("the user was created by %s although no SCIM POST was sent before a sign-in was answered", creations[0].Actor)
	case byJIT && len(adoptions) != 1:
		t.Errorf("a sign-in created the user, and %d user.adopted events followed, want 1: %+v", len(adoptions), adoptions)
	case !byJIT && len(adoptions) != 0:
		t.Errorf("SCIM created the user, yet it was adopted: %+v", adoptions)
	}
	t.Logf("the user was created by %s", creations[0].Actor)
}
