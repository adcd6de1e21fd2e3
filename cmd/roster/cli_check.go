package main

import (
	"context"
	"fmt"
	"io"

	"github.com/rosterhq/roster/directory"
)

func init() {
	register(command{name: "check", summary: "report stored users and groups that today's input policy would refuse (offline)", run: runCheck})
}

// runCheck reads a store and reports what was stored before the input policy and the present
// folding of userNames and may not pass them: values the policy refuses, and users whose
// userNames are now one. It changes nothing; an administrator decides what to do with each.
// It exits 1 when it found something, so scripts can tell.
func runCheck(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := offlineFlags("check", "--data <file> | --database-url <postgres://…>",
		"Reports stored data that the input policy would refuse today; changes nothing.", stderr)
	data := fs.String("data", "", "the bbolt data file (stop the server first)")
	dbURL := fs.String("database-url", "", "or a postgres:// URL")
	if code, ok := parseOffline(fs, args); !ok {
		return code
	}
	where := *data
	if *dbURL != "" {
		where = *dbURL
	}
	if (*data == "") == (*dbURL == "") {
		fs.Usage()
		return 2
	}
	st, err := openForMigrate(ctx, where)
	if err != nil {
		fmt.Fprintln(stderr, "roster check:", err)
		return 1
	}
	defer st.Close()
	audit, err := directory.New(st).AuditInput(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "roster check:", err)
		return 1
	}
	for _, p := range audit.Problems {
		fmt.Fprintf(stdout, "%s %s (%q): %s\n", p.Kind, p.ID, p.Name, p.Problem)
	}
	for _, c := range audit.Collisions {
		fmt.Fprintf(stdout, "user %s (%q) of organization %s: its userName is, under the present folding, the userName of user %s\n",
			c.UserID, c.UserName, c.Org, c.Holder)
	}
	fmt.Fprintf(stdout, "checked %d users and %d groups: %d refused by the input policy, %d userName collisions\n",
		audit.Users, audit.Groups, len(audit.Problems), len(audit.Collisions))
	if len(audit.Problems)+len(audit.Collisions) > 0 {
		fmt.Fprintln(stdout, "nothing was changed; fix these through SCIM or the console, or let the IdP send them again")
		return 1
	}
	return 0
}
