// Command roster is the Roster directory server and its command-line client.
//
//	roster serve                 run the server (the default when no subcommand is given)
//	roster idp|token|user|events clients of the admin API of a running server
//	roster org|admin-token       organizations, their domains, and admin credentials with roles
//	roster backup <file>         a consistent online copy of the bbolt store
//	roster check --data <file>   report stored data that the input policy refuses (offline)
//	roster compact --data <file> reclaim a stopped server's free bbolt space
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path"
	"runtime/debug"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
)

// command is one subcommand. run returns the process exit code: 0 success, 1 failure of the
// operation, 2 a usage error.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

var commands = map[string]command{}

// register adds a subcommand; each lives in its own file and registers itself in init.
func register(c command) { commands[c.name] = c }

func main() {
	percent, limit := gcSettings(os.Getenv, os.ReadFile)
	if percent > 0 {
		debug.SetGCPercent(percent)
	}
	if limit > 0 {
		debug.SetMemoryLimit(limit)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := runMain(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// gcPercent is the garbage collector's target when GOGC is not set. Roster's own heap is
// small — the bbolt store is mapped, not allocated — while every request allocates, so at
// Go's default of 100 the collector runs tens of times a second under load. 400 lets the heap
// grow to five times what is live before collecting: about 20 MB more at the peak of a load
// test, for 1.04 to 1.3 times the requests per second.
const gcPercent = 400

// memoryLimitShare is the share of the container's memory limit that the collector keeps the
// heap under (GOMEMLIMIT), so that the larger target never runs a container out of memory:
// near the limit the collector runs as often as it must.
const memoryLimitShare = 0.8

// gcSettings returns the collector's target and soft memory limit to set, 0 for either to
// leave as the runtime has it: the target unless GOGC is set, and the limit when GOMEMLIMIT
// is not set and the process's cgroup (v2 or v1) or one above it has a memory limit.
func gcSettings(getenv func(string) string, readFile func(string) ([]byte, error)) (percent int, limit int64) {
	if getenv("GOGC") == "" {
		percent = gcPercent
	}
	if getenv("GOMEMLIMIT") != "" {
		return percent, 0
	}
	if n := cgroupMemoryLimit(readFile); n > 0 {
		limit = int64(float64(n) * memoryLimitShare)
	}
	return percent, limit
}

// cgroupMemoryLimit is the lowest memory limit of the process's cgroup and those above it, 0
// for none: /proc/self/cgroup names the cgroup (for a systemd unit, its slice and service;
// in a container, usually "/"), under /sys/fs/cgroup on v2 and /sys/fs/cgroup/memory on v1.
func cgroupMemoryLimit(readFile func(string) ([]byte, error)) int64 {
	raw, err := readFile("/proc/self/cgroup")
	if err != nil {
		return 0
	}
	var lowest int64
	for _, line := range strings.Split(string(raw), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		var root, file string
		switch {
		case parts[0] == "0" && parts[1] == "":
			root, file = "/sys/fs/cgroup", "memory.max"
		case slices.Contains(strings.Split(parts[1], ","), "memory"):
			root, file = "/sys/fs/cgroup/memory", "memory.limit_in_bytes"
		default:
			continue
		}
		for dir := path.Clean("/" + parts[2]); ; dir = path.Dir(dir) {
			if raw, err := readFile(path.Join(root, dir, file)); err == nil {
				n, err := strconv.ParseInt(strings.TrimSpace(string(raw)), 10, 64)
				// "max" (v2) or a value near the largest int64 (v1) is no limit.
				if err == nil && n > 0 && n < 1<<60 && (lowest == 0 || n < lowest) {
					lowest = n
				}
			}
			if dir == "/" {
				break
			}
		}
	}
	return lowest
}

func runMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	name := "serve"
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
		usage(stdout)
		return 0
	}
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		name, args = args[0], args[1:]
	}
	c, ok := commands[name]
	if !ok {
		fmt.Fprintf(stderr, "roster: unknown command %q\n\n", name)
		usage(stderr)
		return 2
	}
	return c.run(ctx, args, stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: roster <command> [flags]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-12s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nrun 'roster <command> -h' for a command's flags")
}
