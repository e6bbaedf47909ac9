package commissiontest_test

import (
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"pgregory.net/rapid"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/commissiontest"
	"github.com/commissionkit/commission/internal/rapidgen"
)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func decp(s string) *decimal.Decimal { return commissiontest.Dec(s) }

// richProgram has levels, tiers, caps, goals, a review period, rounding
// and payout thresholds.
func richProgram() commission.Program {
	return commission.Program{
		ID: "rich", Kind: commission.Affiliate, Currency: "USD", CustomUnits: []string{"POINTS"},
		Rules: commission.RuleSet{
			Default: commission.Percent(dec("10")),
			Products: []commission.ProductRule{
				{ProductID: "course", Commission: commission.Percent(dec("33.3333"))},
				{ProductType: "monthly", PartnerTags: []string{"gold"}, Commission: commission.Flat(dec("7.5"))},
				{ProductID: "badge", Commission: commission.Flat(dec("100")).For(commission.Times(2))},
			},
			Tiers: []commission.Tier{{ID: "big", When: []commission.Condition{{Metric: commission.MetricRevenue, AtLeast: decp("1000")}},
				Commission: commission.Percent(dec("15"))}},
			Levels:       []commission.Commission{commission.Percent(dec("5")), commission.Percent(dec("2.5"))},
			ReviewPeriod: 14 * 24 * time.Hour,
			Rounding:     commission.Rounding{To: commission.RoundToCurrency, Mode: commission.HalfEven},
			Caps: commission.Caps{PerReward: decp("150"), Partner: []commission.SpendLimit{
				{Period: commission.CapMonth, Amount: dec("400")}, {Period: commission.CapWeek, Amount: dec("250")}}},
			Goals: []commission.Goal{
				{ID: "first-thousand", Metric: commission.MetricRevenue, Target: dec("1000"), Bonus: dec("50")},
				{ID: "every-two", Metric: commission.MetricCustomers, Target: dec("2"), Every: true, Bonus: dec("10"), Units: "POINTS"}},
			Payouts: commission.PayoutRules{Minimum: dec("5")},
		},
	}
}

// The engine's invariants hold on a rich program.
func TestInvariantsHoldOnARichProgram(t *testing.T) {
	commissiontest.Check(t, richProgram(), commissiontest.Config{Checks: 40})
}

// The engine's invariants hold on programs drawn from every feature of
// the rule set, in both kinds.
func TestInvariantsHoldOnDrawnPrograms(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := rapidgen.Program().Draw(t, "program")
		p.ID = "drawn"
		m, err := commissiontest.NewMachine(p, commissiontest.Config{})
		if err != nil {
			t.Fatal(err)
		}
		for range rapid.IntRange(1, 30).Draw(t, "steps") {
			if f := m.Step(t); f != nil {
				t.Fatal(f)
			}
		}
	})
}

// The histories of the rich program reach every kind of step, accepted,
// and the states the invariants are about: the check is not vacuous.
func TestHistoriesReachEveryStep(t *testing.T) {
	seen := map[string]int{}
	count := commissiontest.Property{Name: "count", Check: func(v *commissiontest.View) error {
		s := v.Step
		if s.Err == nil {
			seen[stepCall(s.Go)]++
		}
		for _, tx := range s.Txs {
			for _, r := range tx.Rewards {
				seen["match "+r.Explanation.Match]++
				if len(r.Explanation.Caps) > 0 {
					seen["capped"]++
				}
				if r.Line > 1 && r.Explanation.Exact != nil {
					seen["split and rounded"]++
				}
			}
		}
		return nil
	}}
	for range 5 { // each of 100 histories: payouts need several steps before them
		if f := commissiontest.Run(richProgram(), commissiontest.Config{}, count); f != nil {
			t.Fatal(f)
		}
	}
	for _, want := range []string{
		"CreatePartner", "CreateCustomer", "CreateTransaction", "CreateTransactions", "RefundTransaction",
		"DeleteTransaction", "ArchiveTransaction", "ApproveReward", "RejectReward", "CreatePayout",
		"MarkPayoutPaid", "CancelPayout", "r.Advance",
		"match default", "match tier", "match level", "match goal", "match product_id", "capped", "split and rounded",
	} {
		if seen[want] == 0 {
			t.Errorf("no %s in 500 histories: %v", want, seen)
		}
	}
	t.Log(seen)
}

// stepCall is the method a step's Go calls: "CreatePartner", or
// "r.Advance".
func stepCall(src string) string {
	if strings.HasPrefix(src, "r.Advance") {
		return "r.Advance"
	}
	_, call, _ := strings.Cut(src, "eng.")
	call, _, _ = strings.Cut(call, "(")
	return call
}
