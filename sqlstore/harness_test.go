package sqlstore_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/commissionkit/commission/sqlstore"
	"github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/stretchr/testify/require"
	_ "modernc.org/sqlite"
)

// database is one test database: a SQLite file, a PostgreSQL schema or a
// MySQL database of its own, dropped when the test ends.
type database struct {
	dialect sqlstore.Dialect
	driver  string
	dsn     string
}

// open returns a store on its own connection pool, as another process
// would have.
func (d database) open(t testing.TB) *sqlstore.Store {
	t.Helper()
	db, err := sql.Open(d.driver, d.dsn)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	if d.dialect == sqlstore.SQLite {
		db.SetMaxOpenConns(4)
	}
	s, err := sqlstore.Open(context.Background(), db, d.dialect)
	require.NoError(t, err)
	return s
}

func randomName(prefix string) string {
	b := make([]byte, 6)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// requireDB returns the DSN in env, or skips (fails under
// COMMISSION_REQUIRE_DB=1) when it is unset.
func requireDB(t testing.TB, env string) string {
	t.Helper()
	dsn := os.Getenv(env)
	if dsn == "" {
		if os.Getenv("COMMISSION_REQUIRE_DB") == "1" {
			t.Fatalf("%s is not set and COMMISSION_REQUIRE_DB=1", env)
		}
		t.Skipf("%s is not set; see README.md to run the database tests", env)
	}
	return dsn
}

// newDatabase creates an empty, migrated database of the dialect.
func newDatabase(t testing.TB, dialect sqlstore.Dialect) database {
	t.Helper()
	d := newEmptyDatabase(t, dialect)
	require.NoError(t, d.open(t).Migrate(context.Background()))
	return d
}

// newEmptyDatabase creates a database of the dialect with no schema.
func newEmptyDatabase(t testing.TB, dialect sqlstore.Dialect) database {
	t.Helper()
	ctx := context.Background()
	var d database
	switch dialect {
	case sqlstore.SQLite:
		d = database{dialect: dialect, driver: "sqlite", dsn: sqlstore.SQLiteDSN(filepath.Join(t.TempDir(), "commission.db"))}
	case sqlstore.Postgres:
		base := requireDB(t, "COMMISSION_TEST_POSTGRES")
		admin, err := sql.Open("pgx", base)
		require.NoError(t, err)
		schema := randomName("commission_test_")
		_, err = admin.ExecContext(ctx, "CREATE SCHEMA "+schema)
		require.NoError(t, err)
		t.Cleanup(func() {
			admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
			admin.Close()
		})
		u, err := url.Parse(base)
		require.NoError(t, err)
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		d = database{dialect: dialect, driver: "pgx", dsn: u.String()}
	case sqlstore.MySQL:
		base := requireDB(t, "COMMISSION_TEST_MYSQL")
		cfg, err := mysql.ParseDSN(base)
		require.NoError(t, err)
		admin, err := sql.Open("mysql", base)
		require.NoError(t, err)
		name := randomName("commission_test_")
		_, err = admin.ExecContext(ctx, "CREATE DATABASE "+name)
		require.NoError(t, err)
		t.Cleanup(func() {
			admin.ExecContext(context.Background(), "DROP DATABASE "+name)
			admin.Close()
		})
		cfg.DBName = name
		// Sessions at READ COMMITTED and interpolated parameters, as the
		// package doc recommends.
		var version string
		require.NoError(t, admin.QueryRowContext(ctx, "SELECT VERSION()").Scan(&version))
		isolation := "transaction_isolation"
		if strings.Contains(version, "MariaDB") {
			isolation = "tx_isolation"
		}
		if cfg.Params == nil {
			cfg.Params = map[string]string{}
		}
		cfg.Params[isolation] = "'READ-COMMITTED'"
		cfg.InterpolateParams = true // one round trip per statement
		d = database{dialect: dialect, driver: "mysql", dsn: cfg.FormatDSN()}
	}
	return d
}

var dialects = []sqlstore.Dialect{sqlstore.SQLite, sqlstore.Postgres, sqlstore.MySQL}

// forEachDialect runs f once per dialect, as a subtest named after it.
func forEachDialect(t *testing.T, f func(t *testing.T, d sqlstore.Dialect)) {
	for _, d := range dialects {
		t.Run(d.String(), func(t *testing.T) { f(t, d) })
	}
}
