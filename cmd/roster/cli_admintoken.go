package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
)

func init() {
	register(command{name: "admin-token", summary: "manage admin credentials and their roles (create|list|revoke)",
		run: subcommands("admin-token", map[string]subcommandFunc{
			"create": adminTokenCreate, "list": adminTokenList, "revoke": adminTokenRevoke,
		}, []string{"create", "list", "revoke"})})
}

// adminTokenOut is the API's admin credential: a token with a role, in one organization or
// ("") in every one.
type adminTokenOut struct {
	tokenOut
	Role string `json:"role"`
	Org  string `json:"org"`
}

// scope says where a credential acts.
func scope(org string) string {
	if org == "" {
		return "every organization"
	}
	return "organization " + org
}

func adminTokenCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cl := newCommandLine("admin-token create", "--role owner|org-admin|viewer [--org ORG] [--name NAME] [--expires-in 90d] [flags]", stderr)
	name := cl.fs.String("name", "", "who holds the credential (required); events name it as admin:<name>")
	role := cl.fs.String("role", "", "owner (everything), org-admin (one organization) or viewer (reads only)")
	org := cl.fs.String("org", "", "the organization the credential acts in; required for org-admin, empty for every organization")
	expiresIn := cl.fs.String("expires-in", "", "lifetime such as 90d or 720h (default: no expiry)")
	if _, err := cl.parse(args, 0, "admin-token create takes no arguments; name the credential with --name"); err != nil {
		return err
	}
	if *role == "" {
		cl.fs.Usage()
		return usagef("admin-token create needs --role (owner, org-admin or viewer)")
	}
	body := map[string]any{"name": *name, "role": *role, "org": *org}
	if *expiresIn != "" {
		body["expires_in"] = *expiresIn
	}
	var out adminTokenOut
	return cl.cf.sendShow(ctx, stdout, "POST", "/admin-tokens", body, &out, func() {
		fmt.Fprintf(stdout, "admin token %s: %s of %s (expires: %s)\n\n", out.ID, out.Role, scope(out.Org), fmtTime(out.ExpiresAt))
		fmt.Fprintf(stdout, "    %s\n\n", out.Token)
		fmt.Fprintln(stdout, "This secret is shown once. Hand it over as ROSTER_TOKEN or for the console's sign-in.")
	})
}

func adminTokenList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cl := newCommandLine("admin-token list", "[--org ORG] [flags]", stderr)
	org := cl.fs.String("org", "", "only credentials of this organization (those of every organization are left out too)")
	if _, err := cl.parse(args, 0, "admin-token list takes no arguments"); err != nil {
		return err
	}
	c, err := cl.cf.client()
	if err != nil {
		return err
	}
	// The list is the owner's and not scoped to an organization, so --org picks from it here;
	// --json prints the chosen items as the server wrote them.
	var page struct {
		Items []json.RawMessage `json:"items"`
	}
	if err := c.call(ctx, "GET", "/admin-tokens", nil, &page, nil); err != nil {
		return err
	}
	keep := []json.RawMessage{}
	var items []adminTokenOut
	for _, raw := range page.Items {
		var t adminTokenOut
		if err := json.Unmarshal(raw, &t); err != nil {
			return fmt.Errorf("the server's answer is not the expected JSON: %w", err)
		}
		if *org == "" || t.Org == *org {
			keep = append(keep, raw)
			items = append(items, t)
		}
	}
	if cl.cf.json {
		b, err := json.Marshal(struct {
			Items []json.RawMessage `json:"items"`
		}{keep})
		if err != nil {
			return err
		}
		writeJSONOut(stdout, b)
		return nil
	}
	tw := newTable(stdout)
	fmt.Fprintln(tw, "ID\tNAME\tROLE\tORG\tSTATUS\tCREATED\tEXPIRES\tLAST USED")
	for _, t := range items {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, orDash(t.Name), t.Role, orAll(t.Org), t.Status,
			fmtTime(t.Created), fmtTime(t.ExpiresAt), fmtTime(t.LastUsedAt))
	}
	return tw.Flush()
}

// orAll shows an empty organization as what it means.
func orAll(org string) string {
	if org == "" {
		return "(all)"
	}
	return org
}

func adminTokenRevoke(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cf, id, err := oneID("admin-token revoke", args, stderr)
	if err != nil {
		return err
	}
	return cf.sendShow(ctx, stdout, "DELETE", "/admin-tokens/"+url.PathEscape(id), nil, nil, func() {
		cf.done(stdout, "revoked", id, "revoked admin token %s; requests with it now answer 401", id)
	})
}
