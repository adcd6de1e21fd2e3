package jit

import (
	"context"
	"strings"

	"github.com/rosterhq/roster/directory"
)

// ValidateIdP reports every problem of an IdP's sign-in settings at once, in words an
// administrator can act on; nil means the settings are usable. The admin API calls it when an
// IdP is created or changed, after directory.NormalizeIdP has checked the domain settings.
//
// For SAML it parses the pasted metadata, or fetches metadata_url, and requires a signing
// certificate and an HTTP-Redirect sign-on endpoint. For OIDC it requires issuer (an http(s)
// URL) and client_id; ValidateOIDCDiscovery checks that the issuer's discovery answers.
func (h *Handler) ValidateIdP(ctx context.Context, p directory.IdP) []string {
	var problems []string
	if p.Preset != "" {
		if _, ok := PresetByID(p.Preset); !ok {
			problems = append(problems, "preset "+quote(p.Preset)+" is not known; use one of "+presetIDs())
		}
	}
	switch p.Protocol {
	case directory.ProtocolSAML:
		xml, url := strings.TrimSpace(p.SAML.MetadataXML), strings.TrimSpace(p.SAML.MetadataURL)
		switch {
		case xml == "" && url == "":
			problems = append(problems, "saml: set metadata_xml (the IdP's federation metadata) or metadata_url")
		case xml != "" && url != "":
			problems = append(problems, "saml: set only one of metadata_xml and metadata_url")
		default:
			raw, err := h.metadataBytes(ctx, p.SAML)
			if err == nil {
				_, err = parseIdPMetadata(raw)
			}
			if err != nil {
				problems = append(problems, "saml: "+err.Error())
			}
		}
	case directory.ProtocolOIDC:
		if strings.TrimSpace(p.OIDC.Issuer) == "" {
			problems = append(problems, "oidc: issuer is required")
		}
		if strings.TrimSpace(p.OIDC.ClientID) == "" {
			problems = append(problems, "oidc: client_id is required")
		}
		problems = append(problems, h.validateOIDC(p.OIDC)...)
	}
	return problems
}

func quote(s string) string { return "\"" + s + "\"" }

func presetIDs() string {
	var ids []string
	for _, p := range presets {
		ids = append(ids, p.ID)
	}
	return strings.Join(ids, ", ")
}
