package admin

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/rosterhq/roster/directory"
	filter "github.com/rosterhq/roster/internal/scimfilter"
	"github.com/rosterhq/roster/internal/view"
)

// userView is a user in the admin API's shape (DESIGN.md), which /api/v1/me shares: one type
// in internal/view for both surfaces. It never carries the password hash.
type userView = view.User

// userViewTx builds the view of u, reading its groups in tx.
func userViewTx(tx directory.ReadTx, u directory.User) (userView, error) { return view.UserOf(tx, u) }

// userViewsTx builds the views of a page of users, reading their groups at once.
func userViewsTx(tx directory.ReadTx, users []directory.User) ([]userView, error) {
	return view.UsersOf(tx, users)
}

// userViewOf builds the view of u, a member of groups.
func userViewOf(u directory.User, groups []directory.GroupRef) userView { return view.Of(u, groups) }

// pageLimit reads ?limit=, defaulting to def and capped at max.
func pageLimit(r *http.Request, def, max int) (int, error) {
	v := r.URL.Query().Get("limit")
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, badRequest(fmt.Sprintf("limit=%q: use a whole number from 1 to %d", v, max))
	}
	return min(n, max), nil
}

func userExtra(u directory.User) map[string]string {
	return map[string]string{"idp": u.IdP, "uniqueUserId": u.UniqueUserID, "owner": string(u.Owner)}
}

// userExtraNames are userExtra's attributes, each a string field of the user as stored.
var userExtraNames = []string{"idp", "uniqueUserId", "owner"}

// userList is GET /users's page; Total counts every match when asked for (total=true) or
// when the list is sorted, which reads every match anyway.
type userList struct {
	Items      []userView `json:"items"`
	NextCursor string     `json:"next_cursor"`
	Total      *int       `json:"total,omitempty"`
}

// usersQuery is GET /users's query: a SCIM filter, the IdP, status and owner, the order and
// the page.
type usersQuery struct {
	scan   directory.ScanQuery
	expr   filter.Expr
	active *bool
	owner  directory.Owner
	// sortBy is "" (id order) or a key of userSortKeys; desc reverses it.
	sortBy string
	desc   bool
	total  bool
	limit  int
}

// userSortKeys are the orders GET /users offers: each maps a user to a key that sorts as
// strings do (times in a fixed-width UTC form, so "never" sorts first).
var userSortKeys = map[string]func(directory.User) string{
	"userName":     func(u directory.User) string { return directory.FoldUserName(u.UserName) },
	"displayName":  func(u directory.User) string { return strings.ToLower(u.DisplayName) },
	"lastLoginAt":  func(u directory.User) string { return sortableTime(u.LastLoginAt) },
	"created":      func(u directory.User) string { return sortableTime(u.Meta.Created) },
	"lastModified": func(u directory.User) string { return sortableTime(u.Meta.LastModified) },
}

func sortableTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.000000000")
}

func (h *Handler) usersQuery(r *http.Request, a access) (usersQuery, error) {
	qv := r.URL.Query()
	q := usersQuery{scan: directory.ScanQuery{Org: a.org, IdP: qv.Get("idp"), After: qv.Get("cursor")}}
	var err error
	if q.limit, err = pageLimit(r, 50, 500); err != nil {
		return q, err
	}
	if f := qv.Get("filter"); f != "" {
		if q.expr, err = filter.Parse(f); err != nil {
			return q, badRequest("filter: "+err.Error(), `filters use SCIM syntax, e.g. userName sw "a" or uniqueUserId eq "00u1"`)
		}
	}
	var problems []string
	switch v := qv.Get("status"); v {
	case "":
	case "active", "inactive":
		active := v == "active"
		q.active = &active
	default:
		problems = append(problems, fmt.Sprintf(`status=%q: use "active" or "inactive"`, v))
	}
	switch v := directory.Owner(qv.Get("owner")); v {
	case "":
	case directory.OwnerSCIM, directory.OwnerJIT, directory.OwnerAdmin:
		q.owner = v
	default:
		problems = append(problems, fmt.Sprintf(`owner=%q: use "scim", "jit" or "admin"`, v))
	}
	if v := qv.Get("sort"); v != "" && v != "id" {
		q.sortBy, q.desc = strings.CutPrefix(v, "-")
		if _, ok := userSortKeys[q.sortBy]; !ok {
			problems = append(problems, fmt.Sprintf(`sort=%q: use userName, displayName, lastLoginAt, created or lastModified, with "-" before it for the reverse order`, v))
		}
	}
	if q.total, err = boolQuery(r, "total"); err != nil {
		problems = append(problems, err.Error())
	}
	if len(problems) > 0 {
		return q, badRequest("bad query", problems...)
	}
	return q, nil
}

// countMatches counts the users q selects without reading them, when q has no filter: by the
// store's counts of an organization's and IdP's users, and of their statuses and owners.
func countMatches(tx directory.ReadTx, q usersQuery) (int, error) {
	if q.active == nil && q.owner == "" {
		return tx.CountUsers(q.scan.Org, q.scan.IdP)
	}
	rows, err := tx.CountUserStates(q.scan.Org)
	n := 0
	for _, r := range rows {
		if (q.scan.IdP == "" || r.IdP == q.scan.IdP) && (q.owner == "" || r.Owner == q.owner) && (q.active == nil || r.Active == *q.active) {
			n += r.Count
		}
	}
	return n, err
}

// match reports whether u is selected by everything but the page.
func (q usersQuery) match(u directory.User) bool {
	return (q.scan.IdP == "" || u.IdP == q.scan.IdP) && (q.scan.Org == "" || directory.OrgOrDefault(u.Org) == q.scan.Org) &&
		(q.active == nil || u.Active == *q.active) && (q.owner == "" || u.Owner == q.owner) &&
		(q.expr == nil || filter.MatchUser(q.expr, u, userExtra(u)))
}

// eachMatch calls fn with every user q selects, in id order, from id after on: from an index
// when the filter is an equality one answers, so that "userName eq …" never scans 100k users,
// else by a scan.
func eachMatch(tx directory.ReadTx, q usersQuery, after string, fn func(directory.User) error) error {
	scan := q.scan
	scan.After = after
	cands, ok, err := indexedUsers(tx, q.expr, scan)
	if err != nil {
		return err
	}
	if !ok {
		// A search passes over, without decoding them, the users whose records hold none of
		// the strings it looks for.
		if q.expr != nil {
			scan.Mentions, _ = filter.Mentions(q.expr, userExtraNames...)
		}
		err := tx.ScanUsers(scan, func(u directory.User) error {
			if !q.match(u) {
				return nil
			}
			return fn(u)
		})
		return err
	}
	sort.Slice(cands, func(i, j int) bool { return cands[i].ID < cands[j].ID })
	for _, u := range cands {
		if u.ID <= after || !q.match(u) {
			continue
		}
		if err := fn(u); errors.Is(err, directory.ErrStopScan) {
			return nil
		} else if err != nil {
			return err
		}
	}
	return nil
}

func (h *Handler) listUsers(w http.ResponseWriter, r *http.Request, a access) error {
	q, err := h.usersQuery(r, a)
	if err != nil {
		return err
	}
	out := userList{Items: []userView{}}
	err = h.svc.View(r.Context(), func(tx directory.ReadTx) error {
		if q.sortBy != "" {
			return sortedUsers(tx, q, &out)
		}
		total := 0
		// Counting every match reads them all, unless the store counts them: without a
		// filter. Otherwise the read stops after the page.
		counted := q.total && q.expr == nil
		readAll := q.total && !counted
		from := q.scan.After
		if readAll {
			from = ""
		}
		var page []directory.User
		err := eachMatch(tx, q, from, func(u directory.User) error {
			total++
			if u.ID <= q.scan.After {
				return nil
			}
			if len(page) == q.limit {
				// One more match exists, so there is a next page; it starts after the last
				// item of this one.
				if out.NextCursor == "" {
					out.NextCursor = page[len(page)-1].ID
				}
				if readAll {
					return nil
				}
				return directory.ErrStopScan
			}
			page = append(page, u)
			return nil
		})
		if err == nil {
			out.Items, err = userViewsTx(tx, page)
		}
		if err == nil && counted {
			total, err = countMatches(tx, q)
		}
		if q.total {
			out.Total = &total
		}
		return err
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// sortedUsers pages the users q selects in the order it asks for. It reads every match, keeping
// only its id and sort key, sorts them, and reads the page's users; the cursor is the last
// item's key and id, so that a page goes on where the previous one ended even while users
// change.
func sortedUsers(tx directory.ReadTx, q usersQuery, out *userList) error {
	if q.sortBy == "userName" && q.expr == nil {
		if done, err := byUserName(tx, q, out); done || err != nil {
			return err
		}
	}
	type entry struct{ key, id string }
	keyOf := userSortKeys[q.sortBy]
	var all []entry
	if err := eachMatch(tx, q, "", func(u directory.User) error {
		all = append(all, entry{keyOf(u), u.ID})
		return nil
	}); err != nil {
		return err
	}
	less := func(a, b entry) int {
		c := strings.Compare(a.key, b.key)
		if c == 0 {
			c = strings.Compare(a.id, b.id)
		}
		if q.desc {
			return -c
		}
		return c
	}
	slices.SortFunc(all, less)
	total := len(all)
	out.Total = &total
	start := 0
	if q.scan.After != "" {
		k, id, err := sortCursor(q.scan.After)
		if err != nil {
			return err
		}
		cur := entry{k, id}
		start, _ = slices.BinarySearchFunc(all, cur, less)
		if start < len(all) && all[start] == cur {
			start++
		}
	}
	end := min(start+q.limit, len(all))
	ids := make([]string, 0, end-start)
	for _, e := range all[start:end] {
		ids = append(ids, e.id)
	}
	page, err := tx.UsersByID(ids)
	if err != nil {
		return err
	}
	if out.Items, err = userViewsTx(tx, page); err != nil {
		return err
	}
	if end < len(all) {
		last := all[end-1]
		out.NextCursor = nextSortCursor(last.key, last.id)
	}
	return nil
}

// sortCursor reads the cursor of a sorted list: the sort key and id of the previous page's
// last user.
func sortCursor(cursor string) (key, id string, err error) {
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if key, id, ok := strings.Cut(string(raw), "\x00"); err == nil && ok {
		return key, id, nil
	}
	return "", "", badRequest("cursor: use the next_cursor of the previous page of the same sort")
}

func nextSortCursor(key, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(key + "\x00" + id))
}

// errWalkTooLong stops a walk of byUserName that met more users than it may.
var errWalkTooLong = errors.New("the walk in userName order met more users than the general way reads")

// byUserName pages a list in userName order of an organization's users — the console's first
// view of users — from the store's order of folded userNames: it reads the users of the page
// and takes the total from the store's counts, where sorting reads every user. The list may
// be narrowed to an IdP, a status and an owner, not by a filter. The walk passes over the
// organization's users that are not in the list, so it is taken while it should meet a page
// of those that are within half the users the general way reads (every user of the IdP, or of
// the organization), and stops for it past that: a list of an IdP of 5 beside 50,000 users is
// read the general way. It returns false, having done nothing, when it does not apply, or when
// the store cannot give that order (a user whose userName collides with another's since a
// change of folding has no place in it), or the list spans several organizations.
func byUserName(tx directory.ReadTx, q usersQuery, out *userList) (bool, error) {
	org := q.scan.Org
	if org == "" {
		// Every organization's users: one order when there is one organization.
		orgs, err := tx.Orgs()
		if err != nil || len(orgs) != 1 {
			return false, err
		}
		org = orgs[0].ID
	}
	var from, after string
	if q.scan.After != "" {
		var err error
		if from, after, err = sortCursor(q.scan.After); err != nil {
			return false, err
		}
	}
	total, err := countMatches(tx, q)
	if err != nil {
		return false, err
	}
	if total == 0 {
		out.Total = &total
		return true, nil
	}
	all, err := tx.CountUsers(q.scan.Org, "")
	if err != nil {
		return false, err
	}
	scanned := all
	if q.scan.IdP != "" {
		scanned, err = tx.CountUsers(q.scan.Org, q.scan.IdP)
	}
	if err != nil || 2*(q.limit+1)*all > total*scanned {
		return false, err
	}
	var page []directory.User
	more := false
	// The list's users may not be spread through the order of names (an IdP's all named
	// "ext-…"): a walk that meets more than half of what the general way reads, and a page's
	// slack, gives up for it, so the two together cost at most 1.5 times the general way.
	budget, walked := scanned/2+2*(q.limit+1), 0
	complete, err := tx.UsersByUserName(org, from, q.desc, func(u directory.User) error {
		if walked++; walked > budget {
			return errWalkTooLong
		}
		// The page goes on after the previous one's last user, in the order of (key, id).
		if q.scan.After != "" && directory.FoldUserName(u.UserName) == from && (u.ID == after || (u.ID < after) != q.desc) {
			return nil
		}
		if !q.match(u) { // the store's walk is of org's users; checked all the same
			return nil
		}
		if len(page) == q.limit {
			more = true
			return directory.ErrStopScan
		}
		page = append(page, u)
		return nil
	})
	if errors.Is(err, errWalkTooLong) {
		return false, nil
	}
	if err != nil || !complete {
		return false, err
	}
	out.Total = &total
	if out.Items, err = userViewsTx(tx, page); err != nil {
		return false, err
	}
	if more {
		last := page[len(page)-1]
		out.NextCursor = nextSortCursor(directory.FoldUserName(last.UserName), last.ID)
	}
	return true, nil
}

// indexedUsers returns the candidates of an equality that a store index answers, and false
// when the filter has none and the caller must scan. Every user of q's organization and IdP
// that the filter matches is among the candidates.
func indexedUsers(tx directory.ReadTx, expr filter.Expr, q directory.ScanQuery) ([]directory.User, bool, error) {
	if expr == nil {
		return nil, false, nil
	}
	// uniqueUserId eq … is not answered from the identity index: the filter compares
	// uniqueUserId case-insensitively and the index is exact, so the two could disagree.
	attr, value, ok := filter.IndexedEquality(expr)
	if !ok {
		return nil, false, nil
	}
	switch attr {
	case "id":
		u, err := tx.User(value)
		if errors.Is(err, directory.ErrNotFound) {
			return []directory.User{}, true, nil
		}
		if err != nil {
			return nil, false, err
		}
		return []directory.User{u}, true, nil
	case "username":
		us, err := inEachOrg(tx, q.Org, func(org string) ([]directory.User, error) {
			u, err := tx.UserByUserName(org, value)
			if errors.Is(err, directory.ErrNotFound) {
				return nil, nil
			}
			return []directory.User{u}, err
		})
		return us, err == nil, err
	case "emails.value":
		us, err := inEachOrg(tx, q.Org, func(org string) ([]directory.User, error) { return tx.UsersByEmail(org, value) })
		return us, err == nil, err
	case "externalid":
		if q.IdP != "" {
			us, err := tx.UsersByExternalID(q.IdP, value)
			return us, err == nil, err
		}
	}
	return nil, false, nil
}

// inEachOrg runs a per-organization index lookup in org, or in every organization when org
// is "", and gathers what it finds.
func inEachOrg(tx directory.ReadTx, org string, lookup func(org string) ([]directory.User, error)) ([]directory.User, error) {
	if org != "" {
		us, err := lookup(org)
		if us == nil {
			us = []directory.User{}
		}
		return us, err
	}
	orgs, err := tx.Orgs()
	if err != nil {
		return nil, err
	}
	out := []directory.User{}
	for _, o := range orgs {
		us, err := lookup(o.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, us...)
	}
	return out, nil
}

func (h *Handler) getUser(w http.ResponseWriter, r *http.Request, _ access) error {
	id := r.PathValue("id")
	var v userView
	err := h.svc.View(r.Context(), func(tx directory.ReadTx) error {
		u, err := tx.User(id)
		if err != nil {
			return err
		}
		v, err = userViewTx(tx, u)
		return err
	})
	if errors.Is(err, directory.ErrNotFound) {
		return userMissing(id)
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (h *Handler) deactivateUser(w http.ResponseWriter, r *http.Request, a access) error {
	id := r.PathValue("id")
	u, err := h.svc.DeactivateUser(r.Context(), a.actor(), id)
	if errors.Is(err, directory.ErrNotFound) {
		return userMissing(id)
	}
	if err != nil {
		return err
	}
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

func (h *Handler) clearTombstone(w http.ResponseWriter, r *http.Request, a access) error {
	id := directory.Identity{IdP: r.PathValue("idp"), UniqueUserID: r.PathValue("uid")}
	err := h.svc.ClearTombstone(r.Context(), a.actor(), id)
	if errors.Is(err, directory.ErrNotFound) {
		return tombstoneMissing(id.IdP, id.UniqueUserID)
	}
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type groupView struct {
	ID          string          `json:"id"`
	Org         string          `json:"org"`
	DisplayName string          `json:"displayName"`
	ExternalID  string          `json:"externalId"`
	IdP         string          `json:"idp"`
	Owner       directory.Owner `json:"owner"`
	Members     []string        `json:"members"`
	Meta        directory.Meta  `json:"meta"`
}

func groupViewOf(g directory.Group) groupView {
	members := g.Members
	if members == nil {
		members = []string{}
	}
	return groupView{ID: g.ID, Org: directory.OrgOrDefault(g.Org), DisplayName: g.DisplayName, ExternalID: g.ExternalID,
		IdP: g.IdP, Owner: g.Owner, Members: members, Meta: g.Meta}
}

func (h *Handler) listGroups(w http.ResponseWriter, r *http.Request, a access) error {
	limit, err := pageLimit(r, 100, 1000)
	if err != nil {
		return err
	}
	q := directory.ScanQuery{Org: a.org, IdP: r.URL.Query().Get("idp"), After: r.URL.Query().Get("cursor")}
	out := list[groupView]{Items: []groupView{}}
	err = h.svc.View(r.Context(), func(tx directory.ReadTx) error {
		return tx.ScanGroups(q, func(g directory.Group) error {
			if len(out.Items) == limit {
				out.NextCursor = out.Items[len(out.Items)-1].ID
				return directory.ErrStopScan
			}
			out.Items = append(out.Items, groupViewOf(g))
			return nil
		})
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// --- reconciliation -----------------------------------------------------------------------------

// reconciliationView renders directory.Reconciliation.
type reconciliationView struct {
	IdP                string           `json:"idp"`
	Mode               directory.Mode   `json:"mode"`
	JITNotAdopted      []userView       `json:"jit_not_adopted"`
	JITNotAdoptedCount int              `json:"jit_not_adopted_count"`
	SCIMNeverSignedIn  []userView       `json:"scim_never_signed_in"`
	SCIMNeverCount     int              `json:"scim_never_signed_in_count"`
	Tombstones         []tombstoneView  `json:"tombstones"`
	Refusals           []refusalsOfRule `json:"refusals"`
	RecentRefusals     []eventView      `json:"recent_refusals"`
	EventsExamined     int              `json:"events_examined"`
	Notes              []string         `json:"notes"`
}

type tombstoneView struct {
	Org          string    `json:"org"`
	IdP          string    `json:"idp"`
	UniqueUserID string    `json:"uniqueUserId"`
	UserID       string    `json:"userId"`
	UserName     string    `json:"userName"`
	DeletedAt    time.Time `json:"deletedAt"`
	Actor        string    `json:"actor"`
}

type refusalsOfRule struct {
	Rule  string    `json:"rule"`
	Count int       `json:"count"`
	Last  time.Time `json:"last"`
}

func (h *Handler) reconciliation(w http.ResponseWriter, r *http.Request, _ access) error {
	id := r.PathValue("id")
	rec, err := h.svc.Reconcile(r.Context(), id)
	if errors.Is(err, directory.ErrNotFound) {
		return idpMissing(id)
	}
	if err != nil {
		return err
	}
	out := reconciliationView{IdP: rec.IdP, Mode: rec.Mode,
		JITNotAdopted: memberViews(rec.JITNotAdopted), JITNotAdoptedCount: rec.JITNotAdoptedCount,
		SCIMNeverSignedIn: memberViews(rec.SCIMNeverSignedIn), SCIMNeverCount: rec.SCIMNeverSignedInCount,
		Tombstones: make([]tombstoneView, 0, len(rec.Tombstones)), Refusals: make([]refusalsOfRule, 0, len(rec.Refusals)),
		RecentRefusals: make([]eventView, 0, len(rec.RecentRefusals)), EventsExamined: rec.EventsExamined, Notes: rec.Notes}
	for _, t := range rec.Tombstones {
		out.Tombstones = append(out.Tombstones, tombstoneView(t))
	}
	for _, rc := range rec.Refusals {
		rule := rc.Rule
		if rule == "" {
			rule = "(none)"
		}
		out.Refusals = append(out.Refusals, refusalsOfRule{Rule: string(rule), Count: rc.Count, Last: rc.Last})
	}
	for _, e := range rec.RecentRefusals {
		out.RecentRefusals = append(out.RecentRefusals, eventViewOf(e))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func memberViews(us []directory.MemberUser) []userView {
	out := make([]userView, 0, len(us))
	for _, m := range us {
		out = append(out, userViewOf(m.User, m.Groups))
	}
	return out
}

// --- backup -------------------------------------------------------------------------------------

func (h *Handler) backup(w http.ResponseWriter, r *http.Request, a access) error {
	if h.cfg.Backup == nil {
		return &apiError{status: http.StatusNotImplemented,
			msg: "this server's store has no online backup; back up PostgreSQL with the database's own tools (pg_dump)"}
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", `attachment; filename="roster.db"`)
	n, err := h.cfg.Backup(w)
	if err != nil {
		h.log.ErrorContext(r.Context(), "admin: backup failed", "actor", a.actor(), "written", n, "err", err)
		// The status is sent already; cutting the connection before the final chunk is the
		// only way left to tell the client that what it received is incomplete. gin's
		// recovery swallows http.ErrAbortHandler, so hijack and close where we can.
		if conn, _, herr := http.NewResponseController(w).Hijack(); herr == nil {
			_ = conn.Close()
			return nil
		}
		panic(http.ErrAbortHandler)
	}
	h.log.InfoContext(r.Context(), "admin: backup written", "actor", a.actor(), "bytes", n)
	return nil
}
