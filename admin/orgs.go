package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"time"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/internal/dnscheck"
)

// orgInput is the part of an organization an administrator writes.
type orgInput struct {
	ID            string                   `json:"id"`
	Name          string                   `json:"name"`
	EmailDomains  string                   `json:"email_domains"`
	ConsoleAccess *directory.ConsoleAccess `json:"console_access,omitempty"`
}

// readOnlyOrgFields are answer-only fields, dropped from a PATCH so that an organization can
// be sent back as it was read.
var readOnlyOrgFields = []string{"domains", "created", "updated"}

type orgView struct {
	orgInput
	Domains []domainView `json:"domains"`
	Created time.Time    `json:"created"`
	Updated time.Time    `json:"updated"`
}

type domainView struct {
	Domain     string     `json:"domain"`
	Verified   bool       `json:"verified"`
	VerifiedAt *time.Time `json:"verified_at"`
	TXTName    string     `json:"txt_name"`
	TXTValue   string     `json:"txt_value"`
	Created    time.Time  `json:"created"`
}

func domainViewOf(d directory.Domain) domainView {
	return domainView{Domain: d.Domain, Verified: d.Verified, VerifiedAt: timePtr(d.VerifiedAt),
		TXTName: d.TXTName, TXTValue: d.TXTValue, Created: d.Created}
}

func orgViewOf(o directory.Organization) orgView {
	v := orgView{orgInput: orgInput{ID: o.ID, Name: o.Name, EmailDomains: o.EmailDomains, ConsoleAccess: o.ConsoleAccess},
		Domains: make([]domainView, 0, len(o.Domains)), Created: o.Created, Updated: o.Updated}
	for _, d := range o.Domains {
		v.Domains = append(v.Domains, domainViewOf(d))
	}
	return v
}

func (h *Handler) listOrgs(w http.ResponseWriter, r *http.Request, a access) error {
	orgs, err := h.svc.Orgs(r.Context())
	if err != nil {
		return err
	}
	sort.Slice(orgs, func(i, j int) bool { return orgs[i].ID < orgs[j].ID })
	out := list[orgView]{Items: []orgView{}}
	for _, o := range orgs {
		// The list belongs to no organization; each item shows only to whom may see it.
		if a.principal.CanSeeOrg(o.ID) {
			out.Items = append(out.Items, orgViewOf(o))
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// org reads an organization; a missing one is answered as such.
func (h *Handler) org(r *http.Request, id string) (directory.Organization, error) {
	o, err := h.svc.Org(r.Context(), id)
	if errors.Is(err, directory.ErrNotFound) {
		return o, orgMissing(id)
	}
	return o, err
}

// serviceAnswer maps the errors of a Service operation on a resource: ErrNotFound is the
// resource's 404 (missing), a conflict is a 409 with its message.
func serviceAnswer(err, missing error) error {
	if errors.Is(err, directory.ErrNotFound) {
		return missing
	}
	return conflictAnswer(err)
}

// conflictAnswer makes a conflict a 409 with its message.
func conflictAnswer(err error) error {
	var conflict *directory.ConflictError
	if errors.As(err, &conflict) {
		return &apiError{status: http.StatusConflict, msg: conflict.Error()}
	}
	return err
}

func (h *Handler) getOrg(w http.ResponseWriter, r *http.Request, a access) error {
	o, err := h.org(r, a.org)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, orgViewOf(o))
	return nil
}

// orgProblems reports every problem of an organization's settings at once: the domain's
// (which also fills defaults) and whether console access names an IdP of this organization.
func (h *Handler) orgProblems(r *http.Request, o *directory.Organization) ([]string, error) {
	problems := directory.NormalizeOrg(o)
	if ca := o.ConsoleAccess; ca != nil {
		p, err := h.svc.IdP(r.Context(), ca.IdP)
		switch {
		case ca.IdP == "":
			problems = append(problems, "console_access.idp is required: the IdP whose sign-ins open the console")
		case errors.Is(err, directory.ErrNotFound) || (err == nil && directory.OrgOrDefault(p.Org) != o.ID):
			problems = append(problems, fmt.Sprintf("console_access.idp %q is not an IdP of organization %q", ca.IdP, o.ID))
		case err != nil:
			return nil, err
		}
	}
	return problems, nil
}

func (h *Handler) createOrg(w http.ResponseWriter, r *http.Request, a access) error {
	var in orgInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	o := directory.Organization{ID: in.ID, Name: in.Name, EmailDomains: in.EmailDomains, ConsoleAccess: in.ConsoleAccess}
	problems, err := h.orgProblems(r, &o)
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		return badRequest(fmt.Sprintf("the organization has %d problem(s); nothing was created", len(problems)), problems...)
	}
	created, err := h.svc.CreateOrg(r.Context(), a.actor(), o)
	if err != nil {
		return conflictAnswer(err)
	}
	writeCreated(w, Prefix+"/orgs/"+url.PathEscape(created.ID), orgViewOf(created))
	return nil
}

// applyOrgPatch returns old with an RFC 7386 merge patch applied to its writable settings. It
// is pure, as UpdateOrg's closure must be.
func applyOrgPatch(old directory.Organization, patch map[string]any) (directory.Organization, error) {
	raw, _ := json.Marshal(orgInput{ID: old.ID, Name: old.Name, EmailDomains: old.EmailDomains, ConsoleAccess: old.ConsoleAccess})
	var target map[string]any
	_ = json.Unmarshal(raw, &target)
	merged, _ := json.Marshal(mergePatch(target, patch))
	var in orgInput
	if err := strictDecode(merged, &in); err != nil {
		return directory.Organization{}, err
	}
	if in.ID != old.ID {
		return directory.Organization{}, badRequest(fmt.Sprintf("id cannot change (from %q to %q)", old.ID, in.ID))
	}
	o := old.Clone()
	o.Name, o.EmailDomains, o.ConsoleAccess = in.Name, in.EmailDomains, in.ConsoleAccess
	return o, nil
}

func (h *Handler) patchOrg(w http.ResponseWriter, r *http.Request, a access) error {
	patch, err := readPatch(r, readOnlyOrgFields)
	if err != nil {
		return err
	}
	old, err := h.org(r, a.org)
	if err != nil {
		return err
	}
	o, err := applyOrgPatch(old, patch)
	if err != nil {
		return err
	}
	problems, err := h.orgProblems(r, &o)
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		return badRequest(fmt.Sprintf("the change has %d problem(s); nothing was changed", len(problems)), problems...)
	}
	updated, err := h.svc.UpdateOrg(r.Context(), a.actor(), a.org, func(cur directory.Organization) (directory.Organization, error) {
		return applyOrgPatch(cur, patch)
	})
	if err != nil {
		return serviceAnswer(err, orgMissing(a.org))
	}
	writeJSON(w, http.StatusOK, orgViewOf(updated))
	return nil
}

func (h *Handler) deleteOrg(w http.ResponseWriter, r *http.Request, a access) error {
	if err := h.svc.DeleteOrg(r.Context(), a.actor(), a.org); err != nil {
		return serviceAnswer(err, orgMissing(a.org))
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// --- domains ------------------------------------------------------------------------------------

type domainRequest struct {
	Domain string `json:"domain"`
}

func (h *Handler) addDomain(w http.ResponseWriter, r *http.Request, a access) error {
	var in domainRequest
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if err := directory.ValidateDomain(in.Domain); err != nil {
		return err
	}
	d, err := h.svc.AddDomain(r.Context(), a.actor(), a.org, in.Domain)
	if err != nil {
		return serviceAnswer(err, orgMissing(a.org))
	}
	writeCreated(w, Prefix+"/orgs/"+url.PathEscape(a.org)+"/domains/"+url.PathEscape(d.Domain), domainViewOf(d))
	return nil
}

func domainMissing(org, domain string) error {
	return notFound(fmt.Sprintf("organization %q has no domain %q", org, domain))
}

// verifyDomain looks the domain's TXT record up now, and marks the domain verified when it
// holds the expected value; otherwise it says what it found.
func (h *Handler) verifyDomain(w http.ResponseWriter, r *http.Request, a access) error {
	name := directory.FoldDomain(r.PathValue("domain"))
	o, err := h.org(r, a.org)
	if err != nil {
		return err
	}
	d, ok := o.Domain(name)
	if !ok {
		return domainMissing(a.org, name)
	}
	res, err := h.dns.Check(r.Context(), d.TXTName, d.TXTValue)
	var lookup *dnscheck.LookupError
	if errors.As(err, &lookup) {
		return &apiError{status: http.StatusBadGateway, msg: lookup.Msg}
	}
	if err != nil {
		return err
	}
	if !res.Verified {
		return &apiError{status: http.StatusConflict, msg: fmt.Sprintf("domain %q is not verified: %s", name, res.Message)}
	}
	d, err = h.svc.MarkDomainVerified(r.Context(), a.actor(), a.org, name, res.Found)
	if err != nil {
		return serviceAnswer(err, domainMissing(a.org, name))
	}
	writeJSON(w, http.StatusOK, domainViewOf(d))
	return nil
}

func (h *Handler) removeDomain(w http.ResponseWriter, r *http.Request, a access) error {
	name := directory.FoldDomain(r.PathValue("domain"))
	if err := h.svc.RemoveDomain(r.Context(), a.actor(), a.org, name); err != nil {
		return serviceAnswer(err, domainMissing(a.org, name))
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
