package jit

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"strings"

	"github.com/rosterhq/roster/directory"
)

// ConnectionStatus says what the sign-in edge finds about an IdP's connection now, for its
// health (directory.Service.IdPHealth): whether the SAML metadata is usable — pasted, or
// fetched from its URL through the same cache sign-ins use — with its signing certificates,
// or whether the OIDC issuer's discovery answers. A problem is worded for the administrator.
func (h *Handler) ConnectionStatus(ctx context.Context, p directory.IdP) directory.ProtocolStatus {
	st := directory.ProtocolStatus{Checked: true}
	switch p.Protocol {
	case directory.ProtocolSAML:
		st.Source = "metadata_url"
		if strings.TrimSpace(p.SAML.MetadataXML) != "" {
			st.Source = "metadata_xml"
		}
		md, err := h.metadata(ctx, p)
		if err != nil {
			st.Problem = boundProblem(err.Error())
			return st
		}
		st.Valid = true
		st.Certificates = certificatesOf(md.signingCerts)
	case directory.ProtocolOIDC:
		st.Source = "discovery"
		if _, err := h.oidcProvider(ctx, p.OIDC.Issuer); err != nil {
			st.Problem = "OIDC discovery of " + quote(strings.TrimSpace(p.OIDC.Issuer)) + " failed"
			if problems := h.ValidateOIDCDiscovery(ctx, p); len(problems) > 0 {
				st.Problem = boundProblem(strings.Join(problems, "; "))
			}
			return st
		}
		st.Valid = true
	default:
		st.Problem = "the IdP's protocol is not known"
	}
	return st
}

// boundProblem keeps a problem that may quote what a remote server said short.
func boundProblem(s string) string {
	const max = 500
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut] + "…"
}

func certificatesOf(certs []*x509.Certificate) []directory.IdPCertificate {
	out := make([]directory.IdPCertificate, 0, len(certs))
	for _, c := range certs {
		sum := sha256.Sum256(c.Raw)
		out = append(out, directory.IdPCertificate{Subject: c.Subject.String(), NotBefore: c.NotBefore.UTC(), NotAfter: c.NotAfter.UTC(),
			SHA256: hex.EncodeToString(sum[:])})
	}
	return out
}

// observeCertificates tells the directory which signing certificates a fetch of an IdP's
// metadata URL brought, so that a rollover at the IdP is an event the administrator sees.
func (h *Handler) observeCertificates(ctx context.Context, p directory.IdP, md *idpMetadata) {
	changed, err := h.svc.ObserveIdPCertificates(ctx, p.ID, certificatesOf(md.signingCerts))
	if err != nil {
		h.log.WarnContext(ctx, "jit: recording the IdP's signing certificates", "idp", p.ID, "err", err)
		return
	}
	if changed {
		h.log.InfoContext(ctx, "jit: the IdP's metadata URL brought new signing certificates", "idp", p.ID)
	}
}
