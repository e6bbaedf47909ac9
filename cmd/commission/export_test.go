package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/commissionkit/commission"
	"github.com/shopspring/decimal"
)

// export rewards and export earnings write the expected CSV for a small
// fixture: three sales (two in January 2025, one in February), half of
// one refunded.
func TestExport(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := filepath.Join(dir, "c.db")
	eng := setupPartner(t, db)
	if _, err := eng.CreatePartner(ctx, commission.PartnerInput{Key: "partner_456"}); err != nil {
		t.Fatal(err)
	}
	if _, err := eng.CreateCustomer(ctx, commission.CustomerInput{Key: "customer_123", Partner: &commission.PartnerRef{Key: "partner_123"}}); err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	for _, s := range []struct {
		key, amount, product string
		at                   time.Time
	}{
		{"inv_1", "100.00", "prod_1", time.Date(2025, 1, 5, 10, 0, 0, 0, time.UTC)},
		{"inv_2", "50", "", time.Date(2025, 1, 20, 8, 30, 0, 0, time.UTC)},
		{"inv_3", "10", "prod_1", time.Date(2025, 2, 3, 0, 0, 0, 0, time.UTC)},
	} {
		amount := decimal.RequireFromString(s.amount)
		tx, err := eng.CreateTransaction(ctx, commission.TransactionInput{Key: s.key, Amount: &amount, ProductID: s.product,
			CreatedAt: &s.at, Customer: commission.CustomerInput{Key: "customer_123"}})
		if err != nil {
			t.Fatal(err)
		}
		ids[s.key] = tx.Rewards[0].ID
	}
	half := decimal.RequireFromString("25")
	if _, err := eng.RefundTransaction(ctx, "inv_2", commission.RefundInput{Key: "refund_1", Amount: &half}); err != nil {
		t.Fatal(err)
	}

	r := runCLI(t, nil, "export", "rewards", "-dsn", db, "-partner", "partner_123", "-from", "2025-01-01", "-to", "2025-02-01")
	if r.code != exitOK {
		t.Fatalf("export rewards: %d\n%s", r.code, r.stderr)
	}
	want := strings.Join([]string{
		"reward_id,transaction_key,partner_key,customer_key,rewarded_customer_key,action,status,amount,reversed,payable,amount_units,product_id,product_type,rule,created_at,payout_id,deleted_at",
		ids["inv_2"] + ",inv_2,partner_123,customer_123,,sale,ok,15,7.5,7.5,USD,,,default,2025-01-20T08:30:00Z,,",
		ids["inv_1"] + ",inv_1,partner_123,customer_123,,sale,ok,30,0,30,USD,prod_1,,default,2025-01-05T10:00:00Z,,",
	}, "\n") + "\n"
	if r.stdout != want {
		t.Errorf("export rewards:\n%s\nwant:\n%s", r.stdout, want)
	}

	// Without -partner: every partner's.
	all := runCLI(t, nil, "export", "rewards", "-dsn", db, "-from", "2025-01-01", "-to", "2025-02-01")
	if all.code != exitOK || all.stdout != want {
		t.Errorf("export rewards of every partner: %d\n%s%s\nwant:\n%s", all.code, all.stdout, all.stderr, want)
	}

	out := filepath.Join(dir, "earnings.csv")
	r = runCLI(t, nil, "export", "earnings", "-dsn", db, "-partner", "partner_123,partner_456", "-by", "month",
		"-from", "2024-12-01", "-to", "2025-03-01", "-o", out)
	if r.code != exitOK || r.stdout != "" {
		t.Fatalf("export earnings: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want = strings.Join([]string{
		"partner_key,period_start,amount_units,rewards,earned,reversed,net",
		"partner_123,2024-12-01,USD,0,0,0,0",
		"partner_123,2025-01-01,USD,2,45,7.5,37.5",
		"partner_123,2025-02-01,USD,1,3,0,3",
		"partner_456,2024-12-01,USD,0,0,0,0",
		"partner_456,2025-01-01,USD,0,0,0,0",
		"partner_456,2025-02-01,USD,0,0,0,0",
	}, "\n") + "\n"
	if string(got) != want {
		t.Errorf("export earnings:\n%s\nwant:\n%s", got, want)
	}

	// Without -partner, those that earned nothing are left out.
	r = runCLI(t, nil, "export", "earnings", "-dsn", db, "-by", "month", "-from", "2024-12-01", "-to", "2025-03-01")
	if want := strings.Join(strings.SplitAfter(want, "\n")[:4], ""); r.code != exitOK || r.stdout != want {
		t.Errorf("export earnings of every partner: %d\n%s%s\nwant:\n%s", r.code, r.stdout, r.stderr, want)
	}

	r = runCLI(t, nil, "export", "earnings", "-dsn", db, "-partner", "partner_123", "-from", "2025-01-19", "-to", "2025-01-21")
	want = "partner_key,period_start,amount_units,rewards,earned,reversed,net\n" +
		"partner_123,2025-01-19,USD,0,0,0,0\npartner_123,2025-01-20,USD,1,15,7.5,7.5\n"
	if r.code != exitOK || r.stdout != want {
		t.Errorf("export earnings by day: %d\n%s%s\nwant:\n%s", r.code, r.stdout, r.stderr, want)
	}

	r = runCLI(t, nil, "export", "rewards", "-dsn", db, "-partner", "nobody", "-from", "2025-01-01", "-to", "2025-02-01")
	if r.code != exitFailed || !strings.Contains(r.stderr, `"nobody"`) {
		t.Errorf("unknown partner: %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// balance and payout.
	r = runCLI(t, nil, "balance", "-dsn", db, "-partner", "partner_123")
	if r.code != exitOK || !strings.Contains(r.stdout, "payable    40.5") {
		t.Errorf("balance: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = runCLI(t, nil, "payout", "-dsn", db, "-partner", "partner_123", "-paid", "wire_1", "-json")
	if r.code != exitOK || !strings.Contains(r.stdout, `"amount": 40.5`) || !strings.Contains(r.stdout, `"reference": "wire_1"`) {
		t.Errorf("payout: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = runCLI(t, nil, "payout", "-dsn", db, "-partner", "partner_123")
	if r.code != exitFailed || !strings.Contains(r.stderr, "nothing paid out") {
		t.Errorf("second payout: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = runCLI(t, nil, "balance", "-dsn", db, "-partner", "partner_123", "-json")
	if r.code != exitOK || !strings.Contains(r.stdout, `"paid": 40.5`) {
		t.Errorf("balance after: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}
