package commission_test

import (
	"context"
	"testing"

	"github.com/commissionkit/commission"
	"github.com/stretchr/testify/require"
)

// levelsSetup makes a chain top ← mid ← seller, and a customer of seller's.
func levelsSetup(t *testing.T, eng *commission.Engine) {
	t.Helper()
	ctx := context.Background()
	_, err := eng.CreatePartner(ctx, commission.PartnerInput{Key: "top"})
	require.NoError(t, err)
	_, err = eng.CreatePartner(ctx, commission.PartnerInput{Key: "mid", ReferringPartner: &commission.PartnerRef{Key: "top"}})
	require.NoError(t, err)
	_, err = eng.CreatePartner(ctx, commission.PartnerInput{Key: "seller", ReferringPartner: &commission.PartnerRef{Key: "mid"}})
	require.NoError(t, err)
	_, err = eng.CreateCustomer(ctx, commission.CustomerInput{Key: "buyer", Partner: &commission.PartnerRef{Key: "seller"}})
	require.NoError(t, err)
}

// The documented example: on a 100.00 sale the selling partner earns 20%,
// level 1 10% and level 2 5%: 20.00 + 10.00 + 5.00, 35.00 in all.
func TestMultiLevelDocumentedExample(t *testing.T) {
	ctx := context.Background()
	p := percentProgram(commission.Affiliate, "20")
	p.Rules.Levels = []commission.Commission{commission.Percent(dec("10")), commission.Percent(dec("5"))}
	eng, _ := newEngine(t, p)
	levelsSetup(t, eng)
	tx, err := eng.CreateTransaction(ctx, sale("t", "buyer", "100.00"))
	require.NoError(t, err)
	require.Len(t, tx.Rewards, 3)
	want := []struct {
		partner, amount string
		level           int
	}{{"seller", "20", 0}, {"mid", "10", 1}, {"top", "5", 2}}
	total := dec("0")
	for i, w := range want {
		r := tx.Rewards[i]
		require.Equal(t, w.partner, r.PartnerKey)
		requireDecimal(t, w.amount, r.Amount)
		require.Equal(t, w.level, r.Explanation.Level)
		total = total.Add(r.Amount)
	}
	requireDecimal(t, "35", total)

	// An archived partner's level pays nothing; the one above still earns.
	_, err = eng.SetPartnerStatus(ctx, commission.PartnerRef{Key: "mid"}, commission.PartnerArchived)
	require.NoError(t, err)
	tx, err = eng.CreateTransaction(ctx, sale("t2", "buyer", "100.00"))
	require.NoError(t, err)
	require.Len(t, tx.Rewards, 2)
	require.Equal(t, "top", tx.Rewards[1].PartnerKey)
	requireDecimal(t, "5", tx.Rewards[1].Amount)
}

// Each partner's rewards are capped and rounded on their own.
func TestMultiLevelCapsAndRoundingPerPartner(t *testing.T) {
	ctx := context.Background()
	p := percentProgram(commission.Affiliate, "33.3333")
	p.Rules.Levels = []commission.Commission{commission.Percent(dec("33.3333"))}
	p.Rules.Rounding = commission.Rounding{To: commission.RoundToCurrency}
	p.Rules.Caps = commission.Caps{Partner: []commission.SpendLimit{{Period: commission.CapAllTime, Amount: dec("5")}}}
	eng, _ := newEngine(t, p)
	levelsSetup(t, eng)
	tx, err := eng.CreateTransaction(ctx, sale("t", "buyer", "10"))
	require.NoError(t, err)
	requireDecimal(t, "3.33", tx.Rewards[0].Amount)
	requireDecimal(t, "3.33", tx.Rewards[1].Amount)
	tx, err = eng.CreateTransaction(ctx, sale("t2", "buyer", "10"))
	require.NoError(t, err)
	requireDecimal(t, "1.67", tx.Rewards[0].Amount, "seller's cap: 5 - 3.33")
	requireDecimal(t, "1.67", tx.Rewards[1].Amount, "mid's own cap")
}

func TestLevelsAreValidatedAtNew(t *testing.T) {
	p := percentProgram(commission.Affiliate, "20")
	for range 6 {
		p.Rules.Levels = append(p.Rules.Levels, commission.Percent(dec("1")))
	}
	p.Rules.Levels[1] = commission.Percent(dec("1")).For(commission.Times(1))
	_, err := commission.New(memstoreNew(), p)
	requireFields(t, err, "rules.levels", "rules.levels[1].for")
}
