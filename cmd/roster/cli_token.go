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
	fs := newFlagSet("token create", "<idp> [--name NAME] [--expires-in 90d] [flags]", stderr)
	var cf clientFlags
	cf.register(fs)
	name := fs.String("name", "", "a name saying where the token is used")
	expiresIn := fs.String("expires-in", "", "lifetime such as 90d or 720h (default: no expiry)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return parseFailed(err)
	}
	if len(pos) != 1 {
		fs.Usage()
		return usagef("token create needs exactly one IdP id")
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	body := map[string]any{"name": *name}
	if *expiresIn != "" {
		body["expires_in"] = *expiresIn
	}
	var out tokenOut
	var raw []byte
	if err := c.call(ctx, "POST", "/idps/"+url.PathEscape(pos[0])+"/scim-tokens", body, &out, &raw); err != nil {
		return err
	}
	if cf.json {
		writeJSONOut(stdout, raw)
		return nil
	}
	fmt.Fprintf(stdout, "SCIM token %s for IdP %s (expires: %s)\n\n", out.ID, out.IdP, fmtTime(out.ExpiresAt))
	fmt.Fprintf(stdout, "    %s\n\n", out.Token)
	fmt.Fprintln(stdout, "This secret is shown once. Paste it into the IdP's SCIM connector as the bearer token.")
	return nil
}

func tokenList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("token list", "<idp> [flags]", stderr)
	var cf clientFlags
	cf.register(fs)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return parseFailed(err)
	}
	if len(pos) != 1 {
		fs.Usage()
		return usagef("token list needs exactly one IdP id")
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	var out struct{ Items []tokenOut }
	var raw []byte
	if err := c.call(ctx, "GET", "/idps/"+url.PathEscape(pos[0])+"/scim-tokens", nil, &out, &raw); err != nil {
		return err
	}
	if cf.json {
		writeJSONOut(stdout, raw)
		return nil
	}
	tw := newTable(stdout)
	fmt.Fprintln(tw, "ID\tNAME\tSTATUS\tCREATED\tEXPIRES\tLAST USED")
	for _, t := range out.Items {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, orDash(t.Name), t.Status, fmtTime(t.Created), fmtTime(t.ExpiresAt), fmtTime(t.LastUsedAt))
	}
	return tw.Flush()
}

func tokenRevoke(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cf, id, err := oneID("token revoke", args, stderr)
	if err != nil {
		return err
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	var out tokenOut
	var raw []byte
	if err := c.call(ctx, "DELETE", "/scim-tokens/"+url.PathEscape(id), nil, &out, &raw); err != nil {
		return err
	}
	if cf.json {
		writeJSONOut(stdout, raw)
		return nil
	}
	fmt.Fprintf(stdout, "revoked SCIM token %s of IdP %s\n", out.ID, out.IdP)
	return nil
}
