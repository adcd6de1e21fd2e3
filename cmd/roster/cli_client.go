package main

// The idp, token, user, events and backup subcommands are clients of the admin API of a
// running server. This file holds what they share: the common flags, the HTTP client, error
// reporting and output helpers. Exit codes: 0 success, 1 a failed operation (including any
// HTTP error), 2 a usage error.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"
)

const defaultServer = "http://127.0.0.1:8080"

// clientFlags are the flags every client subcommand takes.
type clientFlags struct {
	server string
	token  string
	json   bool
}

func (cf *clientFlags) register(fs *flag.FlagSet) {
	server := os.Getenv("ROSTER_SERVER")
	if server == "" {
		server = defaultServer
	}
	fs.StringVar(&cf.server, "server", server, "base URL of the Roster server (env ROSTER_SERVER)")
	// The token's default is read from the environment only when a request is made: a flag's
	// default is printed by -h, and a secret must not end up in a terminal's scroll-back or a
	// pasted help text.
	fs.StringVar(&cf.token, "token", "", "admin token (default: from $ROSTER_TOKEN; prefer the variable: flags show in ps)")
	fs.BoolVar(&cf.json, "json", false, "print JSON for scripts instead of a table")
}

// usageError is a mistake in the command line: exit code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{msg: fmt.Sprintf(format, args...)} }

// newFlagSet returns a flag set that reports to stderr and does not exit.
func newFlagSet(name, args string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("roster "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: roster %s %s\n\nflags:\n", name, args)
		fs.PrintDefaults()
	}
	return fs
}

// parseArgs parses flags wherever they appear among the arguments, so that both
// "roster idp show okta --json" and "roster idp show --json okta" work with the standard flag
// package, which stops at the first positional argument.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		if args[0] == "--" {
			return append(positional, args[1:]...), nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

// commandLine is the command line of one client subcommand: its flag set, with the flags every
// client subcommand takes already registered. A subcommand adds its own flags to fs, then parses.
type commandLine struct {
	fs *flag.FlagSet
	cf clientFlags
}

func newCommandLine(name, args string, stderr io.Writer) *commandLine {
	cl := &commandLine{fs: newFlagSet(name, args, stderr)}
	cl.cf.register(cl.fs)
	return cl
}

// parse parses args and returns the positional arguments, which must be exactly n; need is the
// usage error otherwise. A subcommand that takes arguments prints its usage before it, so that
// the person sees which arguments it wants; one that takes none only says so.
func (cl *commandLine) parse(args []string, n int, need string) ([]string, error) {
	pos, err := parseArgs(cl.fs, args)
	if err != nil {
		return nil, parseFailed(err)
	}
	if len(pos) != n {
		if n > 0 {
			cl.fs.Usage()
		}
		return nil, &usageError{msg: need}
	}
	return pos, nil
}

// apiClient talks to the admin API.
type apiClient struct {
	base  string
	token string
	http  *http.Client
}

func (cf *clientFlags) client() (*apiClient, error) {
	token := cf.token
	if token == "" {
		token = os.Getenv("ROSTER_TOKEN")
	}
	if token == "" {
		return nil, usagef("no admin token: set ROSTER_TOKEN or pass --token")
	}
	base := strings.TrimRight(cf.server, "/")
	if !strings.HasPrefix(base, "http://") && !strings.HasPrefix(base, "https://") {
		return nil, usagef("--server %q must be an http:// or https:// URL", cf.server)
	}
	return &apiClient{base: base, token: token, http: &http.Client{}}, nil
}

// httpError is an error answer of the API.
type httpError struct {
	status   int
	msg      string
	problems []string
}

func (e *httpError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (HTTP %d)", e.msg, e.status)
	for _, p := range e.problems {
		fmt.Fprintf(&b, "\n  - %s", p)
	}
	return b.String()
}

// do sends a request and returns the response for the caller to read; error statuses are
// turned into *httpError.
func (c *apiClient) do(ctx context.Context, method, path string, body any) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		raw, ok := body.([]byte)
		if !ok {
			var err error
			if raw, err = json.Marshal(body); err != nil {
				return nil, err
			}
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+"/admin/api/v1"+path, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("cannot reach the server at %s: %w", c.base, err)
	}
	if res.StatusCode >= 400 {
		defer res.Body.Close()
		raw, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
		var eb struct {
			Error    string   `json:"error"`
			Problems []string `json:"problems"`
		}
		if json.Unmarshal(raw, &eb) != nil || eb.Error == "" {
			eb.Error = strings.TrimSpace(string(raw))
			if eb.Error == "" {
				eb.Error = http.StatusText(res.StatusCode)
			}
		}
		return nil, &httpError{status: res.StatusCode, msg: eb.Error, problems: eb.Problems}
	}
	return res, nil
}

// call sends a request and decodes a JSON answer into out (nil to ignore it). raw, when not
// nil, receives the answer's bytes, for --json output.
func (c *apiClient) call(ctx context.Context, method, path string, body, out any, raw *[]byte) error {
	res, err := c.do(ctx, method, path, body)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return fmt.Errorf("reading the answer: %w", err)
	}
	if raw != nil {
		*raw = b
	}
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("the server's answer is not the expected JSON: %w", err)
		}
	}
	return nil
}

// sendShow makes one request for a command and prints its answer: the server's JSON as it came
// with --json, otherwise what show prints from out. An answer without a body (a deletion) is
// always left to show, which then says what was done in the form asked for.
func (cf *clientFlags) sendShow(ctx context.Context, stdout io.Writer, method, path string, body, out any, show func()) error {
	c, err := cf.client()
	if err != nil {
		return err
	}
	return c.sendShow(ctx, cf.json, stdout, method, path, body, out, show)
}

// sendShow is clientFlags.sendShow on a client the command already holds, for a show that
// makes further requests; asJSON is the --json flag.
func (c *apiClient) sendShow(ctx context.Context, asJSON bool, stdout io.Writer, method, path string, body, out any, show func()) error {
	var raw []byte
	if err := c.call(ctx, method, path, body, out, &raw); err != nil {
		return err
	}
	if asJSON && len(raw) > 0 {
		writeJSONOut(stdout, raw)
		return nil
	}
	show()
	return nil
}

// done says what an answer without a body did: {"<verb>": "<id>"} with --json, else the sentence.
func (cf *clientFlags) done(w io.Writer, verb, id, format string, args ...any) {
	if cf.json {
		fmt.Fprintf(w, "{%q: %q}\n", verb, id)
		return
	}
	fmt.Fprintf(w, format+"\n", args...)
}

// exitCode reports err on stderr and returns the exit code for it.
func exitCode(stderr io.Writer, err error) int {
	if err == nil {
		return 0
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	var ue *usageError
	if errors.As(err, &ue) {
		if ue.msg != "" {
			fmt.Fprintln(stderr, "roster:", ue.msg)
		}
		return 2
	}
	if errors.Is(err, context.Canceled) {
		fmt.Fprintln(stderr, "roster: interrupted")
		return 1
	}
	fmt.Fprintln(stderr, "roster:", err)
	return 1
}

// parseFailed converts a flag parse error into a usage error (flag has already printed it).
func parseFailed(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return err
	}
	return &usageError{msg: "see the flags above"}
}

// writeJSONOut pretty-prints raw JSON.
func writeJSONOut(w io.Writer, raw []byte) {
	var buf bytes.Buffer
	if json.Indent(&buf, raw, "", "  ") != nil {
		w.Write(raw)
		return
	}
	buf.WriteByte('\n')
	w.Write(buf.Bytes())
}

// orgQuery is the "?org=" of a list limited to one organization, "" for no limit.
func orgQuery(org string) string {
	if org == "" {
		return ""
	}
	return "?" + url.Values{"org": {org}}.Encode()
}

func newTable(w io.Writer) *tabwriter.Writer { return tabwriter.NewWriter(w, 0, 0, 2, ' ', 0) }

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func fmtTime(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "never"
	}
	return t.UTC().Format(time.RFC3339)
}

// subcommandFunc is one subcommand of a client command.
type subcommandFunc = func(ctx context.Context, args []string, stdout, stderr io.Writer) error

// subcommands dispatches "roster <name> <sub> ..." to sub's function.
func subcommands(name string, subs map[string]subcommandFunc, order []string) func(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	d := dispatch(name, subs, order)
	return func(ctx context.Context, args []string, stdout, stderr io.Writer) int {
		return exitCode(stderr, d(ctx, args, stdout, stderr))
	}
}

// errUsageShown is a usage error whose explanation has already been printed: exit code 2.
var errUsageShown = &usageError{}

// dispatch picks the subcommand named by the first argument. It is a subcommandFunc itself, so
// subcommands nest ("roster org domain add").
func dispatch(name string, subs map[string]subcommandFunc, order []string) subcommandFunc {
	return func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
		if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
			w := stderr
			if len(args) > 0 {
				w = stdout
			}
			fmt.Fprintf(w, "usage: roster %s <%s> [flags]\n\nrun 'roster %s <subcommand> -h' for its flags\n", name, strings.Join(order, "|"), name)
			if len(args) > 0 {
				return flag.ErrHelp
			}
			return errUsageShown
		}
		fn, ok := subs[args[0]]
		if !ok {
			fmt.Fprintf(stderr, "roster %s: unknown subcommand %q; use one of %s\n", name, args[0], strings.Join(order, ", "))
			return errUsageShown
		}
		return fn(ctx, args[1:], stdout, stderr)
	}
}
