package admin_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/internal/teststore"
)

// TestOrgAdminWebhook: a webhook that an org-admin makes without "org" is of its organization,
// and the running server delivers to it that organization's events, all of them in order, and
// none of another organization or of none.
func TestOrgAdminWebhook(t *testing.T) { orgAdminWebhook(t, newOrgsEnv(t)) }

// TestOrgAdminWebhookPostgres is the same on PostgreSQL.
func TestOrgAdminWebhookPostgres(t *testing.T) {
	orgAdminWebhook(t, newOrgsEnvOn(t, teststore.PostgresURL(t)))
}

// delivered is what a receiver reads of a delivery.
type delivered struct {
	Seq  uint64 `json:"seq"`
	Type string `json:"type"`
	Org  string `json:"org"`
}

func orgAdminWebhook(t *testing.T, e *orgsEnv) {
	var mu sync.Mutex
	var got []delivered
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var d delivered
		if err := json.NewDecoder(r.Body).Decode(&d); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		got = append(got, d)
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(receiver.Close)

	var hook struct {
		ID     string `json:"id"`
		Org    string `json:"org"`
		Cursor uint64 `json:"cursor"`
	}
	e.want(e.doWith("POST", "/admin/api/v1/webhooks", map[string]any{"url": receiver.URL + "/hook"}, e.tokens["admin-a"]),
		http.StatusCreated).json(t, &hook)
	if hook.Org != "a" {
		t.Fatalf("the webhook of a's admin is of organization %q, want a", hook.Org)
	}

	// Changes in a, in b and of no organization, interleaved, by SCIM and by each
	// organization's admin.
	for range 3 {
		e.freshUser("a")
		e.want(e.doWith("POST", "/admin/api/v1/users/"+e.freshUser("b").ID+"/deactivate", nil, e.tokens["admin-b"]), http.StatusOK)
		e.adminToken(e.fresh("token"), directory.RoleViewer, "")
		e.want(e.doWith("POST", "/admin/api/v1/users/"+e.freshUser("a").ID+"/deactivate", nil, e.tokens["admin-a"]), http.StatusOK)
	}
	var want []delivered
	others := map[string]int{}
	for _, ev := range e.dir.Events(hook.Cursor) {
		if ev.Org == "a" {
			want = append(want, delivered{Seq: ev.Seq, Type: ev.Type, Org: ev.Org})
		} else {
			others[ev.Org]++
		}
	}
	if len(want) < 9 || others["b"] < 6 || others[""] < 3 {
		t.Fatalf("the changes made %d events of a and %v of others; the test needs both", len(want), others)
	}

	last := e.lastSeq()
	deadline := time.Now().Add(time.Minute)
	for {
		var now struct{ Cursor uint64 }
		e.want(e.doWith("GET", "/admin/api/v1/webhooks/"+hook.ID, nil, e.tokens["admin-a"]), http.StatusOK).json(t, &now)
		if now.Cursor == last {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the webhook's cursor is at %d after a minute, want %d", now.Cursor, last)
		}
		time.Sleep(20 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(got, want) {
		t.Errorf("the receiver of a's webhook got\n%+v\nwant a's events only\n%+v", got, want)
	}
}
