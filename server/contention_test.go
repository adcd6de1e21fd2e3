package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/internal/testidp"
	"github.com/rosterhq/roster/internal/testserver"
)

// maximalPatch is the costliest PATCH a SCIM client may send within the 1 MiB body limit: it
// adds thousands of emails and then removes them one by one through a value filter that no
// shortcut answers, 1000 operations in all, the most one PATCH may carry. The request of
// issue 17 (V3) was of this kind: 8,000 filtered removes held the store's writer for 16–20 s.
func maximalPatch(t *testing.T) []byte {
	t.Helper()
	const emails, ops = 29000, 1000
	values := make([]map[string]any, emails)
	for i := range values {
		values[i] = map[string]any{"value": fmt.Sprintf("e%05d@x.test", i)}
	}
	operations := []map[string]any{{"op": "add", "path": "emails", "value": values}}
	for i := 1; i < ops; i++ {
		operations = append(operations, map[string]any{"op": "remove",
			"path": fmt.Sprintf(`emails[value eq "e%05d@x.test" or type eq "none"]`, i)})
	}
	return scimBody(t, "the PATCH", map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"}, "Operations": operations})
}

// scimBody is v as a SCIM request body, which must be within the body limit.
func scimBody(t *testing.T, what string, v any) []byte {
	t.Helper()
	body, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if len(body) > 1<<20 {
		t.Fatalf("%s is %d bytes, over the body limit", what, len(body))
	}
	return body
}

// timed is one request's status, start and end.
type timed struct {
	status     int
	start, end time.Time
}

func (r timed) took() time.Duration { return r.end.Sub(r.start) }

func send(t *testing.T, method, url, token string, body []byte) timed {
	req, err := http.NewRequest(method, url, strings.NewReader(string(body)))
	if err != nil {
		t.Error(err)
		return timed{}
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	start := time.Now()
	resp, err := noFollow.Do(req)
	if err != nil {
		t.Error(err)
		return timed{}
	}
	resp.Body.Close()
	return timed{status: resp.StatusCode, start: start, end: time.Now()}
}

// TestMaximalPatchHoldsNoWriter (issue 17, V3): while the costliest PATCH a token may send is
// being answered, a SCIM POST and an unauthenticated sign-in start (both write to the store)
// are not held behind it. The PATCH is applied to a copy outside the write transaction, and
// its operations and filter work are capped, so it is refused (400 tooMany) or bounded.
// On the code before the fix the POST and the sign-in ended after it, some 15 s later than
// their own time alone.
func TestMaximalPatchHoldsNoWriter(t *testing.T) {
	body := maximalPatch(t)
	holdsNoWriter(t, "the maximal PATCH", func(scim, userID string) (string, string, []byte) {
		return http.MethodPatch, scim + "/Users/" + userID, body
	}, http.StatusBadRequest, http.StatusOK)
}

// bulkOfPatches is a bulk request of as many costly PATCHes of one user as fit in the body
// limit, each accepted: it adds 700 emails and removes them again one by one through a value
// filter that no shortcut answers, about three quarters of the filter work one PATCH may do.
func bulkOfPatches(t *testing.T, userID string) []byte {
	t.Helper()
	var ops []map[string]any
	for p := range 12 {
		values := make([]map[string]any, 700)
		operations := []map[string]any{{"op": "add", "path": "emails", "value": values}}
		for i := range values {
			values[i] = map[string]any{"value": fmt.Sprintf("e%02d-%03d@x.test", p, i)}
			operations = append(operations, map[string]any{"op": "remove",
				"path": fmt.Sprintf(`emails[value eq "e%02d-%03d@x.test" or type eq "none"]`, p, i)})
		}
		ops = append(ops, map[string]any{"method": "PATCH", "path": "/Users/" + userID, "data": map[string]any{
			"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"}, "Operations": operations}})
	}
	return scimBody(t, "the bulk request", map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:BulkRequest"}, "Operations": ops})
}

// TestBulkOfPatchesHoldsNoWriter (issue 17, V3, through Bulk): a bulk request of costly
// PATCHes holds the store's writer no longer than one of its writes at a time, as the same
// PATCHes sent one by one would: a SCIM POST and a sign-in start during it are not held behind
// it. Were the PATCHes applied inside the bulk request's shared transaction, both would wait
// for the whole request.
func TestBulkOfPatchesHoldsNoWriter(t *testing.T) {
	holdsNoWriter(t, "the bulk request of PATCHes", func(scim, userID string) (string, string, []byte) {
		return http.MethodPost, scim + "/Bulk", bulkOfPatches(t, userID)
	}, http.StatusOK)
}

// holdsNoWriter runs an expensive SCIM request, made by build against a new user of its own
// each time, while a SCIM POST and an unauthenticated sign-in start (both write to the store)
// run beside it, and fails unless both end before it does. No fixed time is asserted: the
// request is timed alone first, twice, the first run warming up; the POST and the sign-in start
// a quarter of its own time into another run of it, and they cannot end before it when they
// wait for a transaction it holds. status lists the answers the request may have.
func holdsNoWriter(t *testing.T, what string, build func(scim, userID string) (method, url string, body []byte), status ...int) {
	srv := testserver.Start(t, testserver.Config{DiscardLog: true})
	idp := testidp.NewSAML(t)
	srv.AddIdP(directory.IdP{ID: "acme", Mode: directory.ModeBoth, SAML: directory.SAMLSettings{MetadataURL: idp.MetadataURL()}})
	_, token := srv.SCIMToken("acme")
	scim := srv.URL + "/scim/v2"
	n := 0
	create := func() timed {
		n++
		body, _ := json.Marshal(map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
			"userName": fmt.Sprintf("user%d@x.test", n), "externalId": fmt.Sprintf("ext-%d", n)})
		return send(t, http.MethodPost, scim+"/Users", token, body)
	}
	login := func() timed { return send(t, http.MethodGet, srv.URL+"/sso/acme/login", "", nil) }
	userID := func() string {
		n++
		body, _ := json.Marshal(map[string]any{"userName": fmt.Sprintf("target%d@x.test", n), "externalId": fmt.Sprintf("target-%d", n)})
		r := testserver.Request(t, http.MethodPost, scim+"/Users", token, body)
		var u struct{ ID string }
		r.JSON(t, &u)
		if r.Status != http.StatusCreated || u.ID == "" {
			t.Fatalf("creating a user: %d %s", r.Status, r.Body)
		}
		return u.ID
	}
	expensive := func() timed {
		method, url, body := build(scim, userID())
		return send(t, method, url, token, body)
	}
	// Warm up: the SP key, the IdP's metadata, the connections.
	for range 3 {
		if r := login(); r.status != http.StatusFound {
			t.Fatalf("sign-in start: %d, want 302", r.status)
		}
		if r := create(); r.status != http.StatusCreated {
			t.Fatalf("SCIM POST: %d, want 201", r.status)
		}
	}
	var alonePost, aloneLogin []time.Duration
	for range 5 {
		alonePost = append(alonePost, create().took())
		aloneLogin = append(aloneLogin, login().took())
	}

	var first timed
	for range 2 {
		first = expensive()
		if !slices.Contains(status, first.status) {
			t.Fatalf("%s alone: %d, want one of %v", what, first.status, status)
		}
	}

	method, url, body := build(scim, userID())
	seq := srv.LastSeq()
	var wg sync.WaitGroup
	var long, post, signIn timed
	wg.Go(func() { long = send(t, method, url, token, body) })
	time.Sleep(first.took() / 4)
	wg.Go(func() { post = create() })
	wg.Go(func() { signIn = login() })
	wg.Wait()

	slices.Sort(alonePost)
	slices.Sort(aloneLogin)
	t.Logf("%s alone %v (%d), with others %v (%d); POST alone median %v, during %v (%d); sign-in alone median %v, during %v (%d)",
		what, first.took(), first.status, long.took(), long.status, alonePost[2], post.took(), post.status, aloneLogin[2], signIn.took(), signIn.status)
	if long.status != first.status {
		t.Errorf("%s answered %d alone and %d with others", what, first.status, long.status)
	}
	if post.status != http.StatusCreated || signIn.status != http.StatusFound {
		t.Fatalf("during %s: POST %d, sign-in start %d; want 201 and 302", what, post.status, signIn.status)
	}
	for name, r := range map[string]timed{"SCIM POST": post, "sign-in start": signIn} {
		if !r.end.Before(long.end) {
			t.Errorf("the %s, started %v into %s, ended %v after it: it was held behind it",
				name, r.start.Sub(long.start), what, r.end.Sub(long.end))
		}
	}
	// A refused request changes nothing; the POST and the sign-in start wrote what they write.
	for _, e := range srv.Events(seq) {
		if e.Type == directory.EventUserUpdated && first.status == http.StatusBadRequest {
			t.Errorf("a refused request wrote %+v", e)
		}
	}
}
