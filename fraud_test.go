package commission_test

import (
	"context"
	"testing"
	"time"

	"github.com/commissionkit/commission"
	"github.com/stretchr/testify/require"
)

func TestSelfReferralIsRejected(t *testing.T) {
	ctx := context.Background()
	for _, allow := range []bool{false, true} {
		p := percentProgram(commission.Affiliate, "30")
		p.Rules.Fraud.AllowSelfReferral = allow
		eng, _ := newEngine(t, p)
		_, err := eng.CreatePartner(ctx, commission.PartnerInput{Key: "partner", Email: "Me@Example.com"})
		require.NoError(t, err)
		_, err = eng.CreateCustomer(ctx, commission.CustomerInput{Key: "self", Email: "me@example.com", Partner: &commission.PartnerRef{Key: "partner"}})
		require.NoError(t, err)
		tx, err := eng.CreateTransaction(ctx, sale("t", "self", "100"))
		require.NoError(t, err, "the sale is recorded")
		r := tx.Rewards[0]
		if allow {
			require.Equal(t, commission.RewardOK, r.Status)
			continue
		}
		require.Equal(t, commission.RewardRejected, r.Status)
		require.Equal(t, commission.ReasonSelfReferral, r.Reason)
		require.False(t, tx.Qualified, "a rejected sale counts towards no period")
	}
}

func TestRapidRepeatsAreRejected(t *testing.T) {
	ctx := context.Background()
	p := percentProgram(commission.Affiliate, "30")
	p.Rules.Fraud.RepeatWindow = time.Minute
	p.Rules.Caps.Partner = []commission.SpendLimit{{Period: commission.CapAllTime, Amount: dec("45")}}
	eng, clock := newEngine(t, p)
	affiliateSetup(t, eng)
	status := func(key string) string {
		tx, err := eng.CreateTransaction(ctx, sale(key, "customer_123", "100"))
		require.NoError(t, err)
		return string(tx.Rewards[0].Status) + ":" + tx.Rewards[0].Reason
	}
	require.Equal(t, "ok:", status("a"))
	clock.Advance(59 * time.Second)
	require.Equal(t, "rejected:too_frequent", status("b"))
	clock.Advance(61 * time.Second)
	require.Equal(t, "ok:", status("c"), "the rejected sale paid nothing: the cap still has 15 left")

	// Within one bulk too.
	clock.Advance(time.Hour)
	txs, err := eng.CreateTransactions(ctx, []commission.TransactionInput{sale("d", "customer_123", "1"), sale("e", "customer_123", "1")})
	require.NoError(t, err)
	require.Equal(t, commission.RewardRejected, txs[1].Rewards[0].Status)
	require.Equal(t, commission.ReasonTooFrequent, txs[1].Rewards[0].Reason)

	p.Rules.Fraud.RepeatWindow = -time.Second
	_, err = commission.New(memstoreNew(), p)
	requireFields(t, err, "rules.fraud.repeat_window")
}
