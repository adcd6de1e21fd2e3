package admin

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rosterhq/roster/directory"
)

// eventView is an event as the API shows it: the log's fields, the actor's name, what kind of
// resource the subject is, and the protocol library's words of a refusal (detail).
type eventView struct {
	Seq         uint64    `json:"seq"`
	ID          string    `json:"id"`
	Time        time.Time `json:"time"`
	Type        string    `json:"type"`
	Actor       string    `json:"actor"`
	ActorName   string    `json:"actor_name,omitempty"`
	Subject     string    `json:"subject"`
	SubjectType string    `json:"subject_type,omitempty"`
	Org         string    `json:"org"`
	IdP         string    `json:"idp"`
	Rule        string    `json:"rule"`
	Reason      string    `json:"reason"`
	Detail      string    `json:"detail,omitempty"`
	Changes     []string  `json:"changes"`
}

func eventViewOf(e directory.Event) eventView {
	ch := e.Changes
	if ch == nil {
		ch = []string{}
	}
	return eventView{Seq: e.Seq, ID: e.ID, Time: e.Time, Type: e.Type, Actor: e.Actor, Subject: e.Subject,
		SubjectType: subjectType(e.Type), Org: e.Org, IdP: e.IdP, Rule: string(e.Rule), Reason: e.Reason, Detail: e.Detail, Changes: ch}
}

// subjectType says what the subject of an event of type typ names, so that a console can link
// it: "user", "group", "idp", "token", "org", "domain" or "tombstone"; "" when the type does
// not say (a refusal's subject is a user id or the key the sign-in asserted).
func subjectType(typ string) string {
	kind, _, _ := strings.Cut(typ, ".")
	switch kind {
	case "user", "group", "idp", "token", "org", "domain", "tombstone":
		return kind
	}
	return ""
}

// actorNames resolves event actors to names a person reads: the name of a SCIM or admin token,
// of an IdP, of a console user. It reads the tokens and IdPs once, on the first actor that
// needs them, and users as they come.
type actorNames struct {
	h    *Handler
	ctx  context.Context
	once sync.Once
	// tokens are "<name> (SCIM, <idp>)" by SCIM token id and names by admin token id.
	scim, admin, idps map[string]string
	users             map[string]string
}

func (h *Handler) actorNames(ctx context.Context) *actorNames {
	return &actorNames{h: h, ctx: ctx, users: map[string]string{}}
}

func (n *actorNames) load() {
	n.scim, n.admin, n.idps = map[string]string{}, map[string]string{}, map[string]string{}
	// One read of the tokens and IdPs (one round trip on PostgreSQL); names are a reading aid,
	// so a failed read leaves actors unnamed rather than failing the list.
	var scim, admin []directory.Token
	var idps []directory.IdP
	if n.h.svc.View(n.ctx, func(tx directory.ReadTx) error {
		var err error
		if scim, err = tx.Tokens(directory.TokenSCIM, ""); err != nil {
			return err
		}
		if admin, err = tx.Tokens(directory.TokenAdmin, ""); err != nil {
			return err
		}
		idps, err = tx.IdPs()
		return err
	}) != nil {
		return
	}
	for _, t := range scim {
		name := t.Name
		if name == "" {
			name = "token " + t.ID
		}
		n.scim[t.ID] = fmt.Sprintf("%s (SCIM, %s)", name, t.IdP)
	}
	for _, t := range admin {
		n.admin[t.ID] = t.Name
	}
	for _, p := range idps {
		n.idps[p.ID] = p.Name
	}
}

// name is the actor's name; "" when there is nothing better than the actor itself. Names are
// a reading aid: a token or IdP deleted since leaves its actor unnamed.
func (n *actorNames) name(actor string) string {
	kind, who, _ := strings.Cut(actor, ":")
	if actor == "system" {
		return "Roster"
	}
	n.once.Do(n.load)
	switch kind {
	case "scim":
		return n.scim[who]
	case "admin":
		// Actors name the credential ("admin:<name>"); logs written before that name its id.
		if name, ok := n.admin[who]; ok && name != "" {
			return name
		}
		return who
	case "jit":
		if name, ok := n.idps[who]; ok {
			return "sign-in through " + name
		}
	case "console":
		if name, ok := n.users[who]; ok {
			return name
		}
		name := ""
		if u, err := n.h.svc.User(n.ctx, who); err == nil {
			name = u.UserName
		}
		n.users[who] = name
		return name
	}
	return ""
}

func (n *actorNames) view(e directory.Event) eventView {
	v := eventViewOf(e)
	v.ActorName = n.name(e.Actor)
	return v
}

type eventPage struct {
	Items []eventView `json:"items"`
	// NextAfter (oldest first) and NextBefore (newest first) are where the next page starts:
	// the last event read, matched or not.
	NextAfter  uint64 `json:"next_after"`
	NextBefore uint64 `json:"next_before,omitempty"`
	// Done says the read reached the end of what was asked for (the end of the log, or of the
	// time range); otherwise it stopped at the limit or the budget.
	Done bool `json:"done"`
}

// maxWait bounds a long poll, below common proxy idle timeouts.
const maxWait = 60

// filteredScanBudget bounds how many events one filtered page reads, so that a filter that
// matches nothing cannot make one request read the whole log; the client goes on from
// next_after (or next_before). A search by event id reads further, since it looks for one.
const (
	filteredScanBudget = 20000
	idSearchBudget     = 200000
)

// lastSeq is the seq of the last event of the log.
func (h *Handler) lastSeq(ctx context.Context) (uint64, error) {
	var last uint64
	err := h.svc.View(ctx, func(tx directory.ReadTx) error {
		var err error
		last, err = tx.LastSeq()
		return err
	})
	return last, err
}

// eventsRequest is GET /events's query.
type eventsRequest struct {
	scan   directory.EventScan
	limit  int
	wait   time.Duration
	format string
}

func (h *Handler) eventsQuery(r *http.Request, a access) (eventsRequest, error) {
	qv := r.URL.Query()
	var problems []string
	req := eventsRequest{limit: 100, format: "json"}
	seq := func(name string) uint64 {
		v := qv.Get(name)
		if v == "" {
			return 0
		}
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s=%q: use the seq of an event (0 from the start)", name, v))
		}
		return n
	}
	req.scan.After, req.scan.Before = seq("after"), seq("before")
	if v := qv.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			problems = append(problems, fmt.Sprintf("limit=%q: use a whole number from 1 to 1000", v))
		}
		req.limit = min(max(n, 1), 1000)
	}
	if v := qv.Get("wait"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			problems = append(problems, fmt.Sprintf("wait=%q: use a whole number of seconds from 0 to %d", v, maxWait))
		}
		req.wait = time.Duration(min(max(n, 0), maxWait)) * time.Second
	}
	switch o := qv.Get("order"); o {
	case "", "asc":
	case "desc":
		req.scan.Descending = true
	default:
		problems = append(problems, fmt.Sprintf(`order=%q: use "asc" (oldest first, the default) or "desc" (newest first)`, o))
	}
	switch f := qv.Get("format"); f {
	case "", "json":
	case "csv", "jsonl":
		req.format = f
	default:
		problems = append(problems, fmt.Sprintf(`format=%q: use "json" (pages), "csv" or "jsonl" (an export of every match)`, f))
	}
	f := &req.scan.Filter
	f.ID, f.IdP, f.Subject, f.Actor = strings.TrimSpace(qv.Get("id")), qv.Get("idp"), qv.Get("subject"), strings.TrimSpace(qv.Get("actor"))
	f.Rule = directory.Rule(strings.TrimSpace(qv.Get("rule")))
	for _, t := range qv["type"] {
		for _, one := range strings.Split(t, ",") {
			if one = strings.TrimSpace(one); one != "" {
				f.Types = append(f.Types, one)
			}
		}
	}
	now := h.svc.Now()
	for _, p := range []struct {
		name string
		into *time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		if v := qv.Get(p.name); v != "" {
			t, err := parseTimeParam(v, now)
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s=%q: %v", p.name, v, err))
			}
			*p.into = t
		}
	}
	// last=N starts N events before the end of the log, as tail does; a console or a CLI that
	// opens on a large log wants the recent events, not the first ones.
	if v := qv.Get("last"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		switch {
		case err != nil || n < 1 || n > 1000:
			problems = append(problems, fmt.Sprintf("last=%q: use a whole number from 1 to 1000", v))
		case qv.Has("after") || qv.Has("before"):
			problems = append(problems, "use either after, before or last, not two of them")
		default:
			lastSeq, err := h.lastSeq(r.Context())
			if err != nil {
				return req, err
			}
			if lastSeq > n {
				req.scan.After = lastSeq - n
			}
		}
	}
	if req.scan.Before != 0 && !req.scan.Descending {
		problems = append(problems, "before pages newest first: add order=desc, or use after")
	}
	if req.scan.After != 0 && req.scan.Descending {
		problems = append(problems, "after pages oldest first: use before with order=desc")
	}
	if len(problems) > 0 {
		return req, badRequest("bad query", problems...)
	}
	// A reference is most likely recent: without a place to start, look newest first.
	if f.ID != "" && !qv.Has("after") && !qv.Has("order") {
		req.scan.Descending = true
	}
	req.scan.Org = a.org
	req.scan.Budget = filteredScanBudget
	if f.ID != "" {
		req.scan.Budget = idSearchBudget
	}
	return req, nil
}

// filtered reports whether anything but the organization and paging selects events.
func filtered(f directory.EventFilter) bool {
	return f.ID != "" || len(f.Types) > 0 || f.IdP != "" || f.Rule != "" || f.Actor != "" || f.Subject != "" ||
		!f.From.IsZero() || !f.To.IsZero()
}

func (h *Handler) listEvents(w http.ResponseWriter, r *http.Request, a access) error {
	req, err := h.eventsQuery(r, a)
	if err != nil {
		return err
	}
	names := h.actorNames(r.Context())
	req.scan.Filter.ActorName = names.name
	if req.format != "json" {
		return h.exportEvents(w, r, req, names)
	}
	page := eventPage{Items: []eventView{}, NextAfter: req.scan.After}
	if !req.scan.Descending && !filtered(req.scan.Filter) && req.scan.Org == "" {
		// The change feed: the log in order, with the long poll.
		evs, err := h.svc.Events(r.Context(), req.scan.After, req.limit, req.wait)
		if err != nil {
			return err
		}
		for _, e := range evs {
			page.Items = append(page.Items, names.view(e))
			page.NextAfter = e.Seq
		}
		page.Done = len(evs) < req.limit
		writeJSON(w, http.StatusOK, page)
		return nil
	}
	// A filtered read scans from where it starts; next_after (next_before) is the last event
	// read, matched or not, so the client resumes without reading the same events again. A
	// long poll that finds nothing waits for any newer event and looks again, so a follower
	// with a filter neither spins nor answers early because another organization wrote
	// something.
	deadline := time.Now().Add(req.wait)
	for {
		lastSeq, err := h.lastSeq(r.Context())
		if err != nil {
			return err
		}
		end, err := h.svc.SearchEvents(r.Context(), req.scan, func(e directory.Event) error {
			page.Items = append(page.Items, names.view(e))
			if len(page.Items) == req.limit || req.scan.Filter.ID != "" {
				return directory.ErrStopScan
			}
			return nil
		})
		if err != nil {
			return err
		}
		page.Done = end.Done
		if req.scan.Descending {
			page.NextAfter = 0
			if !end.Done {
				page.NextBefore = end.Last
			}
			break
		}
		page.NextAfter = end.Last
		req.scan.After = end.Last
		left := time.Until(deadline)
		if len(page.Items) > 0 || !end.Done || left <= 0 {
			break
		}
		if _, err := h.svc.Events(r.Context(), max(lastSeq, end.Last), 1, left); err != nil {
			return err
		}
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

// exportColumns are the columns of the CSV export, in order.
var exportColumns = []string{"seq", "id", "time", "type", "actor", "actor_name", "subject", "subject_type", "org", "idp",
	"rule", "reason", "detail", "changes"}

// exportEvents streams every event the query selects, in its order, as CSV or JSON Lines, with
// no page limit and no budget: it reads the log in chunks and writes each as it goes, so
// neither side holds the whole export. If the read fails midway, the connection is cut, so
// that the client sees an incomplete download rather than a short file that looks whole.
func (h *Handler) exportEvents(w http.ResponseWriter, r *http.Request, req eventsRequest, names *actorNames) error {
	req.scan.Budget = 0
	ext, ctype := "jsonl", "application/jsonl; charset=utf-8"
	if req.format == "csv" {
		ext, ctype = "csv", "text/csv; charset=utf-8"
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="roster-events.%s"`, ext))
	w.WriteHeader(http.StatusOK)
	flush := http.NewResponseController(w).Flush
	cw := csv.NewWriter(w)
	enc := json.NewEncoder(w)
	if req.format == "csv" {
		_ = cw.Write(exportColumns)
	}
	n := 0
	_, err := h.svc.SearchEvents(r.Context(), req.scan, func(e directory.Event) error {
		v := names.view(e)
		var err error
		if req.format == "csv" {
			err = cw.Write(csvRow(v))
		} else {
			err = enc.Encode(v)
		}
		if n++; n%500 == 0 {
			cw.Flush()
			_ = flush()
		}
		return err
	})
	cw.Flush()
	if err == nil {
		err = cw.Error()
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		h.log.ErrorContext(r.Context(), "admin: event export failed", "written", n, "err", err)
		if conn, _, herr := http.NewResponseController(w).Hijack(); herr == nil {
			_ = conn.Close()
			return nil
		}
		panic(http.ErrAbortHandler)
	}
	return nil
}

// csvRow is an event's row of the CSV export. A cell that a spreadsheet would read as a
// formula (it begins with =, +, -, @, a tab or a carriage return) is quoted with a leading
// apostrophe: reasons and subjects carry what IdPs and SCIM clients sent.
func csvRow(v eventView) []string {
	row := []string{strconv.FormatUint(v.Seq, 10), v.ID, v.Time.UTC().Format(time.RFC3339Nano), v.Type, v.Actor, v.ActorName,
		v.Subject, v.SubjectType, v.Org, v.IdP, v.Rule, v.Reason, v.Detail, strings.Join(v.Changes, " ")}
	for i, c := range row {
		if c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) {
			row[i] = "'" + c
		}
	}
	return row
}
