package view

// Guide is how to connect one vendor's identity provider to Roster, in that vendor's own
// words: where to click in its console, what to paste where, which attribute or claim to add
// and what must feed uniqueUserId and externalId (R1). jit keeps one per preset; the admin API
// serves them (GET /presets), and for one IdP with Roster's values filled in (GET
// /idps/{id}/setup-guide), for the console to show step by step with a copy button per value.
type Guide struct {
	// SAML and OIDC are the steps of single sign-on by each protocol, SCIM those of
	// provisioning. A list is empty, never null, when the vendor has no such connection.
	SAML []Step `json:"saml"`
	OIDC []Step `json:"oidc"`
	SCIM []Step `json:"scim"`
}

// Step is one step of a guide.
type Step struct {
	Title string `json:"title"`
	// Text says where to click and what to do, in the vendor's words.
	Text string `json:"text"`
	// Paste are the values of Roster to paste in this step, each under the vendor's name for
	// the field.
	Paste []Value `json:"paste"`
	// Claims are the attributes or claims to configure in this step.
	Claims []Claim `json:"claims"`
	// Bring names what to copy from the IdP into Roster: "saml.metadata_url",
	// "saml.metadata_xml", "oidc.issuer", "oidc.client_id", "oidc.client_secret".
	Bring []string `json:"bring"`
}

// Value is one value of Roster to paste into the IdP.
type Value struct {
	// Name is Roster's name of the value: "sp_entity_id", "acs_url", "sp_metadata_url",
	// "login_url", "redirect_uri", "scim_base_url" or "scim_token".
	Name string `json:"name"`
	// Label is the vendor's name of the field to paste it into.
	Label string `json:"label"`
	// Value is the value itself, in a guide for one IdP; "" in a preset's guide, and for
	// scim_token, which is shown once when it is created.
	Value string `json:"value,omitempty"`
}

// Claim is one attribute or claim to configure in the IdP.
type Claim struct {
	// Name is the attribute or claim name to give it ("userUniqueId").
	Name string `json:"name"`
	// Source is what the vendor fills it from, in the vendor's words ("user.objectid").
	Source string `json:"source"`
	// Feeds is the Roster field it feeds: "uniqueUserId", "firstName", "lastName", "email",
	// "groups", or "externalId" for SCIM.
	Feeds string `json:"feeds"`
	// Required is true for what Roster cannot do without: the key (R1).
	Required bool `json:"required"`
}

// Clone returns a deep copy of the guide, with every list non-null.
func (g Guide) Clone() Guide {
	return Guide{SAML: cloneSteps(g.SAML), OIDC: cloneSteps(g.OIDC), SCIM: cloneSteps(g.SCIM)}
}

func cloneSteps(s []Step) []Step {
	out := make([]Step, 0, len(s))
	for _, st := range s {
		st.Paste = append([]Value{}, st.Paste...)
		st.Claims = append([]Claim{}, st.Claims...)
		st.Bring = append([]string{}, st.Bring...)
		out = append(out, st)
	}
	return out
}

// Filled returns a copy of the guide whose values to paste are taken from values (by Name).
// A name values lacks keeps an empty value.
func (g Guide) Filled(values map[string]string) Guide {
	g = g.Clone()
	for _, list := range [][]Step{g.SAML, g.OIDC, g.SCIM} {
		for i := range list {
			for j := range list[i].Paste {
				list[i].Paste[j].Value = values[list[i].Paste[j].Name]
			}
		}
	}
	return g
}
