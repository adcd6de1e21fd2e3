package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
)

func init() {
	register(command{name: "idp", summary: "manage identity providers (add|list|show|set-mode|mode-preview|rm)",
		run: subcommands("idp", map[string]subcommandFunc{
			"add": idpAdd, "list": idpList, "show": idpShow, "set-mode": idpSetMode, "mode-preview": idpModePreview, "rm": idpRemove,
		}, []string{"add", "list", "show", "set-mode", "mode-preview", "rm"})})
}

// idpOut is the part of the API's IdP shape the tables show.
type idpOut struct {
	ID        string `json:"id"`
	Org       string `json:"org"`
	Name      string `json:"name"`
	Protocol  string `json:"protocol"`
	Mode      string `json:"mode"`
	Preset    string `json:"preset"`
	SCIMMatch string `json:"scim_match"`
	Link      string `json:"link_policy"`
	Mapping   struct {
		UniqueUserID string `json:"uniqueUserId"`
	} `json:"mapping"`
	SPEntityID    string `json:"sp_entity_id"`
	ACSURL        string `json:"acs_url"`
	SPMetadataURL string `json:"sp_metadata_url"`
	RedirectURI   string `json:"redirect_uri"`
	SCIMBaseURL   string `json:"scim_base_url"`
}

// presetOut is what the API says about a vendor preset.
type presetOut struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Mapping struct {
		UniqueUserID string `json:"uniqueUserId"`
	} `json:"mapping"`
	Source string `json:"unique_user_id_source"`
	Advice string `json:"scim_match_advice"`
}

// presetFor fetches the preset an IdP uses; ok is false when it has none or it is unknown.
// The preset says which IdP-side value must feed uniqueUserId (R1), which is what an
// administrator most needs to read after adding an IdP.
func presetFor(ctx context.Context, c *apiClient, id string) (presetOut, bool) {
	if id == "" {
		id = "generic"
	}
	var out struct{ Items []presetOut }
	if c.call(ctx, "GET", "/presets", nil, &out, nil) != nil {
		return presetOut{}, false
	}
	for _, p := range out.Items {
		if strings.EqualFold(p.ID, id) {
			return p, true
		}
	}
	return presetOut{}, false
}

func printIdP(w io.Writer, p idpOut, preset presetOut, havePreset bool) {
	tw := newTable(w)
	fmt.Fprintf(tw, "id:\t%s\n", p.ID)
	fmt.Fprintf(tw, "organization:\t%s\n", orDash(p.Org))
	fmt.Fprintf(tw, "name:\t%s\n", p.Name)
	fmt.Fprintf(tw, "protocol:\t%s\n", p.Protocol)
	fmt.Fprintf(tw, "mode:\t%s\n", p.Mode)
	fmt.Fprintf(tw, "preset:\t%s\n", orDash(p.Preset))
	fmt.Fprintf(tw, "scim_match:\t%s\n", p.SCIMMatch)
	fmt.Fprintf(tw, "link_policy:\t%s\n", p.Link)
	uid := p.Mapping.UniqueUserID
	if uid == "" && havePreset {
		uid = preset.Mapping.UniqueUserID + " (the preset's default)"
	}
	fmt.Fprintf(tw, "uniqueUserId attribute:\t%s\n", orDash(uid))
	tw.Flush()
	if havePreset {
		fmt.Fprintf(w, "\nwhat must feed uniqueUserId (R1), %s:\n", preset.Name)
		fmt.Fprintf(w, "  SSO:  %s\n", preset.Source)
		fmt.Fprintf(w, "  SCIM: %s\n", preset.Advice)
	}
	fmt.Fprintln(w, "\nvalues to paste into the IdP:")
	tw = newTable(w)
	fmt.Fprintf(tw, "  sp_entity_id:\t%s\n", p.SPEntityID)
	fmt.Fprintf(tw, "  acs_url:\t%s\n", p.ACSURL)
	fmt.Fprintf(tw, "  sp_metadata_url:\t%s\n", p.SPMetadataURL)
	fmt.Fprintf(tw, "  redirect_uri:\t%s\n", p.RedirectURI)
	fmt.Fprintf(tw, "  scim_base_url:\t%s\n", p.SCIMBaseURL)
	tw.Flush()
}

func idpAdd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("idp add", "<id> [flags]", stderr)
	var cf clientFlags
	cf.register(fs)
	org := fs.String("org", "", "the organization the IdP belongs to (may be left out while only one exists)")
	name := fs.String("name", "", "display name (default: the id)")
	protocol := fs.String("protocol", "saml", "saml or oidc")
	mode := fs.String("mode", "jit", "provisioning mode: jit, scim or both")
	preset := fs.String("preset", "", "vendor preset (entra, okta, pingone, google, onelogin, jumpcloud, keycloak, generic); fills the attribute mapping")
	metadataFile := fs.String("metadata-file", "", "SAML: file with the IdP's federation metadata XML")
	metadataURL := fs.String("metadata-url", "", "SAML: URL of the IdP's federation metadata")
	idpInitiated := fs.Bool("allow-idp-initiated", false, "SAML: accept IdP-initiated sign-in")
	issuer := fs.String("issuer", "", "OIDC: issuer URL")
	clientID := fs.String("client-id", "", "OIDC: client id")
	secretEnv := fs.String("client-secret-env", "ROSTER_CLIENT_SECRET", "OIDC: name of the environment variable holding the client secret")
	scopes := fs.String("scopes", "", "OIDC: extra scopes, space separated")
	scimMatch := fs.String("scim-match", "", "SCIM matching attribute: externalId or userName (default: the preset's, userName for generic)")
	linkPolicy := fs.String("link-policy", "", "none (default) or verified-email")
	uidAttr := fs.String("unique-user-id-attribute", "", "IdP-side attribute or claim that carries uniqueUserId (default: the preset's)")
	fromFile := fs.String("file", "", "send this JSON file as the IdP instead of building it from flags")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return parseFailed(err)
	}
	var body any
	switch {
	case *fromFile != "":
		if len(pos) > 0 {
			return usagef("give the id inside --file, not as an argument")
		}
		raw, err := os.ReadFile(*fromFile)
		if err != nil {
			return err
		}
		if !json.Valid(raw) {
			return usagef("--file %s is not valid JSON", *fromFile)
		}
		if *org != "" {
			return usagef("give the organization inside --file as \"org\", not with --org")
		}
		body = raw
	case len(pos) != 1:
		fs.Usage()
		return usagef("idp add needs exactly one id")
	default:
		p := map[string]any{"id": pos[0], "name": *name, "protocol": *protocol, "mode": *mode, "preset": *preset,
			"scim_match": *scimMatch, "link_policy": *linkPolicy}
		saml := map[string]any{"metadata_url": *metadataURL, "allow_idp_initiated": *idpInitiated}
		if *metadataFile != "" {
			raw, err := os.ReadFile(*metadataFile)
			if err != nil {
				return err
			}
			saml["metadata_xml"] = string(raw)
		}
		p["saml"] = saml
		oidc := map[string]any{"issuer": *issuer, "client_id": *clientID, "client_secret": os.Getenv(*secretEnv)}
		if *scopes != "" {
			oidc["scopes"] = strings.Fields(*scopes)
		}
		p["oidc"] = oidc
		if *org != "" {
			p["org"] = *org
		}
		if *uidAttr != "" {
			p["mapping"] = map[string]any{"uniqueUserId": *uidAttr}
		}
		body = p
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	var out idpOut
	var raw []byte
	if err := c.call(ctx, "POST", "/idps", body, &out, &raw); err != nil {
		return err
	}
	if cf.json {
		writeJSONOut(stdout, raw)
		return nil
	}
	fmt.Fprintf(stdout, "added IdP %s\n\n", out.ID)
	pr, ok := presetFor(ctx, c, out.Preset)
	printIdP(stdout, out, pr, ok)
	return nil
}

func idpList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cl := newCommandLine("idp list", "[--org ORG] [flags]", stderr)
	org := cl.fs.String("org", "", "only IdPs of this organization")
	if _, err := cl.parse(args, 0, "idp list takes no arguments"); err != nil {
		return err
	}
	var out struct{ Items []idpOut }
	return cl.cf.sendShow(ctx, stdout, "GET", "/idps"+orgQuery(*org), nil, &out, func() {
		tw := newTable(stdout)
		fmt.Fprintln(tw, "ID\tORG\tNAME\tPROTOCOL\tMODE\tPRESET")
		for _, p := range out.Items {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", p.ID, orDash(p.Org), p.Name, p.Protocol, p.Mode, orDash(p.Preset))
		}
		tw.Flush()
	})
}

// oneID parses flags and exactly one positional id.
func oneID(name string, args []string, stderr io.Writer) (clientFlags, string, error) {
	cl := newCommandLine(name, "<id> [flags]", stderr)
	pos, err := cl.parse(args, 1, name+" needs exactly one id")
	if err != nil {
		return cl.cf, "", err
	}
	return cl.cf, pos[0], nil
}

func idpShow(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cf, id, err := oneID("idp show", args, stderr)
	if err != nil {
		return err
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	var out idpOut
	return c.sendShow(ctx, cf.json, stdout, "GET", "/idps/"+url.PathEscape(id), nil, &out, func() {
		pr, ok := presetFor(ctx, c, out.Preset)
		printIdP(stdout, out, pr, ok)
	})
}

func idpSetMode(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cl := newCommandLine("idp set-mode", "<id> <jit|scim|both> [flags]", stderr)
	pos, err := cl.parse(args, 2, "idp set-mode needs an id and a mode")
	if err != nil {
		return err
	}
	switch pos[1] {
	case "jit", "scim", "both":
	default:
		return usagef("mode %q is not known; use jit, scim or both", pos[1])
	}
	c, err := cl.cf.client()
	if err != nil {
		return err
	}
	var before idpOut
	if err := c.call(ctx, "GET", "/idps/"+url.PathEscape(pos[0]), nil, &before, nil); err != nil {
		return err
	}
	var out idpOut
	return c.sendShow(ctx, cl.cf.json, stdout, "PATCH", "/idps/"+url.PathEscape(pos[0]), map[string]string{"mode": pos[1]}, &out, func() {
		if before.Mode == out.Mode {
			fmt.Fprintf(stdout, "%s: mode is already %s\n", out.ID, out.Mode)
			return
		}
		fmt.Fprintf(stdout, "%s: mode %s -> %s (R11: no user was removed; see 'roster events tail' for what was kept)\n", out.ID, before.Mode, out.Mode)
	})
}

func idpRemove(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cl := newCommandLine("idp rm", "<id> [--force] [flags]", stderr)
	force := cl.fs.Bool("force", false, "also delete the IdP's users and groups")
	pos, err := cl.parse(args, 1, "idp rm needs exactly one id")
	if err != nil {
		return err
	}
	path := "/idps/" + url.PathEscape(pos[0])
	if *force {
		path += "?force=true"
	}
	// The answer is 204 without a body, so show says what was done in either form.
	return cl.cf.sendShow(ctx, stdout, "DELETE", path, nil, nil, func() {
		cl.cf.done(stdout, "deleted", pos[0], "deleted IdP %s", pos[0])
	})
}
