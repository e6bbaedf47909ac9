package commission

import (
	"context"
	"slices"
	"time"

	"github.com/shopspring/decimal"
)

// batch is what a bulk's unit of work knows that its store does not show
// yet: the buyers it read or created, the sales it built (stored all at
// once when the bulk is), and the counters it read and added to (written
// once, before the sales).
type batch struct {
	buyers map[CustomerRef]*Buyer
	sales  map[string][]batchSale // by customer id
	// built are the transactions built and not stored yet, the signups
	// of the customers the bulk creates among its sales, in the order
	// their rewards were computed: the order they are stored in, which
	// StoreTx.Recorded gives back.
	built []*Transaction
	// values are the counters the batch has read, with what it added
	// since; pending is what it has added and not written yet.
	values  map[CounterKey]decimal.Decimal
	pending map[CounterKey]decimal.Decimal
}

// batchSale is a sale a batch has built: its time, and whether it is
// qualified (counts towards its customer's history).
type batchSale struct {
	at        time.Time
	qualified bool
}

func newBatch() *batch {
	return &batch{buyers: make(map[CustomerRef]*Buyer), sales: make(map[string][]batchSale),
		values: make(map[CounterKey]decimal.Decimal), pending: make(map[CounterKey]decimal.Decimal)}
}

// counters reads keys from the store (locking them, in an Update): in a
// bulk each once, with what the batch has added to them since.
func (w *work) counters(ctx context.Context, keys []CounterKey) ([]decimal.Decimal, error) {
	bt := w.batch
	if bt == nil {
		return w.tx.Counters(ctx, keys)
	}
	var missing []CounterKey
	for _, k := range keys {
		if _, ok := bt.values[k]; !ok && !slices.Contains(missing, k) {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		vals, err := w.tx.Counters(ctx, missing)
		if err != nil {
			return nil, err
		}
		for i, k := range missing {
			bt.values[k] = vals[i].Add(bt.pending[k])
		}
	}
	out := make([]decimal.Decimal, len(keys))
	for i, k := range keys {
		out[i] = bt.values[k]
	}
	return out, nil
}

// buyerCounters reads keys, which begin with the customer's counters
// (customerKeys), taking those from b when the store read them with it.
// They are taken once: a bulk keeps b for its customer's later sales, and
// its batch keeps the counters, with what it adds to them.
func (w *work) buyerCounters(ctx context.Context, keys []CounterKey, b *Buyer) ([]decimal.Decimal, error) {
	have := b.Counters
	if len(have) != customerCounters || b.Customer.ID != keys[0].Subject {
		return w.counters(ctx, keys)
	}
	b.Counters = nil
	if bt := w.batch; bt != nil {
		for i, k := range keys[:customerCounters] {
			if _, ok := bt.values[k]; !ok {
				bt.values[k] = have[i].Add(bt.pending[k])
			}
		}
		return w.counters(ctx, keys)
	}
	if len(keys) == customerCounters {
		return have, nil
	}
	rest, err := w.counters(ctx, keys[customerCounters:])
	if err != nil {
		return nil, err
	}
	return append(have, rest...), nil
}

// addCounters adds deltas: to the store at once, in a batch when it is
// flushed (a dry unit of work keeps them in its batch, and never does).
func (w *work) addCounters(ctx context.Context, deltas []CounterDelta) error {
	bt := w.batch
	switch {
	case len(deltas) == 0:
		return nil
	case bt == nil:
		return w.tx.AddCounters(ctx, deltas)
	}
	for _, d := range deltas {
		bt.pending[d.Key] = bt.pending[d.Key].Add(d.Delta)
		if v, ok := bt.values[d.Key]; ok {
			bt.values[d.Key] = v.Add(d.Delta)
		}
	}
	return nil
}

// flush writes what the batch added to counters, in one call, in key
// order.
func (w *work) flush(ctx context.Context) error {
	bt := w.batch
	if bt == nil || w.dry || len(bt.pending) == 0 {
		return nil
	}
	deltas := make([]CounterDelta, 0, len(bt.pending))
	for k, d := range bt.pending {
		deltas = append(deltas, CounterDelta{Key: k, Delta: d})
	}
	slices.SortFunc(deltas, func(a, b CounterDelta) int { return a.Key.Compare(b.Key) })
	clear(bt.pending)
	return w.tx.AddCounters(ctx, deltas)
}

// history is what the rules know of a customer's qualified sales as of at,
// at included (a sale recorded earlier in the same microsecond counts):
// the store's, and the batch's own.
func (w *work) history(ctx context.Context, customerID string, at time.Time) (CustomerHistory, error) {
	h, err := w.tx.CustomerHistory(ctx, customerID, at.Add(time.Microsecond)) // times are kept to the microsecond
	if err != nil {
		return h, err
	}
	for _, s := range w.batchSales(customerID) {
		if s.qualified && !s.at.After(at) {
			if h.Count == 0 || s.at.Before(h.First) {
				h.First = s.at
			}
			h.Count++
		}
	}
	return h, nil
}

// batchSales are the sales of the customer the batch has built; none
// outside a bulk.
func (w *work) batchSales(customerID string) []batchSale {
	if w.batch == nil {
		return nil
	}
	return w.batch.sales[customerID]
}

// built records a sale the batch has built, for the next sales of its
// customer to see.
func (w *work) built(t *Transaction) {
	if w.batch != nil {
		w.batch.sales[t.CustomerID] = append(w.batch.sales[t.CustomerID], batchSale{t.CreatedAt, t.Qualified})
	}
}

// knownBuyer is the buyer ref names if the batch has read or created it.
func (w *work) knownBuyer(ref CustomerRef) (*Buyer, bool) {
	if w.batch == nil {
		return nil, false
	}
	b, ok := w.batch.buyers[ref]
	return b, ok
}

// knowBuyer remembers a buyer the batch has read or created.
func (w *work) knowBuyer(ref CustomerRef, b *Buyer) {
	if w.batch != nil {
		w.batch.buyers[ref] = b
	}
}
