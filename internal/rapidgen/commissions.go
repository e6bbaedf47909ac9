package rapidgen

import (
	"github.com/shopspring/decimal"
	"pgregory.net/rapid"

	"github.com/commissionkit/commission"
)

// Commission draws a percent commission at a rate from percent, or, one
// time in four, a flat one of a value from flat. It has no period.
func Commission(percent, flat *rapid.Generator[decimal.Decimal]) *rapid.Generator[commission.Commission] {
	return rapid.Custom(func(t *rapid.T) commission.Commission {
		if rapid.IntRange(0, 3).Draw(t, "flat") == 0 {
			return commission.Flat(flat.Draw(t, "flat_value"))
		}
		return commission.Percent(percent.Draw(t, "percent"))
	})
}

// ProgramCommission draws a commission for p: a percent from 0 to 100 with
// two places, or a flat amount of money that is sometimes paid in p's
// custom unit, if p has one when the commission is drawn.
func ProgramCommission(p *commission.Program) *rapid.Generator[commission.Commission] {
	money := Commission(Cents(0, 10000), Cents(0, 5000))
	return rapid.Custom(func(t *rapid.T) commission.Commission {
		c := money.Draw(t, "commission")
		if c.Type == commission.FlatCommission && len(p.CustomUnits) > 0 && OneIn(t, "in_custom_units", 3) {
			c.Units = p.CustomUnits[0]
		}
		return c
	})
}

// Schedule draws a commission of c for the customer's lifetime, or a
// schedule of one to three steps of c, each For(Times, Days or Months(n))
// with n from 1 to 3, sometimes followed by one of c with no period.
func Schedule(c *rapid.Generator[commission.Commission]) *rapid.Generator[commission.Commission] {
	return rapid.Custom(func(t *rapid.T) commission.Commission {
		kind := rapid.IntRange(0, 3).Draw(t, "period_kind")
		if kind == 0 {
			return c.Draw(t, "lifetime")
		}
		steps := make([]commission.Commission, rapid.IntRange(1, 3).Draw(t, "steps"))
		for i := range steps {
			n := rapid.IntRange(1, 3).Draw(t, "period")
			period := []commission.Period{commission.Times(n), commission.Days(n), commission.Months(n)}[kind-1]
			steps[i] = c.Draw(t, "step").For(period)
		}
		if rapid.Bool().Draw(t, "then") {
			steps = append(steps, c.Draw(t, "then_lifetime"))
		}
		return Chain(steps...)
	})
}

// Chain is steps[0].Then(steps[1].Then(...)): each step pays for its
// period, then hands over to the next; a last step with no period pays
// from then on.
func Chain(steps ...commission.Commission) commission.Commission {
	c := steps[len(steps)-1]
	for i := len(steps) - 2; i >= 0; i-- {
		c = steps[i].Then(c)
	}
	return c
}

// Tags draws one or more distinct tags of pool, in any order (rules that
// list one set of tags in two orders are the same set).
func Tags(pool []string) *rapid.Generator[[]string] {
	return rapid.SliceOfNDistinct(rapid.SampledFrom(pool), 1, len(pool), rapid.ID[string])
}
