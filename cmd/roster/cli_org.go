package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"time"
)

func init() {
	register(command{name: "org", summary: "manage organizations and their email domains (add|list|show|rm|domain)",
		run: subcommands("org", map[string]subcommandFunc{
			"add": orgAdd, "list": orgList, "show": orgShow, "rm": orgRemove,
			"domain": dispatch("org domain", map[string]subcommandFunc{
				"add": domainAdd, "verify": domainVerify, "rm": domainRemove,
			}, []string{"add", "verify", "rm"}),
		}, []string{"add", "list", "show", "rm", "domain"})})
}

// orgOut is the API's organization shape.
type orgOut struct {
	ID           string      `json:"id"`
	Name         string      `json:"name"`
	EmailDomains string      `json:"email_domains"`
	Domains      []domainOut `json:"domains"`
}

type domainOut struct {
	Domain     string     `json:"domain"`
	Verified   bool       `json:"verified"`
	VerifiedAt *time.Time `json:"verified_at"`
	TXTName    string     `json:"txt_name"`
	TXTValue   string     `json:"txt_value"`
}

func orgPath(id string) string { return "/orgs/" + url.PathEscape(id) }

func domainPath(org, domain string) string {
	return orgPath(org) + "/domains/" + url.PathEscape(domain)
}

func verifiedWord(v bool) string {
	if v {
		return "verified"
	}
	return "not verified"
}

func printOrg(w io.Writer, o orgOut) {
	tw := newTable(w)
	fmt.Fprintf(tw, "id:\t%s\n", o.ID)
	fmt.Fprintf(tw, "name:\t%s\n", o.Name)
	fmt.Fprintf(tw, "email_domains:\t%s\n", o.EmailDomains)
	tw.Flush()
	if len(o.Domains) == 0 {
		fmt.Fprintln(w, "\nno domain claimed yet; add one with 'roster org domain add "+o.ID+" <domain>'")
		return
	}
	fmt.Fprintln(w, "\ndomains:")
	tw = newTable(w)
	fmt.Fprintln(tw, "  DOMAIN\tSTATUS\tVERIFIED AT\tTXT RECORD")
	for _, d := range o.Domains {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", d.Domain, verifiedWord(d.Verified), fmtTime(d.VerifiedAt), txtRecord(d))
	}
	tw.Flush()
}

// txtRecord is the record to publish, in the form most DNS consoles and zone files take.
func txtRecord(d domainOut) string { return fmt.Sprintf("%s TXT %q", d.TXTName, d.TXTValue) }

func orgAdd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cl := newCommandLine("org add", "<id> [--name NAME] [--email-domains any|verified] [flags]", stderr)
	name := cl.fs.String("name", "", "display name (default: the id)")
	emailDomains := cl.fs.String("email-domains", "", `"any" (default) or "verified": refuse SCIM writes and sign-ins whose email is outside the organization's verified domains (R13)`)
	pos, err := cl.parse(args, 1, "org add needs exactly one id")
	if err != nil {
		return err
	}
	body := map[string]any{"id": pos[0], "name": *name}
	if *emailDomains != "" {
		body["email_domains"] = *emailDomains
	}
	var out orgOut
	return cl.cf.sendShow(ctx, stdout, "POST", "/orgs", body, &out, func() {
		fmt.Fprintf(stdout, "added organization %s\n\n", out.ID)
		printOrg(stdout, out)
	})
}

func orgList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cl := newCommandLine("org list", "[flags]", stderr)
	if _, err := cl.parse(args, 0, "org list takes no arguments"); err != nil {
		return err
	}
	var out struct{ Items []orgOut }
	return cl.cf.sendShow(ctx, stdout, "GET", "/orgs", nil, &out, func() {
		tw := newTable(stdout)
		fmt.Fprintln(tw, "ID\tNAME\tEMAIL DOMAINS\tDOMAINS")
		for _, o := range out.Items {
			verified := 0
			for _, d := range o.Domains {
				if d.Verified {
					verified++
				}
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d (%d verified)\n", o.ID, o.Name, o.EmailDomains, len(o.Domains), verified)
		}
		tw.Flush()
	})
}

func orgShow(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cf, id, err := oneID("org show", args, stderr)
	if err != nil {
		return err
	}
	var out orgOut
	return cf.sendShow(ctx, stdout, "GET", orgPath(id), nil, &out, func() { printOrg(stdout, out) })
}

func orgRemove(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cf, id, err := oneID("org rm", args, stderr)
	if err != nil {
		return err
	}
	return cf.sendShow(ctx, stdout, "DELETE", orgPath(id), nil, nil, func() {
		cf.done(stdout, "deleted", id, "deleted organization %s", id)
	})
}

// orgAndDomain parses flags and the two positional arguments of the domain subcommands.
func orgAndDomain(name string, args []string, stderr io.Writer) (clientFlags, string, string, error) {
	cl := newCommandLine(name, "<org> <domain> [flags]", stderr)
	pos, err := cl.parse(args, 2, name+" needs an organization id and a domain")
	if err != nil {
		return cl.cf, "", "", err
	}
	return cl.cf, pos[0], pos[1], nil
}

func domainAdd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cf, org, domain, err := orgAndDomain("org domain add", args, stderr)
	if err != nil {
		return err
	}
	var out domainOut
	return cf.sendShow(ctx, stdout, "POST", orgPath(org)+"/domains", map[string]string{"domain": domain}, &out, func() {
		fmt.Fprintf(stdout, "organization %s claims %s (%s)\n\nPublish this DNS TXT record:\n\n", org, out.Domain, verifiedWord(out.Verified))
		tw := newTable(stdout)
		fmt.Fprintf(tw, "    name:\t%s\n", out.TXTName)
		fmt.Fprintf(tw, "    value:\t%s\n", out.TXTValue)
		tw.Flush()
		fmt.Fprintf(stdout, "\nthen run 'roster org domain verify %s %s'.\n", org, out.Domain)
	})
}

func domainVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cf, org, domain, err := orgAndDomain("org domain verify", args, stderr)
	if err != nil {
		return err
	}
	// A record not found (yet) is a 409 whose message says what the look-up found; it is
	// printed as any error of the API is.
	var out domainOut
	return cf.sendShow(ctx, stdout, "POST", domainPath(org, domain)+"/verify", nil, &out, func() {
		fmt.Fprintf(stdout, "%s is verified for organization %s (at %s)\n", out.Domain, org, fmtTime(out.VerifiedAt))
	})
}

func domainRemove(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cf, org, domain, err := orgAndDomain("org domain rm", args, stderr)
	if err != nil {
		return err
	}
	return cf.sendShow(ctx, stdout, "DELETE", domainPath(org, domain), nil, nil, func() {
		cf.done(stdout, "deleted", domain, "organization %s no longer claims %s", org, domain)
	})
}
