package admin

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/rosterhq/roster/directory"
)

// operate.go serves what operating Roster needs beyond the v1 contract: a user's reactivation,
// deletion, sessions and sign-out everywhere; a group with its members; the mode-switch
// preview; and the dashboard's figures.

// GuardEveryOrganization is gin middleware for what shows every organization at once (the
// metrics, whose labels name every organization's IdPs): it admits an admin credential of
// every organization — an owner, or a viewer without an organization — and answers every
// other request itself: 401 without a usable credential, 403 for a credential of one
// organization.
func (h *Handler) GuardEveryOrganization() gin.HandlerFunc {
	return h.guard(directory.ActionRead, func(a access) error {
		if a.principal.Org != "" {
			return &apiError{status: http.StatusForbidden, msg: fmt.Sprintf(
				"this shows every organization; use a credential of every organization (an owner, or a viewer without org), not one of organization %q",
				a.principal.Org)}
		}
		return nil
	})
}

// --- users --------------------------------------------------------------------------------------

// writeUser answers a user as the API shows it, its groups read afresh.
func (h *Handler) writeUser(w http.ResponseWriter, r *http.Request, u directory.User) error {
	var v userView
	if err := h.svc.View(r.Context(), func(tx directory.ReadTx) error {
		var err error
		v, err = userViewTx(tx, u)
		return err
	}); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// refusalError answers a rule's refusal of an administrator's request: 409 naming the rule.
func refusalError(ref *directory.Refusal) error {
	return &apiError{status: http.StatusConflict, msg: fmt.Sprintf("refused by %s: %s", ref.Rule, ref.Reason)}
}

func (h *Handler) reactivateUser(w http.ResponseWriter, r *http.Request, a access) error {
	id := r.PathValue("id")
	u, err := h.svc.ReactivateUser(r.Context(), a.actor(), id)
	if ref, ok := directory.AsRefusal(err); ok {
		return refusalError(ref)
	}
	if errors.Is(err, directory.ErrNotFound) {
		return userMissing(id)
	}
	if err != nil {
		return err
	}
	return h.writeUser(w, r, u)
}

// deletionView is the answer to DELETE /users/{id}: what was deleted and what its tombstone
// means.
type deletionView struct {
	Deleted   bool           `json:"deleted"`
	User      userView       `json:"user"`
	Tombstone *tombstoneView `json:"tombstone"`
	Rule      string         `json:"rule"`
	// Explanation says what the deletion does, in the IdP's mode: whether a sign-in is
	// refused from now on, and how the key may come back.
	Explanation string `json:"explanation"`
}

func (h *Handler) deleteUser(w http.ResponseWriter, r *http.Request, a access) error {
	id := r.PathValue("id")
	dryRun, err := boolQuery(r, "dry_run")
	if err != nil {
		return err
	}
	// The user's view is read before it goes, for the answer.
	var before userView
	if err := h.svc.View(r.Context(), func(tx directory.ReadTx) error {
		u, err := tx.User(id)
		if err != nil {
			return err
		}
		before, err = userViewTx(tx, u)
		return err
	}); errors.Is(err, directory.ErrNotFound) {
		return userMissing(id)
	} else if err != nil {
		return err
	}
	del, err := h.svc.DeleteUser(r.Context(), a.actor(), id, dryRun)
	if errors.Is(err, directory.ErrNotFound) {
		return userMissing(id)
	}
	if err != nil {
		return err
	}
	out := deletionView{Deleted: !dryRun, User: before, Rule: string(del.Rule), Explanation: del.Reason}
	if del.Tombstone != nil {
		t := tombstoneView(*del.Tombstone)
		out.Tombstone = &t
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// boolQuery reads a boolean query parameter; absent is false.
func boolQuery(r *http.Request, name string) (bool, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, badRequest(fmt.Sprintf("%s=%q: use true or false", name, v))
	}
	return b, nil
}

type sessionView struct {
	ID      string    `json:"id"`
	IdP     string    `json:"idp"`
	Created time.Time `json:"created"`
	Expires time.Time `json:"expires"`
}

func (h *Handler) listSessions(w http.ResponseWriter, r *http.Request, _ access) error {
	id := r.PathValue("id")
	ss, err := h.svc.UserSessions(r.Context(), id)
	if errors.Is(err, directory.ErrNotFound) {
		return userMissing(id)
	}
	if err != nil {
		return err
	}
	out := list[sessionView]{Items: make([]sessionView, 0, len(ss))}
	for _, s := range ss {
		out.Items = append(out.Items, sessionView{ID: s.ID, IdP: s.IdP, Created: s.Created, Expires: s.Expires})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (h *Handler) revokeSessions(w http.ResponseWriter, r *http.Request, a access) error {
	id := r.PathValue("id")
	u, n, err := h.svc.SignOutEverywhere(r.Context(), a.actor(), id)
	if errors.Is(err, directory.ErrNotFound) {
		return userMissing(id)
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"user": u.ID, "sessions_ended": n,
		"signed_out_at": u.SessionsValidAfter})
	return nil
}

// --- groups -------------------------------------------------------------------------------------

func groupMissing(id string) error { return notFound(fmt.Sprintf("group %q does not exist", id)) }

// memberView is a member of a group, as a group's page lists it.
type memberView struct {
	ID          string `json:"id"`
	UserName    string `json:"userName"`
	DisplayName string `json:"displayName"`
	Active      bool   `json:"active"`
	IdP         string `json:"idp"`
}

type groupDetailView struct {
	groupView
	MemberUsers []memberView `json:"member_users"`
}

func (h *Handler) getGroup(w http.ResponseWriter, r *http.Request, _ access) error {
	id := r.PathValue("id")
	var out groupDetailView
	err := h.svc.View(r.Context(), func(tx directory.ReadTx) error {
		g, err := tx.Group(id)
		if err != nil {
			return err
		}
		out.groupView = groupViewOf(g)
		members, err := tx.UsersByID(g.Members)
		if err != nil {
			return err
		}
		out.MemberUsers = make([]memberView, 0, len(members))
		for _, u := range members {
			out.MemberUsers = append(out.MemberUsers, memberView{ID: u.ID, UserName: u.UserName, DisplayName: u.DisplayName,
				Active: u.Active, IdP: u.IdP})
		}
		return nil
	})
	if errors.Is(err, directory.ErrNotFound) {
		return groupMissing(id)
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// --- mode-switch preview ------------------------------------------------------------------------

type previewDecisionView struct {
	Outcome string `json:"outcome"`
	Rule    string `json:"rule"`
	Reason  string `json:"reason"`
}

type previewEntryView struct {
	User      *userView      `json:"user,omitempty"`
	Tombstone *tombstoneView `json:"tombstone,omitempty"`
	previewDecisionView
}

type previewGroupView struct {
	Count int                `json:"count"`
	Items []previewEntryView `json:"items"`
}

type modePreviewView struct {
	IdP  string         `json:"idp"`
	From directory.Mode `json:"from"`
	To   directory.Mode `json:"to"`
	// Change is the event the switch itself would write; empty when the mode stays.
	Change   previewDecisionView `json:"change"`
	Newcomer previewDecisionView `json:"newcomer"`
	// The groups the issue names, and the two more a preview can find.
	AdoptedLater    previewGroupView `json:"adopted_later"`
	NoLongerSignsIn previewGroupView `json:"no_longer_signs_in"`
	KeepsWorking    previewGroupView `json:"keeps_working"`
	SignsInAgain    previewGroupView `json:"signs_in_again"`
	StaysRefused    previewGroupView `json:"stays_refused"`
	Summary         []string         `json:"summary"`
}

func (h *Handler) modePreview(w http.ResponseWriter, r *http.Request, _ access) error {
	id := r.PathValue("id")
	to := directory.Mode(strings.TrimSpace(r.URL.Query().Get("mode")))
	if to == "" {
		return badRequest(`mode is required: the mode to preview, "jit", "scim" or "both"`)
	}
	p, err := h.svc.PreviewModeChange(r.Context(), id, to)
	if errors.Is(err, directory.ErrNotFound) {
		return idpMissing(id)
	}
	if err != nil {
		return err
	}
	group := func(o directory.ModeOutcome) previewGroupView {
		g := previewGroupView{Count: p.Counts[o], Items: []previewEntryView{}}
		for _, e := range p.Groups[o] {
			v := previewEntryView{previewDecisionView: decisionView(e.Decision)}
			if e.User != nil {
				uv := userViewOf(*e.User, nil)
				uv.Groups = nil
				v.User = &uv
			}
			if e.Tombstone != nil {
				t := tombstoneView(*e.Tombstone)
				v.Tombstone = &t
			}
			g.Items = append(g.Items, v)
		}
		return g
	}
	out := modePreviewView{IdP: p.IdP, From: p.From, To: p.To,
		Change:          previewDecisionView{Outcome: p.Change.Event, Rule: string(p.Change.Rule), Reason: p.Change.Reason},
		Newcomer:        decisionView(p.Newcomer),
		AdoptedLater:    group(directory.ModeAdoptedLater),
		NoLongerSignsIn: group(directory.ModeNoLongerSignsIn),
		KeepsWorking:    group(directory.ModeKeepsWorking),
		SignsInAgain:    group(directory.ModeSignsInAgain),
		StaysRefused:    group(directory.ModeStaysRefused),
		Summary:         p.Summary(),
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func decisionView(d directory.ModePreviewDecision) previewDecisionView {
	return previewDecisionView{Outcome: string(d.Outcome), Rule: string(d.Rule), Reason: d.Reason}
}

// --- dashboard ----------------------------------------------------------------------------------

type seriesView struct {
	IdP    string `json:"idp"`
	Rule   string `json:"rule,omitempty"`
	Counts []int  `json:"counts"`
	Total  int    `json:"total"`
}

type userCountRowView struct {
	IdP    string          `json:"idp"`
	Owner  directory.Owner `json:"owner"`
	Active bool            `json:"active"`
	Count  int             `json:"count"`
}

type userCountsView struct {
	Total    int                `json:"total"`
	Active   int                `json:"active"`
	Inactive int                `json:"inactive"`
	ByIdP    map[string]int     `json:"by_idp"`
	ByOwner  map[string]int     `json:"by_owner"`
	Rows     []userCountRowView `json:"rows"`
}

type webhookLagView struct {
	ID     string `json:"id"`
	URL    string `json:"url"`
	Status string `json:"status"`
	Cursor uint64 `json:"cursor"`
	Lag    uint64 `json:"lag"`
}

type statsView struct {
	Org            string           `json:"org"`
	From           time.Time        `json:"from"`
	To             time.Time        `json:"to"`
	Bucket         string           `json:"bucket"`
	BucketSeconds  int64            `json:"bucket_seconds"`
	Buckets        []time.Time      `json:"buckets"`
	SignIns        []seriesView     `json:"sign_ins"`
	Refusals       []seriesView     `json:"refusals"`
	SCIMOperations []seriesView     `json:"scim_operations"`
	SCIMErrors     []seriesView     `json:"scim_errors"`
	Users          userCountsView   `json:"users"`
	Webhooks       []webhookLagView `json:"webhooks"`
	LastSeq        uint64           `json:"last_seq"`
	EventsRead     int              `json:"events_read"`
	Truncated      bool             `json:"truncated"`
}

// statsBuckets are the bucket widths the dashboard offers, by name.
var statsBuckets = map[string]time.Duration{"1m": time.Minute, "5m": 5 * time.Minute, "15m": 15 * time.Minute,
	"1h": time.Hour, "6h": 6 * time.Hour, "1d": 24 * time.Hour}

// statsQuery reads from=, to= and bucket= of the dashboard: the last 24 hours in buckets of an
// hour unless told otherwise, the bucket chosen to fit when only the range is given.
func (h *Handler) statsQuery(r *http.Request) (directory.StatsQuery, string, error) {
	q := r.URL.Query()
	var problems []string
	to := h.svc.Now()
	from := to.Add(-24 * time.Hour)
	readTime := func(name string, into *time.Time) {
		v := q.Get(name)
		if v == "" {
			return
		}
		t, err := parseTimeParam(v, h.svc.Now())
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s=%q: %v", name, v, err))
			return
		}
		*into = t
	}
	readTime("to", &to)
	if q.Get("from") == "" && q.Get("to") != "" {
		from = to.Add(-24 * time.Hour)
	}
	readTime("from", &from)
	if !from.Before(to) {
		problems = append(problems, "from must be before to")
	}
	name := q.Get("bucket")
	bucket, ok := statsBuckets[name]
	switch {
	case name == "":
		for _, n := range []string{"1m", "5m", "15m", "1h", "6h", "1d"} {
			name, bucket = n, statsBuckets[n]
			if to.Sub(from)/bucket <= 200 {
				break
			}
		}
	case !ok:
		problems = append(problems, fmt.Sprintf("bucket=%q: use one of 1m, 5m, 15m, 1h, 6h, 1d", name))
	}
	if len(problems) > 0 {
		return directory.StatsQuery{}, "", badRequest("bad query", problems...)
	}
	// Buckets start on whole multiples of their width, so that two requests agree on them.
	from = from.Truncate(bucket)
	return directory.StatsQuery{From: from, To: to, Bucket: bucket}, name, nil
}

// parseTimeParam reads a time as RFC 3339 ("2026-11-29T08:00:00Z"), a date ("2026-11-29"), or
// a duration before now ("24h", "7d", "30m").
func parseTimeParam(v string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse("2006-01-02", v); err == nil {
		return t.UTC(), nil
	}
	if d, ok := strings.CutSuffix(v, "d"); ok {
		if n, err := strconv.Atoi(d); err == nil && n >= 0 {
			return now.Add(-time.Duration(n) * 24 * time.Hour), nil
		}
	}
	if d, err := time.ParseDuration(v); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, errors.New(`use an RFC 3339 time, a date (2006-01-02), or a duration before now such as "24h" or "7d"`)
}

func (h *Handler) stats(w http.ResponseWriter, r *http.Request, a access) error {
	q, bucketName, err := h.statsQuery(r)
	if err != nil {
		return err
	}
	q.Org = a.org
	// Webhooks carry every organization's events: their lag is for a credential of every
	// organization, asking for all of them.
	q.Webhooks = a.org == "" && a.principal.Org == ""
	st, err := h.svc.Stats(r.Context(), q)
	if err != nil {
		return err
	}
	series := func(in []directory.Series) []seriesView {
		out := make([]seriesView, 0, len(in))
		for _, s := range in {
			out = append(out, seriesView{IdP: s.IdP, Rule: string(s.Rule), Counts: s.Counts, Total: s.Total})
		}
		return out
	}
	out := statsView{Org: a.org, From: st.From, To: st.To, Bucket: bucketName, BucketSeconds: int64(st.Bucket / time.Second),
		Buckets: st.Buckets, SignIns: series(st.SignIns), Refusals: series(st.Refusals),
		SCIMOperations: series(st.SCIMOperations), SCIMErrors: series(st.SCIMErrors),
		Users: userCountsView{Total: st.Users.Total, Active: st.Users.Active, Inactive: st.Users.Inactive,
			ByIdP: st.Users.ByIdP, ByOwner: map[string]int{}, Rows: make([]userCountRowView, 0, len(st.Users.Rows))},
		Webhooks: make([]webhookLagView, 0, len(st.Webhooks)), LastSeq: st.LastSeq, EventsRead: st.EventsRead, Truncated: st.Truncated}
	for o, n := range st.Users.ByOwner {
		out.Users.ByOwner[string(o)] = n
	}
	for _, row := range st.Users.Rows {
		out.Users.Rows = append(out.Users.Rows, userCountRowView(row))
	}
	for _, wl := range st.Webhooks {
		out.Webhooks = append(out.Webhooks, webhookLagView(wl))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
