package commission

import (
	"context"
	"time"

	"github.com/shopspring/decimal"
)

// What each reward of a sale pays once part of it is refunded: its share
// of what is left, by its own rounding.

// refundPlan is what a refund takes, and what it leaves: of the whole
// sale, and, for a refund by line, of each line (index from 0).
type refundPlan struct {
	amount      decimal.Decimal // what this refund takes in all
	lines       []RefundLine    // for a refund by line, resolved
	byLine      bool
	sold        decimal.Decimal
	before, now decimal.Decimal // left of the sale, before and after
	lineSold    []decimal.Decimal
	lineBefore  []decimal.Decimal
	lineNow     []decimal.Decimal
}

// planRefund works out what in takes from t, refunded by prior before.
func planRefund(t *Transaction, prior []*Refund, in *RefundInput) (*refundPlan, error) {
	byLine := len(in.Products) > 0
	for _, r := range prior {
		if (len(r.Lines) > 0) != byLine {
			if byLine {
				return nil, fieldError("products", "the sale was refunded by amount: refund it by amount")
			}
			return nil, fieldError("amount", "the sale was refunded by line: refund it by products")
		}
	}
	p := &refundPlan{byLine: byLine, sold: t.Amount, before: t.Amount.Sub(t.Refunded)}
	if !byLine {
		if in.Amount.Cmp(p.before) > 0 {
			return nil, fieldError("amount", "is more than the "+brief(formatDecimal(p.before))+" left to refund")
		}
		p.amount, p.now = *in.Amount, p.before.Sub(*in.Amount)
		return p, nil
	}
	return p, p.planLines(t, prior, in)
}

// planLines works out what a refund by line takes from each line.
func (p *refundPlan) planLines(t *Transaction, prior []*Refund, in *RefundInput) error {
	n := len(t.Products)
	p.lineSold, p.lineBefore = make([]decimal.Decimal, n), make([]decimal.Decimal, n)
	for i, l := range t.Products {
		p.lineSold[i], p.lineBefore[i] = l.ProductPrice, l.ProductPrice
	}
	for _, r := range prior {
		for _, l := range r.Lines {
			if i, ok := lineOf(t, l.ProductID); ok {
				p.lineBefore[i] = p.lineBefore[i].Sub(*l.Amount)
			}
		}
	}
	p.lineNow = append([]decimal.Decimal(nil), p.lineBefore...)
	v := &validator{}
	for j, l := range in.Products {
		path := "products[" + itoa(j) + "]."
		i, ok := lineOf(t, l.ProductID)
		if !ok {
			v.add(path+"product_id", "names no single product line of the sale")
			continue
		}
		take := p.lineNow[i]
		if l.Amount != nil {
			take = *l.Amount
		}
		if take.Sign() <= 0 || take.Cmp(p.lineNow[i]) > 0 {
			v.add(path+"amount", "is more than the "+brief(formatDecimal(p.lineNow[i]))+" left of the line")
			continue
		}
		p.lineNow[i] = p.lineNow[i].Sub(take)
		p.amount = p.amount.Add(take)
		p.lines = append(p.lines, RefundLine{ProductID: l.ProductID, Amount: &take})
	}
	p.now = p.before.Sub(p.amount)
	return v.err()
}

// lineOf is the index of the one line of t selling productID.
func lineOf(t *Transaction, productID string) (int, bool) {
	found := -1
	for i, l := range t.Products {
		if l.ProductID == productID {
			if found >= 0 {
				return 0, false
			}
			found = i
		}
	}
	return found, found >= 0
}

// portion is what is left, once p is refunded, of what r pays on, and
// what that was sold for: the line's, for a reward of a line refunded by
// line; else the sale's. changed reports whether p took any of it.
func (p *refundPlan) portion(r *Reward) (left, sold decimal.Decimal, changed bool) {
	if p.byLine && r.Line > 0 && r.Line <= len(p.lineSold) {
		i := r.Line - 1
		return p.lineNow[i], p.lineSold[i], !p.lineBefore[i].Equal(p.lineNow[i])
	}
	return p.now, p.sold, !p.before.Equal(p.now)
}

// payAt is what r pays on left of what it was earned on (sold): its
// exact amount (before rounding; the capped amount when a cap lowered
// it) times left ÷ sold, rounded as r was.
func payAt(r *Reward, left, sold decimal.Decimal) decimal.Decimal {
	exact := r.Amount
	if r.Explanation.Exact != nil && len(r.Explanation.Caps) == 0 {
		exact = *r.Explanation.Exact
	}
	places, mode := roundingOf(r.Explanation.Rounding)
	return mulDivRound(exact, left, sold, places, mode)
}

// refundEntries are the entries that bring each reward of t to what it
// pays once p is refunded, never more than it pays now; a rejected
// reward pays nothing and gets none.
func (e *Engine) refundEntries(t *Transaction, p *refundPlan, refundKey string, now time.Time) []Entry {
	var out []Entry
	for i := range t.Rewards {
		r := &t.Rewards[i]
		left, sold, changed := p.portion(r)
		if r.Status == RewardRejected || !changed {
			continue
		}
		// A reward rounded down when its sale's rewards were shared out
		// (largest remainder) may round up alone: a refund never raises
		// what a reward pays.
		net := r.net()
		if d := decimal.Min(payAt(r, left, sold), net).Sub(net); !d.IsZero() {
			en := e.entry(r, d, EntryRefund, now)
			en.RefundKey = refundKey
			out = append(out, en)
		}
	}
	return out
}

// refund stores the refund p of t, its entries, and what it changes of
// t's beneficiary's metrics: revenue gives back what was refunded, and a
// sale refunded in full stops counting, as a deleted one does.
func (e *Engine) refund(ctx context.Context, tx StoreTx, t *Transaction, p *refundPlan, in *RefundInput, now time.Time) (*Refund, error) {
	r := &Refund{Key: in.Key, TransactionKey: t.Key, Amount: p.amount, Lines: p.lines, CreatedAt: now}
	entries := e.refundEntries(t, p, r.Key, now)
	after := *t // read only: a copy whose Refunded is the new one
	after.Refunded = p.sold.Sub(p.now)
	left := RefundedSale{Refunded: after.Refunded, Qualified: t.Qualified && p.now.Sign() > 0}
	if err := tx.InsertRefund(ctx, r, left); err != nil {
		return nil, err
	}
	recordRefund(tx, t, left)
	revenue, err := e.refundMetrics(ctx, tx, t, &after, p.now.Sign() == 0)
	if err != nil {
		return nil, err
	}
	if err := post(ctx, tx, t, entries, revenue); err != nil {
		return nil, err
	}
	r.Entries = entries
	return r, nil
}

// refundMetrics gives back to t's beneficiary's revenue what was refunded
// (t before, after after): it returns those deltas, which post adds with
// the entries' counters, in one call. When t is refunded in full, it
// takes t out of the metrics first, as a deletion does (its customer
// counts no more if it was its last sale). Counters are locked in the
// order a sale locks them: the customer's, the metrics, the spend limits,
// the balances.
func (e *Engine) refundMetrics(ctx context.Context, tx StoreTx, t, after *Transaction, whole bool) ([]CounterDelta, error) {
	who := e.beneficiaryOf(t)
	if !t.Qualified || who == "" || t.signup() {
		return nil, nil
	}
	if whole {
		if err := e.recount(ctx, tx, after, -1); err != nil {
			return nil, err
		}
	}
	if d, ok := e.revenueGiven(t, after); ok && !d.IsZero() {
		month := monthBucket(t.CreatedAt)
		return []CounterDelta{
			{Key: CounterKey{Name: revenueCounter, Subject: who}, Delta: d},
			{Key: CounterKey{Name: revenueCounter, Subject: who, Bucket: month}, Delta: d}}, nil
	}
	return nil, nil
}

// revenueGiven is what t's revenue changes by when it is refunded as
// after is (negative); in the program currency, what was refunded, else
// the difference of the two conversions, each rounded as revenue is.
func (e *Engine) revenueGiven(t, after *Transaction) (decimal.Decimal, bool) {
	if t.AmountUnits == e.prog.Currency {
		return t.Refunded.Sub(after.Refunded), true
	}
	was, ok := e.revenue(t)
	is, _ := e.revenue(after)
	return is.Sub(was), ok
}
