package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"time"
)

func init() {
	register(command{name: "token", summary: "manage SCIM tokens of an IdP (create|list|revoke)",
		run: subcommands("token", map[string]subcommandFunc{
			"create": tokenCreate, "list": tokenList, "revoke": tokenRevoke,
		}, []string{"create", "list", "revoke"})})
}

type tokenOut struct {
	ID         string     `json:"id"`
	IdP        string     `json:"idp"`
	Name       string     `json:"name"`
	Token      string     `json:"token"`
	Status     string     `json:"status"`
	Created    *time.Time `json:"created"`
	ExpiresAt  *time.Time `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
}

func tokenCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cl := newCommandLine("token create", "<idp> [--name NAME] [--expires-in 90d] [flags]", stderr)
	name := cl.fs.String("name", "", "a name saying where the token is used")
	expiresIn := cl.fs.String("expires-in", "", "lifetime such as 90d or 720h (default: no expiry)")
	pos, err := cl.parse(args, 1, "token create needs exactly one IdP id")
	if err != nil {
		return err
	}
	body := map[string]any{"name": *name}
	if *expiresIn != "" {
		body["expires_in"] = *expiresIn
	}
	var out tokenOut
	return cl.cf.sendShow(ctx, stdout, "POST", "/idps/"+url.PathEscape(pos[0])+"/scim-tokens", body, &out, func() {
		fmt.Fprintf(stdout, "SCIM token %s for IdP %s (expires: %s)\n\n", out.ID, out.IdP, fmtTime(out.ExpiresAt))
		fmt.Fprintf(stdout, "    %s\n\n", out.Token)
		fmt.Fprintln(stdout, "This secret is shown once. Paste it into the IdP's SCIM connector as the bearer token.")
	})
}

func tokenList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cl := newCommandLine("token list", "<idp> [flags]", stderr)
	pos, err := cl.parse(args, 1, "token list needs exactly one IdP id")
	if err != nil {
		return err
	}
	var out struct{ Items []tokenOut }
	return cl.cf.sendShow(ctx, stdout, "GET", "/idps/"+url.PathEscape(pos[0])+"/scim-tokens", nil, &out, func() {
		tw := newTable(stdout)
		fmt.Fprintln(tw, "ID\tNAME\tSTATUS\tCREATED\tEXPIRES\tLAST USED")
		for _, t := range out.Items {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, orDash(t.Name), t.Status, fmtTime(t.Created), fmtTime(t.ExpiresAt), fmtTime(t.LastUsedAt))
		}
		tw.Flush()
	})
}

func tokenRevoke(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cf, id, err := oneID("token revoke", args, stderr)
	if err != nil {
		return err
	}
	var out tokenOut
	return cf.sendShow(ctx, stdout, "DELETE", "/scim-tokens/"+url.PathEscape(id), nil, &out, func() {
		fmt.Fprintf(stdout, "revoked SCIM token %s of IdP %s\n", out.ID, out.IdP)
	})
}
