package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"
)

func init() {
	register(command{name: "webhook", summary: "manage webhooks (list|create|rm|resume|replay)",
		run: subcommands("webhook", map[string]subcommandFunc{
			"list": webhookList, "create": webhookCreate, "rm": webhookRemove, "resume": webhookResume, "replay": webhookReplay,
		}, []string{"list", "create", "rm", "resume", "replay"})})
}

// webhookOut is a webhook as the API shows it; Secret is set only in the answer to its
// creation.
type webhookOut struct {
	ID          string     `json:"id"`
	URL         string     `json:"url"`
	EventTypes  []string   `json:"event_types"`
	IdP         string     `json:"idp"`
	Secret      string     `json:"secret"`
	Status      string     `json:"status"`
	Cursor      uint64     `json:"cursor"`
	LastError   string     `json:"last_error"`
	LastAttempt *time.Time `json:"last_attempt"`
	Failures    int        `json:"failures"`
}

func webhookList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("webhook list", "[flags]", stderr)
	var cf clientFlags
	cf.register(fs)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return parseFailed(err)
	}
	if len(pos) > 0 {
		return usagef("webhook list takes no arguments")
	}
	var out struct{ Items []webhookOut }
	return cf.sendShow(ctx, stdout, "GET", "/webhooks", nil, &out, func() {
		tw := newTable(stdout)
		fmt.Fprintln(tw, "ID\tURL\tEVENTS\tIDP\tSTATUS\tCURSOR\tFAILURES\tLAST ATTEMPT\tLAST ERROR")
		for _, w := range out.Items {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%d\t%s\t%s\n", w.ID, w.URL, orDash(strings.Join(w.EventTypes, ",")), orDash(w.IdP),
				w.Status, w.Cursor, w.Failures, fmtTime(w.LastAttempt), orDash(w.LastError))
		}
		tw.Flush()
	})
}

func webhookCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("webhook create", "<url> [--events TYPES] [--idp ID] [--from-seq N] [flags]", stderr)
	var cf clientFlags
	cf.register(fs)
	events := fs.String("events", "", `comma-separated event types to deliver, patterns like "user.*" allowed (default: every event)`)
	idp := fs.String("idp", "", "deliver only the events of this IdP")
	fromSeq := fs.Int64("from-seq", -1, "start delivery at the event with this seq (default: the events written from now on)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return parseFailed(err)
	}
	if len(pos) != 1 {
		fs.Usage()
		return usagef("webhook create needs the receiver's URL")
	}
	body := map[string]any{"url": pos[0]}
	if *events != "" {
		body["event_types"] = strings.Split(*events, ",")
	}
	if *idp != "" {
		body["idp"] = *idp
	}
	if *fromSeq >= 0 {
		body["from_seq"] = *fromSeq
	}
	var out webhookOut
	return cf.sendShow(ctx, stdout, "POST", "/webhooks", body, &out, func() {
		fmt.Fprintf(stdout, "created webhook %s to %s, delivering from event %d on\n\n", out.ID, out.URL, out.Cursor+1)
		fmt.Fprintf(stdout, "Signing secret, shown once; the receiver verifies every delivery with it:\n\n    %s\n\n", out.Secret)
	})
}

func webhookRemove(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cf, id, err := oneID("webhook rm", args, stderr)
	if err != nil {
		return err
	}
	return cf.sendShow(ctx, stdout, "DELETE", "/webhooks/"+url.PathEscape(id), nil, nil, func() {
		if cf.json {
			fmt.Fprintf(stdout, "{%q: %q}\n", "deleted", id)
			return
		}
		fmt.Fprintf(stdout, "deleted webhook %s\n", id)
	})
}

func webhookResume(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cf, id, err := oneID("webhook resume", args, stderr)
	if err != nil {
		return err
	}
	var out webhookOut
	return cf.sendShow(ctx, stdout, "POST", "/webhooks/"+url.PathEscape(id)+"/resume", nil, &out, func() {
		fmt.Fprintf(stdout, "webhook %s resumed: %s, delivering from event %d on\n", out.ID, out.Status, out.Cursor+1)
	})
}

func webhookReplay(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("webhook replay", "<id> --from-seq N [flags]", stderr)
	var cf clientFlags
	cf.register(fs)
	fromSeq := fs.Int64("from-seq", -1, "deliver again from the event with this seq (1: the whole log)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return parseFailed(err)
	}
	if len(pos) != 1 || *fromSeq < 0 {
		fs.Usage()
		return usagef("webhook replay needs the webhook's id and --from-seq")
	}
	var out webhookOut
	return cf.sendShow(ctx, stdout, "POST", "/webhooks/"+url.PathEscape(pos[0])+"/replay", map[string]any{"from_seq": *fromSeq}, &out, func() {
		fmt.Fprintf(stdout, "webhook %s delivers again from event %d on\n", out.ID, out.Cursor+1)
	})
}

// sendShow makes one request and prints its answer: the server's JSON as it came with --json,
// otherwise what show prints from out. An answer without a body (a deletion) is always left to
// show.
func (cf *clientFlags) sendShow(ctx context.Context, stdout io.Writer, method, path string, body, out any, show func()) error {
	c, err := cf.client()
	if err != nil {
		return err
	}
	var raw []byte
	if err := c.call(ctx, method, path, body, out, &raw); err != nil {
		return err
	}
	if cf.json && len(raw) > 0 {
		writeJSONOut(stdout, raw)
		return nil
	}
	show()
	return nil
}
