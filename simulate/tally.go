package simulate

import (
	"cmp"
	"container/heap"
	"slices"

	"github.com/shopspring/decimal"

	"github.com/commissionkit/commission"
)

// tally sums what the reported sales' rewards pay, as stored and as
// simulated, and keeps the most changed sales.
type tally struct {
	totals  map[totalKey]*Total
	top     int
	changes changeHeap
}

// totalKey names a beneficiary (partner or customer, by id) and a unit.
type totalKey struct {
	partner bool
	id      string
	units   string
}

func newTally(top int) *tally {
	switch {
	case top == 0:
		top = DefaultTop
	case top < 0:
		top = 0
	}
	return &tally{totals: make(map[totalKey]*Total), top: top}
}

// pays is what a reward pays: its amount less what was reversed; nothing
// when it is rejected.
func pays(r *commission.Reward) decimal.Decimal {
	if r.Status == commission.RewardRejected {
		return decimal.Zero
	}
	return r.Amount.Sub(r.Reversed)
}

// add counts one reported sale, the order-th recorded, as stored and as
// simulated (nil when the candidate rules record nothing).
func (t *tally) add(stored, simulated *commission.Transaction, order int64) {
	old := t.sum(stored, func(tot *Total, d decimal.Decimal) {
		tot.Old = tot.Old.Add(d)
		tot.OldRewards++
	})
	var sim unitSums
	if simulated != nil {
		sim = t.sum(simulated, func(tot *Total, d decimal.Decimal) {
			tot.New = tot.New.Add(d)
			tot.NewRewards++
		})
	}
	t.change(stored, old, sim, order)
}

// unitSums are what one sale's rewards pay per unit: a sale's rewards
// are in one or two units, so a list, not a map.
type unitSums []unitSum

type unitSum struct {
	units string
	sum   decimal.Decimal
}

// add adds d in units.
func (u unitSums) add(units string, d decimal.Decimal) unitSums {
	for i := range u {
		if u[i].units == units {
			u[i].sum = u[i].sum.Add(d)
			return u
		}
	}
	return append(u, unitSum{units, d})
}

// of is the sum in units, and whether there is one.
func (u unitSums) of(units string) (decimal.Decimal, bool) {
	for _, s := range u {
		if s.units == units {
			return s.sum, true
		}
	}
	return decimal.Zero, false
}

// sum adds each reward of tr to its total with add, and returns what tr
// pays per unit.
func (t *tally) sum(tr *commission.Transaction, add func(*Total, decimal.Decimal)) unitSums {
	var byUnit unitSums
	for i := range tr.Rewards {
		r := &tr.Rewards[i]
		d := pays(r)
		add(t.total(r), d)
		byUnit = byUnit.add(r.AmountUnits, d)
	}
	return byUnit
}

// total is the running total of r's beneficiary in r's unit.
func (t *tally) total(r *commission.Reward) *Total {
	k := totalKey{partner: r.PartnerID != "", id: r.PartnerID, units: r.AmountUnits}
	b := commission.Beneficiary{ID: r.PartnerID, Key: r.PartnerKey}
	if !k.partner {
		k.id = r.RewardedCustomerID
		b = commission.Beneficiary{ID: r.RewardedCustomerID, Key: r.RewardedCustomerKey}
	}
	tot, ok := t.totals[k]
	if !ok {
		tot = &Total{Beneficiary: b, Units: r.AmountUnits}
		t.totals[k] = tot
	}
	return tot
}

// change keeps the sale's change in each unit among the largest.
func (t *tally) change(stored *commission.Transaction, old, sim unitSums, order int64) {
	if t.top == 0 {
		return
	}
	for _, o := range old {
		n, _ := sim.of(o.units)
		t.keep(stored, o.units, o.sum, n, order)
	}
	for _, n := range sim {
		if _, seen := old.of(n.units); !seen {
			t.keep(stored, n.units, decimal.Zero, n.sum, order)
		}
	}
}

func (t *tally) keep(stored *commission.Transaction, units string, old, sim decimal.Decimal, order int64) {
	diff := sim.Sub(old)
	if diff.IsZero() {
		return
	}
	c := ranked{SaleChange: SaleChange{TransactionKey: stored.Key, CreatedAt: stored.CreatedAt, Units: units,
		Old: old, New: sim, Difference: diff}, size: diff.Abs(), order: order}
	if len(t.changes) < t.top {
		heap.Push(&t.changes, c)
		return
	}
	if t.changes.less(t.changes[0], c) {
		t.changes[0] = c
		heap.Fix(&t.changes, 0)
	}
}

// report gives the totals, ordered, and the changes, largest first.
func (t *tally) report(r *Report) {
	r.Totals = make([]Total, 0, len(t.totals))
	for _, tot := range t.totals {
		tot.Difference = tot.New.Sub(tot.Old)
		r.Totals = append(r.Totals, *tot)
	}
	slices.SortFunc(r.Totals, func(a, b Total) int {
		return cmp.Or(cmp.Compare(a.Beneficiary.Key, b.Beneficiary.Key),
			cmp.Compare(a.Beneficiary.ID, b.Beneficiary.ID), cmp.Compare(a.Units, b.Units))
	})
	sorted := slices.Clone(t.changes)
	slices.SortFunc(sorted, func(a, b ranked) int {
		switch {
		case t.changes.less(b, a):
			return -1
		case t.changes.less(a, b):
			return 1
		}
		return 0
	})
	r.Changes = make([]SaleChange, len(sorted))
	for i := range sorted {
		r.Changes[i] = sorted[i].SaleChange
	}
}

// ranked is a change with what ranks it: its size, then how early the
// sale was recorded.
type ranked struct {
	SaleChange
	size  decimal.Decimal
	order int64
}

// changeHeap holds the largest changes seen, the smallest on top.
type changeHeap []ranked

// less reports a change that ranks below b: smaller, or as large and
// recorded later (or, in one sale, in a later unit).
func (h changeHeap) less(a, b ranked) bool {
	if c := a.size.Cmp(b.size); c != 0 {
		return c < 0
	}
	if a.order != b.order {
		return a.order > b.order
	}
	return a.Units > b.Units
}

func (h changeHeap) Len() int           { return len(h) }
func (h changeHeap) Less(i, j int) bool { return h.less(h[i], h[j]) }
func (h changeHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *changeHeap) Push(x any)        { *h = append(*h, x.(ranked)) }
func (h *changeHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
