package memstore

import (
	"context"

	"github.com/commissionkit/commission"
	"github.com/shopspring/decimal"
)

func (t *tx) Counters(_ context.Context, keys []commission.CounterKey) ([]decimal.Decimal, error) {
	out := make([]decimal.Decimal, len(keys))
	for i, k := range keys {
		out[i] = t.p.counters[k]
	}
	return out, nil
}

func (t *tx) AddCounters(_ context.Context, deltas []commission.CounterDelta) error {
	if err := t.writable(); err != nil {
		return err
	}
	for _, d := range deltas {
		old, existed := t.p.counters[d.Key]
		if d.Delta.Sign() == 0 && old.Exponent() <= d.Delta.Exponent() {
			// A lock (the engine adds nothing to lock): the sum would be
			// old, to its exponent; storing it would only allocate.
			continue
		}
		t.p.counters[d.Key] = old.Add(d.Delta)
		t.counterUndo = append(t.counterUndo, counterUndo{d.Key, old, existed})
	}
	return nil
}
