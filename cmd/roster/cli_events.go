package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"
)

func init() {
	register(command{name: "events", summary: "follow the event log (tail)",
		run: subcommands("events", map[string]subcommandFunc{
			"tail": eventsTail,
		}, []string{"tail"})})
}

type eventOut struct {
	Seq     uint64    `json:"seq"`
	ID      string    `json:"id"`
	Time    time.Time `json:"time"`
	Type    string    `json:"type"`
	Actor   string    `json:"actor"`
	Subject string    `json:"subject"`
	IdP     string    `json:"idp"`
	Org     string    `json:"org"`
	Rule    string    `json:"rule"`
	Reason  string    `json:"reason"`
	Changes []string  `json:"changes"`
}

// eventsTail prints events in order and, with --follow (the default), waits for new ones with
// the API's long poll until interrupted. With --json each event is one JSON line, so a script
// can read the stream line by line.
func eventsTail(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("events tail", "[--after SEQ | --last N] [--follow=false] [--max N] [flags]", stderr)
	var cf clientFlags
	cf.register(fs)
	after := fs.Uint64("after", 0, "start after this sequence number (0: from the first event)")
	last := fs.Int("last", 20, "start with the last N events (at most 1000); --after, or --last 0, starts after a seq instead")
	follow := fs.Bool("follow", true, "keep waiting for new events; false stops at the end of the log")
	maxN := fs.Int("max", 0, "stop after this many events (0: no limit)")
	wait := fs.Int("wait", 25, "seconds each long poll waits for new events (at most 60)")
	org := fs.String("org", "", "only events of this organization")
	idp := fs.String("idp", "", "only events of this IdP")
	subject := fs.String("subject", "", "only events about this subject (a user, group, IdP or token id)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return parseFailed(err)
	}
	if len(pos) > 0 {
		return usagef("events tail takes no arguments")
	}
	// A tail starts at the end of the log, as tail does, unless told where.
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	switch {
	case set["after"] && set["last"] && *last != 0:
		return usagef("use either --after or --last, not both")
	case set["after"]:
		*last = 0
	}
	if *last < 0 || *last > 1000 {
		return usagef("--last must be from 1 to 1000")
	}
	if *wait < 1 || *wait > 60 {
		return usagef("--wait must be from 1 to 60 seconds")
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	printed := 0
	pos0 := *after
	first := true
	for {
		q := url.Values{"after": {strconv.FormatUint(pos0, 10)}, "limit": {"500"}}
		if first && *last > 0 {
			q.Del("after")
			q.Set("last", strconv.Itoa(*last))
		}
		first = false
		if *follow {
			q.Set("wait", strconv.Itoa(*wait))
		}
		if *org != "" {
			q.Set("org", *org)
		}
		if *idp != "" {
			q.Set("idp", *idp)
		}
		if *subject != "" {
			q.Set("subject", *subject)
		}
		var page struct {
			Items     []eventOut `json:"items"`
			NextAfter uint64     `json:"next_after"`
		}
		err := c.call(ctx, "GET", "/events?"+q.Encode(), nil, &page, nil)
		if errors.Is(ctx.Err(), context.Canceled) {
			return nil // interrupted while following: a normal way to stop
		}
		if err != nil {
			return err
		}
		for _, e := range page.Items {
			if cf.json {
				if err := enc.Encode(e); err != nil {
					return err
				}
			} else {
				printEvent(stdout, e)
			}
			printed++
			if *maxN > 0 && printed >= *maxN {
				return nil
			}
		}
		reachedEnd := page.NextAfter == pos0
		pos0 = page.NextAfter
		if reachedEnd && !*follow {
			return nil
		}
	}
}

func printEvent(w io.Writer, e eventOut) {
	rule := ""
	if e.Rule != "" {
		rule = " [" + e.Rule + "]"
	}
	line := fmt.Sprintf("%d %s %s%s actor=%s subject=%s", e.Seq, e.Time.UTC().Format(time.RFC3339), e.Type, rule, e.Actor, e.Subject)
	if e.Org != "" {
		line += " org=" + e.Org
	}
	if e.IdP != "" {
		line += " idp=" + e.IdP
	}
	if len(e.Changes) > 0 {
		line += " changes=" + strings.Join(e.Changes, ",")
	}
	if e.Reason != "" {
		line += " — " + e.Reason
	}
	fmt.Fprintln(w, line)
}
