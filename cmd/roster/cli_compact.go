package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/rosterhq/roster/storage/bolt"
)

func init() {
	register(command{name: "compact", summary: "reclaim the free space of a stopped server's bbolt file", run: runCompact})
}

// runCompact rewrites a bbolt data file without its free pages (bolt.Compact). The server
// must be stopped; the file is replaced only by a complete, checked copy.
func runCompact(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := offlineFlags("compact", "--data <file>", "Copies the live data into a new file and renames it over the old one; stop the server first.", stderr)
	data := fs.String("data", "", "the bbolt data file (stop the server first)")
	if code, ok := parseOffline(fs, args); !ok {
		return code
	}
	if *data == "" {
		fs.Usage()
		return 2
	}
	before, after, err := bolt.Compact(*data)
	if err != nil {
		fmt.Fprintln(stderr, "roster compact:", err)
		return 1
	}
	fmt.Fprintf(stdout, "compacted %s from %d to %d bytes\n", *data, before, after)
	return 0
}

// offlineFlags is the flag set of a command that works on a stopped server's data.
func offlineFlags(name, args, what string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: roster %s %s\n\n%s\n", name, args, what)
		fs.PrintDefaults()
	}
	return fs
}

// parseOffline parses an offline command's flags; when it returns false the command ends
// with the exit code (0 after -h, 2 for a usage error).
func parseOffline(fs *flag.FlagSet, args []string) (int, bool) {
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0, false
		}
		return 2, false
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return 2, false
	}
	return 0, true
}
