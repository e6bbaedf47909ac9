package commission

import (
	"time"

	"github.com/shopspring/decimal"
)

// A customer's history (CustomerHistory: its qualified sales before a
// time, and the first one's time) decides step-down schedules and
// referral recurrences. Reading it from the store costs what the
// customer's history holds, so the engine keeps it in counters beside the
// customer's count of qualified sales (customer.sales):
// customer.first_sale, the Unix microseconds of its earliest qualified
// sale (0 with none), and customer.latest_sale, a time that none of its
// qualified sales is after (it only grows: a deletion leaves it where it
// was). A sale dated at or after latest_sale comes after every qualified
// sale of its customer, so its history is the counters; a sale backdated
// among the customer's others reads the store. A customer counted before
// these counters existed has neither, and reads the store until its
// sales are gone.
const (
	customerFirstCounter  = "customer.first_sale"
	customerLatestCounter = "customer.latest_sale"
)

// customerCounters is how many counters customerKeys names.
const customerCounters = 4

// customerKeys are the counters a sale reads of its customer, in the
// order measures holds them: sales, month, first, latest.
func customerKeys(customerID string) []CounterKey {
	return []CounterKey{
		{Name: customerSalesCounter, Subject: customerID},
		{Name: customerMonthCounter, Subject: customerID},
		{Name: customerFirstCounter, Subject: customerID},
		{Name: customerLatestCounter, Subject: customerID},
	}
}

// customerCounterNames are the names of customerKeys, which a sale asks
// for with its buyer (StoreTx.Buyer).
var customerCounterNames = []string{customerSalesCounter, customerMonthCounter, customerFirstCounter, customerLatestCounter}

// customerMeasures are the measures of a customer's counters read in
// customerKeys' order.
func customerMeasures(who string, vals []decimal.Decimal) *measures {
	return &measures{beneficiary: who, sales: vals[0], month: vals[1], first: vals[2], latest: vals[3]}
}

// historyAt is the customer's history as of at (its sales at at
// included), from its counters, and whether they tell it.
func (m *measures) historyAt(at time.Time) (CustomerHistory, bool) {
	switch {
	case m == nil:
		return CustomerHistory{}, false
	case m.sales.Sign() == 0:
		return CustomerHistory{}, true
	case m.first.IsZero() || m.latest.IsZero() || micros(at).Cmp(m.latest) < 0:
		return CustomerHistory{}, false
	}
	return CustomerHistory{Count: m.sales.IntPart(), First: time.UnixMicro(m.first.IntPart()).UTC()}, true
}

// micros is at in Unix microseconds, as the counters keep times.
func micros(at time.Time) decimal.Decimal { return decimal.NewFromInt(at.UnixMicro()) }

// spanDeltas appends the deltas of the customer's first and latest sale
// counters as the qualified sale t enters (sign 1) or leaves (sign -1)
// them, given the customer's counters in m. A sale leaving that was the
// earliest of several needs m.firstLeft, the earliest left.
func spanDeltas(deltas []CounterDelta, t *Transaction, m *measures, sign int64) []CounterDelta {
	at := micros(t.CreatedAt)
	first := CounterKey{Name: customerFirstCounter, Subject: t.CustomerID}
	latest := CounterKey{Name: customerLatestCounter, Subject: t.CustomerID}
	known := m.sales.Sign() == 0 || !m.first.IsZero() && !m.latest.IsZero()
	switch {
	case !known:
		// Counted before the counters existed: left unknown.
	case sign > 0 && (m.sales.Sign() == 0 || at.Cmp(m.first) < 0):
		deltas = append(deltas, CounterDelta{Key: first, Delta: at.Sub(m.first)})
	case sign < 0 && m.sales.Cmp(one) <= 0:
		deltas = append(deltas, CounterDelta{Key: first, Delta: m.first.Neg()})
	case sign < 0 && at.Equal(m.first):
		deltas = append(deltas, CounterDelta{Key: first, Delta: m.firstLeft.Sub(m.first)})
	}
	if known && sign > 0 && at.Cmp(m.latest) > 0 {
		deltas = append(deltas, CounterDelta{Key: latest, Delta: at.Sub(m.latest)})
	}
	return deltas
}
