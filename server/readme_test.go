package server_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/testidp"
	"github.com/rosterhq/roster/internal/testserver"
)

// readmeCurls are the curl commands of the README's code blocks, continuation lines joined.
func readmeCurls(t *testing.T) []string {
	t.Helper()
	raw, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var cmds []string
	cur := ""
	for _, line := range strings.Split(string(raw), "\n") {
		code, ok := strings.CutPrefix(line, "    ")
		if !ok {
			cur = ""
			continue
		}
		code = strings.TrimSpace(code)
		if cur == "" && !strings.HasPrefix(code, "curl ") {
			continue
		}
		if more, cont := strings.CutSuffix(code, `\`); cont {
			cur += more
			continue
		}
		cmds = append(cmds, cur+code)
		cur = ""
	}
	return cmds
}

// TestREADMECurlExamplesWorkAsPasted runs every curl command of the README with bash and curl,
// as a reader pastes them after setting the variables the README names ($ROSTER,
// $ROSTER_TOKEN, $METADATA_URL, and $ACME_TOKEN from the answer that creates it): each must
// succeed with a 2xx answer.
func TestREADMECurlExamplesWorkAsPasted(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed; the README's examples use it")
	}
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash is not installed; the README's examples are for a shell")
	}
	cmds := readmeCurls(t)
	if len(cmds) < 6 {
		t.Fatalf("found only %d curl examples in the README: %q", len(cmds), cmds)
	}
	srv := testserver.Start(t, testserver.Config{})
	idp := testidp.NewSAML(t)
	env := append(os.Environ(), "ROSTER="+srv.URL, "ROSTER_TOKEN="+srv.AdminToken, "METADATA_URL="+idp.MetadataURL())
	dir := t.TempDir()
	for _, c := range cmds {
		t.Run(c, func(t *testing.T) {
			// The status goes to stdout after the answer, whatever the command does with it.
			cmd := exec.CommandContext(t.Context(), bash, "-c", c+` -w '\n%{http_code}'`)
			cmd.Env, cmd.Dir = env, dir
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("%v\n%s", err, stderr.String())
			}
			out := strings.TrimSpace(stdout.String())
			body, status := "", out
			if i := strings.LastIndex(out, "\n"); i >= 0 {
				body, status = out[:i], out[i+1:]
			}
			if !strings.HasPrefix(status, "2") {
				t.Fatalf("HTTP %s: %s", status, body)
			}
			if strings.Contains(c, "/admin-tokens") {
				var created struct{ Token string }
				if err := json.Unmarshal([]byte(body), &created); err != nil || created.Token == "" {
					t.Fatalf("no token in %s", body)
				}
				env = append(env, "ACME_TOKEN="+created.Token)
			}
		})
	}
	if r := srv.Admin(http.MethodGet, "/admin/api/v1/idps/okta", nil); r.Status != http.StatusOK {
		t.Errorf("the README's IdP was not created: %d %s", r.Status, r.Body)
	}
}
