package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
)

// idpModePreview says what switching an IdP's mode would do, without switching it.
func idpModePreview(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("idp mode-preview", "<id> <jit|scim|both> [flags]", stderr)
	var cf clientFlags
	cf.register(fs)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return parseFailed(err)
	}
	if len(pos) != 2 {
		fs.Usage()
		return usagef("idp mode-preview needs the IdP's id and the mode to preview")
	}
	type entry struct {
		User *struct {
			ID       string `json:"id"`
			UserName string `json:"userName"`
		} `json:"user"`
		Tombstone *struct {
			UniqueUserID string `json:"uniqueUserId"`
			UserName     string `json:"userName"`
		} `json:"tombstone"`
		Rule   string `json:"rule"`
		Reason string `json:"reason"`
	}
	type group struct {
		Count int     `json:"count"`
		Items []entry `json:"items"`
	}
	var out struct {
		From, To        string
		Change          struct{ Rule, Reason string }
		Newcomer        struct{ Outcome, Rule, Reason string }
		AdoptedLater    group    `json:"adopted_later"`
		NoLongerSignsIn group    `json:"no_longer_signs_in"`
		KeepsWorking    group    `json:"keeps_working"`
		SignsInAgain    group    `json:"signs_in_again"`
		StaysRefused    group    `json:"stays_refused"`
		Summary         []string `json:"summary"`
	}
	path := "/idps/" + url.PathEscape(pos[0]) + "/mode-preview?" + url.Values{"mode": {pos[1]}}.Encode()
	return cf.sendShow(ctx, stdout, "GET", path, nil, &out, func() {
		fmt.Fprintf(stdout, "%s: mode %s -> %s (a preview; nothing was changed)\n", pos[0], out.From, out.To)
		if out.Change.Reason != "" {
			fmt.Fprintf(stdout, "  %s: %s\n", out.Change.Rule, out.Change.Reason)
		}
		for _, s := range out.Summary {
			fmt.Fprintf(stdout, "  - %s\n", s)
		}
		for _, g := range []struct {
			title string
			g     group
		}{
			{"adopted later by SCIM (they keep signing in)", out.AdoptedLater},
			{"could no longer sign in", out.NoLongerSignsIn},
			{"could sign in again", out.SignsInAgain},
			{"keep working", out.KeepsWorking},
			{"stay refused", out.StaysRefused},
		} {
			if g.g.Count == 0 {
				continue
			}
			fmt.Fprintf(stdout, "\n%s: %d\n", g.title, g.g.Count)
			tw := newTable(stdout)
			for _, e := range g.g.Items {
				who := ""
				switch {
				case e.User != nil:
					who = e.User.UserName + "\t" + e.User.ID
				case e.Tombstone != nil:
					who = orDash(e.Tombstone.UserName) + "\ttombstoned key " + e.Tombstone.UniqueUserID
				}
				fmt.Fprintf(tw, "  %s\t%s: %s\n", who, e.Rule, e.Reason)
			}
			tw.Flush()
			if n := g.g.Count - len(g.g.Items); n > 0 {
				fmt.Fprintf(stdout, "  … and %d more (--json lists the first %d)\n", n, len(g.g.Items))
			}
		}
		fmt.Fprintf(stdout, "\nsomeone without a user: %s (%s: %s)\n", out.Newcomer.Outcome, out.Newcomer.Rule, out.Newcomer.Reason)
	})
}
