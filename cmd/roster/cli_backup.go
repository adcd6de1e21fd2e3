package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	bbolt "go.etcd.io/bbolt"
)

func init() {
	register(command{name: "backup", summary: "write a consistent copy of a running server's bbolt store to a file",
		run: func(ctx context.Context, args []string, stdout, stderr io.Writer) int {
			return exitCode(stderr, runBackup(ctx, args, stdout, stderr))
		}})
}

// runBackup streams GET /admin/api/v1/backup into a temporary file next to the target, checks
// that the copy is a sound bbolt file, and only then renames it into place, so a failed or
// cut-off backup never leaves a file that looks like a good one.
func runBackup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	flags := newFlagSet("backup", "<file> [--force] [flags]", stderr)
	var cf clientFlags
	cf.register(flags)
	force := flags.Bool("force", false, "replace the file if it exists")
	pos, err := parseArgs(flags, args)
	if err != nil {
		return parseFailed(err)
	}
	if len(pos) != 1 {
		flags.Usage()
		return usagef("backup needs exactly one file name")
	}
	target := pos[0]
	if _, err := os.Stat(target); err == nil && !*force {
		return fmt.Errorf("%s exists; choose another name or pass --force", target)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	res, err := c.do(ctx, "GET", "/backup", nil)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	tmp, err := os.CreateTemp(filepath.Dir(target), "."+filepath.Base(target)+".partial-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // a no-op after the rename
	n, err := io.Copy(tmp, res.Body)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("the backup was cut off after %d bytes: %w", n, err)
	}
	if err := checkBolt(tmp.Name()); err != nil {
		return fmt.Errorf("the copy received is not a sound bbolt file (%v); nothing was written to %s", err, target)
	}
	if err := os.Rename(tmp.Name(), target); err != nil {
		return err
	}
	if cf.json {
		fmt.Fprintf(stdout, "{\"file\": %q, \"bytes\": %d}\n", target, n)
		return nil
	}
	fmt.Fprintf(stdout, "wrote %d bytes to %s (checked: a consistent bbolt file)\n", n, target)
	return nil
}

// checkBolt opens the file read-only and runs bbolt's consistency check over it.
func checkBolt(path string) error {
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		return err
	}
	defer db.Close()
	return db.View(func(tx *bbolt.Tx) error {
		// Drain the channel: the checker reads the transaction until it closes it.
		var first error
		for err := range tx.Check() {
			if first == nil {
				first = err
			}
		}
		return first
	})
}
