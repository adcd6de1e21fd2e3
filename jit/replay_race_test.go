package jit_test

import (
	"net/http"
	"net/url"
	"sync"
	"testing"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/internal/testidp"
)

// TestConcurrentPostsOfOneResponse posts one genuine response many times at once, as a
// replayed response raced against the real one would arrive: exactly one post signs in. The
// posts pass the replay cache's read-only check together, so only the sign-in's transaction,
// which records the assertion and takes the request, can tell them apart.
func TestConcurrentPostsOfOneResponse(t *testing.T) {
	e := newEnv(t)
	e.addIdP(directory.IdP{ID: "acme", Mode: directory.ModeJIT, SAML: directory.SAMLSettings{AllowIdPInitiated: true}})
	e.idp.SignIn(testidp.Person{NameID: "u1", Attrs: testidp.Attrs("uniqueUserId", "u1", "email", "u1@example.com")})

	for _, flow := range []struct {
		name  string
		start func(b *browser) testidp.Form
	}{
		{"sp-initiated", func(b *browser) testidp.Form { return b.startLogin(e, "acme", "/app") }},
		{"idp-initiated", func(b *browser) testidp.Form { return b.startIdPInitiated(e, "acme", "/app") }},
	} {
		t.Run(flow.name, func(t *testing.T) {
			// The posts come from the browser that started the sign-in, as a double submit
			// would; a post from another browser is refused before it (binding_test.go).
			b := newBrowser(t)
			form := flow.start(b)
			values := url.Values{"SAMLResponse": {form.SAMLResponse}}
			if form.RelayState != "" {
				values.Set("RelayState", form.RelayState)
			}
			seq := e.LastSeq()

			const posts = 8
			statuses := make([]int, posts)
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i := range posts {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					resp, err := b.NoFollow.PostForm(form.Action, values)
					if err != nil {
						t.Error(err)
						return
					}
					resp.Body.Close()
					statuses[i] = resp.StatusCode
				}()
			}
			close(start)
			wg.Wait()

			count := map[int]int{}
			for _, s := range statuses {
				count[s]++
			}
			if count[http.StatusSeeOther] != 1 || count[http.StatusForbidden] != posts-1 {
				t.Errorf("statuses %v: want one 303 and %d 403", statuses, posts-1)
			}
			// One sign-in, and each refused post one refusal that no rule decided.
			signIns, refusals := 0, 0
			for _, ev := range e.Events(seq) {
				switch {
				case ev.Type == directory.EventUserCreated || ev.Type == directory.EventUserLogin:
					signIns++
				case ev.Type == directory.EventLoginRefused && ev.Rule == "":
					refusals++
				default:
					t.Errorf("event %+v", ev)
				}
			}
			if signIns != 1 || refusals != posts-1 {
				t.Errorf("%d sign-ins and %d refusals, want 1 and %d", signIns, refusals, posts-1)
			}
		})
	}
}
