package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// findUser reads the user named by arg, an id or a userName: an id is tried first, then a
// userName, which is unique within an organization; a userName that several organizations
// use is an error listing them, since only the id then names one user.
func findUser(ctx context.Context, c *apiClient, arg string) (userOut, []byte, error) {
	var out userOut
	var raw []byte
	err := c.call(ctx, "GET", "/users/"+url.PathEscape(arg), nil, &out, &raw)
	var he *httpError
	if !errors.As(err, &he) || he.status != http.StatusNotFound {
		return out, raw, err
	}
	quoted := strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(arg)
	var page struct {
		Items []json.RawMessage `json:"items"`
	}
	q := url.Values{"filter": {`userName eq "` + quoted + `"`}, "limit": {"10"}}
	if err := c.call(ctx, "GET", "/users?"+q.Encode(), nil, &page, nil); err != nil {
		return out, nil, err
	}
	switch len(page.Items) {
	case 0:
		return out, nil, fmt.Errorf("no user has the id or userName %q (HTTP 404)", arg)
	case 1:
		raw = page.Items[0]
		return out, raw, json.Unmarshal(raw, &out)
	}
	var which []string
	for _, item := range page.Items {
		var u userOut
		if json.Unmarshal(item, &u) == nil {
			which = append(which, fmt.Sprintf("%s (organization %s)", u.ID, orDash(u.Org)))
		}
	}
	return out, nil, fmt.Errorf("userName %q belongs to %d users, one per organization; name one by its id: %s",
		arg, len(page.Items), strings.Join(which, ", "))
}

// userCommand parses the arguments of a command on one user, named by its id or userName, and
// returns the flags, the client and the user's id.
func userCommand(name string, ctx context.Context, args []string, stderr io.Writer) (clientFlags, *apiClient, string, error) {
	cl := newCommandLine(name, "<id or userName> [flags]", stderr)
	c, u, err := cl.user(ctx, name, args)
	return cl.cf, c, u.ID, err
}

// user parses the command line of the command name on one user, given as its only argument, and
// reads that user.
func (cl *commandLine) user(ctx context.Context, name string, args []string) (*apiClient, userOut, error) {
	pos, err := cl.parse(args, 1, name+" needs one user: its id or userName")
	if err != nil {
		return nil, userOut{}, err
	}
	c, err := cl.cf.client()
	if err != nil {
		return nil, userOut{}, err
	}
	u, _, err := findUser(ctx, c, pos[0])
	return c, u, err
}

// userAnswer prints an answer about a user: the server's JSON with --json, else the line.
func userAnswer(cf clientFlags, stdout io.Writer, raw []byte, line string) {
	if cf.json {
		writeJSONOut(stdout, raw)
		return
	}
	fmt.Fprintln(stdout, line)
}

func userReactivate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cf, c, id, err := userCommand("user reactivate", ctx, args, stderr)
	if err != nil {
		return err
	}
	var out userOut
	var raw []byte
	if err := c.call(ctx, "POST", "/users/"+url.PathEscape(id)+"/reactivate", nil, &out, &raw); err != nil {
		return err
	}
	userAnswer(cf, stdout, raw, fmt.Sprintf("reactivated %s (%s); sessions ended before stay ended", out.UserName, out.ID))
	return nil
}

func userRemove(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cl := newCommandLine("user rm", "<id or userName> [--dry-run] [flags]", stderr)
	dryRun := cl.fs.Bool("dry-run", false, "say what deleting would do, and delete nothing")
	c, u, err := cl.user(ctx, "user rm", args)
	if err != nil {
		return err
	}
	var out struct {
		Deleted     bool   `json:"deleted"`
		Explanation string `json:"explanation"`
		Tombstone   *struct {
			IdP          string `json:"idp"`
			UniqueUserID string `json:"uniqueUserId"`
		} `json:"tombstone"`
	}
	var raw []byte
	path := "/users/" + url.PathEscape(u.ID)
	if *dryRun {
		path += "?dry_run=true"
	}
	if err := c.call(ctx, "DELETE", path, nil, &out, &raw); err != nil {
		return err
	}
	verb := "deleted"
	if !out.Deleted {
		verb = "would delete"
	}
	line := fmt.Sprintf("%s %s (%s)", verb, u.UserName, u.ID)
	if out.Tombstone != nil {
		line += fmt.Sprintf("; key %s of IdP %s tombstoned", out.Tombstone.UniqueUserID, out.Tombstone.IdP)
	}
	userAnswer(cl.cf, stdout, raw, line+"\n"+out.Explanation)
	return nil
}

func userSessions(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cf, c, id, err := userCommand("user sessions", ctx, args, stderr)
	if err != nil {
		return err
	}
	var out struct {
		Items []struct {
			ID      string    `json:"id"`
			IdP     string    `json:"idp"`
			Created time.Time `json:"created"`
			Expires time.Time `json:"expires"`
		} `json:"items"`
	}
	var raw []byte
	if err := c.call(ctx, "GET", "/users/"+url.PathEscape(id)+"/sessions", nil, &out, &raw); err != nil {
		return err
	}
	if cf.json {
		writeJSONOut(stdout, raw)
		return nil
	}
	tw := newTable(stdout)
	fmt.Fprintln(tw, "SESSION\tIDP\tSTARTED\tEXPIRES")
	for _, s := range out.Items {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.ID, orDash(s.IdP), s.Created.UTC().Format(time.RFC3339), s.Expires.UTC().Format(time.RFC3339))
	}
	return tw.Flush()
}

func userSignOut(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cf, c, id, err := userCommand("user signout", ctx, args, stderr)
	if err != nil {
		return err
	}
	var out struct {
		Ended int `json:"sessions_ended"`
	}
	var raw []byte
	if err := c.call(ctx, "POST", "/users/"+url.PathEscape(id)+"/sessions/revoke", nil, &out, &raw); err != nil {
		return err
	}
	userAnswer(cf, stdout, raw, "signed "+id+" out everywhere: "+strconv.Itoa(out.Ended)+" live session(s) ended; the user may sign in again")
	return nil
}
