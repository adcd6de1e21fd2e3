// Command loadcmp compares builds of Roster under the same HTTP load: it starts each binary
// given as label=path on a fresh bbolt file on a loopback port, seeds each alike (an IdP in
// mode scim, users, one large group and eight small ones), then runs every workload on each
// build in alternating rounds and prints each build's median throughput and its ratio to the
// first build's. It
// speaks only to the servers it starts, on 127.0.0.1.
//
//	go build -o /tmp/roster-before ./cmd/roster   # on the older commit
//	go build -o /tmp/roster-after ./cmd/roster
//	go run ./internal/loadcmp before=/tmp/roster-before after=/tmp/roster-after
//
// -only limits the run to the workloads whose name holds a string; -users, -members and
// -rounds size it. -database-url runs each build on PostgreSQL instead, in a fresh schema of
// that database of its own, which the run drops when it ends:
//
//	go run ./internal/loadcmp -database-url 'postgres://postgres@127.0.0.1:5432/test?sslmode=disable' before=… after=…
package main

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/big"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rosterhq/roster/internal/benchgoal"
)

const adminToken = "loadcmp-admin-token-0123456789" // the bootstrap token of every server it starts

type server struct {
	label, base, scimToken string
	cmd                    *exec.Cmd
	client                 *http.Client
	userIDs                []string
	groupID                string
	smallGroups            []string // teams of smallGroup members each
	seq                    atomic.Int64
}

var (
	stopping sync.Mutex
	stops    []func() // stop a started server and remove its data
)

// stopAll stops every server started so far.
func stopAll() {
	stopping.Lock()
	defer stopping.Unlock()
	for _, stop := range stops {
		stop()
	}
	stops = nil
}

// fatal stops the servers and ends the run, from any goroutine.
func fatal(v any) {
	stopAll()
	fmt.Fprintln(os.Stderr, "loadcmp:", v)
	os.Exit(1)
}

func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// freshSchema makes a schema of its own in the database at dbURL and returns the URL of that
// schema (pgx sends search_path as a run-time parameter) and a function that drops it.
func freshSchema(dbURL string) (string, func()) {
	u, err := url.Parse(dbURL)
	if err != nil || u.Scheme == "" {
		fatal(fmt.Sprintf("-database-url: give a postgres:// URL (%v)", err))
	}
	b := make([]byte, 6)
	crand.Read(b)
	name := "loadcmp_" + hex.EncodeToString(b)
	exec := func(sql string) error {
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, dbURL)
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, sql)
		return err
	}
	if err := exec("CREATE SCHEMA " + name); err != nil {
		fatal(err)
	}
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	return u.String(), func() { exec("DROP SCHEMA " + name + " CASCADE") }
}

// start starts bin on a loopback port, on a bbolt file in dir, or on a fresh schema of the
// database at dbURL when it is set.
func start(label, bin, dir, dbURL string) *server {
	port := freePort()
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	cmd := exec.Command(bin, "serve", "--addr", fmt.Sprintf("127.0.0.1:%d", port), "--data", filepath.Join(dir, "roster.db"), "--admin-token", adminToken)
	drop := func() {}
	if dbURL != "" {
		var schemaURL string
		schemaURL, drop = freshSchema(dbURL)
		cmd.Args = append(cmd.Args, "--database-url", schemaURL)
	}
	cmd.Env = append(os.Environ(), "ROSTER_LOG_LEVEL=error")
	logf, _ := os.Create(filepath.Join(dir, "server.log"))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		fatal(err)
	}
	stopping.Lock()
	stops = append(stops, func() { cmd.Process.Kill(); cmd.Wait(); os.RemoveAll(dir); drop() })
	stopping.Unlock()
	s := &server{label: label, base: base, cmd: cmd, client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, MaxConnsPerHost: 64}, Timeout: 60 * time.Second}}
	for i := 0; ; i++ {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			break
		}
		if i > 200 {
			fatal("server " + label + " did not start; its log is in " + dir)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return s
}

func (s *server) do(method, path, token, body string, want int) []byte {
	req, _ := http.NewRequest(method, s.base+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		if strings.HasPrefix(path, "/scim/") {
			req.Header.Set("Content-Type", "application/scim+json")
		} else {
			req.Header.Set("Content-Type", "application/json")
		}
	}
	resp, err := s.client.Do(req)
	if err != nil {
		fatal(fmt.Sprintf("%s %s %s: %v", s.label, method, path, err))
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want && !(want == 0 && resp.StatusCode/100 == 2) {
		fatal(fmt.Sprintf("%s %s %s: %d, want %d: %s", s.label, method, path, resp.StatusCode, want, out))
	}
	return out
}

// metadataXML is the federation metadata of an IdP that never signs anyone in: a self-signed
// certificate and an SSO URL on loopback.
func metadataXML() string {
	key, _ := rsa.GenerateKey(crand.Reader, 2048)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "loadcmp"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(365 * 24 * time.Hour)}
	der, _ := x509.CreateCertificate(crand.Reader, tmpl, tmpl, &key.PublicKey, key)
	return `<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="http://127.0.0.1:1/loadcmp"><IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><KeyDescriptor use="signing"><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data><X509Certificate>` +
		base64.StdEncoding.EncodeToString(der) + `</X509Certificate></X509Data></KeyInfo></KeyDescriptor><SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="http://127.0.0.1:1/sso"/></IDPSSODescriptor></EntityDescriptor>`
}

func userBody(i int64, prefix string) string {
	return fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"%s%d@example.com","externalId":"%s-%d","name":{"givenName":"Load","familyName":"User%d"},"emails":[{"value":"%s%d@example.com","type":"work","primary":true}],"active":true}`, prefix, i, prefix, i, i, prefix, i)
}

func (s *server) setup(users, members int) {
	md, _ := json.Marshal(metadataXML())
	s.do("POST", "/admin/api/v1/idps", adminToken, `{"id":"okta","protocol":"saml","mode":"scim","preset":"okta","saml":{"metadata_xml":`+string(md)+`}}`, 201)
	var tok struct{ Token string }
	json.Unmarshal(s.do("POST", "/admin/api/v1/idps/okta/scim-tokens", adminToken, `{}`, 201), &tok)
	s.scimToken = tok.Token
	ids := make([]string, users)
	benchgoal.OnClients(16, users, func(i int) {
		var u struct{ ID string }
		json.Unmarshal(s.do("POST", "/scim/v2/Users", s.scimToken, userBody(int64(i), "seed"), 201), &u)
		ids[i] = u.ID
	})
	s.userIDs = ids
	var ms []string
	for _, id := range ids[:members] {
		ms = append(ms, fmt.Sprintf(`{"value":%q}`, id))
	}
	var g struct{ ID string }
	json.Unmarshal(s.do("POST", "/scim/v2/Groups", s.scimToken, fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Everyone","members":[%s]}`, strings.Join(ms, ",")), 201), &g)
	s.groupID = g.ID
	for t := range teams {
		ms = ms[:0]
		for _, id := range ids[members+t*smallGroup : members+(t+1)*smallGroup] {
			ms = append(ms, fmt.Sprintf(`{"value":%q}`, id))
		}
		var g struct{ ID string }
		json.Unmarshal(s.do("POST", "/scim/v2/Groups", s.scimToken, fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Team %d","members":[%s]}`, t, strings.Join(ms, ",")), 201), &g)
		s.smallGroups = append(s.smallGroups, g.ID)
	}
}

// The small groups: teams of smallGroup users each, after the seeded group's members, whose
// members come and go as an IdP's PATCHes add and remove them one at a time.
const (
	teams      = 8
	smallGroup = 50
)

type workload struct {
	name    string
	clients int
	n       int
	op      func(s *server, i int)
}

func workloads(users, members int) []workload {
	return []workload{
		{"POST /Users, 1 client", 1, 150, func(s *server, i int) {
			s.do("POST", "/scim/v2/Users", s.scimToken, userBody(s.seq.Add(1), "one"), 201)
		}},
		{"POST /Users, 32 clients", 32, 1280, func(s *server, i int) {
			s.do("POST", "/scim/v2/Users", s.scimToken, userBody(s.seq.Add(1), "many"), 201)
		}},
		{"GET /Users?filter=userName eq, 8 clients", 8, 2000, func(s *server, i int) {
			s.do("GET", fmt.Sprintf("/scim/v2/Users?filter=userName%%20eq%%20%%22seed%d@example.com%%22", rand.IntN(users)), s.scimToken, "", 200)
		}},
		{"GET /Users/{id}, 8 clients", 8, 2000, func(s *server, i int) {
			s.do("GET", "/scim/v2/Users/"+s.userIDs[rand.IntN(users)], s.scimToken, "", 200)
		}},
		{"GET /Users page of 100 at a random startIndex, 8 clients", 8, 300, func(s *server, i int) {
			s.do("GET", fmt.Sprintf("/scim/v2/Users?startIndex=%d&count=100", 1+rand.IntN(users)), s.scimToken, "", 200)
		}},
		{"PATCH /Users/{id} title, 32 clients", 32, 1280, func(s *server, i int) {
			s.do("PATCH", "/scim/v2/Users/"+s.userIDs[rand.IntN(users)], s.scimToken, fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"title","value":"t%d"}]}`, i), 200)
		}},
		{"PATCH /Users/{id} active=false then true, 8 clients", 8, 400, func(s *server, i int) {
			v := "false"
			if i%2 == 1 {
				v = "true"
			}
			s.do("PATCH", "/scim/v2/Users/"+s.userIDs[members+i/2%(users-members)], s.scimToken, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":`+v+`}]}`, 200)
		}},
		{fmt.Sprintf("PATCH /Groups/{id} add+remove a member, group of %d, 1 client", members), 1, 100, func(s *server, i int) {
			op := "add"
			if i%2 == 1 {
				op = "remove"
			}
			id := s.userIDs[members+(i/2)%(users-members)]
			body := fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"members","value":[{"value":%q}]}]}`, id)
			if op == "remove" {
				body = fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"members[value eq \"%s\"]"}]}`, id)
			}
			s.do("PATCH", "/scim/v2/Groups/"+s.groupID, s.scimToken, body, 0)
		}},
		{fmt.Sprintf("GET /Groups/{id}, group of %d, 4 clients", members), 4, 200, func(s *server, i int) {
			s.do("GET", "/scim/v2/Groups/"+s.groupID, s.scimToken, "", 200)
		}},
		{fmt.Sprintf("PATCH /Groups/{id} add+remove a member, %d groups of %d, 8 clients", teams, smallGroup), 8, 800, func(s *server, i int) {
			// Each team gains, then loses, a user from after every team's members; team i%teams
			// is PATCHed by whichever client takes i, so two may meet on one team.
			team, rest := i%teams, users-members-teams*smallGroup
			id := s.userIDs[members+teams*smallGroup+(i/(2*teams)*teams+team)%rest]
			body := fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"members","value":[{"value":%q}]}]}`, id)
			if i/teams%2 == 1 {
				body = fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"members[value eq \"%s\"]"}]}`, id)
			}
			s.do("PATCH", "/scim/v2/Groups/"+s.smallGroups[team], s.scimToken, body, 0)
		}},
		{fmt.Sprintf("POST /Groups with %d members, 4 clients", smallGroup), 4, 200, func(s *server, i int) {
			var ms []string
			for j := range smallGroup {
				ms = append(ms, fmt.Sprintf(`{"value":%q}`, s.userIDs[(i+j*37)%users]))
			}
			s.do("POST", "/scim/v2/Groups", s.scimToken, fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Pushed %d","members":[%s]}`, s.seq.Add(1), strings.Join(ms, ",")), 201)
		}},
		{"POST then DELETE /Users/{id}, 8 clients", 8, 400, func(s *server, i int) {
			var u struct{ ID string }
			json.Unmarshal(s.do("POST", "/scim/v2/Users", s.scimToken, userBody(s.seq.Add(1), "del"), 201), &u)
			s.do("DELETE", "/scim/v2/Users/"+u.ID, s.scimToken, "", 204)
		}},
		{"admin GET /users?limit=50, 4 clients", 4, 400, func(s *server, i int) {
			s.do("GET", "/admin/api/v1/users?limit=50", adminToken, "", 200)
		}},
		{"admin GET /events?limit=100, 4 clients", 4, 400, func(s *server, i int) {
			s.do("GET", "/admin/api/v1/events?limit=100", adminToken, "", 200)
		}},
	}
}

func main() {
	users := flag.Int("users", 5000, "users seeded in each server")
	members := flag.Int("members", 2000, "members of the seeded group")
	rounds := flag.Int("rounds", 5, "rounds per workload and build")
	only := flag.String("only", "", "run only the workloads whose name holds this")
	dbURL := flag.String("database-url", "", "run each build on PostgreSQL, in a fresh schema of this database")
	flag.Parse()
	if flag.NArg() == 0 {
		fatal("name the builds to compare as label=path-to-roster, the baseline first")
	}
	defer stopAll()
	var servers []*server
	for _, arg := range flag.Args() {
		label, bin, ok := strings.Cut(arg, "=")
		if !ok || label == "" || bin == "" {
			fatal(fmt.Sprintf("%q: name a build as label=path-to-roster", arg))
		}
		dir, _ := os.MkdirTemp("", "loadcmp-"+label)
		s := start(label, bin, dir, *dbURL)
		s.setup(*users, *members)
		servers = append(servers, s)
	}
	var out bytes.Buffer
	fmt.Fprintf(&out, "| workload | %s |\n|---|%s\n", strings.Join(labelsOf(servers), " | "), strings.Repeat("---:|", len(servers)))
	for _, w := range workloads(*users, *members) {
		if !strings.Contains(w.name, *only) {
			continue
		}
		rates := make([][]float64, len(servers))
		for r := range *rounds {
			order := make([]int, len(servers))
			for i := range order {
				order[i] = (i + r) % len(servers)
			}
			for _, i := range order {
				s := servers[i]
				rates[i] = append(rates[i], 1/benchgoal.OnClients(w.clients, w.n, func(k int) { w.op(s, k) }))
			}
		}
		cells := []string{}
		base := benchgoal.Median(rates[0])
		for i := range servers {
			m := benchgoal.Median(rates[i])
			if i == 0 {
				cells = append(cells, fmt.Sprintf("%.0f/s", m))
			} else {
				cells = append(cells, fmt.Sprintf("%.0f/s (%.2f×)", m, m/base))
			}
		}
		line := fmt.Sprintf("| %s | %s |\n", w.name, strings.Join(cells, " | "))
		fmt.Print(line)
		out.WriteString(line)
	}
	// The memory each server held at its peak, from the kernel: what a build trades for speed.
	cells := []string{}
	for _, s := range servers {
		cells = append(cells, peakRSS(s.cmd.Process.Pid))
	}
	line := fmt.Sprintf("| peak resident memory of the server | %s |\n", strings.Join(cells, " | "))
	fmt.Print(line)
	out.WriteString(line)
	fmt.Println()
	fmt.Print(out.String())
}

// peakRSS reads a process's peak resident set size (VmHWM) from /proc, in MiB.
func peakRSS(pid int) string {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return "?"
	}
	for _, l := range strings.Split(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			var kb int
			if _, err := fmt.Sscan(rest, &kb); err == nil {
				return fmt.Sprintf("%.0f MiB", float64(kb)/1024)
			}
		}
	}
	return "?"
}

func labelsOf(ss []*server) []string {
	var out []string
	for _, s := range ss {
		out = append(out, s.label)
	}
	return out
}
