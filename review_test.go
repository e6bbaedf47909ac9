package commission_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/commissionkit/commission"
	"github.com/stretchr/testify/require"
)

// Text that a database would refuse or cut is refused by validation.
func TestValidationRefusesWhatStorageCannotHold(t *testing.T) {
	ctx := context.Background()
	p := percentProgram(commission.Affiliate, "30")
	p.Rules.ReviewPeriod = time.Hour
	eng, _ := newEngine(t, p)
	affiliateSetup(t, eng)
	_, err := eng.CreateTransaction(ctx, sale("inv\x00", "customer_123", "1"))
	requireFields(t, err, "key")
	tags := make([]string, 101)
	for i := range tags {
		tags[i] = "t"
	}
	_, err = eng.CreatePartner(ctx, commission.PartnerInput{Key: "many", Tags: tags})
	requireFields(t, err, "tags")
	old := time.Unix(-1, 0)
	in := sale("ancient", "customer_123", "1")
	in.CreatedAt = &old
	_, err = eng.CreateTransaction(ctx, in)
	requireFields(t, err, "created_at")
	_, err = eng.Transactions(ctx, commission.ListOptions{Page: commission.MaxPage + 1})
	requireFields(t, err, "page")

	tx, err := eng.CreateTransaction(ctx, sale("t", "customer_123", "1"))
	require.NoError(t, err)
	id := tx.Rewards[0].ID
	for _, reason := range []string{"\xff", "a\x00b", strings.Repeat("r", 4097)} {
		requireFields(t, eng.RejectReward(ctx, id, reason), "reason")
	}
	require.NoError(t, eng.RejectReward(ctx, id, "fraud: ü"))
}

// A reward set by the input counts towards, and is clamped by, a spend
// limit like any other: a cap is never exceeded.
func TestSetRewardIsCapped(t *testing.T) {
	ctx := context.Background()
	eng, _ := newEngine(t, capsProgram(commission.Caps{Partner: []commission.SpendLimit{{Period: commission.CapMonth, Amount: dec("100")}}}))
	affiliateSetup(t, eng)
	in := sale("manual", "customer_123", "10")
	in.Reward = decp("1000")
	tx, err := eng.CreateTransaction(ctx, in)
	require.NoError(t, err)
	requireDecimal(t, "100", tx.Rewards[0].Amount)
	tx, err = eng.CreateTransaction(ctx, sale("next", "customer_123", "100"))
	require.NoError(t, err)
	requireDecimal(t, "0", tx.Rewards[0].Amount)
}

// The program's rounding applies once, to the exact amount: 30% of
// 1.666666666666666665 is 0.4999999999999999995, which rounds to 0, not
// (through 0.5 at 18 places) to 1.
func TestRoundingOnceFromExact(t *testing.T) {
	ctx := context.Background()
	eng, _ := newEngine(t, roundingProgram("30", commission.Rounding{To: commission.RoundToPlaces, Places: 0}))
	affiliateSetup(t, eng)
	tx, err := eng.CreateTransaction(ctx, sale("t", "customer_123", "1.666666666666666665"))
	require.NoError(t, err)
	requireDecimal(t, "0", tx.Rewards[0].Amount)
	requireDecimal(t, "0.4999999999999999995", *tx.Rewards[0].Explanation.Exact)

	// A cap between two steps of the grid clamps down onto it.
	p := roundingProgram("30", commission.Rounding{To: commission.RoundToCurrency})
	p.Rules.Caps.PerReward = decp("10.005")
	eng, _ = newEngine(t, p)
	affiliateSetup(t, eng)
	tx, err = eng.CreateTransaction(ctx, sale("t", "customer_123", "100"))
	require.NoError(t, err)
	requireDecimal(t, "10", tx.Rewards[0].Amount)
}
