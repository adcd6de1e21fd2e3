package jit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/crewjam/saml"

	"github.com/rosterhq/roster/directory"
)

// maxMetadataSize bounds what Roster reads from an IdP's metadata URL: one IdP's metadata is
// a few kilobytes, so anything much larger is a mistake or an attack.
const maxMetadataSize = 1 << 20

// metadataTTL is how long metadata fetched from a URL is reused before it is fetched again, by
// default (Config.MetadataTTL), so that a certificate rollover at the IdP reaches Roster
// within this time.
const metadataTTL = 10 * time.Minute

// idpMetadata is the parsed metadata of one IdP and the facts Roster checks about it.
type idpMetadata struct {
	entity       *saml.EntityDescriptor
	signingCerts []*x509.Certificate
	ssoRedirect  string
}

// metadataCache keeps parsed IdP metadata. It is only a cache: entries are keyed by the
// settings they were derived from, so a changed IdP never uses stale metadata.
type metadataCache struct {
	mu      sync.Mutex
	entries map[string]metadataEntry
}

type metadataEntry struct {
	md      *idpMetadata
	fetched time.Time
}

// cacheKey names the source of an IdP's metadata: the hash of pasted XML, or the URL.
func cacheKey(s directory.SAMLSettings) string {
	if strings.TrimSpace(s.MetadataXML) != "" {
		sum := sha256.Sum256([]byte(s.MetadataXML))
		return "xml:" + base64.RawURLEncoding.EncodeToString(sum[:])
	}
	return "url:" + strings.TrimSpace(s.MetadataURL)
}

// metadata returns the parsed metadata of an IdP, from its pasted XML or its URL.
func (h *Handler) metadata(ctx context.Context, p directory.IdP) (*idpMetadata, error) {
	key := cacheKey(p.SAML)
	now := time.Now()
	h.mdCache.mu.Lock()
	e, ok := h.mdCache.entries[key]
	h.mdCache.mu.Unlock()
	if ok && (strings.HasPrefix(key, "xml:") || now.Sub(e.fetched) < h.mdTTL) {
		return e.md, nil
	}
	raw, err := h.metadataBytes(ctx, p.SAML)
	var md *idpMetadata
	if err == nil {
		md, err = parseIdPMetadata(raw)
	}
	if err != nil {
		if ok {
			// The IdP's metadata endpoint is down or serves something broken: keep signing
			// people in with the metadata that worked, and say so.
			h.log.WarnContext(ctx, "jit: refreshing IdP metadata failed; using the previous copy", "idp", p.ID, "err", err)
			return e.md, nil
		}
		return nil, err
	}
	h.mdCache.mu.Lock()
	if h.mdCache.entries == nil {
		h.mdCache.entries = make(map[string]metadataEntry)
	}
	h.mdCache.entries[key] = metadataEntry{md: md, fetched: now}
	h.mdCache.mu.Unlock()
	if strings.HasPrefix(key, "url:") {
		h.observeCertificates(ctx, p, md)
	}
	return md, nil
}

// metadataBytes returns the pasted metadata XML, or fetches the metadata URL.
func (h *Handler) metadataBytes(ctx context.Context, s directory.SAMLSettings) ([]byte, error) {
	if xml := strings.TrimSpace(s.MetadataXML); xml != "" {
		return []byte(xml), nil
	}
	raw := strings.TrimSpace(s.MetadataURL)
	if raw == "" {
		return nil, errors.New("the IdP has neither saml.metadata_xml nor saml.metadata_url")
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("saml.metadata_url %q is not an http(s) URL", raw)
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	resp, err := h.httpClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetching saml.metadata_url: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		// The status text is the standard one: the server's own reason phrase is as much its
		// to choose as the body, and this error reaches the admin API.
		return nil, fmt.Errorf("fetching saml.metadata_url: the server answered %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxMetadataSize+1))
	if err != nil {
		return nil, fmt.Errorf("fetching saml.metadata_url: %w", err)
	}
	if len(body) > maxMetadataSize {
		return nil, fmt.Errorf("saml.metadata_url returned more than %d bytes", maxMetadataSize)
	}
	return body, nil
}

// parseIdPMetadata parses IdP metadata and checks that Roster can use it: an
// IDPSSODescriptor, at least one signing certificate, and an HTTP-Redirect SSO endpoint.
func parseIdPMetadata(raw []byte) (*idpMetadata, error) {
	entity, err := unmarshalMetadata(raw)
	if err != nil {
		return nil, fmt.Errorf("the SAML metadata does not parse: %w", err)
	}
	var problems []string
	if entity.EntityID == "" {
		problems = append(problems, "the SAML metadata has no entityID")
	}
	if len(entity.IDPSSODescriptors) == 0 {
		problems = append(problems, "the SAML metadata has no IDPSSODescriptor (is it the SP's metadata?)")
	}
	md := &idpMetadata{entity: entity}
	for _, d := range entity.IDPSSODescriptors {
		for _, kd := range d.KeyDescriptors {
			if kd.Use != "" && kd.Use != "signing" {
				continue
			}
			for _, c := range kd.KeyInfo.X509Data.X509Certificates {
				der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(c.Data), ""))
				if err != nil {
					problems = append(problems, "a signing certificate in the SAML metadata is not valid base64")
					continue
				}
				cert, err := x509.ParseCertificate(der)
				if err != nil {
					problems = append(problems, "a signing certificate in the SAML metadata does not parse: "+err.Error())
					continue
				}
				md.signingCerts = append(md.signingCerts, cert)
			}
		}
		for _, s := range d.SingleSignOnServices {
			if s.Binding == saml.HTTPRedirectBinding && md.ssoRedirect == "" {
				md.ssoRedirect = s.Location
			}
		}
	}
	if len(entity.IDPSSODescriptors) > 0 && len(md.signingCerts) == 0 {
		problems = append(problems, "the SAML metadata carries no signing certificate")
	}
	if len(entity.IDPSSODescriptors) > 0 && md.ssoRedirect == "" {
		problems = append(problems, "the SAML metadata has no SingleSignOnService with the HTTP-Redirect binding")
	}
	if len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "; "))
	}
	return md, nil
}

// unmarshalMetadata reads an EntityDescriptor, or the one IdP entity of an EntitiesDescriptor
// (some IdPs wrap their single entity in one).
func unmarshalMetadata(raw []byte) (*saml.EntityDescriptor, error) {
	dec := xml.NewDecoder(bytes.NewReader(raw))
	var root xml.Name
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		if se, ok := tok.(xml.StartElement); ok {
			root = se.Name
			break
		}
	}
	switch root.Local {
	case "EntityDescriptor":
		var e saml.EntityDescriptor
		if err := xml.Unmarshal(raw, &e); err != nil {
			return nil, err
		}
		return &e, nil
	case "EntitiesDescriptor":
		var es saml.EntitiesDescriptor
		if err := xml.Unmarshal(raw, &es); err != nil {
			return nil, err
		}
		var found []*saml.EntityDescriptor
		for i := range es.EntityDescriptors {
			if len(es.EntityDescriptors[i].IDPSSODescriptors) > 0 {
				found = append(found, &es.EntityDescriptors[i])
			}
		}
		if len(found) != 1 {
			return nil, fmt.Errorf("the metadata holds %d identity providers; paste the metadata of exactly one", len(found))
		}
		return found[0], nil
	default:
		return nil, fmt.Errorf("the root element is <%s>, not <EntityDescriptor>", root.Local)
	}
}
