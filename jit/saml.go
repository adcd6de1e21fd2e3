package jit

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/beevik/etree"
	"github.com/crewjam/saml"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/rosterhq/roster/directory"
)

// requestTTL is how long an issued AuthnRequest may be answered: long enough for a person to
// type a password and pass MFA at the IdP, short enough that old request ids do not pile up.
const requestTTL = 15 * time.Minute

// maxResponseSize bounds the posted form of the ACS. Real responses are a few kilobytes, or
// tens with many groups.
const maxResponseSize = 1 << 20

// pendingRequest is what Roster remembers of an AuthnRequest it issued, keyed by its id.
type pendingRequest struct {
	IdP      string `json:"idp"`
	ReturnTo string `json:"returnTo"`
	// flow is the sign-in's purpose (flows.go).
	flow
	// Binding is the base64url SHA-256 of the browser's SAML binding cookie (binding.go);
	// only the browser that started the sign-in can finish it.
	Binding string `json:"binding"`
}

// errNotSAML marks an IdP that has no SAML sign-in.
var errNotSAML = errors.New("the IdP does not use SAML")

// samlIdP loads an IdP for a SAML route. A missing IdP is directory.ErrNotFound.
func (h *Handler) samlIdP(ctx context.Context, id string) (directory.IdP, error) {
	p, err := h.svc.IdP(ctx, id)
	if err != nil {
		return p, err
	}
	if p.Protocol != directory.ProtocolSAML {
		return p, errNotSAML
	}
	return p, nil
}

// serviceProvider builds Roster's SAML service provider for one IdP. md may be nil when only
// the SP's own metadata is needed, so that an administrator can fetch it before pasting the
// IdP's metadata.
func (h *Handler) serviceProvider(ctx context.Context, p directory.IdP, md *idpMetadata) (*saml.ServiceProvider, error) {
	kp, err := h.spKeys(ctx)
	if err != nil {
		return nil, err
	}
	entityID, err := url.Parse(h.SPEntityID(p.ID))
	if err != nil {
		return nil, err
	}
	acs, err := url.Parse(h.ACSURL(p.ID))
	if err != nil {
		return nil, err
	}
	sp := &saml.ServiceProvider{
		EntityID:          entityID.String(),
		Key:               kp.key,
		Certificate:       kp.cert,
		MetadataURL:       *entityID,
		AcsURL:            *acs,
		AuthnNameIDFormat: saml.UnspecifiedNameIDFormat,
		AllowIDPInitiated: p.SAML.AllowIdPInitiated,
		// SHA-1 is broken for collision resistance; only an IdP that can do no better gets
		// it, by the administrator's explicit choice, which the admin API shows as a warning.
		RejectSHA1Signatures: !p.SAML.AllowSHA1,
		// Signed AuthnRequests let IdPs that require them (and IdPs that check them when the SP
		// metadata has a signing key) trust that a request came from Roster.
		SignatureMethod: dsig.RSASHA256SignatureMethod,
		// Roster answers only HTTP-POST at its ACS; advertising the artifact binding would make
		// IdPs try it.
		AssertionConsumerServiceBindings: []string{saml.HTTPPostBinding},
	}
	if md != nil {
		sp.IDPMetadata = md.entity
	}
	return sp, nil
}

// serveSAMLMetadata answers the SP metadata of an IdP's connection: entity id, ACS, and the
// certificate for signatures and encrypted assertions.
func (h *Handler) serveSAMLMetadata(w http.ResponseWriter, r *http.Request, idpID string) {
	p, err := h.samlIdP(r.Context(), idpID)
	if err != nil {
		h.renderIdPError(w, r, err)
		return
	}
	sp, err := h.serviceProvider(r.Context(), p, nil)
	if err != nil {
		h.renderFailure(w, r, http.StatusInternalServerError, "", err)
		return
	}
	body, err := xml.MarshalIndent(sp.Metadata(), "", "  ")
	if err != nil {
		h.renderFailure(w, r, http.StatusInternalServerError, "", err)
		return
	}
	w.Header().Set("Content-Type", "application/samlmetadata+xml")
	w.Header().Set("Content-Disposition", fmt.Sprintf("inline; filename=%q", "roster-"+p.ID+"-sp-metadata.xml"))
	_, _ = w.Write([]byte(xml.Header))
	_, _ = w.Write(body)
}

// renderIdPError answers a route whose IdP is missing or of another protocol.
func (h *Handler) renderIdPError(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, directory.ErrNotFound):
		p := refusalPages[directory.RefuseUnknownIdP]
		renderPage(w, http.StatusNotFound, p)
	case errors.Is(err, errNotSAML):
		renderPage(w, http.StatusNotFound, page{Title: "This sign-in is not set up",
			Message: "This identity provider does not use SAML. Start the sign-in from your application."})
	default:
		h.renderFailure(w, r, http.StatusInternalServerError, "", err)
	}
}

// serveLogin starts an SP-initiated sign-in: it records the AuthnRequest's id with the
// validated return_to and the hash of the browser's binding in the store, sets the binding
// cookie, and redirects to the IdP with the HTTP-Redirect binding. RelayState carries the
// request id, which names that record; the return_to itself never travels through the IdP, so
// nobody can swap it on the way back.
func (h *Handler) serveLogin(w http.ResponseWriter, r *http.Request, idpID string, f flow) {
	ctx := r.Context()
	returnTo, err := h.safeReturnTo(r.URL.Query().Get("return_to"))
	if err != nil {
		h.renderFailure(w, r, http.StatusBadRequest, "The link you followed asks to return to a page outside this site, which is not allowed.", err)
		return
	}
	p, err := h.samlIdP(ctx, idpID)
	if err != nil {
		h.renderIdPError(w, r, err)
		return
	}
	md, err := h.metadata(ctx, p)
	if err != nil {
		h.renderFailure(w, r, http.StatusBadGateway, "The identity provider of this sign-in is not reachable or not set up correctly. Ask your administrator.", err)
		return
	}
	sp, err := h.serviceProvider(ctx, p, md)
	if err != nil {
		h.renderFailure(w, r, http.StatusInternalServerError, "", err)
		return
	}
	req, err := sp.MakeAuthenticationRequest(md.ssoRedirect, saml.HTTPRedirectBinding, saml.HTTPPostBinding)
	if err != nil {
		h.renderFailure(w, r, http.StatusInternalServerError, "", err)
		return
	}
	binding := h.bindBrowser(w, r, samlBindingCookie, requestTTL, h.samlSameSite())
	rec, _ := json.Marshal(pendingRequest{IdP: p.ID, ReturnTo: returnTo, flow: f, Binding: hashToken(binding)})
	if err := h.svc.UseOnce(ctx, directory.PutOnce(directory.OnceSAMLRequest, req.ID, rec, time.Now().Add(requestTTL))); err != nil {
		h.renderFailure(w, r, http.StatusInternalServerError, "", err)
		return
	}
	to, err := req.Redirect(req.ID, sp)
	if err != nil {
		h.renderFailure(w, r, http.StatusInternalServerError, "", err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, to.String(), http.StatusFound)
}

// serveACS receives the IdP's response, validates it, applies the login to the directory and
// starts a session.
func (h *Handler) serveACS(w http.ResponseWriter, r *http.Request, idpID string) {
	ctx := r.Context()
	r.Body = http.MaxBytesReader(w, r.Body, maxResponseSize)
	if err := r.ParseForm(); err != nil {
		status := http.StatusBadRequest
		if tooBig := (*http.MaxBytesError)(nil); errors.As(err, &tooBig) {
			status = http.StatusRequestEntityTooLarge
		}
		h.refuse(w, r, refusal{idp: idpID, status: status, reason: "the sign-in post could not be read",
			cause: fmt.Errorf("reading the ACS form: %w", err)})
		return
	}
	encoded := r.PostForm.Get("SAMLResponse")
	if encoded == "" {
		h.refuse(w, r, refusal{idp: idpID, status: http.StatusBadRequest, reason: "the sign-in post carries no SAML response",
			cause: errors.New("the POST carries no SAMLResponse")})
		return
	}
	raw, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(encoded), ""))
	if err != nil {
		h.refuse(w, r, refusal{idp: idpID, status: http.StatusBadRequest, reason: "the SAML response is not base64",
			cause: fmt.Errorf("SAMLResponse is not base64: %w", err)})
		return
	}
	inResponseTo, err := inspectResponse(raw)
	if err != nil {
		h.refuse(w, r, refusal{idp: idpID, status: http.StatusBadRequest, reason: "the SAML response is malformed", cause: err})
		return
	}
	p, err := h.samlIdP(ctx, idpID)
	if err != nil {
		h.renderIdPError(w, r, err)
		return
	}
	md, err := h.metadata(ctx, p)
	if err != nil {
		h.refuse(w, r, refusal{idp: p.ID, status: http.StatusBadGateway, reason: "the IdP's SAML metadata could not be loaded",
			message: "The identity provider of this sign-in is not set up correctly. Ask your administrator.", cause: err})
		return
	}

	// The InResponseTo read above is not yet trusted; it only picks the one request id that
	// crewjam/saml then requires the signed response to name.
	var possible []string
	var pending pendingRequest
	if inResponseTo != "" {
		if rec, ok := h.lookupRequest(ctx, p.ID, inResponseTo); ok {
			possible, pending = []string{inResponseTo}, rec
		}
	}
	sp, err := h.serviceProvider(ctx, p, md)
	if err != nil {
		h.renderFailure(w, r, http.StatusInternalServerError, "", err)
		return
	}
	replay := &replayCheck{ctx: ctx, h: h, idp: p.ID}
	sp.ReplayCache = replay
	assertion, err := sp.ParseXMLResponse(raw, possible, sp.AcsURL)
	if err != nil {
		var ire *saml.InvalidResponseError
		if errors.As(err, &ire) && ire.PrivateErr != nil {
			err = ire.PrivateErr
		}
		h.refuse(w, r, refusal{idp: p.ID, status: http.StatusForbidden, reason: samlRefusalReason(p, inResponseTo, err),
			cause: fmt.Errorf("SAML response from IdP %q refused: %w", p.ID, err)})
		return
	}
	if err := h.checkValidityWindow(assertion, time.Now()); err != nil {
		// The assertion passed every check of crewjam's, so it is used up all the same, as it
		// would be had crewjam recorded it itself, with the refusal.
		h.refuse(w, r, refusal{idp: p.ID, status: http.StatusForbidden, uses: replay.uses,
			reason: fmt.Sprintf("the SAML assertion is outside its validity window (allowing %s of clock skew)", h.skew),
			cause:  fmt.Errorf("SAML assertion from IdP %q refused: %w", p.ID, err)})
		return
	}

	subject, claims := samlSubject(assertion), samlClaims(assertion)
	id := NewIdentity(p, subject, claims)
	// A response to a request started in another browser is genuine, but posting it here
	// would sign this browser in to someone else's account (login CSRF). The refusal uses the
	// assertion up, so that one response is recorded once however often it is posted; the
	// request stays pending for the browser that started it.
	if len(possible) > 0 && !boundBrowser(r, samlBindingCookie, pending.Binding) {
		h.refuse(w, r, refusal{idp: p.ID, status: http.StatusForbidden, code: directory.RefuseOtherBrowser,
			uniqueUserID: id.UniqueUserID, uses: replay.uses,
			reason: "a SAML response was posted by another browser than the one that started its sign-in (login CSRF, or a sign-in finished in another browser)",
			cause:  fmt.Errorf("SAML response of IdP %q for request %q posted without the binding cookie of the browser that started it", p.ID, inResponseTo)})
		return
	}

	// The sign-in records its assertion in the replay cache and, when it answers a request,
	// takes that request, all in its own transaction: each assertion is used once, and each
	// request is answered once, also by a second assertion of the IdP's.
	uses := replay.uses
	returnTo := "/"
	if len(possible) > 0 {
		uses = append(uses, directory.TakeOnce(directory.OnceSAMLRequest, inResponseTo))
		returnTo = pending.ReturnTo
	} else if rs := r.PostForm.Get("RelayState"); rs != "" {
		// An IdP-initiated sign-in may name where to land in RelayState (Okta's "default
		// RelayState", for one); it gets the same check as return_to.
		if to, err := h.safeReturnTo(rs); err == nil {
			returnTo = to
		} else {
			h.log.WarnContext(ctx, "jit: ignoring an unsafe RelayState of an IdP-initiated sign-in", "idp", p.ID, "relay_state", rs)
		}
	}

	h.finishSignIn(w, r, p, id, received{subject: subject, claims: claims}, pending.flow, returnTo, uses...)
}

// finishLogin applies a validated identity to the directory, using up the one-time keys of the
// sign-in and, unless a rule refuses it, starting a session, all in one store transaction, and
// sends the person on. OIDC sign-in ends here too.
func (h *Handler) finishLogin(w http.ResponseWriter, r *http.Request, id Identity, returnTo string, uses ...directory.OnceUse) {
	ctx := r.Context()
	user, secret, err := h.svc.SignIn(ctx, id.Login(), h.ttl, uses...)
	if ref, ok := directory.AsRefusal(err); ok {
		h.renderRefusal(w, r, ref)
		return
	}
	if errors.Is(err, directory.ErrUsed) {
		// Another request, here or on another replica, used the same response or login state
		// first (a replay, or a double submit).
		h.refuse(w, r, refusal{idp: id.IdP, status: http.StatusForbidden,
			reason: "the response or login state was used already (a replay, or the same sign-in submitted twice)",
			cause:  fmt.Errorf("sign-in of IdP %q refused: %w", id.IdP, err)})
		return
	}
	if errors.Is(err, directory.ErrInvalid) {
		h.refuse(w, r, invalidInput(id.IdP, "sign-in", err, uses))
		return
	}
	if err != nil {
		h.renderFailure(w, r, http.StatusInternalServerError, "", fmt.Errorf("applying the login of IdP %q: %w", id.IdP, err))
		return
	}
	h.setSessionCookie(w, secret)
	h.log.InfoContext(ctx, "jit: signed in", "idp", id.IdP, "user", user.ID, "unique_user_id", id.UniqueUserID)
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, returnTo, http.StatusSeeOther)
}

// invalidInput is the refusal of a sign-in whose IdP asserted a value the input policy
// refuses (a control character, an overlong name): its reason names the attribute, never the
// value, which may be what no store can hold, and the policy's words go to its detail. The
// response and its request are used up with it.
func invalidInput(idp, what string, err error, uses []directory.OnceUse) refusal {
	return refusal{idp: idp, status: http.StatusBadRequest, code: directory.RefuseInvalidInput, uses: uses,
		reason: fmt.Sprintf("the IdP asserted a %s that the input policy refuses", directory.RefusedAttribute(err)),
		cause:  fmt.Errorf("%s of IdP %q refused by the input policy: %w", what, idp, err)}
}

// inspectResponse reads the unverified response for what must be known before validation (the
// InResponseTo that names a pending request) and refuses what no honest IdP sends: anything but
// a samlp:Response, and XML comments, which canonicalisation drops from the signed form so that
// a comment can split a NameID or attribute value without breaking the signature.
//
// crewjam/saml parses the whole response again to validate it, so this reads no more than it
// must: outside a CDATA section a comment is the only place the bytes "<!--" can stand (a
// literal "<" is not allowed in text or attribute values), and the InResponseTo is on the
// root element, or, if the bytes hold it elsewhere, on the bearer confirmation. A response
// with a CDATA section is read whole.
func inspectResponse(raw []byte) (string, error) {
	if bytes.Contains(raw, []byte("<![CDATA[")) {
		return inspectResponseTree(raw)
	}
	if bytes.Contains(raw, []byte("<!--")) {
		return "", errComment
	}
	dec := xml.NewDecoder(bytes.NewReader(raw))
	root, err := firstElement(dec)
	if err != nil {
		return "", fmt.Errorf("SAMLResponse is not XML: %w", err)
	}
	if root.Name.Local != "Response" || root.Name.Space != "urn:oasis:names:tc:SAML:2.0:protocol" {
		return "", errors.New("SAMLResponse is not a samlp:Response")
	}
	if v := attrValue(root, "InResponseTo"); v != "" || !bytes.Contains(raw, []byte("InResponseTo")) {
		return v, nil
	}
	// An unsigned outer Response may omit InResponseTo; the assertion's bearer confirmation
	// then names the request.
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return "", nil
		} else if err != nil {
			return "", fmt.Errorf("SAMLResponse is not XML: %w", err)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "SubjectConfirmationData" {
			if v := attrValue(se, "InResponseTo"); v != "" {
				return v, nil
			}
		}
	}
}

var errComment = errors.New("SAMLResponse contains an XML comment")

// firstElement returns the document's root element, past the XML declaration and whitespace.
func firstElement(dec *xml.Decoder) (xml.StartElement, error) {
	for {
		tok, err := dec.Token()
		if err != nil {
			return xml.StartElement{}, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return t, nil
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return xml.StartElement{}, errors.New("text before the root element")
			}
		case xml.ProcInst:
		default:
			return xml.StartElement{}, fmt.Errorf("unexpected %T before the root element", tok)
		}
	}
}

func attrValue(se xml.StartElement, local string) string {
	for _, a := range se.Attr {
		if a.Name.Local == local && a.Name.Space == "" {
			return a.Value
		}
	}
	return ""
}

// inspectResponseTree is inspectResponse on the whole parsed document, for responses whose
// bytes alone cannot tell a comment from text.
func inspectResponseTree(raw []byte) (string, error) {
	doc := etree.NewDocument()
	doc.ReadSettings.Permissive = false
	if err := doc.ReadFromBytes(raw); err != nil {
		return "", fmt.Errorf("SAMLResponse is not XML: %w", err)
	}
	root := doc.Root()
	if root == nil || root.Tag != "Response" || root.NamespaceURI() != "urn:oasis:names:tc:SAML:2.0:protocol" {
		return "", errors.New("SAMLResponse is not a samlp:Response")
	}
	var comment bool
	var walk func(e *etree.Element)
	walk = func(e *etree.Element) {
		for _, t := range e.Child {
			switch c := t.(type) {
			case *etree.Comment:
				comment = true
			case *etree.Element:
				walk(c)
			}
		}
	}
	for _, t := range doc.Child {
		if _, ok := t.(*etree.Comment); ok {
			comment = true
		}
	}
	walk(root)
	if comment {
		return "", errComment
	}
	if v := root.SelectAttrValue("InResponseTo", ""); v != "" {
		return v, nil
	}
	for _, e := range root.FindElements(".//SubjectConfirmationData") {
		if v := e.SelectAttrValue("InResponseTo", ""); v != "" {
			return v, nil
		}
	}
	return "", nil
}

// lookupRequest returns the pending AuthnRequest with the id, if it exists, is unexpired, and
// was issued for this IdP. It only reads: the sign-in takes the request.
func (h *Handler) lookupRequest(ctx context.Context, idp, id string) (pendingRequest, bool) {
	var rec pendingRequest
	raw, err := h.svc.PeekOnce(ctx, directory.OnceSAMLRequest, id)
	if err != nil || json.Unmarshal(raw, &rec) != nil || rec.IdP != idp {
		return pendingRequest{}, false
	}
	return rec, true
}

// checkValidityWindow applies the configured clock skew to the assertion's validity window.
// crewjam/saml has already checked it with its own, package-wide skew; this narrows it to
// what the deployment allows.
func (h *Handler) checkValidityWindow(a *saml.Assertion, now time.Time) error {
	if now.Add(h.skew).Before(a.IssueInstant) {
		return fmt.Errorf("assertion issued in the future, at %s (now %s, skew %s)", a.IssueInstant, now, h.skew)
	}
	if c := a.Conditions; c != nil {
		if !c.NotBefore.IsZero() && now.Add(h.skew).Before(c.NotBefore) {
			return fmt.Errorf("assertion not valid before %s (now %s, skew %s)", c.NotBefore, now, h.skew)
		}
		if !c.NotOnOrAfter.IsZero() && !now.Add(-h.skew).Before(c.NotOnOrAfter) {
			return fmt.Errorf("assertion expired at %s (now %s, skew %s)", c.NotOnOrAfter, now, h.skew)
		}
	}
	if a.Subject != nil {
		for _, sc := range a.Subject.SubjectConfirmations {
			if d := sc.SubjectConfirmationData; d != nil && !d.NotOnOrAfter.IsZero() && !now.Add(-h.skew).Before(d.NotOnOrAfter) {
				return fmt.Errorf("subject confirmation expired at %s (now %s, skew %s)", d.NotOnOrAfter, now, h.skew)
			}
		}
	}
	return nil
}

// samlSubject is the assertion's NameID as a Subject.
func samlSubject(a *saml.Assertion) Subject {
	if a.Subject == nil || a.Subject.NameID == nil {
		return Subject{}
	}
	n := a.Subject.NameID
	return Subject{Value: strings.TrimSpace(n.Value), Persistent: n.Format == string(saml.PersistentNameIDFormat)}
}

// samlClaims collects the assertion's attributes under their Name, and under their
// FriendlyName as well, since some IdPs put the human name there and a URI or OID in Name.
func samlClaims(a *saml.Assertion) Claims {
	c := Claims{}
	add := func(name string, vals []string) {
		if name != "" {
			c[name] = append(c[name], vals...)
		}
	}
	for _, st := range a.AttributeStatements {
		for _, attr := range st.Attributes {
			vals := make([]string, 0, len(attr.Values))
			for _, v := range attr.Values {
				switch {
				case v.NameID != nil:
					vals = append(vals, v.NameID.Value)
				case !v.Nil:
					vals = append(vals, v.Value)
				}
			}
			add(attr.Name, vals)
			if attr.FriendlyName != "" && attr.FriendlyName != attr.Name {
				add(attr.FriendlyName, vals)
			}
		}
	}
	return c
}

// replayCheck is crewjam/saml's replay cache in two halves, so that an assertion is recorded
// in the same transaction as the sign-in it carries. While crewjam validates a response,
// Consume refuses an assertion id the store already holds and notes the ids to record; the
// ACS then records them with directory.PutOnce as part of the sign-in, which refuses them
// atomically, for every replica sharing the store, should another request have recorded one
// meanwhile.
type replayCheck struct {
	ctx  context.Context
	h    *Handler
	idp  string
	uses []directory.OnceUse
}

// minReplayTTL is the least time an assertion id stays in the replay cache, so that an
// assertion about to expire is still recorded when its sign-in commits a moment later.
const minReplayTTL = time.Minute

func (c *replayCheck) Consume(assertionID string, expiresAt time.Time) error {
	key := c.idp + "/" + assertionID
	if _, err := c.h.svc.PeekOnce(c.ctx, directory.OnceSAMLAssertion, key); err == nil {
		return saml.ErrAssertionReplayed
	} else if !errors.Is(err, directory.ErrNotFound) {
		return err
	}
	if least := time.Now().Add(minReplayTTL); expiresAt.Before(least) {
		expiresAt = least
	}
	c.uses = append(c.uses, directory.PutOnce(directory.OnceSAMLAssertion, key, []byte{1}, expiresAt))
	return nil
}

// samlRefusalReason says in plain words why crewjam/saml refused a response of IdP p, for the
// refusal event; inResponseTo is what the response claims to answer.
func samlRefusalReason(p directory.IdP, inResponseTo string, err error) string {
	is := func(kinds ...error) bool {
		for _, k := range kinds {
			if errors.Is(err, k) {
				return true
			}
		}
		return false
	}
	switch {
	case is(saml.ErrAssertionReplayed):
		return "this SAML response was used already (a replay)"
	case is(saml.ErrRequestIDMismatch) && inResponseTo == "" && !p.SAML.AllowIdPInitiated:
		return "IdP-initiated sign-in is off for " + p.ID
	case is(saml.ErrRequestIDMismatch):
		return "the SAML response answers a sign-in request that was not started here, expired, or was answered already (InResponseTo " + inResponseTo + ")"
	case !p.SAML.AllowSHA1 && strings.Contains(err.Error(), "SHA-1"):
		// crewjam/saml does not export the error of its SHA-1 check (RejectSHA1Signatures).
		return "the SAML response is signed or digested with SHA-1, which " + p.ID + " does not accept (saml.allow_sha1 is off)"
	case is(saml.ErrInvalidSignature, saml.ErrUntrustedCertificate, saml.ErrCertificateNotValidNow, saml.ErrInvalidCertificate) ||
		strings.Contains(err.Error(), "signature"):
		return "the SAML response's signature does not verify with the certificate of " + p.ID + "'s metadata"
	case is(saml.ErrExpired, saml.ErrNotYetValid):
		return "the SAML assertion has expired or is not valid yet"
	case is(saml.ErrIssuerMismatch):
		return "the SAML response names another issuer than " + p.ID + "'s metadata"
	case is(saml.ErrDestinationMismatch, saml.ErrAudienceMismatch):
		return "the SAML response is addressed to another service provider or URL"
	case is(saml.ErrDecryptionFailed):
		return "the SAML assertion could not be decrypted with Roster's key"
	case is(saml.ErrMalformedMessage, saml.ErrMissingElement, saml.ErrUnsupported):
		return "the SAML response is malformed or incomplete"
	}
	return "the SAML response was refused by a protocol check"
}
