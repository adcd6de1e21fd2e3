package jit

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/storage/bolt"
)

// consumeState is the single use of a login's state: the end-to-end tests reach it only
// behind the OP's own checks (a code bound to its client, redeemed once), so its refusals are
// checked here on their own, against a real bbolt store.
func TestOIDCConsumeState(t *testing.T) {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "roster.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	h, err := New(directory.New(st), Config{BaseURL: "http://roster.test"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	binding := randomToken()
	rec := `{"idp":"okta","nonce":"n","verifier":"v","binding":"` + hashToken(binding) + `","returnTo":"/x"}`
	now := time.Now()
	if err := st.Update(ctx, func(tx directory.Tx) error {
		return tx.InsertKV(nsOIDCState, "the-state", []byte(rec), now.Add(time.Minute), now)
	}); err != nil {
		t.Fatal(err)
	}
	req := func(cookie string) *http.Request {
		r := httptest.NewRequest(http.MethodGet, "/sso/okta/oidc/callback", nil)
		if cookie != "" {
			r.AddCookie(&http.Cookie{Name: oidcBindingCookie, Value: cookie})
		}
		return r
	}
	if _, err := h.consumeState(ctx, "other", "the-state", req(binding)); !errors.Is(err, directory.ErrNotFound) {
		t.Errorf("state of another IdP: err %v, want ErrNotFound", err)
	}
	if _, err := h.consumeState(ctx, "okta", "the-state", req(randomToken())); !errors.Is(err, errStateBinding) {
		t.Errorf("another browser: err %v, want errStateBinding", err)
	}
	if _, err := h.consumeState(ctx, "okta", "the-state", req("")); !errors.Is(err, errStateBinding) {
		t.Errorf("no binding cookie: err %v, want errStateBinding", err)
	}
	// The refusals above left the state for the browser that started the login.
	got, err := h.consumeState(ctx, "okta", "the-state", req(binding))
	if err != nil || got.ReturnTo != "/x" || got.Verifier != "v" || got.Nonce != "n" {
		t.Fatalf("the starting browser: %+v, %v", got, err)
	}
	if _, err := h.consumeState(ctx, "okta", "the-state", req(binding)); !errors.Is(err, directory.ErrNotFound) {
		t.Errorf("second use: err %v, want ErrNotFound", err)
	}
}
