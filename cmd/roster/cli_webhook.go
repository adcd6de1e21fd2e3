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
	cl := newCommandLine("webhook list", "[flags]", stderr)
	if _, err := cl.parse(args, 0, "webhook list takes no arguments"); err != nil {
		return err
	}
	var out struct{ Items []webhookOut }
	return cl.cf.sendShow(ctx, stdout, "GET", "/webhooks", nil, &out, func() {
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
	cl := newCommandLine("webhook create", "<url> [--events TYPES] [--idp ID] [--from-seq N] [flags]", stderr)
	events := cl.fs.String("events", "", `comma-separated event types to deliver, patterns like "user.*" allowed (default: every event)`)
	idp := cl.fs.String("idp", "", "deliver only the events of this IdP")
	fromSeq := cl.fs.Int64("from-seq", -1, "start delivery at the event with this seq (default: the events written from now on)")
	pos, err := cl.parse(args, 1, "webhook create needs the receiver's URL")
	if err != nil {
		return err
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
	return cl.cf.sendShow(ctx, stdout, "POST", "/webhooks", body, &out, func() {
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
		cf.done(stdout, "deleted", id, "deleted webhook %s", id)
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
	cl := newCommandLine("webhook replay", "<id> --from-seq N [flags]", stderr)
	fromSeq := cl.fs.Int64("from-seq", -1, "deliver again from the event with this seq (1: the whole log)")
	const need = "webhook replay needs the webhook's id and --from-seq"
	pos, err := cl.parse(args, 1, need)
	if err != nil {
		return err
	}
	if *fromSeq < 0 {
		cl.fs.Usage()
		return usagef(need)
	}
	var out webhookOut
	return cl.cf.sendShow(ctx, stdout, "POST", "/webhooks/"+url.PathEscape(pos[0])+"/replay", map[string]any{"from_seq": *fromSeq}, &out, func() {
		fmt.Fprintf(stdout, "webhook %s delivers again from event %d on\n", out.ID, out.Cursor+1)
	})
}
