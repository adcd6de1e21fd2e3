package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/storage/bolt"
	"github.com/rosterhq/roster/storage/migrate"
	"github.com/rosterhq/roster/storage/postgres"
)

func init() {
	register(command{name: "migrate", summary: "copy every record between stores (bbolt file ⇄ PostgreSQL), verified", run: runMigrate})
}

// openForMigrate opens a store named either by a postgres:// URL or by a bbolt file path.
func openForMigrate(ctx context.Context, where string) (directory.Store, error) {
	if strings.HasPrefix(where, "postgres://") || strings.HasPrefix(where, "postgresql://") {
		return postgres.Open(ctx, where)
	}
	return bolt.Open(where)
}

func runMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	from := fs.String("from", "", "source: a bbolt file or a postgres:// URL")
	to := fs.String("to", "", "destination, which must be empty: a bbolt file or a postgres:// URL")
	skipKV := fs.Bool("skip-kv", false, "leave sessions, login state, SP keys and webhook cursors behind")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: roster migrate --from <file|postgres://…> --to <file|postgres://…>\n\nStop every Roster serving either store first. The copy is verified by counts and checksums.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if *from == "" || *to == "" || fs.NArg() > 0 || *from == *to {
		fs.Usage()
		return 2
	}
	src, err := openForMigrate(ctx, *from)
	if err != nil {
		fmt.Fprintln(stderr, "roster migrate: source:", err)
		return 1
	}
	defer src.Close()
	dst, err := openForMigrate(ctx, *to)
	if err != nil {
		fmt.Fprintln(stderr, "roster migrate: destination:", err)
		return 1
	}
	defer dst.Close()
	report, err := migrate.Copy(ctx, dst, src, migrate.Options{SkipKV: *skipKV})
	if err != nil {
		fmt.Fprintln(stderr, "roster migrate:", err)
		return 1
	}
	fmt.Fprintln(stdout, "copied and verified:", report.String())
	return 0
}
