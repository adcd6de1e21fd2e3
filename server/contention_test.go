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
	body, err := json.Marshal(map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"}, "Operations": operations})
	if err != nil {
		t.Fatal(err)
	}
	if len(body) > 1<<20 {
		t.Fatalf("the PATCH is %d bytes, over the body limit", len(body))
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
//
// No fixed time is asserted. The PATCH is timed alone first; the POST and the sign-in start a
// quarter of that time into another run of it, and must end before it does, which they cannot
// when they wait for its transaction. On the code before the fix they ended after it, some
// 15 s later than their own time alone.
func TestMaximalPatchHoldsNoWriter(t *testing.T) {
	srv := testserver.Start(t, testserver.Config{DiscardLog: true})
	idp := testidp.NewSAML(t)
	srv.AddIdP(directory.IdP{ID: "acme", Mode: directory.ModeBoth, SAML: directory.SAMLSettings{MetadataURL: idp.MetadataURL()}})
	_, token := srv.SCIMToken("acme")
	scim := srv.URL + "/scim/v2/Users"
	n := 0
	create := func() timed {
		n++
		body, _ := json.Marshal(map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
			"userName": fmt.Sprintf("user%d@x.test", n), "externalId": fmt.Sprintf("ext-%d", n)})
		return send(t, http.MethodPost, scim, token, body)
	}
	login := func() timed { return send(t, http.MethodGet, srv.URL+"/sso/acme/login", "", nil) }
	userID := func() string {
		n++
		body, _ := json.Marshal(map[string]any{"userName": fmt.Sprintf("target%d@x.test", n), "externalId": fmt.Sprintf("target-%d", n)})
		r := testserver.Request(t, http.MethodPost, scim, token, body)
		var u struct{ ID string }
		r.JSON(t, &u)
		if r.Status != http.StatusCreated || u.ID == "" {
			t.Fatalf("creating a user: %d %s", r.Status, r.Body)
		}
		return u.ID
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

	body := maximalPatch(t)
	// Timed alone twice, the first run warming up; the second is the PATCH's own time.
	var first timed
	for range 2 {
		first = send(t, http.MethodPatch, scim+"/"+userID(), token, body)
		if first.status != http.StatusBadRequest && first.status != http.StatusOK {
			t.Fatalf("the maximal PATCH alone: %d, want 400 (refused) or 200 (bounded)", first.status)
		}
	}

	target := scim + "/" + userID()
	seq := srv.LastSeq()
	var wg sync.WaitGroup
	var patch, post, signIn timed
	wg.Go(func() { patch = send(t, http.MethodPatch, target, token, body) })
	time.Sleep(first.took() / 4)
	wg.Go(func() { post = create() })
	wg.Go(func() { signIn = login() })
	wg.Wait()

	slices.Sort(alonePost)
	slices.Sort(aloneLogin)
	t.Logf("PATCH alone %v (%d), with others %v (%d); POST alone median %v, during %v (%d); sign-in alone median %v, during %v (%d)",
		first.took(), first.status, patch.took(), patch.status, alonePost[2], post.took(), post.status, aloneLogin[2], signIn.took(), signIn.status)
	if patch.status != first.status {
		t.Errorf("the PATCH answered %d alone and %d with others", first.status, patch.status)
	}
	if post.status != http.StatusCreated || signIn.status != http.StatusFound {
		t.Fatalf("during the PATCH: POST %d, sign-in start %d; want 201 and 302", post.status, signIn.status)
	}
	for name, r := range map[string]timed{"SCIM POST": post, "sign-in start": signIn} {
		if !r.end.Before(patch.end) {
			t.Errorf("the %s, started %v into the PATCH, ended %v after it: it was held behind the PATCH",
				name, r.start.Sub(patch.start), r.end.Sub(patch.end))
		}
	}
	// A refused PATCH changes nothing; the POST and the sign-in start wrote what they write.
	for _, e := range srv.Events(seq) {
		if e.Type == directory.EventUserUpdated && first.status == http.StatusBadRequest {
			t.Errorf("a refused PATCH wrote %+v", e)
		}
	}
}
