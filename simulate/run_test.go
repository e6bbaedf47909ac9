package simulate_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/memstore"
	"github.com/commissionkit/commission/simulate"
)

var ctx = context.Background()

func pct(s string) commission.Commission { return commission.Percent(decimal.RequireFromString(s)) }

// fixture is a program of 10% with two partners, three customers and a
// sale a day for 30 days, each customer in turn; the 10th sale is half
// refunded and the 20th deleted.
func fixture(t *testing.T) (*memstore.Store, *commission.Engine, time.Time) {
	t.Helper()
	store := memstore.New()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	eng, err := commission.New(store, commission.Program{ID: "p", Kind: commission.Affiliate, Currency: "USD",
		Rules: commission.RuleSet{Default: pct("10")}}, commission.WithClock(func() time.Time { return now }))
	require.NoError(t, err)
	for _, k := range []string{"a", "b"} {
		_, err := eng.CreatePartner(ctx, commission.PartnerInput{Key: k})
		require.NoError(t, err)
	}
	for i, p := range []string{"a", "a", "b"} {
		_, err := eng.CreateCustomer(ctx, commission.CustomerInput{Key: fmt.Sprint("c", i), Partner: &commission.PartnerRef{Key: p}})
		require.NoError(t, err)
	}
	for i := range 30 {
		now = now.Add(24 * time.Hour)
		amount := decimal.NewFromInt(int64(100 + i))
		_, err := eng.CreateTransaction(ctx, commission.TransactionInput{Key: fmt.Sprint("s", i), Amount: &amount,
			Customer: commission.CustomerInput{Key: fmt.Sprint("c", i%3)}})
		require.NoError(t, err)
		switch i {
		case 10:
			half := decimal.NewFromInt(55)
			_, err = eng.RefundTransaction(ctx, "s10", commission.RefundInput{Key: "r10", Amount: &half})
		case 20:
			err = eng.DeleteTransaction(ctx, "s20")
		}
		require.NoError(t, err)
	}
	return store, eng, now
}

func TestRunTotalsAndChanges(t *testing.T) {
	store, eng, _ := fixture(t)
	var seen []string
	rep, err := simulate.Run(ctx, store, eng.Program(), simulate.Options{Rules: commission.RuleSet{Default: pct("15")},
		Top: 3, Each: func(stored, simulated *commission.Transaction) error {
			seen = append(seen, stored.Key)
			return nil
		}})
	require.NoError(t, err)
	require.EqualValues(t, 30, rep.Sales)
	require.Len(t, seen, 30)
	// Computed apart: partner a has customers c0 and c1 (sales i%3 != 2),
	// b has c2. A sale pays 10% (15% simulated) of what refunds and the
	// deletion left.
	old := map[string]decimal.Decimal{}
	for i := range 30 {
		left := decimal.NewFromInt(int64(100 + i))
		switch i {
		case 10:
			left = left.Sub(decimal.NewFromInt(55))
		case 20:
			left = decimal.Zero
		}
		p := "a"
		if i%3 == 2 {
			p = "b"
		}
		old[p] = old[p].Add(left.Div(decimal.NewFromInt(10)))
	}
	require.Len(t, rep.Totals, 2)
	for _, tot := range rep.Totals {
		want := old[tot.Beneficiary.Key]
		require.Truef(t, tot.Old.Equal(want), "%s old %s, want %s", tot.Beneficiary.Key, tot.Old, want)
		require.Truef(t, tot.New.Equal(want.Mul(decimal.RequireFromString("1.5"))), "%s new %s", tot.Beneficiary.Key, tot.New)
		require.True(t, tot.Difference.Equal(tot.New.Sub(tot.Old)))
	}
	// The largest changes: the dearest sales (s29, s28, s27), 5% of each.
	require.Len(t, rep.Changes, 3)
	for i, c := range rep.Changes {
		require.Equal(t, fmt.Sprint("s", 29-i), c.TransactionKey)
		require.True(t, c.Difference.Equal(decimal.NewFromInt(int64(129-i)).Div(decimal.NewFromInt(20))), c.Difference.String())
	}
}

func TestRunRange(t *testing.T) {
	store, eng, _ := fixture(t)
	from := time.Date(2026, 1, 11, 0, 0, 0, 0, time.UTC) // sale i is on day i+2
	to := from.Add(5 * 24 * time.Hour)
	var keys []string
	rep, err := simulate.Run(ctx, store, eng.Program(), simulate.Options{Rules: commission.RuleSet{Default: pct("10")},
		From: from, To: to, Each: func(stored, _ *commission.Transaction) error {
			keys = append(keys, stored.Key)
			return nil
		}})
	require.NoError(t, err)
	require.ElementsMatch(t, []string{"s9", "s10", "s11", "s12", "s13"}, keys)
	require.EqualValues(t, 30, rep.Replayed)
	require.EqualValues(t, 5, rep.Sales)
	require.Empty(t, rep.Changes, "the same rules change nothing")
}

func TestRunWritesNothing(t *testing.T) {
	store, eng, _ := fixture(t)
	before, err := eng.Transactions(ctx, commission.ListOptions{Limit: 100, States: []commission.TransactionState{"active", "archived", "deleted"}})
	require.NoError(t, err)
	balance, err := eng.Balance(ctx, commission.Beneficiary{Key: "a"}, "USD")
	require.NoError(t, err)
	_, err = simulate.Run(ctx, store, eng.Program(), simulate.Options{Rules: commission.RuleSet{Default: pct("50")}})
	require.NoError(t, err)
	after, err := eng.Transactions(ctx, commission.ListOptions{Limit: 100, States: []commission.TransactionState{"active", "archived", "deleted"}})
	require.NoError(t, err)
	require.Equal(t, before, after)
	again, err := eng.Balance(ctx, commission.Beneficiary{Key: "a"}, "USD")
	require.NoError(t, err)
	require.Equal(t, balance, again)
}

func TestRunRefusals(t *testing.T) {
	store, eng, _ := fixture(t)
	_, err := simulate.Run(ctx, store, eng.Program(), simulate.Options{Rules: commission.RuleSet{Default: pct("120")}})
	var verr *commission.ValidationError
	require.ErrorAs(t, err, &verr)
	require.Contains(t, err.Error(), "rules.default")

	stop := errors.New("enough")
	calls := 0
	_, err = simulate.Run(ctx, store, eng.Program(), simulate.Options{Rules: commission.RuleSet{Default: pct("10")},
		Each: func(_, _ *commission.Transaction) error {
			if calls++; calls == 3 {
				return stop
			}
			return nil
		}})
	require.ErrorIs(t, err, stop)
	require.Equal(t, 3, calls)

	canceled, cancel := context.WithCancel(ctx)
	cancel()
	_, err = simulate.Run(canceled, store, eng.Program(), simulate.Options{Rules: commission.RuleSet{Default: pct("10")}})
	require.ErrorIs(t, err, context.Canceled)
}

func TestRunProgressAndTop(t *testing.T) {
	store, eng, _ := fixture(t)
	var last simulate.Progress
	calls := 0
	rep, err := simulate.Run(ctx, store, eng.Program(), simulate.Options{Rules: commission.RuleSet{Default: pct("20")},
		Top: -1, Progress: func(p simulate.Progress) { last, calls = p, calls+1 }})
	require.NoError(t, err)
	require.Empty(t, rep.Changes, "Top -1 lists none")
	require.Equal(t, 1, calls, "30 sales: only the last call")
	require.True(t, last.Done)
	require.EqualValues(t, 30, last.Replayed)
	require.EqualValues(t, 30, last.Reported)

	rep, err = simulate.Run(ctx, store, eng.Program(), simulate.Options{Rules: commission.RuleSet{Default: pct("20")}})
	require.NoError(t, err)
	require.Len(t, rep.Changes, simulate.DefaultTop)
}
