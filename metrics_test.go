package commission_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/commissionkit/commission"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// Over random backdated sales, bulks, refunds, archives and restores, a
// customer counts in the month of its earliest live sale, and only there:
// a customers window of one month, read by a preview in each month, always
// holds the model's count.
func TestPropCustomersCountInTheirEarliestMonth(t *testing.T) {
	ctx := context.Background()
	months := []time.Time{
		time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC),
	}
	rapid.Check(t, func(rt *rapid.T) {
		p := percentProgram(commission.Affiliate, "10")
		const buyers = 4
		for k := 1; k <= buyers; k++ { // the last that holds names the count
			p.Rules.Tiers = append(p.Rules.Tiers, commission.Tier{ID: strconv.Itoa(k),
				When:       []commission.Condition{{Metric: commission.MetricCustomers, Months: 1, AtLeast: decp(strconv.Itoa(k))}},
				Commission: commission.Percent(dec("20"))})
		}
		eng, err := commission.New(memstoreNew(), p, commission.WithClock(newClock(time.Date(2025, 6, 15, 0, 0, 0, 0, time.UTC)).Now))
		require.NoError(rt, err)
		_, err = eng.CreatePartner(ctx, commission.PartnerInput{Key: "p"})
		require.NoError(rt, err)
		joined := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
		for i := range buyers + 1 { // c4 only previews
			_, err := eng.CreateCustomer(ctx, commission.CustomerInput{Key: "c" + strconv.Itoa(i), CreatedAt: &joined, Partner: &commission.PartnerRef{Key: "p"}})
			require.NoError(rt, err)
		}
		type sale struct {
			customer int
			at       time.Time
			state    commission.TransactionState
		}
		sales := map[string]*sale{}
		var keys []string
		draw := func(label string) commission.TransactionInput {
			c := rapid.IntRange(0, buyers-1).Draw(rt, label+"_customer")
			at := months[rapid.IntRange(0, len(months)-1).Draw(rt, label+"_month")].
				Add(time.Duration(rapid.IntRange(0, 27*24).Draw(rt, label+"_hours")) * time.Hour)
			key := "s" + strconv.Itoa(len(keys))
			keys = append(keys, key)
			sales[key] = &sale{customer: c, at: at, state: commission.TransactionActive}
			in := commission.TransactionInput{Key: key, Amount: decp("10"), CreatedAt: &at, Customer: commission.CustomerInput{Key: "c" + strconv.Itoa(c)}}
			return in
		}
		for step := range rapid.IntRange(1, 25).Draw(rt, "steps") {
			switch op := rapid.IntRange(0, 5).Draw(rt, "op"); {
			case op <= 1 || len(keys) == 0:
				_, err := eng.CreateTransaction(ctx, draw("sale"))
				require.NoError(rt, err)
			case op == 2:
				ins := make([]commission.TransactionInput, rapid.IntRange(1, 3).Draw(rt, "bulk"))
				for i := range ins {
					ins[i] = draw("bulk" + strconv.Itoa(i))
				}
				_, err := eng.CreateTransactions(ctx, ins)
				require.NoError(rt, err)
			default:
				k := rapid.SampledFrom(keys).Draw(rt, "key")
				s := sales[k]
				switch {
				case s.state == commission.TransactionArchived:
					require.NoError(rt, eng.RestoreTransaction(ctx, k))
					s.state = commission.TransactionActive
				case s.state == commission.TransactionActive && op == 3:
					require.NoError(rt, eng.ArchiveTransaction(ctx, k))
					s.state = commission.TransactionArchived
				case s.state == commission.TransactionActive:
					require.NoError(rt, eng.DeleteTransaction(ctx, k))
					s.state = commission.TransactionDeleted
				}
			}
			// The model: each customer's earliest live sale's month.
			var earliest [buyers]time.Time
			for _, s := range sales {
				if s.state == commission.TransactionActive && (earliest[s.customer].IsZero() || s.at.Before(earliest[s.customer])) {
					earliest[s.customer] = s.at
				}
			}
			for _, m := range months {
				want := 0
				for _, e := range earliest {
					if !e.IsZero() && e.Year() == m.Year() && e.Month() == m.Month() {
						want++
					}
				}
				at := m.Add(14 * 24 * time.Hour)
				tx, err := eng.Preview(ctx, commission.TransactionInput{Key: "probe", Amount: decp("10"), CreatedAt: &at, Customer: commission.CustomerInput{Key: "c4"}})
				require.NoError(rt, err)
				wantRule := "default"
				if want > 0 {
					wantRule = strconv.Itoa(want)
				}
				require.Equal(rt, wantRule, tx.Rewards[0].Explanation.Rule, "step %d: customers in %s", step, m.Format("2006-01"))
			}
		}
	})
}
