// Command quickstart records sales on a 30% affiliate program and prints the
// rewards the engine computed, as the API's JSON; then it refunds half of
// one sale, prints the partner's balance, and pays it out.
//
// By default it keeps its data in the SQLite file quickstart.db, created and
// migrated on the first run; every run adds two sales, lists all of them,
// and pays what the partner earned since the last run.
// -db postgres or -db mysql, with -dsn (or COMMISSION_DB and COMMISSION_DSN),
// points it at a server instead:
//
//	go run ./examples/quickstart
//	go run ./examples/quickstart -db postgres -dsn 'postgres://postgres@127.0.0.1:5432/test?sslmode=disable'
//	go run ./examples/quickstart -db mysql -dsn 'root@tcp(127.0.0.1:3306)/test'
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/sqlstore"
	_ "github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/shopspring/decimal"
	_ "modernc.org/sqlite"
)

func main() {
	dbKind := flag.String("db", envOr("COMMISSION_DB", "sqlite"), "database: sqlite, postgres or mysql")
	dsn := flag.String("dsn", os.Getenv("COMMISSION_DSN"), "data source name (sqlite: a file path; default quickstart.db)")
	flag.Parse()
	if err := run(context.Background(), *dbKind, *dsn); err != nil {
		log.Fatal(err)
	}
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// openStore opens and migrates the store the flags name.
func openStore(ctx context.Context, kind, dsn string) (*sqlstore.Store, error) {
	var driver string
	var dialect sqlstore.Dialect
	switch kind {
	case "sqlite":
		if dsn == "" {
			dsn = "quickstart.db"
		}
		driver, dialect, dsn = "sqlite", sqlstore.SQLite, sqlstore.SQLiteDSN(dsn)
	case "postgres":
		driver, dialect = "pgx", sqlstore.Postgres
	case "mysql":
		driver, dialect = "mysql", sqlstore.MySQL
	default:
		return nil, fmt.Errorf("unknown -db %q: want sqlite, postgres or mysql", kind)
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return nil, err
	}
	store, err := sqlstore.Open(ctx, db, dialect)
	if err != nil {
		return nil, err
	}
	return store, store.Migrate(ctx)
}

func run(ctx context.Context, kind, dsn string) error {
	store, err := openStore(ctx, kind, dsn)
	if err != nil {
		return err
	}
	defer store.DB().Close()
	eng, err := commission.New(store, commission.Program{
		ID: "quickstart", Kind: commission.Affiliate, Currency: "USD",
		Rules: commission.RuleSet{
			Default:  commission.Percent(decimal.RequireFromString("30")),
			Products: []commission.ProductRule{{ProductType: "annual", Commission: commission.Flat(decimal.RequireFromString("50"))}},
		},
	})
	if err != nil {
		return err
	}
	_, err = eng.CreatePartner(ctx, commission.PartnerInput{Key: "partner_123", Email: "partner@example.com"})
	if err != nil && !errors.Is(err, commission.ErrDuplicateKey) { // created by an earlier run
		return err
	}
	tx, annual, err := sell(ctx, eng)
	if err != nil {
		return err
	}
	total, err := printEarnings(ctx, eng, "partner_123")
	if err != nil {
		return err
	}
	fmt.Printf("\npartner_123 has earned %s USD in all.\n\nThe first sale of this run, as the API returns it:\n", total)
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(map[string]any{"data": tx, "status": 1}); err != nil {
		return err
	}
	return refundAndPay(ctx, eng, annual)
}

// refundAndPay refunds half of the annual sale, prints the partner's
// balance, pays all that is payable, and prints the balance again.
func refundAndPay(ctx context.Context, eng *commission.Engine, annual *commission.Transaction) error {
	half := annual.Amount.Div(decimal.NewFromInt(2))
	refund, err := eng.RefundTransaction(ctx, annual.Key, commission.RefundInput{Key: annual.Key + "_refund", Amount: &half})
	if err != nil {
		return err
	}
	fmt.Printf("\nrefunded %s of %s: its reward took back %s\n", refund.Amount, annual.Key, refund.Entries[0].Amount.Neg())
	partner := commission.Beneficiary{Key: "partner_123"}
	if err := printBalance(ctx, eng, partner); err != nil {
		return err
	}
	payout, err := eng.CreatePayout(ctx, commission.PayoutInput{Beneficiary: partner})
	if err != nil {
		return err
	}
	if _, err := eng.MarkPayoutPaid(ctx, payout.ID, "wire_"+annual.Key); err != nil {
		return err
	}
	fmt.Printf("paid %s %s in payout %s (%d rewards)\n", payout.Amount, payout.Units, payout.ID, len(payout.RewardIDs))
	return printBalance(ctx, eng, partner)
}

func printBalance(ctx context.Context, eng *commission.Engine, who commission.Beneficiary) error {
	b, err := eng.Balance(ctx, who, "")
	if err != nil {
		return err
	}
	fmt.Printf("balance of %s: payable %s, in payout %s, paid %s %s\n", b.EarnerKey, b.Payable, b.InPayout, b.Paid, b.Units)
	return nil
}

// sell records this run's two sales, the first from the documented
// request body, and shows that a retry of it is refused; it returns both.
func sell(ctx context.Context, eng *commission.Engine) (*commission.Transaction, *commission.Transaction, error) {
	// The documented request body: a customer created with its first sale,
	// attributed to the partner through a referral link. Each run records
	// new invoices.
	run := time.Now().UTC().Format("20060102T150405.000000")
	body := fmt.Sprintf(`{
		"key": "inv_%s_1", "amount": 99.99, "amount_units": "USD",
		"product_id": "prod_123", "product_type": "monthly", "action": "sale",
		"customer": {"key": "customer_123", "name": "Ada"},
		"options": {"create_customer": true, "referral_url": "https://example.com/?aff=partner_123"}
	}`, run)
	var in commission.TransactionInput
	if err := json.Unmarshal([]byte(body), &in); err != nil {
		return nil, nil, err
	}
	tx, err := eng.CreateTransaction(ctx, in)
	if err != nil {
		return nil, nil, err
	}
	annual := commission.TransactionInput{
		Key: "inv_" + run + "_2", Amount: ptr(decimal.RequireFromString("240")), ProductType: "annual",
		Customer: commission.CustomerInput{Key: "customer_123"},
	}
	second, err := eng.CreateTransaction(ctx, annual)
	if err != nil {
		return nil, nil, err
	}
	// A retried webhook is told apart from a new sale, and never pays twice.
	var dup *commission.DuplicateError
	if _, err := eng.CreateTransaction(ctx, in); !errors.As(err, &dup) {
		return nil, nil, fmt.Errorf("a retry was not refused: %v", err)
	}
	fmt.Printf("retry of %s refused (identical: %v)\n\n", dup.Key, dup.Identical)
	return tx, second, nil
}

// printEarnings prints every sale of the partner so far, newest first,
// walking the pages with the cursor, and returns what it earned in all.
func printEarnings(ctx context.Context, eng *commission.Engine, partner string) (decimal.Decimal, error) {
	total := decimal.Zero
	opts := commission.ListOptions{Limit: 50, PartnerKey: partner}
	for {
		page, err := eng.Transactions(ctx, opts)
		if err != nil {
			return total, err
		}
		for _, t := range page.Transactions {
			for _, r := range t.Rewards {
				fmt.Printf("%s  %-28s %8s %s -> %s earned %s (%s)\n", t.CreatedAt.Format(time.DateTime), t.Key,
					t.Amount.StringFixed(2), t.AmountUnits, r.PartnerKey, r.Amount, r.Explanation.Rule)
				total = total.Add(r.Amount)
			}
		}
		if page.NextCursor == "" {
			return total, nil
		}
		opts.Cursor = page.NextCursor
	}
}

func ptr[T any](v T) *T { return &v }
