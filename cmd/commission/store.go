package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/sqlstore"
	_ "github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/shopspring/decimal"
	_ "modernc.org/sqlite"
)

// defaultSQLiteFile is where the SQLite database is kept without -dsn.
const defaultSQLiteFile = "commission.db"

// storeFlags are the flags every command shares: which database, which
// program.
type storeFlags struct {
	db, dsn, program string
	migrate          bool
}

func (f *storeFlags) register(fs *flag.FlagSet, c *cli) {
	fs.StringVar(&f.db, "db", envOr(c, "COMMISSION_DB", "sqlite"), "database `kind`: sqlite, postgres or mysql (env COMMISSION_DB)")
	fs.StringVar(&f.dsn, "dsn", c.getenv("COMMISSION_DSN"),
		"data source `name`: for sqlite a file path (default "+defaultSQLiteFile+" in the working directory),\n"+
			"for postgres a URL such as postgres://user@host:5432/db, for mysql user:pass@tcp(host:3306)/db (env COMMISSION_DSN)")
	fs.StringVar(&f.program, "program", c.getenv("COMMISSION_PROGRAM"),
		"the program's JSON `file` (see 'commission help program'); the built-in default when empty (env COMMISSION_PROGRAM)")
	fs.BoolVar(&f.migrate, "migrate", true, "create or update the database schema first (a no-op when it is up to date)")
}

func envOr(c *cli, name, def string) string {
	if v := c.getenv(name); v != "" {
		return v
	}
	return def
}

// check reports a wrong flag value as a usage error, before anything is
// opened.
func (f *storeFlags) check() error {
	switch f.db {
	case "sqlite", "postgres", "mysql":
	default:
		return usagef("-db %q: want sqlite, postgres or mysql", f.db)
	}
	if f.dsn == "" && f.db != "sqlite" {
		return usagef("-db %s needs -dsn (or COMMISSION_DSN): where the database server is", f.db)
	}
	return nil
}

// openStore opens the database the flags name, and migrates it unless
// -migrate=false.
func (f *storeFlags) openStore(ctx context.Context) (*sqlstore.Store, error) {
	if err := f.check(); err != nil {
		return nil, err
	}
	var driver, dsn string
	var dialect sqlstore.Dialect
	switch f.db {
	case "sqlite":
		path := f.dsn
		if path == "" {
			path = defaultSQLiteFile
		}
		driver, dialect, dsn = "sqlite", sqlstore.SQLite, sqlstore.SQLiteDSN(path)
	case "postgres":
		driver, dialect, dsn = "pgx", sqlstore.Postgres, f.dsn
	case "mysql":
		driver, dialect, dsn = "mysql", sqlstore.MySQL, f.dsn
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return nil, fmt.Errorf("opening the %s database: %w", f.db, err)
	}
	store, err := sqlstore.Open(ctx, db, dialect)
	if err != nil {
		db.Close()
		return nil, err
	}
	if f.migrate {
		if err := store.Migrate(ctx); err != nil {
			db.Close()
			return nil, err
		}
	}
	return store, nil
}

// loadProgram returns the program of -program, or the default one.
func (f *storeFlags) loadProgram() (commission.Program, error) {
	if f.program == "" {
		return defaultProgram(), nil
	}
	b, err := os.ReadFile(f.program)
	if err != nil {
		return commission.Program{}, fmt.Errorf("-program: %w", err)
	}
	return decodeProgram(f.program, b)
}

// decodeProgram decodes a program's JSON document; name is where it came
// from, for the errors.
func decodeProgram(name string, b []byte) (commission.Program, error) {
	var p commission.Program
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return p, fmt.Errorf("program %s: %w", name, err)
	}
	if dec.More() {
		return p, fmt.Errorf("program %s: more than one JSON value", name)
	}
	return p, nil
}

// defaultProgram is the program without -program: the one the README's
// examples use.
func defaultProgram() commission.Program {
	return commission.Program{
		ID: "default", Kind: commission.Affiliate, Currency: "USD",
		Rules: commission.RuleSet{Default: commission.Percent(decimal.NewFromInt(30))},
	}
}

const programHelp = `A program is one set of settings and the rules that compute rewards. Every
command takes it from -program FILE (or COMMISSION_PROGRAM), a JSON
document:

	{
	  "id": "default",
	  "kind": "affiliate",
	  "currency": "USD",
	  "rules": {"default": {"type": "percent", "value": 30}}
	}

  id        the program's id: the data of each program is kept apart in one
            database, so keep the id when you change the rules
  kind      "affiliate" (partners refer customers) or "refer_a_friend"
            (customers refer customers)
  currency  the program currency, an ISO 4217 code
  rules     the rule set: default commission, product rules, tiers, periods,
            caps, review period ("30d"), ...; docs/rules.md in the
            repository describes every setting with an example

Without -program, the program is exactly the document above: id "default",
an affiliate program in USD paying 30% of every sale. An invalid program is
refused with every bad setting named by its JSON path.
`

// engineFor opens the store and builds the engine of the program.
func (f *storeFlags) engineFor(ctx context.Context, logger *slog.Logger) (*commission.Engine, *sqlstore.Store, error) {
	p, err := f.loadProgram()
	if err != nil {
		return nil, nil, err
	}
	// Checked before the database is opened: a bad file is found at once.
	if _, err := commission.New(nopStore{}, p); err != nil {
		return nil, nil, programError(f.program, err)
	}
	store, err := f.openStore(ctx)
	if err != nil {
		return nil, nil, err
	}
	var opts []commission.Option
	if logger != nil {
		opts = append(opts, commission.WithLogger(logger))
	}
	eng, err := commission.New(store, p, opts...)
	if err != nil {
		store.DB().Close()
		return nil, nil, programError(f.program, err)
	}
	return eng, store, nil
}

func programError(file string, err error) error {
	if file == "" {
		file = "(built-in default)"
	}
	return fmt.Errorf("program %s: %w", file, err)
}

// nopStore lets commission.New check a program before any database is
// opened; it is never used.
type nopStore struct{ commission.Store }

// beneficiaryError words the error of an operation on a beneficiary that
// does not exist.
func beneficiaryError(key string, err error) error {
	if errors.Is(err, commission.ErrNotFound) {
		return fmt.Errorf("no partner (or, in a refer-a-friend program, customer) with key %q in this program", key)
	}
	return err
}
