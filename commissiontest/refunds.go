package commissiontest

import (
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/commissionkit/commission"
)

func checkRefunds(v *View) error {
	for _, t := range v.Transactions() {
		lines := v.r.lineRefunds(t)
		for i := range t.Rewards {
			r := &t.Rewards[i]
			if r.Status == commission.RewardRejected {
				continue // pays nothing, and refunds make no entry of it
			}
			if err := checkRewardRefund(t, r, lines); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkRewardRefund checks what a reward pays after its sale's refunds
// (lines: what was refunded of each line, nil when refunded by amount).
func checkRewardRefund(t *commission.Transaction, r *commission.Reward, lines []decimal.Decimal) error {
	net := r.Amount.Sub(r.Reversed)
	what := func() string {
		return fmt.Sprintf("sale %s (amount %s, refunded %s, %s): reward %s of %s (amount %s, reversed %s)",
			t.Key, t.Amount, t.Refunded, t.State, r.ID, EarnerKey(r), r.Amount, r.Reversed)
	}
	switch {
	case net.IsNegative() || net.GreaterThan(r.Amount):
		return fmt.Errorf("%s pays %s, outside 0 to its amount", what(), net)
	case t.State != commission.TransactionActive || t.Amount.IsPositive() && t.Refunded.Equal(t.Amount):
		if !net.IsZero() {
			return fmt.Errorf("%s still pays %s", what(), net)
		}
		return nil
	}
	left, sold := t.Amount.Sub(t.Refunded), t.Amount
	if lines != nil && r.Line > 0 && r.Line <= len(t.Products) {
		sold = t.Products[r.Line-1].ProductPrice
		left = sold.Sub(lines[r.Line-1])
	}
	if sold.IsZero() || left.Equal(sold) {
		return nil
	}
	exact := r.Amount // the amount a cap lowered it to, when one did
	if r.Explanation.Exact != nil && len(r.Explanation.Caps) == 0 {
		exact = *r.Explanation.Exact
	}
	want := decimal.Min(roundingOf(r.Explanation.Rounding).share(exact, left, sold), r.Amount)
	if !net.Equal(want) {
		return fmt.Errorf("%s pays %s, want round(%s × %s ÷ %s) = %s (%s)", what(), net, exact, left, sold, want, r.Explanation.Rounding)
	}
	return nil
}

// lineRefunds is what the history's refunds by line took from each line
// of t, nil when none refunded it by line.
func (r *runner) lineRefunds(t *commission.Transaction) []decimal.Decimal {
	var out []decimal.Decimal
	for _, rf := range r.refunds {
		if rf.TransactionKey != t.Key || len(rf.Lines) == 0 {
			continue
		}
		if out == nil {
			out = make([]decimal.Decimal, len(t.Products))
		}
		for _, l := range rf.Lines {
			if i := lineIndex(t, l.ProductID); i >= 0 && l.Amount != nil {
				out[i] = out[i].Add(*l.Amount)
			}
		}
	}
	return out
}

// lineIndex is the index of the one line of t selling productID, or -1.
func lineIndex(t *commission.Transaction, productID string) int {
	found := -1
	for i, l := range t.Products {
		if l.ProductID == productID {
			if found >= 0 {
				return -1
			}
			found = i
		}
	}
	return found
}
