package sqlstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/sqlstore"
	"github.com/shopspring/decimal"
	_ "modernc.org/sqlite"
)

// The embedded default: a SQLite file, opened with the settings the store
// expects and migrated. What the engine records is in the file, for the
// next run of the program or another process.
func ExampleOpen() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "commission")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "commission.db")

	db, err := sql.Open("sqlite", sqlstore.SQLiteDSN(path))
	if err != nil {
		log.Fatal(err)
	}
	store, err := sqlstore.Open(ctx, db, sqlstore.SQLite)
	if err != nil {
		log.Fatal(err)
	}
	if err := store.Migrate(ctx); err != nil {
		log.Fatal(err)
	}
	program := commission.Program{
		ID: "shop", Kind: commission.Affiliate, Currency: "USD",
		Rules: commission.RuleSet{Default: commission.Percent(decimal.NewFromInt(30))},
	}
	eng, err := commission.New(store, program)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := eng.CreatePartner(ctx, commission.PartnerInput{Key: "alice"}); err != nil {
		log.Fatal(err)
	}
	amount := decimal.RequireFromString("99.99")
	tx, err := eng.CreateTransaction(ctx, commission.TransactionInput{Key: "order-1", Amount: &amount,
		Customer: commission.CustomerInput{Key: "bob", Partner: &commission.PartnerRef{Key: "alice"}},
		Options:  commission.TransactionOptions{CreateCustomer: true}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(tx.Rewards[0].PartnerKey, tx.Rewards[0].Amount)
	db.Close()

	// Later, or in another process: the same file, opened again (the
	// errors were handled above).
	db, _ = sql.Open("sqlite", sqlstore.SQLiteDSN(path))
	defer db.Close()
	store, _ = sqlstore.Open(ctx, db, sqlstore.SQLite)
	eng, _ = commission.New(store, program)
	again, err := eng.Transaction(ctx, "order-1")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(again.CustomerKey, again.Amount, again.Rewards[0].Amount)
	// Output:
	// alice 29.997
	// bob 99.99 29.997
}
