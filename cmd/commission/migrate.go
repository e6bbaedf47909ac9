package main

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"

	"github.com/commissionkit/commission/sqlstore"
)

var migrateCmd = &command{
	name:    "migrate",
	summary: "create or update the database schema, and print its version",
	usage: `
Usage: commission migrate [-db sqlite|postgres|mysql] [-dsn DSN]

Applies every schema migration the database lacks, in order, and prints the
schema version it is at. A second run does nothing. Several processes may
run it at once: they take turns.

The other commands migrate the database themselves when they open it
(unless -migrate=false); run this one as a separate step of a deployment
that starts its servers with -migrate=false.`,
	run: runMigrate,
}

func runMigrate(ctx context.Context, c *cli, cmd *command, args []string) error {
	var f storeFlags
	fs := newFlagSet(c, cmd)
	f.register(fs, c)
	if err := c.parse(fs, args, false); err != nil {
		return err
	}
	f.migrate = true
	store, err := f.openStore(ctx)
	if err != nil {
		return err
	}
	defer store.DB().Close()
	version, err := schemaVersion(ctx, store)
	if err != nil {
		return err
	}
	latest, err := latestMigration(store.Dialect())
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "%s schema at version %d (this build's latest: %d)\n", f.db, version, latest)
	return nil
}

// schemaVersion is the highest migration applied to the store's database.
func schemaVersion(ctx context.Context, store *sqlstore.Store) (int, error) {
	var v int
	err := store.DB().QueryRowContext(ctx, "SELECT COALESCE(MAX(version), 0) FROM commission_schema_migrations").Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("reading the schema version: %w", err)
	}
	return v, nil
}

// latestMigration is the highest migration version this build embeds.
func latestMigration(d sqlstore.Dialect) (int, error) {
	files, err := sqlstore.Migrations(d)
	if err != nil {
		return 0, err
	}
	latest := 0
	err = fs.WalkDir(files, ".", func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		num, _, ok := strings.Cut(path.Base(p), "_")
		if n, err := strconv.Atoi(num); ok && err == nil && n > latest {
			latest = n
		}
		return nil
	})
	return latest, err
}
