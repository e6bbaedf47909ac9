package main

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/simulate"
	"github.com/commissionkit/commission/sqlstore"
	"github.com/shopspring/decimal"
)

// simSale is a sale of the simulation fixture, and how much of it was
// refunded.
type simSale struct {
	key, customer, partner string
	amount, refunded       string
	at                     time.Time
}

// simSales are the fixture's sales, recorded in this order (that of
// their created_at): three partners' customers over five months of 2025,
// half of one refunded.
var simSales = []simSale{
	{"inv_1", "c1", "p1", "100.00", "0", time.Date(2025, 1, 5, 10, 0, 0, 0, time.UTC)},
	{"inv_2", "c2", "p2", "50", "25", time.Date(2025, 2, 10, 8, 30, 0, 0, time.UTC)},
	{"inv_3", "c4", "p3", "40", "0", time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)},
	{"inv_4", "c1", "p1", "20.50", "0", time.Date(2025, 3, 15, 0, 0, 0, 0, time.UTC)},
	{"inv_5", "c3", "p2", "200", "0", time.Date(2025, 4, 20, 12, 0, 0, 0, time.UTC)},
	{"inv_6", "c2", "p2", "7.25", "0", time.Date(2025, 5, 2, 23, 59, 59, 0, time.UTC)},
}

// seedSimulation records the fixture in a new SQLite file and returns
// its path and engine (of the default program: 30% of every sale).
func seedSimulation(t *testing.T) (string, *commission.Engine) {
	t.Helper()
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "c.db")
	eng := openEngine(t, db)
	for _, p := range []string{"p1", "p2", "p3"} {
		if _, err := eng.CreatePartner(ctx, commission.PartnerInput{Key: p}); err != nil {
			t.Fatal(err)
		}
	}
	// The customers were there before their sales: the replay's time is
	// never before a sale's customer was created.
	signup := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range [][2]string{{"c1", "p1"}, {"c2", "p2"}, {"c3", "p2"}, {"c4", "p3"}} {
		if _, err := eng.CreateCustomer(ctx, commission.CustomerInput{Key: c[0], Partner: &commission.PartnerRef{Key: c[1]},
			CreatedAt: &signup}); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range simSales {
		amount := decimal.RequireFromString(s.amount)
		if _, err := eng.CreateTransaction(ctx, commission.TransactionInput{Key: s.key, Amount: &amount, CreatedAt: &s.at,
			Customer: commission.CustomerInput{Key: s.customer}}); err != nil {
			t.Fatal(err)
		}
		if refund := decimal.RequireFromString(s.refunded); refund.IsPositive() {
			if _, err := eng.RefundTransaction(ctx, s.key, commission.RefundInput{Key: "refund_" + s.key, Amount: &refund}); err != nil {
				t.Fatal(err)
			}
		}
	}
	return db, eng
}

// simExpected is what a simulation of the fixture must report, computed
// from simSales: rewards of oldRate and newRate percent of what each sale
// kept after its refund.
type simExpected struct {
	sales, replayed int
	totals          [][]string // beneficiary, units, old, new, difference, old_rewards, new_rewards
	changes         [][]string // transaction_key, created_at, units, old, new, difference
}

func expectSimulation(from, to time.Time, oldRate, newRate int64) simExpected {
	var e simExpected
	type total struct {
		old, new decimal.Decimal
		n        int
	}
	totals := map[string]*total{}
	type change struct {
		s             simSale
		old, new, dif decimal.Decimal
	}
	var changes []change
	for _, s := range simSales {
		e.replayed++ // every stored sale is replayed
		if s.at.Before(from) || !to.IsZero() && !s.at.Before(to) {
			continue
		}
		e.sales++
		kept := decimal.RequireFromString(s.amount).Sub(decimal.RequireFromString(s.refunded))
		old := kept.Mul(decimal.NewFromInt(oldRate)).Div(decimal.NewFromInt(100))
		nw := kept.Mul(decimal.NewFromInt(newRate)).Div(decimal.NewFromInt(100))
		if totals[s.partner] == nil {
			totals[s.partner] = &total{}
		}
		tt := totals[s.partner]
		tt.old, tt.new, tt.n = tt.old.Add(old), tt.new.Add(nw), tt.n+1
		if !nw.Equal(old) {
			changes = append(changes, change{s, old, nw, nw.Sub(old)})
		}
	}
	for _, p := range slices.Sorted(func(yield func(string) bool) {
		for p := range totals {
			if !yield(p) {
				return
			}
		}
	}) {
		tt := totals[p]
		e.totals = append(e.totals, []string{p, "USD", tt.old.String(), tt.new.String(), tt.new.Sub(tt.old).String(),
			fmt.Sprint(tt.n), fmt.Sprint(tt.n)})
	}
	slices.SortStableFunc(changes, func(a, b change) int {
		if c := b.dif.Abs().Cmp(a.dif.Abs()); c != 0 {
			return c
		}
		return a.s.at.Compare(b.s.at)
	})
	for _, c := range changes[:min(len(changes), simulate.DefaultTop)] {
		e.changes = append(e.changes, []string{c.s.key, c.s.at.Format(time.RFC3339), "USD", c.old.String(), c.new.String(), c.dif.String()})
	}
	return e
}

// table aligns rows as the command's tables are.
func table(rows ...[]string) string {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	tw.Flush()
	return b.String()
}

// text is the table simulate prints for e, under headline.
func (e simExpected) text(headline string) string {
	s := headline + "\n\n" + table(append([][]string{{"beneficiary", "units", "old", "new", "difference", "old_rewards", "new_rewards"}}, e.totals...)...)
	return s + "\nMost changed sales\n" + table(append([][]string{{"transaction_key", "created_at", "units", "old", "new", "difference"}}, e.changes...)...)
}

// csv is the CSV simulate -o writes for e.
func (e simExpected) csv() string {
	lines := []string{"section,beneficiary,transaction_key,created_at,units,old,new,difference,old_rewards,new_rewards"}
	for _, t := range e.totals {
		lines = append(lines, "total,"+t[0]+",,,"+strings.Join(t[1:], ","))
	}
	for _, c := range e.changes {
		lines = append(lines, "sale,,"+strings.Join(c, ",")+",,")
	}
	return strings.Join(lines, "\n") + "\n"
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// Doubling the default rate doubles every reward: the table and the CSV
// report it, over every sale and over a range; the store is unchanged.
func TestSimulate(t *testing.T) {
	db, eng := seedSimulation(t)
	dir := t.TempDir()
	rules := writeFile(t, dir, "rules.json", `{"version": "v2", "default": {"type": "percent", "value": 60}}`)
	before := storeSnapshot(t, eng, db)

	e := expectSimulation(time.Time{}, time.Time{}, 30, 60)
	if len(e.totals) != 3 || len(e.changes) != len(simSales) {
		t.Fatalf("fixture: %v", e)
	}
	r := runCLI(t, nil, "simulate", "-dsn", db, "-rules", rules)
	want := e.text(`6 sales reported of 6 replayed: every sale; rules "v2"`)
	if r.code != exitOK || r.stdout != want {
		t.Errorf("simulate: %d\n%s%s\nwant:\n%s", r.code, r.stdout, r.stderr, want)
	}
	if r.stderr != "" {
		t.Errorf("stderr (not a terminal) has %q", r.stderr)
	}

	// A whole program document: its rules are used.
	prog := writeFile(t, dir, "program.json", `{"id": "default", "kind": "affiliate", "currency": "USD",
		"rules": {"version": "v2", "default": {"type": "percent", "value": 60}}}`)
	if r := runCLI(t, nil, "simulate", "-dsn", db, "-rules", prog); r.code != exitOK || r.stdout != want {
		t.Errorf("simulate a program: %d\n%s%s\nwant:\n%s", r.code, r.stdout, r.stderr, want)
	}

	// A range: February and March (-to excluded), and -o.
	e = expectSimulation(time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC), 30, 60)
	if e.sales != 3 {
		t.Fatalf("fixture: %d sales in the range", e.sales)
	}
	out := filepath.Join(dir, "report.csv")
	r = runCLI(t, nil, "simulate", "-dsn", db, "-rules", rules, "-from", "2025-02-01", "-to", "2025-04-01T00:00:00Z", "-o", out)
	headline := fmt.Sprintf(`3 sales reported of %d replayed: created from 2025-02-01 to 2025-04-01 (excluded); rules "v2"`, e.replayed)
	if r.code != exitOK || r.stdout != out+": "+headline+"\n" {
		t.Errorf("simulate -o: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if got, err := os.ReadFile(out); err != nil || string(got) != e.csv() {
		t.Errorf("simulate -o wrote:\n%s\nwant:\n%s(%v)", got, e.csv(), err)
	}
	r = runCLI(t, nil, "simulate", "-dsn", db, "-rules", rules, "-from", "2025-02-01", "-to", "2025-04-01")
	if want := e.text(headline); r.code != exitOK || r.stdout != want {
		t.Errorf("simulate a range: %d\n%s%s\nwant:\n%s", r.code, r.stdout, r.stderr, want)
	}

	// -from alone, -top 1 and -top 0.
	e = expectSimulation(time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC), time.Time{}, 30, 60)
	e.changes = e.changes[:1]
	r = runCLI(t, nil, "simulate", "-dsn", db, "-rules", rules, "-from", "2025-04-01", "-top", "1")
	if want := e.text(`2 sales reported of 6 replayed: created from 2025-04-01 on; rules "v2"`); r.code != exitOK || r.stdout != want {
		t.Errorf("simulate -top 1: %d\n%s%s\nwant:\n%s", r.code, r.stdout, r.stderr, want)
	}
	r = runCLI(t, nil, "simulate", "-dsn", db, "-rules", rules, "-from", "2025-04-01", "-top", "0")
	if r.code != exitOK || strings.Contains(r.stdout, "Most changed") || !strings.Contains(r.stdout, "p2 ") {
		t.Errorf("simulate -top 0: %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// The same rules change nothing.
	same := writeFile(t, dir, "same.json", `{"default": {"type": "percent", "value": 30}}`)
	r = runCLI(t, nil, "simulate", "-dsn", db, "-rules", same, "-to", "2025-02-01")
	want = "1 sales reported of 6 replayed: created before 2025-02-01\n\n" +
		table([]string{"beneficiary", "units", "old", "new", "difference", "old_rewards", "new_rewards"}, []string{"p1", "USD", "30", "30", "0", "1", "1"}) +
		"\nMost changed sales: none, no sale's rewards change.\n"
	if r.code != exitOK || r.stdout != want {
		t.Errorf("simulate the same rules: %d\n%s%s\nwant:\n%s", r.code, r.stdout, r.stderr, want)
	}

	if after := storeSnapshot(t, eng, db); after != before {
		t.Errorf("the store changed:\n%s\nthen:\n%s", before, after)
	}
}

// storeSnapshot is every row of every table of the SQLite file, and the
// partners' balances.
func storeSnapshot(t *testing.T, eng *commission.Engine, path string) string {
	t.Helper()
	var b strings.Builder
	for _, p := range []string{"p1", "p2", "p3"} {
		bal, err := eng.Balance(context.Background(), commission.Beneficiary{Key: p}, "")
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "balance %s: %s %s %s %s\n", p, bal.Pending, bal.NotPaid, bal.Payable, bal.Clawback)
	}
	db, err := sql.Open("sqlite", sqlstore.SQLiteDSN(path))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tables, err := queryRows(db, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
	if err != nil {
		t.Fatal(err)
	}
	rows := 0
	for _, name := range tables {
		content, err := queryRows(db, "SELECT * FROM "+name[0])
		if err != nil {
			t.Fatal(err)
		}
		slices.SortFunc(content, func(a, b []string) int { return cmp.Compare(strings.Join(a, "|"), strings.Join(b, "|")) })
		rows += len(content)
		fmt.Fprintf(&b, "%s: %d rows\n", name[0], len(content))
		for _, r := range content {
			fmt.Fprintf(&b, "  %s\n", strings.Join(r, "|"))
		}
	}
	if rows == 0 {
		t.Fatal("no rows in the store")
	}
	return b.String()
}

// queryRows returns every row of a query, each column printed.
func queryRows(db *sql.DB, query string) ([][]string, error) {
	rows, err := db.Query(query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var all [][]string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		row := make([]string, len(cols))
		for i, v := range vals {
			row[i] = fmt.Sprintf("%v", v)
		}
		all = append(all, row)
	}
	return all, rows.Err()
}

// Wrong command lines exit 2; rules that are unreadable, not JSON or
// invalid exit 1, naming the file and the bad field; the database is
// not opened for either.
func TestSimulateBadFlags(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "never.db")
	good := writeFile(t, dir, "good.json", `{"default": {"type": "percent", "value": 60}}`)
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{nil, exitUsage, "-rules is required"},
		{[]string{"-rules", good, "extra"}, exitUsage, `unexpected argument "extra"`},
		{[]string{"-rules", good, "-from", "2025-02-01", "-to", "2025-01-01"}, exitUsage, "-to 2025-01-01 is not after -from 2025-02-01"},
		{[]string{"-rules", good, "-from", "2025-02-01", "-to", "2025-02-01"}, exitUsage, "is not after"},
		{[]string{"-rules", good, "-from", "January"}, exitUsage, `-from "January": want a date`},
		{[]string{"-rules", good, "-to", "2025-13-01"}, exitUsage, `-to "2025-13-01"`},
		{[]string{"-rules", good, "-top", "-1"}, exitUsage, "-top -1"},
		{[]string{"-rules", good, "-o", filepath.Join(dir, "nowhere", "r.csv")}, exitUsage, "no such directory"},
		{[]string{"-rules", good, "-db", "oracle"}, exitUsage, `-db "oracle"`},
		{[]string{"-rules", filepath.Join(dir, "missing.json")}, exitFailed, "-rules: open " + filepath.Join(dir, "missing.json")},
		{[]string{"-rules", writeFile(t, dir, "bad.json", `{"default": {"type": "percent", "value": 60}`)}, exitFailed,
			"-rules " + filepath.Join(dir, "bad.json") + ": unexpected EOF"},
		{[]string{"-rules", writeFile(t, dir, "two.json", `{} {}`)}, exitFailed, "more than one JSON value"},
		{[]string{"-rules", writeFile(t, dir, "array.json", `[1]`)}, exitFailed, "not a JSON object"},
		{[]string{"-rules", writeFile(t, dir, "typo.json", `{"defualt": {"type": "percent", "value": 60}}`)}, exitFailed,
			`unknown field "defualt"`},
		{[]string{"-rules", writeFile(t, dir, "word.json", `{"default": {"type": "percent", "value": "sixty"}}`)}, exitFailed,
			filepath.Join(dir, "word.json") + ": "},
		{[]string{"-rules", writeFile(t, dir, "invalid.json", `{"default": {"type": "percent", "value": 150}}`)}, exitFailed,
			"-rules " + filepath.Join(dir, "invalid.json") + ": commission: validation error: rules.default.value: a percent commission must not exceed 100"},
		{[]string{"-rules", writeFile(t, dir, "eur.json", `{"id": "default", "currency": "EUR", "rules": {}}`)}, exitFailed,
			`its currency "EUR" is not the program's, "USD"`},
		{[]string{"-rules", writeFile(t, dir, "progtypo.json", `{"id": "default", "rules": {}, "rule": {}}`)}, exitFailed,
			`unknown field "rule"`},
	} {
		args := append([]string{"simulate", "-dsn", db}, c.args...)
		r := runCLI(t, nil, args...)
		if r.code != c.code || !strings.Contains(r.stderr, c.msg) || r.stdout != "" {
			t.Errorf("%v: exit %d, want %d with %q\nstdout:\n%s\nstderr:\n%s", c.args, r.code, c.code, c.msg, r.stdout, r.stderr)
		}
	}
	if _, err := os.Stat(db); !os.IsNotExist(err) {
		t.Errorf("the database was opened: %v", err)
	}
}

// The progress line counts the sales replayed and shows the date
// reached; it ends its line once done.
func TestSimulateProgress(t *testing.T) {
	var b strings.Builder
	p := &simulationProgress{w: &b, start: time.Now()}
	at := time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)
	p.update(simulate.Progress{Replayed: 120_000, Reported: 30_000, At: at})
	p.update(simulate.Progress{Replayed: 130_000, Reported: 40_000, At: at}) // too soon: not drawn
	p.update(simulate.Progress{Replayed: 131_072, Reported: 41_000, At: at, Done: true})
	p.finish()
	out := b.String()
	for _, want := range []string{"\rreplayed 120,000 sales (2026-03-14), 30,000 reported", "\rreplayed 131,072 sales (2026-03-14), 41,000 reported"} {
		if !strings.Contains(out, want) {
			t.Errorf("the progress lacks %q:\n%q", want, out)
		}
	}
	if strings.Contains(out, "130,000") || !strings.HasSuffix(out, "\x1b[K\n") {
		t.Errorf("progress: %q", out)
	}
	var none *simulationProgress
	none.finish()
}
