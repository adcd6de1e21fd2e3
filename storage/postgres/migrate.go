package postgres

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one numbered schema change, applied once in its own transaction.
type migration struct {
	version int
	name    string // the file name, e.g. "0001_init.sql"
	sql     string
}

var migrationName = regexp.MustCompile(`^([0-9]{4})_[a-z0-9_]+\.sql$`)

// loadMigrations reads the embedded migrations. Their numbers must run 1, 2, 3… without a gap,
// so that a version in schema_migrations names exactly one file of exactly one release.
func loadMigrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, e := range entries {
		m := migrationName.FindStringSubmatch(e.Name())
		if m == nil {
			return nil, fmt.Errorf("postgres: migration file %q is not named NNNN_name.sql", e.Name())
		}
		v, _ := strconv.Atoi(m[1])
		body, err := fs.ReadFile(migrationFiles, path.Join("migrations", e.Name()))
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: e.Name(), sql: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	for i, m := range out {
		if m.version != i+1 {
			return nil, fmt.Errorf("postgres: migrations must be numbered 1, 2, 3… without gaps; %s is number %d", m.name, i+1)
		}
	}
	return out, nil
}

// SchemaVersion is the newest schema version this binary knows.
func SchemaVersion() int {
	ms, err := loadMigrations()
	if err != nil {
		return 0
	}
	return len(ms)
}

// migrate brings the schema up to date. It holds a session-level advisory lock, keyed on the
// current schema, for the whole run, so that replicas starting together take turns: the first
// applies the migrations, the others then find nothing to do. Each migration commits together
// with its row in schema_migrations, so a crash leaves the schema at a clean version.
func migrate(ctx context.Context, pool *pgxpool.Pool) error {
	migrations, err := loadMigrations()
	if err != nil {
		return err
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("postgres: connecting: %v", plainError(err))
	}
	defer conn.Release()

	var schema *string
	if err := conn.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return fmt.Errorf("postgres: reading the current schema: %v", plainError(err))
	}
	if schema == nil {
		return fmt.Errorf("postgres: no schema of the search_path exists in this database; create it or fix search_path in the database URL")
	}
	const lockKey = `hashtextextended('roster schema migrations ' || current_schema(), 0)`
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock(`+lockKey+`)`); err != nil {
		return fmt.Errorf("postgres: waiting for the migration lock: %v", plainError(err))
	}
	defer func() {
		// A failed unlock is harmless: the lock is the session's, and a broken session ends.
		_, _ = conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(`+lockKey+`)`)
	}()

	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    integer PRIMARY KEY,
		name       text NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now()
	)`); err != nil {
		return fmt.Errorf("postgres: creating schema_migrations in schema %s: %v", *schema, plainError(err))
	}
	applied := map[int]string{}
	rows, err := conn.Query(ctx, `SELECT version, name FROM schema_migrations ORDER BY version`)
	if err != nil {
		return fmt.Errorf("postgres: reading schema_migrations: %v", plainError(err))
	}
	var unknown []string
	for rows.Next() {
		var v int
		var name string
		if err := rows.Scan(&v, &name); err != nil {
			rows.Close()
			return fmt.Errorf("postgres: reading schema_migrations: %v", plainError(err))
		}
		applied[v] = name
		if v > len(migrations) {
			unknown = append(unknown, fmt.Sprintf("%d (%s)", v, name))
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("postgres: reading schema_migrations: %v", plainError(err))
	}
	if len(unknown) > 0 {
		return fmt.Errorf("postgres: the database schema %s has migrations %s that this Roster binary does not know "+
			"(it knows versions 1 to %d): a newer Roster has upgraded it. Run that newer release or a later one, "+
			"or use another database; this binary refuses to touch a schema it does not understand",
			*schema, strings.Join(unknown, ", "), len(migrations))
	}
	for _, m := range migrations {
		if _, done := applied[m.version]; done {
			continue
		}
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.version, m.name)
			return err
		})
		if err != nil {
			hint := ""
			if m.version == 1 {
				hint = "; if the schema already holds tables of another application, give Roster its own database or schema (search_path in the database URL)"
			}
			return fmt.Errorf("postgres: applying migration %s to schema %s: %v%s", m.name, *schema, plainError(err), hint)
		}
	}
	return nil
}
