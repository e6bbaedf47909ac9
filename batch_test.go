package commission_test

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/commissionkit/commission"
	"github.com/stretchr/testify/require"
)

// A bulk reads and writes counters through its own overlay, flushed once:
// it must earn exactly what the same sales earn one by one, tiers, goals
// and spend limits included, with customers created inside it.
func TestBulkCountsLikeSingles(t *testing.T) {
	ctx := context.Background()
	p := customersTiers()
	p.Rules.Goals = []commission.Goal{
		{ID: "rev", Metric: commission.MetricRevenue, Target: dec("250"), Every: true, Bonus: dec("3")},
		{ID: "signups", Metric: commission.MetricSignups, Target: dec("2"), Every: true, Bonus: dec("1")},
	}
	p.Rules.Tiers[0].When[0].Above = decp("2")
	p.Rules.Tiers[1].When[0].Above = decp("4")
	p.Rules.Tiers = append(p.Rules.Tiers, commission.Tier{ID: "recruiter", When: []commission.Condition{
		{Metric: commission.MetricSignups, Months: 1, AtLeast: decp("6")}}, Commission: commission.Percent(dec("40"))})
	p.Rules.Caps.Partner = []commission.SpendLimit{{Period: commission.CapMonth, Amount: dec("150")}}
	var ins []commission.TransactionInput
	for i := range 40 {
		in := sale("s"+strconv.Itoa(i), "c"+strconv.Itoa(i%7), strconv.Itoa(20+i*3))
		in.Options.CreateCustomer = true
		in.Customer.Partner = &commission.PartnerRef{Key: "p"}
		ins = append(ins, in)
	}
	run := func(bulk bool) []byte {
		eng, _ := newEngine(t, p)
		_, err := eng.CreatePartner(ctx, commission.PartnerInput{Key: "p"})
		require.NoError(t, err)
		if bulk {
			_, err = eng.CreateTransactions(ctx, ins)
			require.NoError(t, err)
		} else {
			for _, in := range ins {
				_, err = eng.CreateTransaction(ctx, in)
				require.NoError(t, err)
			}
		}
		page, err := eng.Transactions(ctx, commission.ListOptions{Limit: commission.MaxLimit})
		require.NoError(t, err)
		// The bulk stores its signups before its sales: compare by key.
		slices.SortFunc(page.Transactions, func(a, b *commission.Transaction) int { return strings.Compare(a.Key, b.Key) })
		out, err := json.Marshal(page.Transactions)
		require.NoError(t, err)
		return out
	}
	single := run(false)
	require.Contains(t, string(single), `"match":"goal"`)
	require.Contains(t, string(single), `"rule":"recruiter"`)
	require.Contains(t, string(single), `"rule":"silver"`)
	require.Contains(t, string(single), `"caps":["partner.month"]`)
	require.JSONEq(t, string(single), string(run(true)))
}
