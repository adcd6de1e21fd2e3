package admin_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/rosterhq/roster/admin"
	"github.com/rosterhq/roster/directory"
)

// TestProtocolProblemsAreBounded: a protocol problem, which may tell what a remote server did,
// reaches the API answer bounded in length and still valid UTF-8, whatever its size.
func TestProtocolProblemsAreBounded(t *testing.T) {
	long := "saml: " + strings.Repeat("é", 100_000)
	e := newHandlerEnv(t, admin.Config{ValidateIdP: func(context.Context, directory.IdP) []string {
		return []string{long, "oidc: short"}
	}})
	r := e.want(e.do("POST", "/admin/api/v1/idps", oidcIdP("okta", directory.ModeJIT)), http.StatusBadRequest)
	_, problems := r.errBody(t)
	if len(problems) != 2 || problems[1] != "oidc: short" {
		t.Fatalf("problems %.200q", problems)
	}
	if p := problems[0]; len(p) > 600 || !strings.HasPrefix(p, "saml: éé") || !strings.HasSuffix(p, "…") || !utf8.ValidString(p) {
		t.Errorf("the long problem came back as %d bytes: %.80q…", len(p), p)
	}
	if len(r.body) > 2048 {
		t.Errorf("the answer is %d bytes", len(r.body))
	}
}
