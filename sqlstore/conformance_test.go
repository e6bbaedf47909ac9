package sqlstore_test

import (
	"context"
	"database/sql"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/sqlstore"
	"github.com/commissionkit/commission/storetest"
)

// The conformance suite every store passes, on each dialect; peers are
// stores on the same database with pools of their own, as other processes
// would have.
func TestConformance(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d sqlstore.Dialect) {
		var mu sync.Mutex
		databases := map[commission.Store]database{}
		storetest.Run(t, storetest.Harness{
			New: func(t *testing.T) commission.Store {
				db := newDatabase(t, d)
				s := db.open(t)
				mu.Lock()
				databases[s] = db
				mu.Unlock()
				return s
			},
			Peer: func(t *testing.T, s commission.Store) commission.Store {
				mu.Lock()
				db := databases[s]
				mu.Unlock()
				return db.open(t)
			},
			Rows: func(t *testing.T, s commission.Store) map[string]int {
				mu.Lock()
				db := databases[s]
				mu.Unlock()
				return rowCounts(t, s.(*sqlstore.Store).DB(), db.dialect)
			},
		})
	})
}

// rowCounts returns how many rows each commission_* table of db holds,
// reading the table names from the catalog so that a table a migration
// adds is counted too.
func rowCounts(t *testing.T, db *sql.DB, d sqlstore.Dialect) map[string]int {
	t.Helper()
	ctx := context.Background()
	tables := map[sqlstore.Dialect]string{
		sqlstore.SQLite:   "SELECT name FROM sqlite_master WHERE type = 'table'",
		sqlstore.Postgres: "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()",
		sqlstore.MySQL:    "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()",
	}[d]
	rows, err := db.QueryContext(ctx, tables)
	require.NoError(t, err)
	var names []string
	for rows.Next() {
		var name string
		require.NoError(t, rows.Scan(&name))
		if strings.HasPrefix(name, "commission_") {
			names = append(names, name)
		}
	}
	require.NoError(t, rows.Err())
	require.NoError(t, rows.Close())
	counts := map[string]int{}
	for _, name := range names {
		var n int
		require.NoError(t, db.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+name).Scan(&n))
		counts[name] = n
	}
	for _, want := range []string{"partners", "customers", "transactions", "rewards", "counters"} {
		require.Contains(t, counts, "commission_"+want, "the catalog lists the store's tables")
	}
	return counts
}
