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

// A login's state is used once: pendingLogin checks it without using it, and the sign-in takes
// it in its own transaction. The end-to-end tests reach both only behind the OP's own checks (a
// code bound to its client, redeemed once), so their refusals are checked here on their own,
// against a real bbolt store.
func TestOIDCStateIsUsedOnce(t *testing.T) {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "roster.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	svc := directory.New(st)
	h, err := New(svc, Config{BaseURL: "http://roster.test"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if _, err := svc.CreateIdP(ctx, "admin:test", directory.IdP{ID: "okta", Protocol: directory.ProtocolOIDC, Mode: directory.ModeJIT}); err != nil {
		t.Fatal(err)
	}
	binding := randomToken()
	rec := `{"idp":"okta","nonce":"n","verifier":"v","binding":"` + hashToken(binding) + `","returnTo":"/x"}`
	if err := svc.UseOnce(ctx, directory.PutOnce(directory.OnceOIDCState, "the-state", []byte(rec), time.Now().Add(time.Minute))); err != nil {
		t.Fatal(err)
	}
	req := func(cookie string) *http.Request {
		r := httptest.NewRequest(http.MethodGet, "/sso/okta/oidc/callback", nil)
		if cookie != "" {
			r.AddCookie(&http.Cookie{Name: oidcBindingCookie, Value: cookie})
		}
		return r
	}
	if _, err := h.pendingLogin(ctx, "other", "the-state", req(binding)); !errors.Is(err, directory.ErrNotFound) {
		t.Errorf("state of another IdP: err %v, want ErrNotFound", err)
	}
	if _, err := h.pendingLogin(ctx, "okta", "the-state", req(randomToken())); !errors.Is(err, errStateBinding) {
		t.Errorf("another browser: err %v, want errStateBinding", err)
	}
	if _, err := h.pendingLogin(ctx, "okta", "the-state", req("")); !errors.Is(err, errStateBinding) {
		t.Errorf("no binding cookie: err %v, want errStateBinding", err)
	}
	// The refusals above left the state for the browser that started the login.
	got, err := h.pendingLogin(ctx, "okta", "the-state", req(binding))
	if err != nil || got.ReturnTo != "/x" || got.Verifier != "v" || got.Nonce != "n" {
		t.Fatalf("the starting browser: %+v, %v", got, err)
	}

	// The sign-in takes the state; afterwards nothing can answer the login again, and a second
	// sign-in presenting it changes nothing and records nothing.
	take := directory.TakeOnce(directory.OnceOIDCState, "the-state")
	if _, err := svc.Login(ctx, directory.Login{IdP: "okta", UniqueUserID: "00u1"}, take); err != nil {
		t.Fatalf("the sign-in that takes the state: %v", err)
	}
	if _, err := h.pendingLogin(ctx, "okta", "the-state", req(binding)); !errors.Is(err, directory.ErrNotFound) {
		t.Errorf("after the sign-in: err %v, want ErrNotFound", err)
	}
	seq := lastSeq(t, svc)
	if _, err := svc.Login(ctx, directory.Login{IdP: "okta", UniqueUserID: "00u2"}, take); !errors.Is(err, directory.ErrUsed) {
		t.Errorf("second sign-in with the state: err %v, want ErrUsed", err)
	}
	if after := lastSeq(t, svc); after != seq {
		t.Errorf("the refused second sign-in wrote %d events", after-seq)
	}
}

func lastSeq(t *testing.T, svc *directory.Service) uint64 {
	t.Helper()
	var seq uint64
	if err := svc.View(t.Context(), func(tx directory.ReadTx) error {
		var err error
		seq, err = tx.LastSeq()
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return seq
}
