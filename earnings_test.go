package commission_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/commissionkit/commission"
)

// Earnings sum a partner's rewards per day or month of their creation,
// empty periods included, rejected rewards left out, with what refunds
// reversed since.
func TestEarningsPerPeriod(t *testing.T) {
	ctx := context.Background()
	p := percentProgram(commission.Affiliate, "10")
	p.Rules.ReviewPeriod = time.Hour
	eng, clock := newEngine(t, p)
	affiliateSetup(t, eng)
	days := []int{0, 0, 2, 31} // t0 is 2025-05-07; the last sale is in June
	var ids []string
	for i, d := range days {
		clock.Advance(time.Duration(d)*24*time.Hour - clock.Now().Sub(t0))
		tx, err := eng.CreateTransaction(ctx, sale("t"+strconv.Itoa(i), "customer_123", strconv.Itoa(100*(i+1))))
		require.NoError(t, err)
		ids = append(ids, tx.Rewards[0].ID)
	}
	require.NoError(t, eng.RejectReward(ctx, ids[3], "test"))
	_, err := eng.RefundTransaction(ctx, "t1", refundAmount("r1", "50")) // 20 → 15
	require.NoError(t, err)

	who := commission.Beneficiary{Key: "partner_123"}
	byDay, err := eng.Earnings(ctx, commission.EarningsOptions{Beneficiary: who, By: commission.ByDay,
		From: t0, To: t0.Add(3 * 24 * time.Hour)})
	require.NoError(t, err)
	require.Len(t, byDay.Periods, 4, "from 2025-05-07 00:00 to 05-10 05:32")
	require.Equal(t, time.Date(2025, 5, 7, 0, 0, 0, 0, time.UTC), byDay.Periods[0].Start)
	requirePeriod(t, byDay.Periods[0], 2, "30", "5", "25")
	requirePeriod(t, byDay.Periods[1], 0, "0", "0", "0")
	requirePeriod(t, byDay.Periods[2], 1, "30", "0", "30")

	byMonth, err := eng.Earnings(ctx, commission.EarningsOptions{Beneficiary: who, By: commission.ByMonth,
		From: t0, To: t0.AddDate(0, 2, 0)})
	require.NoError(t, err)
	require.Len(t, byMonth.Periods, 3)
	requirePeriod(t, byMonth.Periods[0], 3, "60", "5", "55")
	requirePeriod(t, byMonth.Periods[1], 0, "0", "0", "0") // June's only reward was rejected

	_, err = eng.Earnings(ctx, commission.EarningsOptions{By: "week", From: t0})
	requireFields(t, err, "beneficiary.id", "by", "to")
	_, err = eng.Earnings(ctx, commission.EarningsOptions{Beneficiary: who, By: commission.ByDay})
	requireFields(t, err, "from", "to")
	_, err = eng.Earnings(ctx, commission.EarningsOptions{Beneficiary: who, By: commission.ByDay, From: t0, To: t0})
	requireFields(t, err, "to")
	_, err = eng.Earnings(ctx, commission.EarningsOptions{Beneficiary: who, By: commission.ByDay, From: t0, To: t0.AddDate(10, 0, 0)})
	requireFields(t, err, "to")
}

func requirePeriod(t *testing.T, p commission.EarningsPeriod, rewards int, earned, reversed, net string) {
	t.Helper()
	require.Equal(t, rewards, p.Rewards, p.Start)
	requireDecimal(t, earned, p.Earned, "earned", p.Start)
	requireDecimal(t, reversed, p.Reversed, "reversed", p.Start)
	requireDecimal(t, net, p.Net, "net", p.Start)
}
