package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rosterhq/roster/directory"
)

// secretMask stands in for a stored OIDC client secret in answers. A PATCH or POST that sends
// it back unchanged keeps the stored secret, so a form can round-trip an IdP without ever
// holding the secret.
const secretMask = "********"

// idpInput is the part of the IdP shape an administrator writes.
type idpInput struct {
	ID                 string                 `json:"id"`
	Org                string                 `json:"org"`
	Name               string                 `json:"name"`
	Protocol           directory.Protocol     `json:"protocol"`
	Mode               directory.Mode         `json:"mode"`
	Preset             string                 `json:"preset"`
	SAML               directory.SAMLSettings `json:"saml"`
	OIDC               directory.OIDCSettings `json:"oidc"`
	Mapping            directory.Mapping      `json:"mapping"`
	SCIMMatch          string                 `json:"scim_match"`
	LinkPolicy         string                 `json:"link_policy"`
	LoginAuthoritative []string               `json:"login_authoritative"`
	DefaultGroups      []string               `json:"default_groups"`
}

// readOnlyIdPFields are answer-only fields; a client that sends an IdP back as it got it
// should not be refused for them, so they are dropped from input.
var readOnlyIdPFields = []string{"sp_entity_id", "acs_url", "sp_metadata_url", "redirect_uri", "scim_base_url",
	"login_url", "created", "updated", "users", "preset_info", "warnings"}

// idpView is an IdP as the API answers it: the settings plus the values to paste into the IdP.
type idpView struct {
	idpInput
	Created       time.Time `json:"created"`
	Updated       time.Time `json:"updated"`
	SPEntityID    string    `json:"sp_entity_id"`
	ACSURL        string    `json:"acs_url"`
	SPMetadataURL string    `json:"sp_metadata_url"`
	RedirectURI   string    `json:"redirect_uri"`
	SCIMBaseURL   string    `json:"scim_base_url"`
	LoginURL      string    `json:"login_url"`
	// Warnings name settings that weaken sign-in, each with what it gives up.
	Warnings []string `json:"warnings"`
}

// warnings says what an IdP's settings give up, for the administrator to weigh.
func warnings(p directory.IdP) []string {
	out := []string{}
	if p.Protocol != directory.ProtocolSAML {
		return out
	}
	if p.SAML.AllowSHA1 {
		out = append(out, "saml.allow_sha1: responses signed with SHA-1 (RSA-SHA1, DSA-SHA1) are accepted. SHA-1 collisions can be computed; "+
			"switch the IdP's signing algorithm to RSA-SHA256 and turn this off.")
	}
	if p.SAML.AllowIdPInitiated {
		out = append(out, "saml.allow_idp_initiated: sign-ins started at the IdP are bound to no browser, so a valid response for one "+
			"account can sign another person's browser in to it (login CSRF).")
	}
	return out
}

func (in idpInput) idp() directory.IdP {
	return directory.IdP{ID: in.ID, Org: in.Org, Name: in.Name, Protocol: in.Protocol, Mode: in.Mode, Preset: in.Preset,
		SAML: in.SAML, OIDC: in.OIDC, Mapping: in.Mapping, SCIMMatch: in.SCIMMatch, LinkPolicy: in.LinkPolicy,
		LoginAuthoritative: in.LoginAuthoritative, DefaultGroups: in.DefaultGroups}
}

func inputOf(p directory.IdP) idpInput {
	return idpInput{ID: p.ID, Org: directory.OrgOrDefault(p.Org), Name: p.Name, Protocol: p.Protocol, Mode: p.Mode, Preset: p.Preset,
		SAML: p.SAML, OIDC: p.OIDC, Mapping: p.Mapping, SCIMMatch: p.SCIMMatch, LinkPolicy: p.LinkPolicy,
		LoginAuthoritative: p.LoginAuthoritative, DefaultGroups: p.DefaultGroups}
}

func (h *Handler) view(p directory.IdP) idpView {
	in := inputOf(p)
	if in.OIDC.ClientSecret != "" {
		in.OIDC.ClientSecret = secretMask
	}
	if in.LoginAuthoritative == nil {
		in.LoginAuthoritative = []string{}
	}
	if in.DefaultGroups == nil {
		in.DefaultGroups = []string{}
	}
	if in.OIDC.Scopes == nil {
		in.OIDC.Scopes = []string{}
	}
	sso := h.cfg.BaseURL + "/sso/" + url.PathEscape(p.ID)
	return idpView{idpInput: in, Created: p.Created, Updated: p.Updated,
		SPEntityID: sso + "/saml/metadata", ACSURL: sso + "/saml/acs", SPMetadataURL: sso + "/saml/metadata",
		RedirectURI: sso + "/oidc/callback", SCIMBaseURL: h.cfg.BaseURL + "/scim/v2", LoginURL: sso + "/login",
		Warnings: warnings(p)}
}

// maxProblemBytes bounds one protocol problem in an API answer.
const maxProblemBytes = 500

// problems reports every problem of p at once: the domain's (which also fills defaults) and,
// when they are known, the protocol's.
func (h *Handler) problems(r *http.Request, p *directory.IdP) []string {
	problems := directory.NormalizeIdP(p)
	if h.cfg.ValidateIdP != nil {
		// A protocol problem may tell what a remote server did (a metadata URL, an issuer);
		// each is bounded, so nothing that server sends can make this answer large.
		for _, pr := range h.cfg.ValidateIdP(r.Context(), *p) {
			if len(pr) > maxProblemBytes {
				cut := maxProblemBytes
				for cut > 0 && !utf8.RuneStart(pr[cut]) {
					cut--
				}
				pr = pr[:cut] + "…"
			}
			problems = append(problems, pr)
		}
	}
	if p.Preset != "" && h.cfg.Presets != nil && h.cfg.ValidateIdP == nil {
		if _, ok := h.preset(p.Preset); !ok {
			problems = append(problems, fmt.Sprintf("preset %q is not known; GET %s/presets lists them", p.Preset, Prefix))
		}
	}
	return problems
}

func (h *Handler) preset(id string) (PresetInfo, bool) {
	for _, p := range h.cfg.Presets {
		if strings.EqualFold(p.ID, id) {
			return p, true
		}
	}
	return PresetInfo{}, false
}

// presetSCIMMatch is the SCIM matching attribute of a new IdP that names none: its preset's
// (the generic one when it names no preset), so that the default is one its connector can
// satisfy; "" leaves the directory's default.
func (h *Handler) presetSCIMMatch(preset string) string {
	if strings.TrimSpace(preset) == "" {
		preset = "generic"
	}
	p, _ := h.preset(preset)
	return p.SCIMMatch
}

type list[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
}

func (h *Handler) listIdPs(w http.ResponseWriter, r *http.Request, a access) error {
	ps, err := h.svc.IdPs(r.Context(), a.org)
	if err != nil {
		return err
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].ID < ps[j].ID })
	out := list[idpView]{Items: []idpView{}}
	for _, p := range ps {
		out.Items = append(out.Items, h.view(p))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (h *Handler) getIdP(w http.ResponseWriter, r *http.Request, _ access) error {
	p, err := h.svc.IdP(r.Context(), r.PathValue("id"))
	if errors.Is(err, directory.ErrNotFound) {
		return idpMissing(r.PathValue("id"))
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, h.view(p))
	return nil
}

// readObject reads a JSON object body, dropping the answer-only fields.
func readObject(r *http.Request, readOnly []string) (map[string]json.RawMessage, error) {
	if err := requireJSON(r); err != nil {
		return nil, err
	}
	var obj map[string]json.RawMessage
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(&obj); err != nil {
		return nil, jsonProblem(err)
	}
	if obj == nil {
		return nil, badRequest("the body must be a JSON object")
	}
	for _, f := range readOnly {
		delete(obj, f)
	}
	return obj, nil
}

// readPatch reads a JSON merge patch (RFC 7386) body, dropping the answer-only fields.
func readPatch(r *http.Request, readOnly []string) (map[string]any, error) {
	obj, err := readObject(r, readOnly)
	if err != nil {
		return nil, err
	}
	raw, _ := json.Marshal(obj)
	var patch map[string]any
	_ = json.Unmarshal(raw, &patch)
	return patch, nil
}

// strictDecode decodes raw into v, refusing unknown fields.
func strictDecode(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonProblem(err)
	}
	return nil
}

func (h *Handler) createIdP(w http.ResponseWriter, r *http.Request, a access) error {
	obj, err := readObject(r, readOnlyIdPFields)
	if err != nil {
		return err
	}
	raw, _ := json.Marshal(obj)
	var in idpInput
	if err := strictDecode(raw, &in); err != nil {
		return err
	}
	if in.OIDC.ClientSecret == secretMask {
		return badRequest("oidc.client_secret: send the real client secret, not the mask")
	}
	// The organization was resolved, and the principal's right to create in it decided,
	// before this handler ran: from this "org", ?org= or the only organization there is.
	in.Org = a.org
	p := in.idp()
	if p.SCIMMatch == "" {
		p.SCIMMatch = h.presetSCIMMatch(p.Preset)
	}
	if problems := h.problems(r, &p); len(problems) > 0 {
		return badRequest(fmt.Sprintf("the IdP has %d problem(s); fix them all and send it again", len(problems)), problems...)
	}
	created, err := h.svc.CreateIdP(r.Context(), a.actor(), p)
	var conflict *directory.ConflictError
	if errors.As(err, &conflict) {
		return &apiError{status: http.StatusConflict, msg: fmt.Sprintf("an IdP with id %q already exists; choose another id or PATCH that one", p.ID)}
	}
	if err != nil {
		return err
	}
	writeCreated(w, Prefix+"/idps/"+url.PathEscape(created.ID), h.view(created))
	return nil
}

// mergePatch applies an RFC 7386 JSON merge patch to a JSON object.
func mergePatch(target, patch map[string]any) map[string]any {
	if target == nil {
		target = map[string]any{}
	}
	for k, v := range patch {
		if v == nil {
			delete(target, k)
			continue
		}
		if pm, ok := v.(map[string]any); ok {
			tm, _ := target[k].(map[string]any)
			target[k] = mergePatch(tm, pm)
			continue
		}
		target[k] = v
	}
	return target
}

// applyPatch returns old with the merge patch applied. It is pure, as UpdateIdP's closure
// must be: it may run more than once.
func applyPatch(old directory.IdP, patch map[string]any) (directory.IdP, error) {
	raw, _ := json.Marshal(inputOf(old))
	var target map[string]any
	_ = json.Unmarshal(raw, &target)
	merged, _ := json.Marshal(mergePatch(target, patch))
	var in idpInput
	if err := strictDecode(merged, &in); err != nil {
		return directory.IdP{}, err
	}
	if in.ID != old.ID {
		return directory.IdP{}, badRequest(fmt.Sprintf("id cannot change (from %q to %q); create a new IdP instead", old.ID, in.ID))
	}
	if in.Org != directory.OrgOrDefault(old.Org) {
		// Its users, groups, tokens and events are that organization's; moving the IdP
		// would move them with it.
		return directory.IdP{}, badRequest(fmt.Sprintf("org cannot change (from %q to %q); an IdP stays in the organization it was created in", directory.OrgOrDefault(old.Org), in.Org))
	}
	if in.OIDC.ClientSecret == secretMask {
		in.OIDC.ClientSecret = old.OIDC.ClientSecret
	}
	p := in.idp()
	p.Created, p.Updated = old.Created, old.Updated
	return p, nil
}

func (h *Handler) patchIdP(w http.ResponseWriter, r *http.Request, a access) error {
	id := r.PathValue("id")
	patch, err := readPatch(r, readOnlyIdPFields)
	if err != nil {
		return err
	}

	old, err := h.svc.IdP(r.Context(), id)
	if errors.Is(err, directory.ErrNotFound) {
		return idpMissing(id)
	}
	if err != nil {
		return err
	}
	// Validate against the current settings first, so that every problem (including the
	// protocol's, which may fetch metadata) is reported before anything is written.
	p, err := applyPatch(old, patch)
	if err != nil {
		return err
	}
	if problems := h.problems(r, &p); len(problems) > 0 {
		return badRequest(fmt.Sprintf("the change has %d problem(s); nothing was changed", len(problems)), problems...)
	}
	updated, err := h.svc.UpdateIdP(r.Context(), a.actor(), id, func(cur directory.IdP) (directory.IdP, error) {
		return applyPatch(cur, patch)
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, h.view(updated))
	return nil
}

func (h *Handler) deleteIdP(w http.ResponseWriter, r *http.Request, a access) error {
	id := r.PathValue("id")
	force := false
	if v := r.URL.Query().Get("force"); v != "" {
		var err error
		if force, err = strconv.ParseBool(v); err != nil {
			return badRequest(fmt.Sprintf("force=%q: use true or false", v))
		}
	}
	err := h.svc.DeleteIdP(r.Context(), a.actor(), id, force)
	var conflict *directory.ConflictError
	switch {
	case errors.Is(err, directory.ErrNotFound):
		return idpMissing(id)
	case errors.As(err, &conflict):
		return &apiError{status: http.StatusConflict, msg: conflict.Value}
	case err != nil:
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// --- SCIM tokens --------------------------------------------------------------------------------

type tokenView struct {
	ID         string     `json:"id"`
	Org        string     `json:"org"`
	IdP        string     `json:"idp"`
	Name       string     `json:"name"`
	Created    time.Time  `json:"created"`
	ExpiresAt  *time.Time `json:"expires_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	// Status is "active", "expired" or "revoked".
	Status string `json:"status"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func (h *Handler) tokenView(t directory.Token) tokenView {
	return tokenView{ID: t.ID, Org: directory.OrgOrDefault(t.Org), IdP: t.IdP, Name: t.Name, Created: t.Created, ExpiresAt: timePtr(t.ExpiresAt),
		RevokedAt: timePtr(t.RevokedAt), LastUsedAt: timePtr(t.LastUsedAt), Status: tokenStatus(t, h.svc.Now())}
}

// tokenStatus is "active", "expired" or "revoked".
func tokenStatus(t directory.Token, now time.Time) string {
	switch {
	case !t.RevokedAt.IsZero():
		return "revoked"
	case !t.Usable(now):
		return "expired"
	}
	return "active"
}

type tokenRequest struct {
	Name string `json:"name"`
	// ExpiresIn is a duration such as "720h" or "90d", or a number of seconds.
	ExpiresIn json.RawMessage `json:"expires_in"`
	ExpiresAt *time.Time      `json:"expires_at"`
}

type createdToken struct {
	tokenView
	// Token is the secret, shown this once.
	Token string `json:"token"`
}

// tokenExpiry reads a token request's expires_in or expires_at; zero is "never".
func tokenExpiry(now time.Time, expiresIn json.RawMessage, expiresAt *time.Time) (time.Time, []string) {
	var problems []string
	var expires time.Time
	if len(expiresIn) > 0 && string(expiresIn) != "null" {
		d, err := parseExpiresIn(expiresIn)
		switch {
		case err != nil:
			problems = append(problems, err.Error())
		case d <= 0:
			problems = append(problems, "expires_in must be positive")
		default:
			expires = now.Add(d)
		}
	}
	if expiresAt != nil {
		if !expires.IsZero() {
			problems = append(problems, "set only one of expires_in and expires_at")
		} else if !expiresAt.After(now) {
			problems = append(problems, "expires_at is in the past")
		} else {
			expires = *expiresAt
		}
	}
	return expires, problems
}

// parseExpiresIn accepts a Go duration, a number of days such as "90d", or seconds.
func parseExpiresIn(raw json.RawMessage) (time.Duration, error) {
	var secs float64
	if err := json.Unmarshal(raw, &secs); err == nil {
		return time.Duration(secs * float64(time.Second)), nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return 0, errors.New("expires_in must be a duration such as \"720h\" or \"90d\", or a number of seconds")
	}
	s = strings.TrimSpace(s)
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil {
			return 0, fmt.Errorf("expires_in %q: days must be a whole number such as \"90d\"", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("expires_in %q is not a duration such as \"720h\" or \"90d\"", s)
	}
	return d, nil
}

func (h *Handler) createToken(w http.ResponseWriter, r *http.Request, a access) error {
	idp := r.PathValue("id")
	var req tokenRequest
	if r.ContentLength != 0 {
		if err := decodeJSON(r, &req); err != nil {
			return err
		}
	}
	expires, problems := tokenExpiry(h.svc.Now(), req.ExpiresIn, req.ExpiresAt)
	if len(req.Name) > 200 {
		problems = append(problems, "name is longer than 200 characters")
	}
	if len(problems) > 0 {
		return badRequest("the token request has problems; no token was created", problems...)
	}
	if _, err := h.svc.IdP(r.Context(), idp); errors.Is(err, directory.ErrNotFound) {
		return idpMissing(idp)
	} else if err != nil {
		return err
	}
	t, secret, err := h.svc.CreateToken(r.Context(), a.actor(), directory.TokenSCIM, idp, req.Name, expires)
	if errors.Is(err, directory.ErrNotFound) {
		return idpMissing(idp)
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, createdToken{tokenView: h.tokenView(t), Token: secret})
	return nil
}

func (h *Handler) listTokens(w http.ResponseWriter, r *http.Request, _ access) error {
	idp := r.PathValue("id")
	if _, err := h.svc.IdP(r.Context(), idp); errors.Is(err, directory.ErrNotFound) {
		return idpMissing(idp)
	} else if err != nil {
		return err
	}
	ts, err := h.svc.Tokens(r.Context(), directory.TokenSCIM, idp)
	if err != nil {
		return err
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i].Created.Before(ts[j].Created) })
	out := list[tokenView]{Items: []tokenView{}}
	for _, t := range ts {
		out.Items = append(out.Items, h.tokenView(t))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (h *Handler) revokeToken(w http.ResponseWriter, r *http.Request, a access) error {
	id := r.PathValue("id")
	// Only SCIM tokens are revoked here (the route's scope finds no other kind): an admin
	// token revoked by a typo would lock its holder out.
	t, err := h.svc.RevokeToken(r.Context(), a.actor(), id)
	if errors.Is(err, directory.ErrNotFound) {
		return scimTokenMissing(id)
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, h.tokenView(t))
	return nil
}

// tokenOfKind reads a token of one kind; a token of the other kind reads as ErrNotFound.
func (h *Handler) tokenOfKind(ctx context.Context, id string, kind directory.TokenKind) (directory.Token, error) {
	var t directory.Token
	err := h.svc.View(ctx, func(tx directory.ReadTx) error {
		var err error
		t, err = tx.Token(id)
		return err
	})
	if err == nil && t.Kind != kind {
		return directory.Token{}, directory.ErrNotFound
	}
	return t, err
}

func (h *Handler) listPresets(w http.ResponseWriter, r *http.Request, _ access) error {
	out := list[PresetInfo]{Items: []PresetInfo{}}
	out.Items = append(out.Items, h.cfg.Presets...)
	writeJSON(w, http.StatusOK, out)
	return nil
}
