package commission

import (
	"github.com/shopspring/decimal"
)

// Period is how long a commission lasts for one referred customer,
// counted from the customer's first rewarded sale: a number of
// rewarded sales (Times), or of days, months or years. Exactly one field
// is set.
//
// Days are 24 hours; months and years end on the same day of the month
// and time of day, in UTC, as time.AddDate counts them: a period of one
// month from January 31 ends on March 3 (or 2 in a leap year), as
// February has no 31st. The end is excluded.
type Period struct {
	Times  int `json:"times,omitempty"`
	Days   int `json:"days,omitempty"`
	Months int `json:"months,omitempty"`
	Years  int `json:"years,omitempty"`
}

// Times is a period of n rewarded sales.
func Times(n int) Period { return Period{Times: n} }

// Days is a period of n days.
func Days(n int) Period { return Period{Days: n} }

// Months is a period of n calendar months.
func Months(n int) Period { return Period{Months: n} }

// Years is a period of n calendar years.
func Years(n int) Period { return Period{Years: n} }

// For limits c to period p; after it, c pays nothing unless Then gives
// what follows. Percent(40).For(Months(3)).Then(Percent(20)) is "40% for
// the first 3 months, then 20%".
func (c Commission) For(p Period) Commission {
	c.Period = &p
	return c
}

// Then gives the commission that follows c's period.
func (c Commission) Then(next Commission) Commission {
	c.Next = &next
	return c
}

func (p Period) kind() string {
	switch {
	case p.Times != 0:
		return "times"
	case p.Days != 0:
		return "days"
	case p.Months != 0:
		return "months"
	}
	return "years"
}

// The longest periods, so that a schedule's end is a date (a thousand
// years) or a count a sale can reach.
const (
	maxPeriodTimes  = 1_000_000_000
	maxPeriodDays   = 366_000
	maxPeriodMonths = 12_000
	maxPeriodYears  = 1_000
)

func (p Period) valid() bool {
	set := 0
	for i, n := range []int{p.Times, p.Days, p.Months, p.Years} {
		if n < 0 || n > []int{maxPeriodTimes, maxPeriodDays, maxPeriodMonths, maxPeriodYears}[i] {
			return false
		}
		if n > 0 {
			set++
		}
	}
	return set == 1
}

// step is one commission of a schedule, with where it ends: after the
// end-th rewarded sale, or end years, months and days after the first.
type step struct {
	c    Commission
	rate decimal.Decimal // Value/100 for percent commissions
	// lifetime steps have no end.
	lifetime bool
	end      Period // cumulative
}

// steps flattens a commission chain. Every period of one chain is of one
// kind, so that each step ends where the next begins.
// With a program, units of flat commissions are checked against it.
func steps(c Commission, v *validator, path string, p *Program) []step {
	var out []step
	var end Period
	kind := ""
	for i := 0; ; i++ {
		s := step{c: c, lifetime: c.Period == nil}
		s.c.Period, s.c.Next = nil, nil
		if c.Type == PercentCommission {
			s.rate = c.Value.Shift(-2)
		}
		validateCommission(v, path, s.c)
		switch {
		case s.c.Units == "":
		case s.c.Type != FlatCommission:
			v.add(path+".units", "only a flat commission has units of its own")
		case p != nil && !p.validUnits(s.c.Units):
			v.add(path+".units", "must be a currency code or one of the program's custom units")
		}
		if c.Period != nil {
			p := *c.Period
			switch {
			case !p.valid():
				v.addf(path+".for", "must set one of times, days, months or years, to a positive number of at most %d, %d, %d or %d",
					maxPeriodTimes, maxPeriodDays, maxPeriodMonths, maxPeriodYears)
			case kind != "" && p.kind() != kind:
				v.addf(path+".for", "is in %s, but the schedule counts in %s", p.kind(), kind)
			}
			kind = p.kind()
			end = Period{Times: end.Times + p.Times, Days: end.Days + p.Days, Months: end.Months + p.Months, Years: end.Years + p.Years}
			s.end = end
		}
		out = append(out, s)
		if c.Next == nil {
			return out
		}
		if c.Period == nil {
			v.add(path+".then", "follows a commission with no end (set its for)")
			return out
		}
		c, path = *c.Next, path+".then"
	}
}

// clone returns a deep copy of c (nil for nil).
func (c *Commission) clone() *Commission {
	if c == nil {
		return nil
	}
	d := *c
	if c.Period != nil {
		p := *c.Period
		d.Period = &p
	}
	d.Next = c.Next.clone()
	return &d
}
