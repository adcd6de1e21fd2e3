package scim

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	scimerrors "github.com/elimity-com/scim/errors"

	"github.com/rosterhq/roster/directory"
	filter "github.com/rosterhq/roster/internal/scimfilter"
)

// selection is a request's attributes / excludedAttributes (RFC 7644 §3.9).
type selection struct {
	Attributes []string
	Excluded   []string
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func (s selection) empty() bool { return len(s.Attributes) == 0 && len(s.Excluded) == 0 }

func selectionFromQuery(r *http.Request) selection {
	q := r.URL.Query()
	return selection{Attributes: splitList(q.Get("attributes")), Excluded: splitList(q.Get("excludedAttributes"))}
}

// listParams is a list or search request.
type listParams struct {
	Filter     string
	StartIndex int
	Count      int
	SortBy     string
	Descending bool
	selection
}

func intParam(name, raw string) (int, *scimerrors.ScimError) {
	n, err := strconv.Atoi(strings.TrimSpace(raw))
	if err != nil {
		se := badRequest(scimerrors.ScimTypeInvalidValue, fmt.Sprintf("%s must be an integer, not %q", name, raw))
		return 0, &se
	}
	return n, nil
}

// clamp applies RFC 7644's rules for out-of-range paging values; it never fails, and returns
// a nil error so that the parsers can end with it.
func (p *listParams) clamp(o Options) *scimerrors.ScimError {
	if p.StartIndex < 1 {
		p.StartIndex = 1 // RFC 7644 §3.4.2.4: less than 1 is 1
	}
	if p.Count < 0 {
		p.Count = 0
	}
	if p.Count > o.MaxPageSize {
		p.Count = o.MaxPageSize
	}
	return nil
}

func sortOrder(s string) (bool, *scimerrors.ScimError) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "ascending":
		return false, nil
	case "descending":
		return true, nil
	}
	se := badRequest(scimerrors.ScimTypeInvalidValue, fmt.Sprintf("sortOrder must be ascending or descending, not %q", s))
	return false, &se
}

func listParamsFromQuery(r *http.Request, o Options) (listParams, *scimerrors.ScimError) {
	q := r.URL.Query()
	get := func(name string) string {
		// Query parameter names are case-insensitive in practice (startindex, Count).
		for k, v := range q {
			if strings.EqualFold(k, name) && len(v) > 0 {
				return v[0]
			}
		}
		return ""
	}
	p := listParams{Filter: strings.TrimSpace(get("filter")), StartIndex: 1, Count: o.DefaultPageSize, SortBy: get("sortBy"),
		selection: selection{Attributes: splitList(get("attributes")), Excluded: splitList(get("excludedAttributes"))}}
	var se *scimerrors.ScimError
	if s := get("startIndex"); s != "" {
		if p.StartIndex, se = intParam("startIndex", s); se != nil {
			return p, se
		}
	}
	if s := get("count"); s != "" {
		if p.Count, se = intParam("count", s); se != nil {
			return p, se
		}
	}
	if p.Descending, se = sortOrder(get("sortOrder")); se != nil {
		return p, se
	}
	return p, p.clamp(o)
}

// listParamsFromBody reads a POST …/.search body (RFC 7644 §3.4.3).
func listParamsFromBody(raw []byte, o Options) (listParams, *scimerrors.ScimError) {
	var body struct {
		Schemas            []string `json:"schemas"`
		Attributes         []string `json:"attributes"`
		ExcludedAttributes []string `json:"excludedAttributes"`
		Filter             string   `json:"filter"`
		SortBy             string   `json:"sortBy"`
		SortOrder          string   `json:"sortOrder"`
		StartIndex         *int     `json:"startIndex"`
		Count              *int     `json:"count"`
	}
	// A SearchRequest is a defined message; an unknown member is a client's mistake (a typo
	// such as "filters" would otherwise silently list everything).
	d := json.NewDecoder(bytes.NewReader(raw))
	d.DisallowUnknownFields()
	if err := d.Decode(&body); err != nil {
		se := badRequest(scimerrors.ScimTypeInvalidSyntax, "The search request is not a JSON object of SearchRequest attributes: "+jsonProblem(err))
		return listParams{}, &se
	}
	if d.More() {
		se := badRequest(scimerrors.ScimTypeInvalidSyntax, "The search request has data after the JSON object.")
		return listParams{}, &se
	}
	p := listParams{Filter: strings.TrimSpace(body.Filter), StartIndex: 1, Count: o.DefaultPageSize, SortBy: body.SortBy,
		selection: selection{Attributes: body.Attributes, Excluded: body.ExcludedAttributes}}
	if body.StartIndex != nil {
		p.StartIndex = *body.StartIndex
	}
	if body.Count != nil {
		p.Count = *body.Count
	}
	var se *scimerrors.ScimError
	if p.Descending, se = sortOrder(body.SortOrder); se != nil {
		return p, se
	}
	return p, p.clamp(o)
}

// jsonProblem describes a decoding error without Go type names.
func jsonProblem(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return te.Field + " must be " + wireType(te.Type.Kind().String()) + ", not " + te.Value
	}
	if field, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return "unknown attribute " + field
	}
	return "malformed JSON"
}

func wireType(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "bool", "ptr":
		return "a boolean"
	case "slice":
		return "an array"
	case "struct", "map":
		return "an object"
	}
	return "a " + kind
}

// serveList answers GET /Users, GET /Groups and their POST /.search.
func (h *Handler) serveList(w http.ResponseWriter, r *http.Request, rt *resourceType, p listParams, se *scimerrors.ScimError) {
	if se != nil {
		writeError(w, *se)
		return
	}
	var expr filter.Expr
	if p.Filter != "" {
		var err error
		if expr, err = filter.Parse(p.Filter); err != nil {
			writeError(w, badRequest(scimerrors.ScimTypeInvalidFilter, err.Error()))
			return
		}
	}
	var total int
	var resources []any
	var err error
	if rt == userType {
		total, resources, err = h.listUsers(r, actorFrom(r), expr, p)
	} else {
		total, resources, err = h.listGroups(r, actorFrom(r), expr, p)
	}
	if err != nil {
		writeError(w, errorFor(h.log, r, err))
		return
	}
	writeList(w, total, p.StartIndex, resources)
}

// writeList writes a ListResponse: itemsPerPage is the number of resources returned, and
// Resources is never null.
func writeList(w http.ResponseWriter, total, startIndex int, resources []any) {
	if resources == nil {
		resources = []any{}
	}
	writeJSON(w, http.StatusOK, listJSON{total: total, startIndex: startIndex, resources: resources})
}

// serveRootList answers a query against the server root (GET / and POST /.search, RFC 7644
// §3.4.2.1): the token's users, then its groups, as one list paged by startIndex and count.
// sortBy orders each resource type within its part.
func (h *Handler) serveRootList(w http.ResponseWriter, r *http.Request, p listParams, se *scimerrors.ScimError) {
	if se != nil {
		writeError(w, *se)
		return
	}
	var expr filter.Expr
	if p.Filter != "" {
		var err error
		if expr, err = filter.Parse(p.Filter); err != nil {
			writeError(w, badRequest(scimerrors.ScimTypeInvalidFilter, err.Error()))
			return
		}
	}
	_, userSortable := userSortKey(directory.User{}, p.SortBy)
	_, groupSortable := groupSortKey(directory.Group{}, p.SortBy)
	if p.SortBy != "" && !userSortable && !groupSortable {
		writeError(w, errorFor(h.log, r, sortError(p.SortBy)))
		return
	}
	up, gp := p, p
	if !userSortable {
		up.SortBy = ""
	}
	if !groupSortable {
		gp.SortBy = ""
	}
	actor := actorFrom(r)
	userTotal, users, err := h.listUsers(r, actor, expr, up)
	if err != nil {
		writeError(w, errorFor(h.log, r, err))
		return
	}
	gp.StartIndex = max(1, p.StartIndex-userTotal)
	gp.Count = p.Count - len(users)
	groupTotal, groups, err := h.listGroups(r, actor, expr, gp)
	if err != nil {
		writeError(w, errorFor(h.log, r, err))
		return
	}
	writeList(w, userTotal+groupTotal, p.StartIndex, append(append([]any{}, users...), groups...))
}

// window collects the page [start-1, start-1+count) of a stream of matches and counts them.
type window[T any] struct {
	skip, count int
	total       int
	items       []T
}

func (w *window[T]) add(x T) {
	if w.total >= w.skip && len(w.items) < w.count {
		w.items = append(w.items, x)
	}
	w.total++
}

func (w *window[T]) full() bool { return len(w.items) >= w.count && w.total >= w.skip }

// sortByKey orders resources by p.SortBy (key gives each one's sort value), ties broken by id so
// that pages stay stable.
func sortByKey[T any](items []T, p listParams, key func(T, string) (string, bool), id func(T) string) {
	slices.SortStableFunc(items, func(a, b T) int {
		ka, _ := key(a, p.SortBy)
		kb, _ := key(b, p.SortBy)
		c := cmp.Compare(ka, kb)
		if p.Descending {
			c = -c
		}
		return cmp.Or(c, cmp.Compare(id(a), id(b)))
	})
}

// userSortKey is the value a user sorts by; ok is false for attributes Roster cannot sort by.
func userSortKey(u directory.User, attr string) (string, bool) {
	switch strings.ToLower(strings.TrimPrefix(strings.ToLower(attr), strings.ToLower(userSchemaURN)+":")) {
	case "id":
		return u.ID, true
	case "username":
		return strings.ToLower(u.UserName), true
	case "displayname":
		return strings.ToLower(u.DisplayName), true
	case "name.familyname":
		return strings.ToLower(u.Name.FamilyName), true
	case "name.givenname":
		return strings.ToLower(u.Name.GivenName), true
	case "name.formatted":
		return strings.ToLower(u.Name.Formatted), true
	case "externalid":
		return u.ExternalID, true
	case "title":
		return strings.ToLower(u.Title), true
	case "emails", "emails.value":
		return strings.ToLower(u.PrimaryEmail()), true
	case "active":
		return strconv.FormatBool(u.Active), true
	case "meta.created":
		return formatTime(u.Meta.Created), true
	case "meta.lastmodified":
		return formatTime(u.Meta.LastModified), true
	}
	return "", false
}

func groupSortKey(g directory.Group, attr string) (string, bool) {
	switch strings.ToLower(strings.TrimPrefix(strings.ToLower(attr), strings.ToLower(groupSchemaURN)+":")) {
	case "id":
		return g.ID, true
	case "displayname":
		return strings.ToLower(g.DisplayName), true
	case "externalid":
		return g.ExternalID, true
	case "meta.created":
		return formatTime(g.Meta.Created), true
	case "meta.lastmodified":
		return formatTime(g.Meta.LastModified), true
	}
	return "", false
}

func sortError(attr string) error {
	return badRequest(scimerrors.ScimTypeInvalidValue, fmt.Sprintf("sortBy %q is not supported; sort by id, userName, displayName, name.familyName, name.givenName, externalId, emails, title, active, meta.created or meta.lastModified", attr))
}

// candidateUsers answers an equality on an indexed attribute from the index: the users of the
// actor's IdP that may match, in id order. ok is false when e has no such equality.
func candidateUsers(tx directory.ReadTx, actor directory.SCIMActor, e filter.Expr) (users []directory.User, ok bool, err error) {
	idp := actor.IdP
	attr, value, ok := filter.IndexedEquality(e)
	if !ok {
		return nil, false, nil
	}
	var found []directory.User
	switch attr {
	case "id":
		u, err := tx.User(value)
		if err == nil {
			found = []directory.User{u}
		} else if !errors.Is(err, directory.ErrNotFound) {
			return nil, true, err
		}
	case "username":
		u, err := tx.UserByUserName(actor.Org, value)
		if err == nil {
			found = []directory.User{u}
		} else if !errors.Is(err, directory.ErrNotFound) {
			return nil, true, err
		}
	case "externalid":
		if found, err = tx.UsersByExternalID(idp, value); err != nil && !errors.Is(err, directory.ErrNotFound) {
			return nil, true, err
		}
	case "emails.value":
		if found, err = tx.UsersByEmail(actor.Org, value); err != nil && !errors.Is(err, directory.ErrNotFound) {
			return nil, true, err
		}
	default:
		return nil, false, nil // users have no displayName index
	}
	users = found[:0:0]
	for _, u := range found {
		if u.IdP == idp { // R10: the index spans the organization's IdPs
			users = append(users, u)
		}
	}
	slices.SortFunc(users, func(a, b directory.User) int { return cmp.Compare(a.ID, b.ID) })
	return users, true, nil
}

func (h *Handler) listUsers(r *http.Request, actor directory.SCIMActor, e filter.Expr, p listParams) (int, []any, error) {
	if p.SortBy != "" {
		if _, ok := userSortKey(directory.User{}, p.SortBy); !ok {
			return 0, nil, sortError(p.SortBy)
		}
	}
	var total int
	var out []any
	err := h.svc.View(r.Context(), func(tx directory.ReadTx) error {
		win := &window[directory.User]{skip: p.StartIndex - 1, count: p.Count}
		var all []directory.User // only when sorting
		add := func(u directory.User) {
			if p.SortBy != "" {
				all = append(all, u)
			} else {
				win.add(u)
			}
		}
		candidates, indexed, err := candidateUsers(tx, actor, e)
		if err != nil {
			return err
		}
		switch {
		case indexed:
			for _, u := range candidates {
				if filter.MatchUser(e, u, nil) {
					add(u)
				}
			}
		case e == nil && p.SortBy == "":
			// Without a filter the total is a count, and the scan stops after the page. A
			// remembered position lets the scan start right at the page.
			n, err := tx.CountUsers("", actor.IdP)
			if err != nil {
				return err
			}
			seq, err := tx.LastSeq()
			if err != nil {
				return err
			}
			q := directory.ScanQuery{IdP: actor.IdP}
			if after, ok := h.cursors.after(seq, actor.IdP, p.StartIndex); ok {
				q.After, win.skip = after, 0
			} else if win.skip > 1 {
				// The store skips on its index, reading no user before the page but the
				// one just before it, whose id is remembered as where the page starts.
				q.Skip, win.skip = win.skip-1, 1
			}
			var prev string // the id before the page, to remember where it starts
			if p.StartIndex-1 < n && p.Count > 0 {
				err = tx.ScanUsers(q, func(u directory.User) error {
					if win.total == win.skip-1 {
						prev = u.ID
					}
					win.add(u)
					if win.full() {
						return directory.ErrStopScan
					}
					return nil
				})
				if err != nil {
					return err
				}
			}
			if prev != "" {
				h.cursors.remember(seq, actor.IdP, p.StartIndex, prev)
			}
			if k := len(win.items); k > 0 {
				h.cursors.remember(seq, actor.IdP, p.StartIndex+k, win.items[k-1].ID)
			}
			win.total = n
		default:
			q := directory.ScanQuery{IdP: actor.IdP}
			if e != nil {
				// Users that hold none of the strings the filter looks for are not decoded.
				q.Mentions, _ = filter.Mentions(e)
			}
			err := tx.ScanUsers(q, func(u directory.User) error {
				if e == nil || filter.MatchUser(e, u, nil) {
					add(u)
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		if p.SortBy != "" {
			sortByKey(all, p, userSortKey, func(u directory.User) string { return u.ID })
			for _, u := range all {
				win.add(u)
			}
		}
		total = win.total
		sel := selection{Attributes: p.Attributes, Excluded: p.Excluded}
		ids := make([]string, len(win.items))
		for i, u := range win.items {
			ids[i] = u.ID
		}
		groups, err := tx.GroupRefsOfUsers(ids)
		if err != nil {
			return err
		}
		for _, u := range win.items {
			out = append(out, h.renderUser(u, h.refsOf(groups[u.ID]), sel))
		}
		return nil
	})
	return total, out, err
}

func (h *Handler) listGroups(r *http.Request, actor directory.SCIMActor, e filter.Expr, p listParams) (int, []any, error) {
	if p.SortBy != "" {
		if _, ok := groupSortKey(directory.Group{}, p.SortBy); !ok {
			return 0, nil, badRequest(scimerrors.ScimTypeInvalidValue, fmt.Sprintf("sortBy %q is not supported for groups; sort by id, displayName, externalId, meta.created or meta.lastModified", p.SortBy))
		}
	}
	var total int
	var out []any
	sel := selection{Attributes: p.Attributes, Excluded: p.Excluded}
	// An answer without members, to a filter that does not read them, reads none: a look-up
	// of a group of 50,000 by displayName with members excluded (Entra ID's) reads its
	// record alone.
	heads := sel.omitsMembers() && !mentionsMembers(e)
	err := h.svc.View(r.Context(), func(tx directory.ReadTx) error {
		var matches []directory.Group
		skip, counted := p.StartIndex-1, -1 // counted: the total, when the store counted it
		attr, value, indexed := filter.IndexedEquality(e)
		consider := func(g directory.Group) {
			if g.IdP == actor.IdP && (e == nil || filter.MatchGroup(e, g, nil)) {
				matches = append(matches, g)
			}
		}
		switch {
		case indexed && attr == "displayname":
			var g directory.Group
			id, err := tx.GroupIDByDisplayName(actor.IdP, value)
			if err == nil {
				g, err = readGroup(tx, id, heads)
			}
			if err == nil {
				consider(g)
			} else if !errors.Is(err, directory.ErrNotFound) {
				return err
			}
		case indexed && attr == "id":
			g, err := readGroup(tx, value, heads)
			if err == nil {
				consider(g)
			} else if !errors.Is(err, directory.ErrNotFound) {
				return err
			}
		case e == nil && p.SortBy == "":
			// Without a filter the total is a count, and only the page's groups are read (an
			// IdP's connector pages through all of them, and each group read is its members):
			// the store skips the groups before the page on its index.
			var err error
			if counted, err = tx.CountGroups("", actor.IdP); err != nil {
				return err
			}
			if skip < counted && p.Count > 0 {
				if err := tx.ScanGroups(directory.ScanQuery{IdP: actor.IdP, Skip: skip, WithoutMembers: heads}, func(g directory.Group) error {
					matches = append(matches, g)
					if len(matches) == p.Count {
						return directory.ErrStopScan
					}
					return nil
				}); err != nil {
					return err
				}
			}
			skip = 0
		default:
			if err := tx.ScanGroups(directory.ScanQuery{IdP: actor.IdP, WithoutMembers: heads}, func(g directory.Group) error {
				consider(g)
				return nil
			}); err != nil {
				return err
			}
		}
		if p.SortBy != "" {
			sortByKey(matches, p, groupSortKey, func(g directory.Group) string { return g.ID })
		}
		win := &window[directory.Group]{skip: skip, count: p.Count}
		for _, g := range matches {
			win.add(g)
		}
		total = win.total
		if counted >= 0 {
			total = counted
		}
		for _, g := range win.items {
			out = append(out, h.renderGroup(g, sel))
		}
		return nil
	})
	return total, out, err
}

// serveGet answers GET /Users/{id} and /Groups/{id}, with If-None-Match (304) and attribute
// selection.
func (h *Handler) serveGet(w http.ResponseWriter, r *http.Request, rt *resourceType, id string) {
	actor, sel := actorFrom(r), selectionFromQuery(r)
	var body any
	var version int64
	err := h.svc.View(r.Context(), func(tx directory.ReadTx) error {
		if rt == userType {
			u, err := tx.User(id)
			if err != nil {
				return err
			}
			if u.IdP != actor.IdP {
				return directory.ErrNotFound // R10
			}
			groups, err := h.groupRefs(tx, u.ID)
			if err != nil {
				return err
			}
			version, body = u.Meta.Version, h.renderUser(u, groups, sel)
			return nil
		}
		g, err := readGroup(tx, id, sel.omitsMembers())
		if err != nil {
			return err
		}
		if g.IdP != actor.IdP {
			return directory.ErrNotFound
		}
		version, body = g.Meta.Version, h.renderGroup(g, sel)
		return nil
	})
	if err != nil {
		writeError(w, errorFor(h.log, r, err))
		return
	}
	w.Header().Set("ETag", etag(version))
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		for _, tag := range strings.Split(inm, ",") {
			if v, ok := parseETag(tag); (ok && v == version) || strings.TrimSpace(tag) == "*" {
				w.WriteHeader(http.StatusNotModified)
				return
			}
		}
	}
	// RFC 7644 §3.1: meta.location is the resource's Content-Location.
	w.Header().Set("Content-Location", h.scimBase()+rt.endpoint+"/"+id)
	writeJSON(w, http.StatusOK, body)
}

// project applies attributes / excludedAttributes to a resource in generic JSON form. id and
// schemas are always returned (RFC 7643 §7 "returned: always").
func project(m map[string]any, sel selection) map[string]any {
	if len(sel.Attributes) > 0 {
		out := map[string]any{}
		for _, k := range []string{"id", "schemas"} {
			if v, ok := m[k]; ok {
				out[k] = v
			}
		}
		for _, a := range sel.Attributes {
			copyAttr(out, m, a)
		}
		return out
	}
	for _, a := range sel.Excluded {
		removeAttr(m, a)
	}
	return m
}

// omitsMembers reports whether an answer under the selection carries no group members:
// attributes that do not name them, or members excluded whole (project's rules).
func (s selection) omitsMembers() bool {
	if len(s.Attributes) > 0 {
		for _, a := range s.Attributes {
			if ext, name, _ := splitAttr(a); ext == "" && strings.EqualFold(name, "members") {
				return false
			}
		}
		return true
	}
	for _, a := range s.Excluded {
		if ext, name, sub := splitAttr(a); ext == "" && sub == "" && strings.EqualFold(name, "members") {
			return true
		}
	}
	return false
}

// mentionsMembers reports whether a filter reads a group's members.
func mentionsMembers(e filter.Expr) bool {
	switch x := e.(type) {
	case nil:
		return false
	case *filter.Logical:
		return mentionsMembers(x.Left) || mentionsMembers(x.Right)
	case *filter.Not:
		return mentionsMembers(x.X)
	case *filter.Compare:
		return strings.EqualFold(x.Path.Name, "members")
	case *filter.ValuePath:
		return strings.EqualFold(x.Attr.Name, "members")
	}
	return true
}

// readGroup reads group id, or only its record (Members nil) when head is true.
func readGroup(tx directory.ReadTx, id string, head bool) (directory.Group, error) {
	if !head {
		return tx.Group(id)
	}
	g, _, err := tx.GroupHead(id, 0)
	return g, err
}

// splitAttr resolves an attribute reference to (extension key or "", attribute, sub-attribute).
func splitAttr(a string) (ext, name, sub string) {
	a = strings.TrimSpace(a)
	lower := strings.ToLower(a)
	for _, urn := range []string{userSchemaURN, groupSchemaURN} {
		if strings.HasPrefix(lower, strings.ToLower(urn)+":") {
			a = a[len(urn)+1:]
		}
	}
	if strings.HasPrefix(strings.ToLower(a), strings.ToLower(enterpriseSchemaURN)) {
		rest := strings.TrimPrefix(a[len(enterpriseSchemaURN):], ":")
		name, sub, _ = strings.Cut(rest, ".")
		return enterpriseSchemaURN, name, sub
	}
	name, sub, _ = strings.Cut(a, ".")
	return "", name, sub
}

func copyAttr(dst, src map[string]any, a string) {
	ext, name, sub := splitAttr(a)
	if ext != "" {
		from, ok := src[ext].(map[string]any)
		if !ok {
			return
		}
		to, _ := dst[ext].(map[string]any)
		if to == nil {
			to = map[string]any{}
			dst[ext] = to
		}
		if name == "" {
			for k, v := range from {
				to[k] = v
			}
			return
		}
		copyAttr(to, from, strings.TrimSuffix(name+"."+sub, "."))
		return
	}
	key := findKey(src, name)
	v, ok := src[key]
	if !ok {
		return
	}
	if sub == "" {
		dst[key] = v
		return
	}
	switch x := v.(type) {
	case map[string]any:
		to, _ := dst[key].(map[string]any)
		if to == nil {
			to = map[string]any{}
			dst[key] = to
		}
		if sv, ok := x[findKey(x, sub)]; ok {
			to[findKey(x, sub)] = sv
		}
	case []any:
		list := make([]any, 0, len(x))
		for _, el := range x {
			if em, ok := el.(map[string]any); ok {
				if sv, ok := em[findKey(em, sub)]; ok {
					list = append(list, map[string]any{findKey(em, sub): sv})
				}
			}
		}
		dst[key] = list
	}
}

func removeAttr(m map[string]any, a string) {
	ext, name, sub := splitAttr(a)
	if ext != "" {
		inner, ok := m[ext].(map[string]any)
		if !ok {
			return
		}
		if name == "" {
			delete(m, ext)
			return
		}
		removeAttr(inner, strings.TrimSuffix(name+"."+sub, "."))
		return
	}
	key := findKey(m, name)
	if strings.EqualFold(key, "id") || strings.EqualFold(key, "schemas") {
		return
	}
	if sub == "" {
		delete(m, key)
		return
	}
	switch x := m[key].(type) {
	case map[string]any:
		delete(x, findKey(x, sub))
	case []any:
		for _, el := range x {
			if em, ok := el.(map[string]any); ok {
				delete(em, findKey(em, sub))
			}
		}
	}
}
