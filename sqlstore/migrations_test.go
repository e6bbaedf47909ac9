package sqlstore_test

import (
	"context"
	"database/sql"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/sqlstore"
	"github.com/commissionkit/commission/storetest"
	"github.com/stretchr/testify/require"
)

// reapply forgets that migration version was applied, so that Migrate
// applies it again to rows written since.
func reapply(t *testing.T, s *sqlstore.Store, version int) error {
	t.Helper()
	ctx := context.Background()
	_, err := s.DB().ExecContext(ctx, "DELETE FROM commission_schema_migrations WHERE version = "+strconv.Itoa(version))
	require.NoError(t, err)
	return s.Migrate(ctx)
}

// Migration 4 lowers the emails earlier versions stored in other case, so
// that the engine, which compares emails in lower case, finds them; where
// two emails differ only in case it fails and changes nothing.
func TestMigrationLowersEmails(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d sqlstore.Dialect) {
		ctx := context.Background()
		s := newDatabase(t, d).open(t)
		mixed := &commission.Partner{ID: "p1", Key: "p1", Email: "Up@Example.com", Status: commission.PartnerActive}
		require.NoError(t, s.Update(ctx, "prog", func(tx commission.StoreTx) error { return tx.InsertPartner(ctx, mixed) }))
		require.NoError(t, s.Update(ctx, "prog", func(tx commission.StoreTx) error {
			return tx.InsertCustomer(ctx, &commission.Customer{ID: "c1", Key: "c1", Email: "Bob@X.com", PartnerID: "p1", Status: commission.CustomerActive})
		}))
		require.NoError(t, reapply(t, s, 4))
		eng, err := commission.New(s, commission.Program{ID: "prog", Kind: commission.Affiliate, Currency: "USD"})
		require.NoError(t, err)
		p, err := eng.Partner(ctx, commission.PartnerRef{Email: "UP@example.com"})
		require.NoError(t, err)
		require.Equal(t, "up@example.com", p.Email)
		c, err := eng.Customer(ctx, commission.CustomerRef{Email: "bob@x.com"})
		require.NoError(t, err)
		require.Equal(t, "bob@x.com", c.Email)

		twin := &commission.Partner{ID: "p2", Key: "p2", Email: "UP@example.com", Status: commission.PartnerActive}
		require.NoError(t, s.Update(ctx, "prog", func(tx commission.StoreTx) error { return tx.InsertPartner(ctx, twin) }))
		require.Error(t, reapply(t, s, 4), "two emails that differ only in case")
		p, err = eng.Partner(ctx, commission.PartnerRef{ID: "p2"})
		require.NoError(t, err)
		require.Equal(t, "UP@example.com", p.Email, "the failed migration changed nothing")
	})
}

// The exported migration files are the whole schema: applied by a plain
// loop over the fs.FS, as another tool would apply them, with no Migrate,
// they give a store that passes the conformance suite.
func TestExportedMigrationsAreTheSchema(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d sqlstore.Dialect) {
		files, err := sqlstore.Migrations(d)
		require.NoError(t, err)
		var mu sync.Mutex
		databases := map[commission.Store]database{}
		storetest.Run(t, storetest.Harness{
			New: func(t *testing.T) commission.Store {
				db := newEmptyDatabase(t, d)
				applyFiles(t, db, files)
				s := db.open(t)
				mu.Lock()
				databases[s] = db
				mu.Unlock()
				return s
			},
			Peer: func(t *testing.T, s commission.Store) commission.Store {
				mu.Lock()
				defer mu.Unlock()
				return databases[s].open(t)
			},
			// The schema is what this run proves: the groups that write
			// and read every table and column. TestConformance runs the
			// rest (concurrency, hostile inputs) and the many random
			// histories.
			Checks: 5,
			Groups: []string{"rollback", "duplicates", "values", "references", "rewards", "listing", "history", "counters",
				"engine", "money values", "entries", "refunds", "balances", "payouts", "money listing", "money rollback", "events", "webhooks", "people"},
		})
	})
}

// applyFiles applies every NNNN_name.up.sql file of files, in the order of
// their names, each statement as it ends with a semicolon at the end of a
// line, as a migration tool would.
func applyFiles(t *testing.T, db database, files fs.FS) {
	t.Helper()
	ctx := context.Background()
	conn, err := sql.Open(db.driver, db.dsn)
	require.NoError(t, err)
	defer conn.Close()
	names, err := fs.Glob(files, "*.up.sql")
	require.NoError(t, err)
	require.NotEmpty(t, names)
	sort.Strings(names)
	for _, name := range names {
		b, err := fs.ReadFile(files, name)
		require.NoError(t, err)
		var stmt strings.Builder
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "--") {
				continue
			}
			stmt.WriteString(line + "\n")
			if strings.HasSuffix(strings.TrimSpace(line), ";") {
				_, err := conn.ExecContext(ctx, stmt.String())
				require.NoError(t, err, "%s: %s", name, stmt.String())
				stmt.Reset()
			}
		}
		require.Empty(t, strings.TrimSpace(stmt.String()), "%s ends with a statement", name)
	}
}
