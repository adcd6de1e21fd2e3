package testidp_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/rosterhq/roster/internal/testidp"
)

// The jit attack tests lean on the OP refusing what a real OP refuses (a code redeemed twice, a
// wrong PKCE verifier, a wrong client secret), so that Roster's own checks are what a fault
// switched on exercises. This test holds the OP to that.
func TestOPTokenEndpoint(t *testing.T) {
	op := testidp.NewOP(t, testidp.OPConfig{})
	const redirect = "http://127.0.0.1:1/cb"
	op.Register("client", "secret", redirect)
	op.SignIn(testidp.OPPerson{Sub: "u1", IDToken: map[string]any{"email": "u1@example.com"}})

	verifier := "a-verifier-of-enough-length-0123456789abcdef"
	sum := sha256.Sum256([]byte(verifier))
	challenge := base64.RawURLEncoding.EncodeToString(sum[:])
	authorize := func(t *testing.T) string {
		t.Helper()
		q := url.Values{"client_id": {"client"}, "redirect_uri": {redirect}, "response_type": {"code"},
			"scope": {"openid email"}, "state": {"s"}, "nonce": {"n"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}}
		resp, _ := testidp.NewBrowser(t).Get(op.Issuer + "/authorize?" + q.Encode())
		loc, err := url.Parse(resp.Header.Get("Location"))
		if resp.StatusCode != http.StatusFound || err != nil || loc.Query().Get("code") == "" || loc.Query().Get("iss") != op.Issuer {
			t.Fatalf("authorize: %d Location %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		return loc.Query().Get("code")
	}
	redeem := func(t *testing.T, code, secret, verifier string) (int, map[string]any) {
		t.Helper()
		form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirect},
			"client_id": {"client"}, "client_secret": {secret}, "code_verifier": {verifier}}
		resp, err := http.PostForm(op.Issuer+"/token", form)
		if err != nil {
			t.Fatal(err)
		}
		var out map[string]any
		if err := json.Unmarshal(testidp.ReadBody(t, resp), &out); err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, out
	}

	t.Run("a code is redeemed once, with its verifier and the client's secret", func(t *testing.T) {
		code := authorize(t)
		if status, out := redeem(t, code, "wrong", verifier); status != http.StatusUnauthorized || out["error"] != "invalid_client" {
			t.Errorf("wrong secret: %d %v", status, out)
		}
		if status, out := redeem(t, code, "secret", verifier+"x"); status != http.StatusBadRequest || out["error"] != "invalid_grant" {
			t.Errorf("wrong verifier: %d %v", status, out)
		}
		status, out := redeem(t, code, "secret", verifier)
		if status != http.StatusOK {
			t.Fatalf("redeem: %d %v", status, out)
		}
		tok, err := jose.ParseSigned(out["id_token"].(string), []jose.SignatureAlgorithm{jose.RS256})
		if err != nil {
			t.Fatal(err)
		}
		first, _, _ := testidp.OPKeys()
		payload, err := tok.Verify(&first.Key.PublicKey)
		if err != nil {
			t.Fatalf("the ID token does not verify with the OP's key: %v", err)
		}
		var claims map[string]any
		_ = json.Unmarshal(payload, &claims)
		if claims["sub"] != "u1" || claims["nonce"] != "n" || claims["aud"] != "client" || claims["iss"] != op.Issuer || claims["email"] != "u1@example.com" {
			t.Errorf("claims %v", claims)
		}
		if status, out := redeem(t, code, "secret", verifier); status != http.StatusBadRequest || out["error"] != "invalid_grant" {
			t.Errorf("second redemption: %d %v", status, out)
		}

		req, _ := http.NewRequest(http.MethodGet, op.Issuer+"/userinfo", nil)
		req.Header.Set("Authorization", "Bearer "+out["access_token"].(string)+"-not")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || op.UserInfoCalls() != 0 {
			t.Errorf("userinfo with an unknown token: %d, %d calls", resp.StatusCode, op.UserInfoCalls())
		}
	})

	t.Run("ReuseCodes lets a code be redeemed again", func(t *testing.T) {
		op.SetFaults(testidp.Faults{ReuseCodes: true})
		t.Cleanup(func() { op.SetFaults(testidp.Faults{}) })
		code := authorize(t)
		for i := range 2 {
			if status, out := redeem(t, code, "secret", verifier); status != http.StatusOK {
				t.Errorf("redemption %d: %d %v", i+1, status, out)
			}
		}
	})

	t.Run("an unregistered redirect URI gets no redirect", func(t *testing.T) {
		q := url.Values{"client_id": {"client"}, "redirect_uri": {"https://evil.example/cb"}, "response_type": {"code"},
			"scope": {"openid"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}}
		resp, body := testidp.NewBrowser(t).Get(op.Issuer + "/authorize?" + q.Encode())
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "redirect_uri") {
			t.Errorf("%d %q: %s", resp.StatusCode, resp.Header.Get("Location"), body)
		}
	})
}
