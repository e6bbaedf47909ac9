package commission

import (
	"context"
	"time"

	"github.com/shopspring/decimal"
)

// Metric is something the rules measure: a beneficiary's performance
// (signups, customers, revenue), or a fact about one sale (its amount,
// whether it is the customer's first, the customer's or the
// beneficiary's age). The beneficiary is the partner in an affiliate
// program and the referring customer in a refer-a-friend one.
//
// Decision: customers and revenue count qualified sales
// (Transaction.Qualified): those that earned a reward here or were
// rewarded elsewhere. A sale that is not rewardable, was rejected as
// fraud, came after its customer's commission period, or is an action
// the program does not reward, counts for no tier and no goal. A sale's
// contribution is fixed when it is recorded, so that its reversal takes
// back exactly what it added.
type Metric string

// Metrics.
const (
	// MetricSignups counts the customers attributed to the beneficiary,
	// in the month of their created_at.
	MetricSignups Metric = "signups"
	// MetricCustomers counts the beneficiary's customers with at least
	// one qualified sale, each once, in the month of its earliest live
	// qualified sale (by created_at): a sale backdated before it, or the
	// reversal of the earliest, moves the customer to that month. A
	// customer whose qualified sales are all reversed stops counting.
	MetricCustomers Metric = "customers"
	// MetricRevenue sums the amounts of the beneficiary's qualified sales
	// in the program currency (converted, with multi-currency on), each in
	// the month of its created_at. Sales in other units add nothing.
	MetricRevenue Metric = "revenue"
	// MetricSaleAmount is the sale's own amount (in the program currency
	// when converted).
	MetricSaleAmount Metric = "sale_amount"
	// MetricFirstSale holds when the customer has no other qualified sale
	// created before this one (a backdated sale is the first when it is
	// dated before the customer's other sales).
	MetricFirstSale Metric = "first_sale"
	// MetricCustomerAge is the time from the buyer's created_at to the
	// sale's.
	MetricCustomerAge Metric = "customer_age"
	// MetricPartnerAge is the time from the beneficiary's created_at to
	// the sale's.
	MetricPartnerAge Metric = "partner_age"
)

// MaxWindowMonths bounds a rolling window, so that reading a metric costs
// at most this many counters.
const MaxWindowMonths = 36

// counted reports whether the metric is an aggregate the engine keeps in
// counters.
func (m Metric) counted() bool {
	return m == MetricSignups || m == MetricCustomers || m == MetricRevenue
}

// Counter names. The engine maintains the three metrics for every
// beneficiary on every program, whatever its rules, so that a tier or goal
// added later reads the whole history: "metric.<name>" per beneficiary,
// for all time (bucket "") and per month ("2025-05"). Two counters per
// customer make the customers metric exact under reversals and
// backdating: how many qualified sales it has, and the month (as the
// number 202505) it is counted in, that of its earliest qualified sale.
const (
	customerSalesCounter = "customer.sales"
	customerMonthCounter = "customer.counted_month"
)

func metricKey(m Metric, subject, bucket string) CounterKey {
	name := revenueCounter
	switch m {
	case MetricSignups:
		name = signupsCounter
	case MetricCustomers:
		name = customersCounter
	}
	return CounterKey{Name: name, Subject: subject, Bucket: bucket}
}

// monthBack is the month n months before at's, in UTC.
func monthBack(at time.Time, n int) time.Time {
	at = at.UTC()
	return time.Date(at.Year(), at.Month()-time.Month(n), 1, 0, 0, 0, 0, time.UTC)
}

func monthBucket(at time.Time) string { return at.UTC().Format("2006-01") }

// monthNumber and numberMonth encode a month as the number 202505.
func monthNumber(at time.Time) decimal.Decimal { return decimal.NewFromInt(monthInt(at)) }

// monthInt is monthNumber as an integer, which takes no allocation.
func monthInt(at time.Time) int64 {
	at = at.UTC()
	return int64(at.Year())*100 + int64(at.Month())
}

func numberMonth(d decimal.Decimal) string {
	n := d.IntPart()
	return time.Date(int(n/100), time.Month(n%100), 1, 0, 0, 0, 0, time.UTC).Format("2006-01")
}

// slot is one counter a sale reads for the rules: a metric of the
// beneficiary for all time (back < 0) or for the month back months before
// the sale's.
type slot struct {
	metric Metric
	back   int
}

// measures is what a sale's rules know of its beneficiary and buyer, read
// (and on SQL locked) in one call before the rules apply.
type measures struct {
	beneficiary string
	// sales is the buyer's count of qualified sales; month the month it
	// is counted in as a customer (202505), zero when it is not; first
	// and latest its span (customerhistory.go).
	sales, month, first, latest decimal.Decimal
	// earliest is, when a sale of the counted month leaves, the month of
	// the customer's earliest qualified sale left (zero for unknown), and
	// firstLeft that sale's time in Unix microseconds.
	earliest, firstLeft decimal.Decimal
	// slots hold the rules' slots' values, in e.rules.slots' order; goals
	// the thresholds each goal has paid, in e.rules.goals' order;
	// occurrences the counters of the referral rewards the sale counts
	// towards (rules.referralKeys).
	slots       []decimal.Decimal
	goals       []decimal.Decimal
	occurrences []decimal.Decimal
}

// uncountSignup takes a stored signup's own count out of the slots of
// its month and of all time, which it was counted in when recorded.
func (m *measures) uncountSignup(slots []slot) {
	for i, s := range slots {
		if s.metric == MetricSignups && s.back <= 0 {
			m.slots[i] = m.slots[i].Sub(one)
		}
	}
}

// measure reads the counters t's rules and bookkeeping need; nil when t
// has no beneficiary.
func (e *Engine) measure(ctx context.Context, w *work, t *Transaction, b *Buyer) (*measures, error) {
	who := e.beneficiaryOf(t)
	if who == "" {
		return nil, nil
	}
	keys := append(make([]CounterKey, 0, customerCounters+len(e.rules.slots)+len(e.rules.goals)), customerKeys(t.CustomerID)...)
	for _, s := range e.rules.slots {
		keys = append(keys, s.key(who, t.CreatedAt))
	}
	for _, g := range e.rules.goals {
		keys = append(keys, g.counter(who))
	}
	keys = e.rules.referralKeys(keys, who, t)
	vals, err := w.buyerCounters(ctx, keys, b)
	if err != nil {
		return nil, err
	}
	m := customerMeasures(who, vals)
	n, g := customerCounters+len(e.rules.slots), customerCounters+len(e.rules.slots)+len(e.rules.goals)
	m.slots, m.goals, m.occurrences = vals[customerCounters:n], vals[n:g], vals[g:]
	return m, nil
}

func (s slot) key(who string, at time.Time) CounterKey {
	if s.back < 0 {
		return metricKey(s.metric, who, "")
	}
	return metricKey(s.metric, who, monthBucket(monthBack(at, s.back)))
}

// revenue is what t adds to its beneficiary's revenue: its amount less
// what refunds took back, in the program currency, converted at the rate
// it records; false when it is in other units. It depends only on what is
// stored, so that a reversal takes back exactly what the sale still adds.
func (e *Engine) revenue(t *Transaction) (decimal.Decimal, bool) {
	left := t.Amount.Sub(t.Refunded) // refunds gave the rest back
	switch {
	case t.AmountUnits == e.prog.Currency:
		return left, true
	case t.Rate != nil:
		return left.Mul(*t.Rate).RoundBank(maxScale), true
	}
	// A sale stored before transactions kept their rate: the rate its
	// rewards record, the latest if rewards were added later.
	for i := len(t.Rewards) - 1; i >= 0; i-- {
		r := &t.Rewards[i]
		if r.Explanation.Rate != nil && r.Explanation.From == t.AmountUnits {
			return left.Mul(*r.Explanation.Rate).RoundBank(maxScale), true
		}
	}
	return decimal.Zero, false
}

// added is what one transaction adds to its beneficiary's metrics (or
// takes from them, negative), for goals.
type added struct {
	signups, customers, revenue decimal.Decimal
}

func (a *added) of(m Metric) decimal.Decimal {
	switch m {
	case MetricSignups:
		return a.signups
	case MetricCustomers:
		return a.customers
	}
	return a.revenue
}

var (
	one      = decimal.NewFromInt(1)
	minusOne = decimal.NewFromInt(-1)
)

// Counter names of the metrics, spelt out so that no sale builds them.
const (
	signupsCounter   = "metric.signups"
	customersCounter = "metric.customers"
	revenueCounter   = "metric.revenue"
)

// contribution is what s.t adds to its beneficiary's metrics, for the
// counters and for goals: a signup when it is one (counted when it is
// recorded), a qualified sale's revenue and customer unless the fraud
// protection rejects it (reason).
func (e *Engine) contribution(s *earning, reason string) ([]CounterDelta, added) {
	switch {
	case s.m == nil:
	case s.t.signup():
		s.t.Qualified = false // a signup is not a sale: no period counts it
		if !s.stored {
			return signupDeltas(s.m.beneficiary, s.b.Customer), added{signups: one}
		}
	case s.t.Qualified && reason == "":
		return e.countSale(s.t, s.m, 1)
	}
	return nil, added{}
}

// countSale returns the counter deltas of a qualified sale t entering
// (sign 1) or leaving (sign -1) its beneficiary's metrics, given the
// buyer's counters in m, and what it adds to each metric.
func (e *Engine) countSale(t *Transaction, m *measures, sign int64) ([]CounterDelta, added) {
	unit := one
	if sign < 0 {
		unit = minusOne
	}
	var a added
	month := monthBucket(t.CreatedAt)
	deltas := make([]CounterDelta, 1, 8)
	deltas[0] = CounterDelta{Key: CounterKey{Name: customerSalesCounter, Subject: t.CustomerID}, Delta: unit}
	deltas = spanDeltas(deltas, t, m, sign)
	if amount, ok := e.revenue(t); ok && !amount.IsZero() {
		if sign < 0 {
			amount = amount.Neg()
		}
		a.revenue = amount
		deltas = append(deltas,
			CounterDelta{Key: CounterKey{Name: revenueCounter, Subject: m.beneficiary}, Delta: amount},
			CounterDelta{Key: CounterKey{Name: revenueCounter, Subject: m.beneficiary, Bucket: month}, Delta: amount})
	}
	switch {
	case sign > 0 && m.sales.Sign() == 0:
		// The customer's first: it counts from this sale's month.
		a.customers = one
		deltas = append(deltas,
			CounterDelta{Key: CounterKey{Name: customersCounter, Subject: m.beneficiary}, Delta: one},
			CounterDelta{Key: CounterKey{Name: customersCounter, Subject: m.beneficiary, Bucket: month}, Delta: one},
			CounterDelta{Key: CounterKey{Name: customerMonthCounter, Subject: t.CustomerID}, Delta: monthNumber(t.CreatedAt).Sub(m.month)})
	case sign > 0 && !m.month.IsZero() && monthInt(t.CreatedAt) < m.month.IntPart():
		// Dated before the customer's earliest: it counts from this month.
		deltas = moveCustomer(deltas, t.CustomerID, m, monthNumber(t.CreatedAt))
	case sign < 0 && m.sales.Equal(one) && !m.month.IsZero():
		// Its last: it stops counting, in the month it was counted in.
		a.customers = minusOne
		deltas = append(deltas,
			CounterDelta{Key: CounterKey{Name: customersCounter, Subject: m.beneficiary}, Delta: minusOne},
			CounterDelta{Key: CounterKey{Name: customersCounter, Subject: m.beneficiary, Bucket: numberMonth(m.month)}, Delta: minusOne},
			CounterDelta{Key: CounterKey{Name: customerMonthCounter, Subject: t.CustomerID}, Delta: m.month.Neg()})
	case sign < 0 && !m.earliest.IsZero() && !m.earliest.Equal(m.month):
		// The counted month's last sale: it counts from the earliest left.
		deltas = moveCustomer(deltas, t.CustomerID, m, m.earliest)
	}
	return deltas, a
}

// moveCustomer appends the deltas that move a customer, counted in
// m.month, to the month to (both numbers such as 202505). The beneficiary's
// all-time count does not change.
func moveCustomer(deltas []CounterDelta, customerID string, m *measures, to decimal.Decimal) []CounterDelta {
	return append(deltas,
		CounterDelta{Key: CounterKey{Name: customersCounter, Subject: m.beneficiary, Bucket: numberMonth(m.month)}, Delta: minusOne},
		CounterDelta{Key: CounterKey{Name: customersCounter, Subject: m.beneficiary, Bucket: numberMonth(to)}, Delta: one},
		CounterDelta{Key: CounterKey{Name: customerMonthCounter, Subject: customerID}, Delta: to.Sub(m.month)})
}

// recount moves a stored qualified transaction in (sign 1, a restore) or
// out of (sign -1, a deletion or archive) its beneficiary's metrics, once
// its new state is stored. Goals keep what they paid: a threshold pays
// once.
func (e *Engine) recount(ctx context.Context, tx StoreTx, t *Transaction, sign int64) error {
	who := e.beneficiaryOf(t)
	if !t.Qualified || who == "" || t.signup() {
		return nil
	}
	vals, err := tx.Counters(ctx, customerKeys(t.CustomerID))
	if err != nil {
		return err
	}
	m := customerMeasures(who, vals)
	if sign < 0 && m.sales.Cmp(one) > 0 && (monthNumber(t.CreatedAt).Equal(m.month) || micros(t.CreatedAt).Equal(m.first)) {
		// The customer keeps counting, from the month of its earliest
		// qualified sale left, which may be later than this one's, and
		// its first sale is that one.
		h, err := tx.CustomerHistory(ctx, t.CustomerID, endOfTime)
		if err != nil {
			return err
		}
		if h.Count > 0 {
			m.earliest, m.firstLeft = monthNumber(h.First), micros(h.First)
		}
	}
	deltas, _ := e.countSale(t, m, sign)
	return tx.AddCounters(ctx, deltas)
}

// endOfTime is after every transaction's created_at.
var endOfTime = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
