package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/commissionkit/commission"
	"github.com/shopspring/decimal"
)

// writeSalesCSV writes n sales, keys sale_<from> on, of 50 customers
// created with their first sale for partner_123, backdated into 2025.
func writeSalesCSV(t testing.TB, path string, from, n int) {
	t.Helper()
	var b strings.Builder
	b.WriteString("key,customer_key,partner_key,amount,product_id,created_at\n")
	for i := from; i < from+n; i++ {
		fmt.Fprintf(&b, "sale_%d,customer_%d,partner_123,%d.50,prod_%d,%d\n", i, i%50, 10+i%90, i%3, 1735689600+i*60)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// setupPartner creates partner_123 in the SQLite file at path.
func setupPartner(t testing.TB, path string) *commission.Engine {
	t.Helper()
	eng := openEngine(t, path)
	if _, err := eng.CreatePartner(context.Background(), commission.PartnerInput{Key: "partner_123"}); err != nil {
		t.Fatal(err)
	}
	return eng
}

// A CSV of a few thousand sales imports; a second run stores nothing
// twice and reports them skipped; a longer file resumes.
func TestImportResumes(t *testing.T) {
	dir := t.TempDir()
	db, file := filepath.Join(dir, "c.db"), filepath.Join(dir, "sales.csv")
	eng := setupPartner(t, db)
	writeSalesCSV(t, file, 0, 3000)
	// A sale of the file's second bulk is recorded by the API first: the
	// first bulk has no stored key, so the second is not checked before
	// it is sent, and its duplicate is found by the engine.
	amount, at := decimal.RequireFromString("70.50"), time.Unix(1735689600+1500*60, 0)
	if _, err := eng.CreateTransaction(context.Background(), commission.TransactionInput{Key: "sale_1500", Amount: &amount,
		ProductID: "prod_0", CreatedAt: &at, Options: commission.TransactionOptions{CreateCustomer: true},
		Customer: commission.CustomerInput{Key: "customer_0", Partner: &commission.PartnerRef{Key: "partner_123"}}}); err != nil {
		t.Fatal(err)
	}

	r := runCLI(t, nil, "import", "-file", file, "-dsn", db)
	if r.code != exitOK || !strings.Contains(r.stdout, "3000 sales read: 2999 stored, 1 skipped (key already stored), 0 failed") {
		t.Fatalf("first run: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	b, err := eng.Balance(context.Background(), commission.Beneficiary{Key: "partner_123"}, "")
	if err != nil {
		t.Fatal(err)
	}
	// 30% of every sale.
	want := decimal.Zero
	for i := range 3000 {
		want = want.Add(decimal.NewFromInt(int64(10 + i%90))).Add(decimal.RequireFromString("0.50"))
	}
	want = want.Mul(decimal.RequireFromString("0.3"))
	if !b.NotPaid.Equal(want) {
		t.Fatalf("earned %s, want %s", b.NotPaid, want)
	}

	r = runCLI(t, nil, "import", "-file", file, "-dsn", db)
	if r.code != exitOK || !strings.Contains(r.stdout, "3000 sales read: 0 stored, 3000 skipped (key already stored), 0 failed") {
		t.Fatalf("second run: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// A run cut short resumes: the file is longer now, and its bulks
	// straddle what was stored (-batch 700).
	writeSalesCSV(t, file, 0, 3500)
	r = runCLI(t, nil, "import", "-file", file, "-dsn", db, "-batch", "700")
	if r.code != exitOK || !strings.Contains(r.stdout, "3500 sales read: 500 stored, 3000 skipped (key already stored), 0 failed") {
		t.Fatalf("resumed run: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	b2, err := eng.Balance(context.Background(), commission.Beneficiary{Key: "partner_123"}, "")
	if err != nil {
		t.Fatal(err)
	}
	if b2.NotPaid.LessThanOrEqual(b.NotPaid) {
		t.Fatalf("the resumed run earned nothing: %s then %s", b.NotPaid, b2.NotPaid)
	}
}

// Bad lines are reported by their line numbers, and the others stored.
func TestImportReportsBadLines(t *testing.T) {
	dir := t.TempDir()
	db, file := filepath.Join(dir, "c.db"), filepath.Join(dir, "sales.csv")
	eng := setupPartner(t, db)
	csv := strings.Join([]string{
		"Key, Customer_Key ,partner_key,amount,amount_units,created_at", // 1: names are trimmed and case-insensitive
		"s1,c1,partner_123,10,USD,2025-01-02T03:04:05Z",                 // 2
		"s2,c1,,20,,",                               // 3: c1 exists by then (created by s1)
		"s3,c2,partner_123,abc,,",                   // 4: not a number
		"s4,c_unknown,,5,,",                         // 5: no such customer, none to create
		"s5,c2,partner_123,-3,,",                    // 6: negative
		"s6,c2,partner_nobody,5,,",                  // 7: no such partner
		"s2,c1,,20,,",                               // 8: key repeated
		`s7,"c3",partner_123,7,EUR,`,                // 9: a currency without a rate
		"s8,c3,partner_123,8,,2999-01-01T00:00:00Z", // 10: in the future
		"s9,c3,partner_123,9,,1735689600",           // 11
		",c3,partner_123,9,,",                       // 12: no key
		"s10,c3,partner_123,9",                      // 13: a field short
		"s11,c3,partner_123,11,,not a time",         // 14
		"s12,,,12,,",                                // 15: no customer
		"s13,c4,partner_123,13,,",                   // 16
	}, "\n") + "\n"
	if err := os.WriteFile(file, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, batch := range []string{"1000", "3"} {
		r := runCLI(t, nil, "import", "-file", file, "-dsn", db, "-batch", batch)
		if r.code != exitFailed {
			t.Fatalf("-batch %s: exit %d, want 1\n%s%s", batch, r.code, r.stdout, r.stderr)
		}
		for _, line := range []int{4, 5, 6, 7, 8, 9, 10, 12, 13, 14, 15} {
			if !strings.Contains(r.stderr, fmt.Sprintf("line %d: ", line)) {
				t.Errorf("-batch %s: line %d is not reported:\n%s", batch, line, r.stderr)
			}
		}
		for _, line := range []int{1, 2, 3, 11, 16} {
			if strings.Contains(r.stderr, fmt.Sprintf("line %d: ", line)) {
				t.Errorf("-batch %s: line %d is reported:\n%s", batch, line, r.stderr)
			}
		}
		want := "15 sales read: 4 stored, 0 skipped (key already stored), 11 failed"
		if batch == "3" { // the second run
			want = "15 sales read: 0 stored, 4 skipped (key already stored), 11 failed"
		}
		if !strings.Contains(r.stdout, want) {
			t.Errorf("-batch %s: summary %q, want %q", batch, r.stdout, want)
		}
		t.Logf("-batch %s:\n%s%s", batch, r.stdout, r.stderr)
	}
	for _, k := range []string{"s1", "s2", "s9", "s13"} {
		if _, err := eng.Transaction(context.Background(), k); err != nil {
			t.Errorf("%s: %v", k, err)
		}
	}

	// A malformed file stops at its line.
	os.WriteFile(file, []byte("key,customer_key,amount\nq1,c1,1\nq2,\"c1,2\n"), 0o644)
	r := runCLI(t, nil, "import", "-file", file, "-dsn", db)
	if r.code != exitFailed || !strings.Contains(r.stderr, "line 3") {
		t.Errorf("malformed: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// An unknown column is refused before anything is stored.
	os.WriteFile(file, []byte("key,customer,amount\nq1,c1,1\n"), 0o644)
	r = runCLI(t, nil, "import", "-file", file, "-dsn", db)
	if r.code != exitFailed || !strings.Contains(r.stderr, `unknown column "customer"`) {
		t.Errorf("unknown column: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// Without the query on the store's table, stored keys are found through
// the engine.
func TestImportThroughTheEngine(t *testing.T) {
	dir := t.TempDir()
	db, file := filepath.Join(dir, "c.db"), filepath.Join(dir, "sales.csv")
	eng := setupPartner(t, db)
	writeSalesCSV(t, file, 0, 700)
	for i, want := range [][2]int{{700, 0}, {0, 700}} {
		f, err := os.Open(file)
		if err != nil {
			t.Fatal(err)
		}
		im := &importer{eng: eng, batch: 300, seen: map[string]int{}, precheck: i == 0}
		err = im.run(context.Background(), f)
		f.Close()
		if err != nil || im.read != 700 || im.stored != want[0] || im.skipped != want[1] || len(im.failed) != 0 {
			t.Fatalf("run %d: read %d, stored %d, skipped %d, failed %v: %v", i, im.read, im.stored, im.skipped, im.failed, err)
		}
	}
}
