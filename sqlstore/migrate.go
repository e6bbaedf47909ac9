package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

//go:embed migrations
var migrationFiles embed.FS

// Migrations returns the schema's migration files for the dialect, for
// applications that run their schema through their own tool (goose,
// golang-migrate, Atlas, or a loop of their own) rather than Migrate.
//
// The files are named NNNN_name.up.sql, NNNN a version number of four or
// more digits: apply every file, in the order of its number, each once;
// together they are the whole schema the store needs. A file holds SQL
// statements, each ending with a semicolon at the end of a line; lines
// starting with -- are comments. Each file starts with goose's
// "-- +goose Up", and its name is golang-migrate's (there are no down
// migrations), so both tools read the directory as it is; on MySQL,
// golang-migrate needs multiStatements=true in the DSN. Apply a file in
// one transaction where the database allows: PostgreSQL and SQLite do,
// MySQL commits each DDL statement as it runs it.
//
// A new version of this package may add files, never change one that was
// released. Migrate records what it applied in the table
// commission_schema_migrations; a tool keeps its own record.
func Migrations(d Dialect) (fs.FS, error) {
	if !d.valid() {
		return nil, fmt.Errorf("sqlstore: unknown dialect %d", int(d))
	}
	return fs.Sub(migrationFiles, path.Join("migrations", d.String()))
}

// migration is one numbered file of migrations/<dialect>/NNNN_name.up.sql.
type migration struct {
	version    int
	name       string
	statements []string
}

func (d Dialect) migrations() ([]migration, error) {
	dir := path.Join("migrations", d.String())
	entries, err := migrationFiles.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, e := range entries {
		num, name, ok := strings.Cut(strings.TrimSuffix(e.Name(), ".up.sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || !strings.HasSuffix(e.Name(), ".up.sql") {
			return nil, fmt.Errorf("sqlstore: migration file %s is not NNNN_name.up.sql", e.Name())
		}
		b, err := migrationFiles.ReadFile(path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: name, statements: splitStatements(string(b))})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out, nil
}

// splitStatements splits a migration at the semicolons that end lines,
// dropping comment lines.
func splitStatements(src string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(src, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(strings.TrimSpace(line), ";") {
			out = append(out, strings.TrimSuffix(strings.TrimSpace(cur.String()), ";"))
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}

const (
	migrationsTable = "commission_schema_migrations"
	// migrationLock names the lock that makes concurrent Migrate calls
	// (from several processes) take turns.
	migrationLock = "commission_migrate"
	// migrationLockID is the same lock as a PostgreSQL advisory lock key.
	migrationLockID = 7262_4865_1101
)

// Migrate brings the schema up to date: it applies, in order, every
// embedded migration not applied yet, each in its own transaction together
// with its row in commission_schema_migrations. A second run is a no-op,
// and processes migrating at once take turns on a database lock.
//
// MySQL commits DDL as it runs it, so there a migration is not atomic; its
// statements are written so that a run interrupted part-way can run again.
func (s *Store) Migrate(ctx context.Context) error {
	ms, err := s.d.migrations()
	if err != nil {
		return err
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("sqlstore: migrate: %w", err)
	}
	defer conn.Close()
	if s.d == SQLite {
		// WAL lets readers work while a writer commits; the setting is
		// kept in the database file.
		if _, err := conn.ExecContext(ctx, "PRAGMA journal_mode=WAL"); err != nil {
			return fmt.Errorf("sqlstore: migrate: %w", err)
		}
	}
	if s.d == MySQL {
		var got sql.NullInt64
		if err := conn.QueryRowContext(ctx, "SELECT GET_LOCK(?, 60)", migrationLock).Scan(&got); err != nil {
			return fmt.Errorf("sqlstore: migrate: taking the migration lock: %w", err)
		}
		if got.Int64 != 1 {
			return errors.New("sqlstore: migrate: another process held the migration lock for 60 s")
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT RELEASE_LOCK(?)", migrationLock)
	}
	for _, m := range ms {
		if err := s.apply(ctx, conn, m); err != nil {
			return fmt.Errorf("sqlstore: migration %04d_%s: %w", m.version, m.name, err)
		}
	}
	return nil
}

// apply runs one migration in its own transaction, unless its version row
// says it ran before.
func (s *Store) apply(ctx context.Context, conn *sql.Conn, m migration) (err error) {
	begin := "BEGIN"
	if s.d == SQLite {
		begin = "BEGIN IMMEDIATE" // take the write lock before reading the version
	}
	if _, err := conn.ExecContext(ctx, begin); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		}
	}()
	if s.d == Postgres {
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", migrationLockID); err != nil {
			return err
		}
	}
	create := "CREATE TABLE IF NOT EXISTS " + migrationsTable + " (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)"
	if s.d == MySQL {
		create = "CREATE TABLE IF NOT EXISTS " + migrationsTable + " (version INTEGER PRIMARY KEY, name VARCHAR(255) NOT NULL, applied_at BIGINT NOT NULL) ENGINE=InnoDB"
	}
	if _, err := conn.ExecContext(ctx, create); err != nil {
		return err
	}
	var n int
	if err := conn.QueryRowContext(ctx, s.d.rebind("SELECT COUNT(*) FROM "+migrationsTable+" WHERE version = ?"), m.version).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		_, err = conn.ExecContext(ctx, "COMMIT")
		return err
	}
	for _, stmt := range m.statements {
		if _, err := conn.ExecContext(ctx, stmt); err != nil && !(s.d == MySQL && alreadyDone(err)) {
			return fmt.Errorf("%w\n%s", err, stmt)
		}
	}
	ins := s.d.rebind("INSERT INTO " + migrationsTable + " (version, name, applied_at) VALUES (?, ?, ?)")
	if _, err := conn.ExecContext(ctx, ins, m.version, m.name, s.now().UnixMicro()); err != nil {
		return err
	}
	_, err = conn.ExecContext(ctx, "COMMIT")
	return err
}

// alreadyDone reports the MySQL errors of DDL that a run of the same
// migration interrupted after it already applied (MySQL commits DDL at
// once): a column or index that exists.
func alreadyDone(err error) bool {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if m := mysqlNumber.FindStringSubmatch(e.Error()); m != nil {
			return m[1] == "1060" || m[1] == "1061" // ER_DUP_FIELDNAME, ER_DUP_KEYNAME
		}
	}
	return false
}
