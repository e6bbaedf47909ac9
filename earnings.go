package commission

import (
	"context"
	"sort"
	"time"

	"github.com/shopspring/decimal"
)

// Earnings: what a beneficiary earned per day or month over a range, the
// report a partner dashboard or an export draws.

// Granularity is the length of an earnings period.
type Granularity string

// Granularities, of calendar days and months in UTC.
const (
	ByDay   Granularity = "day"
	ByMonth Granularity = "month"
)

// maxPeriods bounds the periods one earnings report covers.
const maxPeriods = 1000

// EarningsOptions asks for a beneficiary's earnings in one unit over
// [From, To), per day or month.
type EarningsOptions struct {
	Beneficiary Beneficiary `json:"beneficiary"`
	// Units is the unit; the program currency when empty.
	Units string      `json:"amount_units,omitempty"`
	By    Granularity `json:"by"`
	// From and To bound the range; both are required.
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// Earnings is a beneficiary's earnings in one unit, one period after
// another, empty periods included.
type Earnings struct {
	Earner    Earner           `json:"earner"`
	EarnerKey string           `json:"earner_key"`
	Units     string           `json:"amount_units"`
	By        Granularity      `json:"by"`
	Periods   []EarningsPeriod `json:"periods"`
}

// EarningsPeriod sums the rewards earned in one period, rejected ones
// left out: what they earned, what was reversed of them since (refunds,
// deletions and archives, less restores), and what they pay now.
type EarningsPeriod struct {
	Start    time.Time       `json:"start"`
	Rewards  int             `json:"rewards"`
	Earned   decimal.Decimal `json:"earned"`
	Reversed decimal.Decimal `json:"reversed"`
	Net      decimal.Decimal `json:"net"`
}

// Earnings sums a beneficiary's rewards per period of their creation.
// Its cost grows with the rewards in the range. ErrNotFound if there is
// no such beneficiary.
func (e *Engine) Earnings(ctx context.Context, opts EarningsOptions) (*Earnings, error) {
	starts, err := e.periods(&opts)
	if err != nil {
		return nil, err
	}
	return viewValue(ctx, e, func(tx StoreTx) (*Earnings, error) {
		p, err := e.payee(ctx, tx, opts.Beneficiary)
		if err != nil {
			return nil, err
		}
		out := &Earnings{Earner: p.earner, EarnerKey: p.key, Units: opts.Units, By: opts.By, Periods: make([]EarningsPeriod, len(starts))}
		for i, s := range starts {
			out.Periods[i].Start = s
		}
		return out, sumEarnings(ctx, tx, RewardQuery{Earner: p.earner, Units: opts.Units, From: opts.From, To: opts.To}, out.Periods)
	})
}

// periods validates o and returns the start of each period it covers.
func (e *Engine) periods(o *EarningsOptions) ([]time.Time, error) {
	v := &validator{}
	o.Beneficiary.validate(v, "beneficiary.")
	o.Units = e.units(v, "amount_units", o.Units)
	if o.By != ByDay && o.By != ByMonth {
		v.addf("by", "must be %q or %q", ByDay, ByMonth)
	}
	if o.From.IsZero() {
		v.add("from", "is required")
	}
	if o.To.IsZero() {
		v.add("to", "is required")
	} else if !o.From.IsZero() && !o.From.Before(o.To) {
		v.add("to", "must be after from")
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	var starts []time.Time
	for s := periodStart(o.From, o.By); s.Before(o.To); s = nextPeriod(s, o.By) {
		if len(starts) == maxPeriods {
			return nil, fieldError("to", "the range covers more than "+itoa(maxPeriods)+" periods")
		}
		starts = append(starts, s)
	}
	return starts, nil
}

func periodStart(at time.Time, by Granularity) time.Time {
	at = at.UTC()
	if by == ByMonth {
		return time.Date(at.Year(), at.Month(), 1, 0, 0, 0, 0, time.UTC)
	}
	return time.Date(at.Year(), at.Month(), at.Day(), 0, 0, 0, 0, time.UTC)
}

func nextPeriod(s time.Time, by Granularity) time.Time {
	if by == ByMonth {
		return s.AddDate(0, 1, 0)
	}
	return s.AddDate(0, 0, 1)
}

// earningsPage is how many rewards one read of an earnings report takes.
const earningsPage = 1000

// sumEarnings adds the rewards q selects, page after page, to the period
// each was created in.
func sumEarnings(ctx context.Context, tx StoreTx, q RewardQuery, periods []EarningsPeriod) error {
	q.Limit = earningsPage
	for {
		page, err := tx.Rewards(ctx, q)
		if err != nil {
			return err
		}
		for _, r := range page {
			if r.Status != RewardRejected {
				addEarning(periods, r)
			}
		}
		if len(page) < q.Limit {
			return nil
		}
		last := page[len(page)-1]
		q.After = &RewardPosition{CreatedAt: last.CreatedAt, ID: last.ID}
	}
}

// addEarning adds r to the last period that starts at or before its
// creation.
func addEarning(periods []EarningsPeriod, r *Reward) {
	i := sort.Search(len(periods), func(i int) bool { return periods[i].Start.After(r.CreatedAt) })
	p := &periods[max(i-1, 0)]
	p.Rewards++
	p.Earned = p.Earned.Add(r.Amount)
	p.Reversed = p.Reversed.Add(r.Reversed)
	p.Net = p.Net.Add(r.net())
}
