package admin

import (
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
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

func (h *Handler) listUsers(w http.ResponseWriter, r *http.Request, a access) error {
	limit, err := pageLimit(r, 50, 500)
	if err != nil {
		return err
	}
	var expr filter.Expr
	if f := r.URL.Query().Get("filter"); f != "" {
		if expr, err = filter.Parse(f); err != nil {
			return badRequest("filter: "+err.Error(), `filters use SCIM syntax, e.g. userName sw "a" or uniqueUserId eq "00u1"`)
		}
	}
	q := directory.ScanQuery{Org: a.org, IdP: r.URL.Query().Get("idp"), After: r.URL.Query().Get("cursor")}
	out := list[userView]{Items: []userView{}}
	err = h.svc.View(r.Context(), func(tx directory.ReadTx) error {
		// An equality an index answers ("roster user list --filter 'userName eq …'") must not
		// scan 100k users; the filter is still evaluated on what the index returns.
		if cands, ok, err := indexedUsers(tx, expr, q); err != nil {
			return err
		} else if ok {
			sort.Slice(cands, func(i, j int) bool { return cands[i].ID < cands[j].ID })
			for _, u := range cands {
				if u.ID <= q.After || (q.IdP != "" && u.IdP != q.IdP) || (q.Org != "" && directory.OrgOrDefault(u.Org) != q.Org) ||
					!filter.MatchUser(expr, u, userExtra(u)) {
					continue
				}
				if len(out.Items) == limit {
					out.NextCursor = out.Items[len(out.Items)-1].ID
					return nil
				}
				v, err := userViewTx(tx, u)
				if err != nil {
					return err
				}
				out.Items = append(out.Items, v)
			}
			return nil
		}
		return tx.ScanUsers(q, func(u directory.User) error {
			if expr != nil && !filter.MatchUser(expr, u, userExtra(u)) {
				return nil
			}
			if len(out.Items) == limit {
				// One more match exists, so there is a next page; it starts after the last
				// item of this one.
				out.NextCursor = out.Items[len(out.Items)-1].ID
				return directory.ErrStopScan
			}
			v, err := userViewTx(tx, u)
			if err != nil {
				return err
			}
			out.Items = append(out.Items, v)
			return nil
		})
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
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
			members := g.Members
			if members == nil {
				members = []string{}
			}
			out.Items = append(out.Items, groupView{ID: g.ID, Org: directory.OrgOrDefault(g.Org), DisplayName: g.DisplayName, ExternalID: g.ExternalID,
				IdP: g.IdP, Owner: g.Owner, Members: members, Meta: g.Meta})
			return nil
		})
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// --- events -------------------------------------------------------------------------------------

type eventView struct {
	Seq     uint64    `json:"seq"`
	ID      string    `json:"id"`
	Time    time.Time `json:"time"`
	Type    string    `json:"type"`
	Actor   string    `json:"actor"`
	Subject string    `json:"subject"`
	Org     string    `json:"org"`
	IdP     string    `json:"idp"`
	Rule    string    `json:"rule"`
	Reason  string    `json:"reason"`
	Changes []string  `json:"changes"`
}

func eventViewOf(e directory.Event) eventView {
	ch := e.Changes
	if ch == nil {
		ch = []string{}
	}
	return eventView{Seq: e.Seq, ID: e.ID, Time: e.Time, Type: e.Type, Actor: e.Actor, Subject: e.Subject,
		Org: e.Org, IdP: e.IdP, Rule: string(e.Rule), Reason: e.Reason, Changes: ch}
}

type eventPage struct {
	Items     []eventView `json:"items"`
	NextAfter uint64      `json:"next_after"`
}

// maxWait bounds a long poll, below common proxy idle timeouts.
const maxWait = 60

// filteredScanBudget bounds how many events one filtered request reads, so that a filter that
// matches nothing cannot make one request read the whole log; the client goes on from
// next_after.
const filteredScanBudget = 20000

func (h *Handler) listEvents(w http.ResponseWriter, r *http.Request, a access) error {
	qv := r.URL.Query()
	var problems []string
	var after uint64
	if v := qv.Get("after"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			problems = append(problems, fmt.Sprintf("after=%q: use the seq of the last event seen (0 from the start)", v))
		}
		after = n
	}
	limit := 100
	if v := qv.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			problems = append(problems, fmt.Sprintf("limit=%q: use a whole number from 1 to 1000", v))
		}
		limit = min(max(n, 1), 1000)
	}
	var wait time.Duration
	if v := qv.Get("wait"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			problems = append(problems, fmt.Sprintf("wait=%q: use a whole number of seconds from 0 to %d", v, maxWait))
		}
		wait = time.Duration(min(max(n, 0), maxWait)) * time.Second
	}
	// last=N starts N events before the end of the log, as tail does; a console or a CLI that
	// opens on a large log wants the recent events, not the first ones.
	if v := qv.Get("last"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		switch {
		case err != nil || n < 1 || n > 1000:
			problems = append(problems, fmt.Sprintf("last=%q: use a whole number from 1 to 1000", v))
		case qv.Has("after"):
			problems = append(problems, "use either after or last, not both")
		default:
			var lastSeq uint64
			if err := h.svc.View(r.Context(), func(tx directory.ReadTx) error {
				var err error
				lastSeq, err = tx.LastSeq()
				return err
			}); err != nil {
				return err
			}
			if lastSeq > n {
				after = lastSeq - n
			}
		}
	}
	if len(problems) > 0 {
		return badRequest("bad query", problems...)
	}
	subject, idp, typ := qv.Get("subject"), qv.Get("idp"), qv.Get("type")
	page := eventPage{Items: []eventView{}, NextAfter: after}
	if subject == "" && idp == "" && typ == "" && a.org == "" {
		evs, err := h.svc.Events(r.Context(), after, limit, wait)
		if err != nil {
			return err
		}
		for _, e := range evs {
			page.Items = append(page.Items, eventViewOf(e))
			page.NextAfter = e.Seq
		}
		writeJSON(w, http.StatusOK, page)
		return nil
	}
	// Filtered reads (an organization's events, or those of a subject, IdP or type) scan
	// forward from after; next_after is the last event read, matched or not, so the client
	// resumes without reading the same events again. A long poll that finds nothing waits
	// for any newer event and looks again, so a follower with a filter neither spins nor
	// answers early because another organization wrote something.
	deadline := time.Now().Add(wait)
	for {
		read, lastSeq := 0, uint64(0)
		err := h.svc.View(r.Context(), func(tx directory.ReadTx) error {
			var err error
			if lastSeq, err = tx.LastSeq(); err != nil {
				return err
			}
			for read < filteredScanBudget && len(page.Items) < limit {
				evs, err := orgEvents(tx, a.org, page.NextAfter, 1000)
				if err != nil || len(evs) == 0 {
					return err
				}
				for _, e := range evs {
					read++
					page.NextAfter = e.Seq
					if (subject == "" || e.Subject == subject) && (idp == "" || e.IdP == idp) && (typ == "" || e.Type == typ) {
						page.Items = append(page.Items, eventViewOf(e))
						if len(page.Items) == limit {
							return nil
						}
					}
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		left := time.Until(deadline)
		if len(page.Items) > 0 || read >= filteredScanBudget || left <= 0 {
			break
		}
		if _, err := h.svc.Events(r.Context(), lastSeq, 1, left); err != nil {
			return err
		}
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

// orgEvents reads the events of organization org, or of every organization when org is "".
func orgEvents(tx directory.ReadTx, org string, after uint64, limit int) ([]directory.Event, error) {
	if org == "" {
		return tx.Events(after, limit)
	}
	return tx.OrgEvents(org, after, limit)
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
