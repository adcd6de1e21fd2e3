package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"
)

func init() {
	register(command{name: "user", summary: "users (list|show|deactivate|reactivate|rm|sessions|signout)",
		run: subcommands("user", map[string]subcommandFunc{
			"list": userList, "show": userShow, "deactivate": userDeactivate, "reactivate": userReactivate, "rm": userRemove,
			"sessions": userSessions, "signout": userSignOut,
		}, []string{"list", "show", "deactivate", "reactivate", "rm", "sessions", "signout"})})
}

type userOut struct {
	ID           string `json:"id"`
	UserName     string `json:"userName"`
	DisplayName  string `json:"displayName"`
	Active       bool   `json:"active"`
	IdP          string `json:"idp"`
	Org          string `json:"org"`
	UniqueUserID string `json:"uniqueUserId"`
	ExternalID   string `json:"externalId"`
	Owner        string `json:"owner"`
	Emails       []struct {
		Value string `json:"value"`
	} `json:"emails"`
	Groups []struct {
		ID          string `json:"id"`
		DisplayName string `json:"displayName"`
	} `json:"groups"`
	LastLoginAt *time.Time `json:"lastLoginAt"`
}

func activeWord(a bool) string {
	if a {
		return "active"
	}
	return "inactive"
}

func userList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("user list", "[--filter EXPR] [--org ORG] [--idp ID] [--limit N] [--cursor C] [flags]", stderr)
	var cf clientFlags
	cf.register(fs)
	filter := fs.String("filter", "", `SCIM filter over the user's attributes plus idp, uniqueUserId and owner, e.g. 'uniqueUserId eq "00u1"'`)
	org := fs.String("org", "", "only users of this organization")
	idp := fs.String("idp", "", "only users of this IdP")
	limit := fs.Int("limit", 50, "users per page (at most 500)")
	cursor := fs.String("cursor", "", "continue after this cursor (printed when there are more)")
	all := fs.Bool("all", false, "follow the cursor through every page")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return parseFailed(err)
	}
	if len(pos) > 0 {
		return usagef("user list takes no arguments; use --filter")
	}
	if *limit < 1 {
		return usagef("--limit must be at least 1")
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	q := url.Values{"limit": {strconv.Itoa(*limit)}}
	if *filter != "" {
		q.Set("filter", *filter)
	}
	if *org != "" {
		q.Set("org", *org)
	}
	if *idp != "" {
		q.Set("idp", *idp)
	}
	if *cursor != "" {
		q.Set("cursor", *cursor)
	}
	type page struct {
		Items      []userOut `json:"items"`
		NextCursor string    `json:"next_cursor"`
	}
	var out page
	var rawItems []json.RawMessage
	for {
		var p page
		var raw []byte
		if err := c.call(ctx, "GET", "/users?"+q.Encode(), nil, &p, &raw); err != nil {
			return err
		}
		var r struct {
			Items []json.RawMessage `json:"items"`
		}
		_ = json.Unmarshal(raw, &r)
		rawItems = append(rawItems, r.Items...)
		out.Items = append(out.Items, p.Items...)
		out.NextCursor = p.NextCursor
		if !*all || p.NextCursor == "" {
			break
		}
		q.Set("cursor", p.NextCursor)
	}
	if cf.json {
		if rawItems == nil {
			rawItems = []json.RawMessage{}
		}
		b, err := json.Marshal(struct {
			Items      []json.RawMessage `json:"items"`
			NextCursor string            `json:"next_cursor"`
		}{rawItems, out.NextCursor})
		if err != nil {
			return err
		}
		writeJSONOut(stdout, b)
		return nil
	}
	tw := newTable(stdout)
	fmt.Fprintln(tw, "ID\tUSERNAME\tORG\tIDP\tUNIQUEUSERID\tOWNER\tSTATUS\tLAST LOGIN")
	for _, u := range out.Items {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", u.ID, u.UserName, orDash(u.Org), orDash(u.IdP), orDash(u.UniqueUserID), u.Owner, activeWord(u.Active), fmtTime(u.LastLoginAt))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if out.NextCursor != "" {
		// On stderr, so that a script reading the table is not confused by it.
		fmt.Fprintf(stderr, "more users: add --cursor %s\n", out.NextCursor)
	}
	return nil
}

func printUser(w io.Writer, u userOut) {
	var emails, groups []string
	for _, e := range u.Emails {
		emails = append(emails, e.Value)
	}
	for _, g := range u.Groups {
		groups = append(groups, g.DisplayName)
	}
	tw := newTable(w)
	fmt.Fprintf(tw, "id:\t%s\n", u.ID)
	fmt.Fprintf(tw, "userName:\t%s\n", u.UserName)
	fmt.Fprintf(tw, "organization:\t%s\n", orDash(u.Org))
	fmt.Fprintf(tw, "displayName:\t%s\n", orDash(u.DisplayName))
	fmt.Fprintf(tw, "status:\t%s\n", activeWord(u.Active))
	fmt.Fprintf(tw, "owner:\t%s\n", u.Owner)
	fmt.Fprintf(tw, "identity:\t%s / %s\n", orDash(u.IdP), orDash(u.UniqueUserID))
	fmt.Fprintf(tw, "externalId:\t%s\n", orDash(u.ExternalID))
	fmt.Fprintf(tw, "emails:\t%s\n", orDash(strings.Join(emails, ", ")))
	fmt.Fprintf(tw, "groups:\t%s\n", orDash(strings.Join(groups, ", ")))
	fmt.Fprintf(tw, "lastLoginAt:\t%s\n", fmtTime(u.LastLoginAt))
	tw.Flush()
}

func userShow(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cf, id, err := oneID("user show", args, stderr)
	if err != nil {
		return err
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	out, raw, err := findUser(ctx, c, id)
	if err != nil {
		return err
	}
	if cf.json {
		writeJSONOut(stdout, raw)
		return nil
	}
	printUser(stdout, out)
	return nil
}

func userDeactivate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cf, c, id, err := userCommand("user deactivate", ctx, args, stderr)
	if err != nil {
		return err
	}
	var out userOut
	var raw []byte
	if err := c.call(ctx, "POST", "/users/"+url.PathEscape(id)+"/deactivate", nil, &out, &raw); err != nil {
		return err
	}
	if cf.json {
		writeJSONOut(stdout, raw)
		return nil
	}
	fmt.Fprintf(stdout, "deactivated %s (%s); their sessions have ended\n", out.UserName, out.ID)
	return nil
}
