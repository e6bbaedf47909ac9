package commissiontest

import (
	"math/big"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/commissionkit/commission"
)

// rounding is how a reward was rounded, as its explanation names it
// ("half_up:2"); with no name, to the 18 places storage keeps, half to
// even.
type rounding struct {
	places int32
	mode   commission.RoundingMode
}

func roundingOf(label string) rounding {
	mode, places, ok := strings.Cut(label, ":")
	n, err := strconv.Atoi(places)
	if !ok || err != nil {
		return rounding{18, commission.HalfEven}
	}
	return rounding{int32(n), commission.RoundingMode(mode)}
}

// round rounds a non-negative d.
func (ro rounding) round(d decimal.Decimal) decimal.Decimal {
	switch ro.mode {
	case commission.HalfEven:
		return d.RoundBank(ro.places)
	case commission.Up:
		return d.RoundUp(ro.places)
	case commission.Down:
		return d.RoundDown(ro.places)
	}
	return d.Round(ro.places)
}

// share is a × b ÷ c, rounded: exact in rationals before the rounding.
func (ro rounding) share(a, b, c decimal.Decimal) decimal.Decimal {
	q := new(big.Rat).Mul(a.Rat(), b.Rat())
	q.Quo(q, c.Rat())
	// Cut to places+1 more digits would round twice; compare instead the
	// floor and the remainder exactly.
	unit := new(big.Rat).SetFrac(big.NewInt(1), new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(ro.places)), nil))
	steps := new(big.Rat).Quo(q, unit)
	floor := new(big.Int).Quo(steps.Num(), steps.Denom())
	rem := new(big.Rat).Sub(steps, new(big.Rat).SetInt(floor))
	half := rem.Cmp(big.NewRat(1, 2))
	switch {
	case rem.Sign() == 0:
	case ro.mode == commission.Up,
		ro.mode == commission.HalfEven && (half > 0 || half == 0 && floor.Bit(0) == 1),
		(ro.mode == commission.HalfUp || ro.mode == "") && half >= 0:
		floor.Add(floor, big.NewInt(1))
	}
	return decimal.NewFromBigInt(floor, -ro.places)
}
