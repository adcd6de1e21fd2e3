package admin_test

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rosterhq/roster/directory"
)

type userPage struct {
	Items []struct {
		ID       string `json:"id"`
		UserName string `json:"userName"`
		Active   bool   `json:"active"`
		Owner    string `json:"owner"`
		IdP      string `json:"idp"`
	} `json:"items"`
	NextCursor string `json:"next_cursor"`
	Total      *int   `json:"total"`
}

func (p userPage) names() []string {
	var out []string
	for _, u := range p.Items {
		out = append(out, u.UserName)
	}
	return out
}

// TestUserListFiltersSortsAndCounts: status, owner and IdP filters, every sort in both
// directions paged through its cursor, and the total.
func TestUserListFiltersSortsAndCounts(t *testing.T) {
	e := newEnv(t)
	e.createIdP("okta", directory.ModeBoth)
	e.createIdP("hr", directory.ModeSCIM)
	names := []string{"dora@x.example", "ada@x.example", "carl@x.example", "bea@x.example", "eve@x.example"}
	ids := map[string]string{}
	for i, n := range names {
		idp := "okta"
		if i%2 == 1 {
			idp = "hr"
		}
		ids[n] = e.scimCreate(idp, "k"+n, n).ID
	}
	// A JIT user, and two inactive users.
	jit, err := e.svc.Login(t.Context(), directory.Login{IdP: "okta", UniqueUserID: "00j", Email: "fay@x.example"})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"carl@x.example", "bea@x.example"} {
		if _, err := e.svc.DeactivateUser(t.Context(), "admin:test", ids[n]); err != nil {
			t.Fatal(err)
		}
	}
	get := func(query string) userPage {
		t.Helper()
		var p userPage
		e.want(e.do("GET", "/admin/api/v1/users?"+query, nil), 200).json(t, &p)
		return p
	}
	all := func(query string) []string {
		t.Helper()
		var out []string
		cursor := ""
		for pages := 0; ; pages++ {
			p := get(query + "&limit=2&cursor=" + url.QueryEscape(cursor))
			out = append(out, p.names()...)
			if p.NextCursor == "" {
				return out
			}
			if pages > 10 {
				t.Fatal("the cursor does not end")
			}
			cursor = p.NextCursor
		}
	}
	cases := []struct {
		query string
		want  []string
	}{
		{"sort=userName", []string{"ada@x.example", "bea@x.example", "carl@x.example", "dora@x.example", "eve@x.example", "fay@x.example"}},
		{"sort=-userName", []string{"fay@x.example", "eve@x.example", "dora@x.example", "carl@x.example", "bea@x.example", "ada@x.example"}},
		{"sort=userName&status=inactive", []string{"bea@x.example", "carl@x.example"}},
		{"sort=userName&status=active&idp=okta", []string{"dora@x.example", "eve@x.example", "fay@x.example"}},
		{"sort=userName&owner=jit", []string{"fay@x.example"}},
		{"sort=-lastLoginAt&owner=jit", []string{"fay@x.example"}},
		{"sort=created", names[:len(names):len(names)]},
		{"sort=-created&idp=hr", []string{"bea@x.example", "ada@x.example"}},
		{"sort=userName&filter=" + url.QueryEscape(`userName sw "d"`), []string{"dora@x.example"}},
	}
	cases[6].want = append(cases[6].want, "fay@x.example")
	for _, c := range cases {
		t.Run(c.query, func(t *testing.T) {
			if got := all(c.query); !slices.Equal(got, c.want) {
				t.Errorf("got %v, want %v", got, c.want)
			}
			if p := get(c.query + "&limit=1"); p.Total == nil || *p.Total != len(c.want) {
				t.Errorf("total %v, want %d", p.Total, len(c.want))
			}
		})
	}
	// In id order the total is counted on request, and the page still stops at its limit.
	p := get("status=active&total=true&limit=2")
	if p.Total == nil || *p.Total != 4 || len(p.Items) != 2 || p.NextCursor == "" {
		t.Errorf("status=active&total=true: total %v, %d items, cursor %q", p.Total, len(p.Items), p.NextCursor)
	}
	p2 := get("status=active&total=true&limit=2&cursor=" + p.NextCursor)
	if p2.Total == nil || *p2.Total != 4 || len(p2.Items) != 2 || p2.NextCursor != "" || slices.Contains(p.names(), p2.Items[0].UserName) {
		t.Errorf("second page %+v", p2)
	}
	if p := get("owner=jit"); len(p.Items) != 1 || p.Items[0].ID != jit.ID || p.Total != nil {
		t.Errorf("owner=jit: %+v", p)
	}
	for _, bad := range []string{"status=gone", "owner=nobody", "sort=password", "total=maybe", "sort=userName&cursor=nonsense!"} {
		r := e.want(e.do("GET", "/admin/api/v1/users?"+bad, nil), 400)
		if msg, problems := r.errBody(t); !strings.Contains(msg+strings.Join(problems, " "), strings.SplitN(bad, "=", 2)[0]) {
			t.Errorf("%s: %q %v does not name the parameter", bad, msg, problems)
		}
	}
}

// TestReactivateDeleteAndSessions: the user operations of the console, over the API.
func TestReactivateDeleteAndSessions(t *testing.T) {
	e := newEnv(t)
	e.createIdP("okta", directory.ModeBoth)
	ctx := t.Context()
	jit, err := e.svc.Login(ctx, directory.Login{IdP: "okta", UniqueUserID: "00j", Email: "fay@x.example"})
	if err != nil {
		t.Fatal(err)
	}
	scim := e.scimCreate("okta", "00s", "sam@x.example")
	for _, id := range []string{jit.ID, scim.ID} {
		e.want(e.do("POST", "/admin/api/v1/users/"+id+"/deactivate", nil), 200)
	}

	// Reactivate: a JIT user comes back; one SCIM provisions is the connector's.
	var u struct{ Active bool }
	e.want(e.do("POST", "/admin/api/v1/users/"+jit.ID+"/reactivate", nil), 200).json(t, &u)
	if !u.Active {
		t.Error("reactivated user is not active")
	}
	msg, _ := e.want(e.do("POST", "/admin/api/v1/users/"+scim.ID+"/reactivate", nil), 409).errBody(t)
	if !strings.Contains(msg, "R6") || !strings.Contains(msg, "reactivate it in the IdP") {
		t.Errorf("409 %q", msg)
	}
	e.want(e.do("POST", "/admin/api/v1/users/nobody/reactivate", nil), 404)

	// Sessions: two live, listed newest first without their secrets; sign out everywhere ends
	// both.
	s1, err := e.svc.CreateSession(ctx, jit.ID, "okta", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Millisecond)
	s2, err := e.svc.CreateSession(ctx, jit.ID, "okta", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	r := e.want(e.do("GET", "/admin/api/v1/users/"+jit.ID+"/sessions", nil), 200)
	var sessions struct {
		Items []struct {
			ID      string    `json:"id"`
			IdP     string    `json:"idp"`
			Created time.Time `json:"created"`
		} `json:"items"`
	}
	r.json(t, &sessions)
	if len(sessions.Items) != 2 || sessions.Items[0].IdP != "okta" || !sessions.Items[0].Created.After(sessions.Items[1].Created) {
		t.Fatalf("sessions %s", r.body)
	}
	if bytes.Contains(r.body, []byte(s1)) || bytes.Contains(r.body, []byte(s2)) || bytes.Contains(r.body, []byte("rst_sess_")) {
		t.Errorf("the session list shows a secret: %s", r.body)
	}
	var revoked struct {
		Ended int `json:"sessions_ended"`
	}
	e.want(e.do("POST", "/admin/api/v1/users/"+jit.ID+"/sessions/revoke", nil), 200).json(t, &revoked)
	if revoked.Ended != 2 {
		t.Errorf("sessions_ended %d", revoked.Ended)
	}
	for _, s := range []string{s1, s2} {
		if _, err := e.svc.SessionUser(ctx, s); err == nil {
			t.Error("a session survived sign out everywhere")
		}
	}
	if u, err := e.svc.User(ctx, jit.ID); err != nil || !u.Active {
		t.Errorf("sign out everywhere deactivated the user: %v", err)
	}

	// Delete: the dry run explains and changes nothing; the deletion tombstones and says so.
	seq := e.lastSeq()
	var plan struct {
		Deleted     bool   `json:"deleted"`
		Explanation string `json:"explanation"`
		Rule        string `json:"rule"`
		Tombstone   *struct {
			IdP          string `json:"idp"`
			UniqueUserID string `json:"uniqueUserId"`
		} `json:"tombstone"`
		User struct{ ID string } `json:"user"`
	}
	e.want(e.do("DELETE", "/admin/api/v1/users/"+scim.ID+"?dry_run=true", nil), 200).json(t, &plan)
	if plan.Deleted || plan.Tombstone == nil || plan.Tombstone.UniqueUserID != "00s" || plan.Rule != "R6" ||
		!strings.Contains(plan.Explanation, "refused until SCIM creates the user again") || plan.User.ID != scim.ID {
		t.Errorf("dry run %+v", plan)
	}
	if e.lastSeq() != seq {
		t.Error("the dry run wrote an event")
	}
	e.want(e.do("GET", "/admin/api/v1/users/"+scim.ID, nil), 200)
	e.want(e.do("DELETE", "/admin/api/v1/users/"+scim.ID, nil), 200).json(t, &plan)
	if !plan.Deleted || plan.Tombstone == nil {
		t.Errorf("deletion %+v", plan)
	}
	e.want(e.do("GET", "/admin/api/v1/users/"+scim.ID, nil), 404)
	e.want(e.do("DELETE", "/admin/api/v1/users/"+scim.ID, nil), 404)
	var rec struct {
		Tombstones []struct{ UniqueUserID string } `json:"tombstones"`
	}
	e.want(e.do("GET", "/admin/api/v1/idps/okta/reconciliation", nil), 200).json(t, &rec)
	if len(rec.Tombstones) != 1 || rec.Tombstones[0].UniqueUserID != "00s" {
		t.Errorf("tombstones %+v", rec.Tombstones)
	}
	e.want(e.do("DELETE", "/admin/api/v1/users/"+jit.ID+"?dry_run=perhaps", nil), 400)
}

// TestGroupWithMembers: GET /groups/{id} names its members.
func TestGroupWithMembers(t *testing.T) {
	e := newEnv(t)
	e.createIdP("okta", directory.ModeBoth)
	ada, bob := e.scimCreate("okta", "a", "ada@x.example"), e.scimCreate("okta", "b", "bob@x.example")
	g, err := e.svc.SCIMCreateGroup(t.Context(), directory.SCIMActor{IdP: "okta", TokenID: "t"},
		directory.Group{DisplayName: "Engineering", Members: []string{bob.ID, ada.ID}})
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		ID          string   `json:"id"`
		DisplayName string   `json:"displayName"`
		Members     []string `json:"members"`
		MemberUsers []struct {
			ID       string `json:"id"`
			UserName string `json:"userName"`
			Active   bool   `json:"active"`
		} `json:"member_users"`
	}
	e.want(e.do("GET", "/admin/api/v1/groups/"+g.ID, nil), 200).json(t, &out)
	if out.DisplayName != "Engineering" || len(out.MemberUsers) != 2 || out.MemberUsers[0].UserName != "bob@x.example" ||
		out.MemberUsers[1].ID != ada.ID || !out.MemberUsers[1].Active {
		t.Errorf("group %+v", out)
	}
	e.want(e.do("GET", "/admin/api/v1/groups/nope", nil), 404)
}

// TestModePreviewAPI: the preview lists who is adopted later, who could no longer sign in and
// who keeps working, and writes nothing.
func TestModePreviewAPI(t *testing.T) {
	e := newEnv(t)
	e.createIdP("okta", directory.ModeJIT)
	ctx := t.Context()
	a, err := e.svc.Login(ctx, directory.Login{IdP: "okta", UniqueUserID: "00a", Email: "ada@x.example"})
	if err != nil {
		t.Fatal(err)
	}
	gone, err := e.svc.Login(ctx, directory.Login{IdP: "okta", UniqueUserID: "00g", Email: "gone@x.example"})
	if err != nil {
		t.Fatal(err)
	}
	e.want(e.do("DELETE", "/admin/api/v1/users/"+gone.ID, nil), 200)
	seq := e.lastSeq()
	type group struct {
		Count int `json:"count"`
		Items []struct {
			User *struct {
				ID string `json:"id"`
			} `json:"user"`
			Tombstone *struct {
				UniqueUserID string `json:"uniqueUserId"`
			} `json:"tombstone"`
			Outcome string `json:"outcome"`
			Rule    string `json:"rule"`
			Reason  string `json:"reason"`
		} `json:"items"`
	}
	var p struct {
		From, To        string
		Change          struct{ Outcome, Rule, Reason string }
		Newcomer        struct{ Outcome, Rule, Reason string }
		AdoptedLater    group    `json:"adopted_later"`
		NoLongerSignsIn group    `json:"no_longer_signs_in"`
		KeepsWorking    group    `json:"keeps_working"`
		Summary         []string `json:"summary"`
	}
	e.want(e.do("GET", "/admin/api/v1/idps/okta/mode-preview?mode=scim", nil), 200).json(t, &p)
	if p.From != "jit" || p.To != "scim" || p.Change.Rule != "R11" || p.Newcomer.Outcome != "no_longer_signs_in" || p.Newcomer.Rule != "R3" {
		t.Errorf("preview %+v", p)
	}
	if p.AdoptedLater.Count != 1 || p.AdoptedLater.Items[0].User == nil || p.AdoptedLater.Items[0].User.ID != a.ID || p.AdoptedLater.Items[0].Rule != "R5" {
		t.Errorf("adopted later %+v", p.AdoptedLater)
	}
	if p.NoLongerSignsIn.Count != 1 || p.NoLongerSignsIn.Items[0].Tombstone == nil || p.NoLongerSignsIn.Items[0].Tombstone.UniqueUserID != "00g" {
		t.Errorf("no longer signs in %+v", p.NoLongerSignsIn)
	}
	if p.KeepsWorking.Count != 0 || len(p.Summary) == 0 {
		t.Errorf("keeps working %+v, summary %v", p.KeepsWorking, p.Summary)
	}
	if e.lastSeq() != seq {
		t.Error("the preview wrote an event")
	}
	if ps := e.idps(); ps[0].Mode != directory.ModeJIT {
		t.Errorf("the preview changed the mode to %s", ps[0].Mode)
	}
	e.want(e.do("GET", "/admin/api/v1/idps/okta/mode-preview", nil), 400)
	e.want(e.do("GET", "/admin/api/v1/idps/okta/mode-preview?mode=sometimes", nil), 400)
	e.want(e.do("GET", "/admin/api/v1/idps/nope/mode-preview?mode=scim", nil), 404)
}

// TestStatsAPI: the dashboard's figures come from the events real operations write, limited
// to the caller's organization; webhook lag only for a credential of every organization.
func TestStatsAPI(t *testing.T) {
	e := newOrgsEnv(t)
	ctx := t.Context()
	for _, org := range []string{"a", "b"} {
		if _, err := e.svc.Login(ctx, directory.Login{IdP: "idp-" + org, UniqueUserID: "00j-" + org, Email: "j@" + org + ".example"}); err != nil {
			t.Fatal(err)
		}
	}
	// A refusal in a (R4 deactivated), a SCIM create in b.
	if _, err := e.svc.DeactivateUser(ctx, "admin:test", e.users["a"]); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Login(ctx, directory.Login{IdP: "idp-a", UniqueUserID: "00u-a"}); err == nil {
		t.Fatal("a deactivated user signed in")
	}
	e.freshUser("b")
	e.want(e.do("POST", "/admin/api/v1/webhooks", map[string]any{"url": e.hook}), 201)

	type stats struct {
		Buckets  []time.Time
		SignIns  []struct{ IdP string } `json:"sign_ins"`
		Refusals []struct {
			IdP   string
			Rule  string
			Total int
		}
		SCIMOperations []struct {
			IdP   string
			Total int
		} `json:"scim_operations"`
		Users struct {
			Total int
			ByIdP map[string]int `json:"by_idp"`
		}
		Webhooks []struct{ ID string }
		Bucket   string
	}
	var all stats
	e.want(e.doWith("GET", "/admin/api/v1/stats?from=1h&bucket=5m", nil, e.tokens["owner"]), 200).json(t, &all)
	if all.Bucket != "5m" || len(all.Buckets) < 12 || len(all.Buckets) > 13 {
		t.Errorf("buckets %s %d", all.Bucket, len(all.Buckets))
	}
	if len(all.Webhooks) != 1 || all.Users.Total != 5 {
		t.Errorf("owner: webhooks %+v, users %+v", all.Webhooks, all.Users)
	}
	var onlyA stats
	e.want(e.doWith("GET", "/admin/api/v1/stats", nil, e.tokens["admin-a"]), 200).json(t, &onlyA)
	if len(onlyA.Webhooks) != 0 {
		t.Errorf("an org-admin sees webhooks: %+v", onlyA.Webhooks)
	}
	if onlyA.Users.Total != 2 || onlyA.Users.ByIdP["idp-a"] != 2 || onlyA.Users.ByIdP["idp-b"] != 0 {
		t.Errorf("users of a: %+v", onlyA.Users)
	}
	// Only events that name organization a count for it; their IdP says whose they are.
	for _, s := range onlyA.Refusals {
		if s.IdP != "idp-a" {
			t.Errorf("a refusal of %s in a's figures", s.IdP)
		}
	}
	for _, s := range onlyA.SCIMOperations {
		if s.IdP != "idp-a" {
			t.Errorf("a SCIM write of %s in a's figures", s.IdP)
		}
	}
	var asViewer stats
	e.want(e.doWith("GET", "/admin/api/v1/stats?org=b", nil, e.tokens["viewer"]), 200).json(t, &asViewer)
	if asViewer.Users.Total != 3 || len(asViewer.Webhooks) != 0 {
		t.Errorf("viewer, org b: %+v", asViewer)
	}
	for _, bad := range []string{"bucket=2h", "from=yesterday", "from=2h&to=3h", "from=2000-01-01&bucket=1m"} {
		e.want(e.doWith("GET", "/admin/api/v1/stats?"+bad, nil, e.tokens["owner"]), 400)
	}
}

type eventItem struct {
	Seq         uint64 `json:"seq"`
	ID          string `json:"id"`
	Type        string `json:"type"`
	Actor       string `json:"actor"`
	ActorName   string `json:"actor_name"`
	Subject     string `json:"subject"`
	SubjectType string `json:"subject_type"`
	IdP         string `json:"idp"`
	Rule        string `json:"rule"`
	Reason      string `json:"reason"`
}

// TestEventsSearchAndExport: the events API's filters, newest-first paging, search by
// reference, actor names, and the CSV and JSON Lines exports of the filtered list.
func TestEventsSearchAndExport(t *testing.T) {
	e := newEnv(t)
	e.createIdP("okta", directory.ModeSCIM)
	ctx := t.Context()
	var tok struct{ ID, Token string }
	e.want(e.do("POST", "/admin/api/v1/idps/okta/scim-tokens", map[string]any{"name": "Okta connector"}), 201).json(t, &tok)
	a := directory.SCIMActor{IdP: "okta", TokenID: tok.ID}
	for _, n := range []string{"ada", "bob", "=cmd|calc"} {
		if _, err := e.svc.SCIMCreateUser(ctx, a, directory.User{UserName: n + "@x.example", ExternalID: "k-" + n, Active: true}); err != nil {
			t.Fatal(err)
		}
	}
	var refs []string
	for _, k := range []string{"00x", "00y"} {
		_, err := e.svc.Login(ctx, directory.Login{IdP: "okta", UniqueUserID: k})
		r, ok := directory.AsRefusal(err)
		if !ok {
			t.Fatalf("login in mode scim: %v", err)
		}
		refs = append(refs, r.EventID)
	}
	type eventsPage struct {
		Items      []eventItem
		NextBefore uint64 `json:"next_before"`
		Done       bool   `json:"done"`
	}
	page := func(query string) ([]eventItem, eventsPage) {
		t.Helper()
		var p eventsPage
		e.want(e.do("GET", "/admin/api/v1/events?"+query, nil), 200).json(t, &p)
		return p.Items, p
	}
	// The reference a refused person reads out finds its event.
	found, _ := page("id=" + refs[0])
	if len(found) != 1 || found[0].ID != refs[0] || found[0].Type != "login.refused" || found[0].Rule != "R3" || found[0].ActorName != "sign-in through Test okta" {
		t.Errorf("search by reference: %+v", found)
	}
	if none, raw := page("id=no-such-event"); len(none) != 0 || !raw.Done {
		t.Errorf("an unknown reference: %+v %v", none, raw)
	}
	// Filters.
	if got, _ := page("type=user.created&actor=" + url.QueryEscape("Okta connector (SCIM, okta)")); len(got) != 3 || got[0].Actor != "scim:"+tok.ID || got[0].SubjectType != "user" {
		t.Errorf("by actor name: %+v", got)
	}
	if got, _ := page("actor=scim:&type=user.*"); len(got) != 3 {
		t.Errorf("by actor kind: %+v", got)
	}
	if got, _ := page("rule=R3&idp=okta"); len(got) != 2 || got[0].ID != refs[0] {
		t.Errorf("by rule: %+v", got)
	}
	// The bootstrap admin token's creation and the SCIM token's, and the two refusals.
	if got, _ := page("type=login.refused,token.created"); len(got) != 4 || got[0].Type != "token.created" || got[3].ID != refs[1] {
		t.Errorf("two types: %+v", got)
	}
	now := time.Now().UTC()
	if got, _ := page("from=" + url.QueryEscape(now.Add(-time.Hour).Format(time.RFC3339)) + "&to=" + url.QueryEscape(now.Add(time.Hour).Format(time.RFC3339))); len(got) < 6 {
		t.Errorf("a time range around now: %d events", len(got))
	}
	if got, _ := page("to=1h"); len(got) != 0 {
		t.Errorf("to an hour ago: %+v", got)
	}
	// Newest first, paged by next_before.
	var seqs []uint64
	query := "order=desc&limit=2"
	for range 10 {
		items, p := page(query)
		for _, it := range items {
			seqs = append(seqs, it.Seq)
		}
		if p.NextBefore == 0 {
			break
		}
		query = "order=desc&limit=2&before=" + strconv.FormatUint(p.NextBefore, 10)
	}
	if len(seqs) != int(e.lastSeq()) || !slices.IsSortedFunc(seqs, func(a, b uint64) int { return int(b) - int(a) }) {
		t.Errorf("newest first: %v, the log has %d", seqs, e.lastSeq())
	}

	// CSV export of a filtered list: a header, one row per match, formulas defused.
	r := e.want(e.do("GET", "/admin/api/v1/events?format=csv&type=user.created", nil), 200)
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") || !strings.Contains(r.header.Get("Content-Disposition"), "roster-events.csv") {
		t.Errorf("headers %v", r.header)
	}
	rows, err := csv.NewReader(bytes.NewReader(r.body)).ReadAll()
	if err != nil {
		t.Fatalf("the export is not CSV: %v\n%s", err, r.body)
	}
	if len(rows) != 4 || rows[0][0] != "seq" || rows[0][5] != "actor_name" || rows[1][5] != "Okta connector (SCIM, okta)" {
		t.Errorf("csv rows %v", rows)
	}
	for _, row := range rows[1:] {
		for _, cell := range row {
			if cell != "" && strings.ContainsRune("=+-@", rune(cell[0])) {
				t.Errorf("a cell a spreadsheet reads as a formula: %q", cell)
			}
		}
	}
	// JSON Lines: one event per line, the same selection.
	r = e.want(e.do("GET", "/admin/api/v1/events?format=jsonl&rule=R3", nil), 200)
	sc := bufio.NewScanner(bytes.NewReader(r.body))
	var lines []eventItem
	for sc.Scan() {
		var it eventItem
		if err := json.Unmarshal(sc.Bytes(), &it); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		lines = append(lines, it)
	}
	if len(lines) != 2 || lines[0].ID != refs[0] || lines[1].ID != refs[1] {
		t.Errorf("jsonl %+v", lines)
	}
	for _, bad := range []string{"format=xml", "order=sideways", "before=3", "order=desc&after=3", "from=soon", "last=5&after=1"} {
		e.want(e.do("GET", "/admin/api/v1/events?"+bad, nil), 400)
	}
}

// TestUserListInUserNameOrderAgreesWithSorting: a list in userName order that selects by
// organization and IdP only is paged from the store's order of folded userNames rather than
// by reading and sorting every user. Its pages, cursors and totals are those of the same list
// through the general way (forced by a filter every user matches), in both directions, with
// and without an IdP, for one organization and for every organization while there is one
// and then two, and across changes made between two pages.
func TestUserListInUserNameOrderAgreesWithSorting(t *testing.T) {
	e := newEnv(t)
	e.createIdP("okta", directory.ModeBoth)
	e.createIdP("hr", directory.ModeSCIM)
	bases := []string{"ann", "Ann.b", "ANNA", "bob", "Émile", "zed", "a_b", "a-b", "ab", "Ω", "dž", "ﬁnn"}
	var ids []string
	for i := range 96 {
		idp := []string{"okta", "hr"}[i%3%2]
		ids = append(ids, e.scimCreate(idp, fmt.Sprint("k", i), fmt.Sprintf("%s%d@x.example", bases[i%len(bases)], i/len(bases))).ID)
	}
	get := func(query string) userPage {
		t.Helper()
		var p userPage
		e.want(e.do("GET", "/admin/api/v1/users?"+query, nil), 200).json(t, &p)
		return p
	}
	general := "&filter=" + url.QueryEscape("userName pr")
	// pages reads a list page by page, the general way beside; between, called after the
	// first page, changes the directory.
	pages := func(query string, between func()) {
		t.Helper()
		var cursor, generalCursor string
		for n := 0; ; n++ {
			p := get(query + "&limit=7&total=true&cursor=" + url.QueryEscape(cursor))
			want := get(query + general + "&limit=7&total=true&cursor=" + url.QueryEscape(generalCursor))
			if diff := cmp.Diff(want, p); diff != "" {
				t.Fatalf("%s, page %d: (-general +by userName):\n%s", query, n+1, diff)
			}
			if p.NextCursor == "" {
				return
			}
			if n == 0 && between != nil {
				between()
			}
			cursor, generalCursor = p.NextCursor, want.NextCursor
		}
	}
	queries := []string{"sort=userName", "sort=-userName", "sort=userName&idp=okta", "sort=-userName&idp=hr", "sort=userName&org=default"}
	for _, q := range queries {
		pages(q, nil)
	}
	// Every fourth user inactive: lists narrowed to a status or an owner, alone or with an IdP,
	// in either order and in id order, are counted from the store's counts.
	for i := 0; i < len(ids); i += 4 {
		if _, err := e.svc.SCIMUpdateUser(t.Context(), directory.SCIMActor{IdP: []string{"okta", "hr"}[i%3%2], TokenID: "test"}, ids[i], 0,
			func(u directory.User) (directory.User, error) { u.Active = false; return u, nil }); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range []string{"sort=userName&status=inactive", "sort=-userName&status=active", "sort=userName&owner=scim&status=inactive",
		"sort=userName&idp=okta&status=inactive", "sort=-userName&idp=hr&owner=scim", "sort=userName&owner=jit", "status=inactive", "owner=scim&idp=hr"} {
		pages(q, nil)
	}
	// A cursor that is not one is refused, whether or not any user matches.
	for _, q := range []string{"sort=userName&owner=jit", "sort=userName&status=inactive", "sort=-userName"} {
		e.want(e.do("GET", "/admin/api/v1/users?"+q+"&cursor=not-a-cursor", nil), 400)
	}
	if p := get("sort=userName&status=inactive&limit=100"); p.Total == nil || *p.Total != 24 || len(p.Items) != 24 {
		t.Fatalf("inactive users in userName order: total %v, %d items; want 24", p.Total, len(p.Items))
	}
	if p := get("sort=userName&limit=1"); p.Total == nil || *p.Total != 96 || len(p.Items) != 1 || p.Items[0].UserName != "a-b0@x.example" {
		t.Fatalf("first user in userName order: %+v, want a-b0@x.example of 96", p)
	}
	// An IdP whose users' names all sort together, past most others': a walk from the start
	// meets more of the others than it may and gives way to the general way; from the end it
	// finds them at once.
	e.createIdP("late", directory.ModeSCIM)
	for i := range 60 {
		e.scimCreate("late", fmt.Sprint("late", i), fmt.Sprintf("zz-late%02d@x.example", i))
	}
	for _, q := range []string{"sort=userName&idp=late", "sort=-userName&idp=late"} {
		pages(q, nil)
	}
	if p := get("sort=userName&idp=late&limit=3"); len(p.Items) != 3 || p.Items[0].UserName != "zz-late00@x.example" || p.Total == nil || *p.Total != 60 {
		t.Fatalf("the late IdP's users in userName order: %+v", p)
	}
	// Between the first page and the second, the first page's last user is renamed, another
	// user takes its name — one whose id sorts before the last user's, or after it, so that the
	// cursor's id decides whether the new holder comes next — and the user after it is deleted;
	// in both directions.
	rename := func(id, idp, name string) {
		t.Helper()
		if _, err := e.svc.SCIMUpdateUser(t.Context(), directory.SCIMActor{IdP: idp, TokenID: "test"}, id, 0,
			func(u directory.User) (directory.User, error) { u.UserName = name; return u, nil }); err != nil {
			t.Fatal(err)
		}
	}
	for n, c := range []struct {
		query   string
		smaller bool
	}{{"sort=userName", true}, {"sort=userName", false}, {"sort=-userName", true}, {"sort=-userName", false}} {
		all := get(c.query + general + "&limit=500")
		last, next := all.Items[6], all.Items[7]
		var taker *struct {
			ID       string `json:"id"`
			UserName string `json:"userName"`
			Active   bool   `json:"active"`
			Owner    string `json:"owner"`
			IdP      string `json:"idp"`
		}
		for i := 8; i < len(all.Items) && taker == nil; i++ {
			if (all.Items[i].ID < last.ID) == c.smaller {
				taker = &all.Items[i]
			}
		}
		if taker == nil {
			t.Fatalf("%s: no user to take %s's name with an id %s than %s", c.query, last.UserName, map[bool]string{true: "lower", false: "higher"}[c.smaller], last.ID)
		}
		pages(c.query, func() {
			rename(last.ID, last.IdP, fmt.Sprintf("moved%d@x.example", n))
			rename(taker.ID, taker.IdP, last.UserName)
			if _, err := e.svc.DeleteUser(t.Context(), "admin:test", next.ID, false); err != nil {
				t.Fatal(err)
			}
		})
	}
	// A second organization: every organization's users are one list no longer, and each
	// organization's still is.
	e.createOrg("acme")
	e.createIdPIn("acme", "acme-okta", directory.ModeSCIM)
	for i := range 9 {
		if _, err := e.svc.SCIMCreateUser(t.Context(), directory.SCIMActor{IdP: "acme-okta", Org: "acme", TokenID: "test"},
			directory.User{UserName: fmt.Sprintf("b%d@acme.example", i), ExternalID: fmt.Sprint("a", i), Active: true}); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range append(queries, "sort=-userName&org=acme", "sort=userName&org=acme&idp=acme-okta") {
		pages(q, nil)
	}
	if p := get("sort=userName&org=acme&limit=100"); p.Total == nil || *p.Total != 9 || len(p.Items) != 9 {
		t.Fatalf("acme's users in userName order: total %v, %d items; want 9", p.Total, len(p.Items))
	}
}
