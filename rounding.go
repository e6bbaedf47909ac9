package commission

import (
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"
	"golang.org/x/text/currency"
)

// RoundTo says to what precision rewards are rounded.
type RoundTo string

// Rounding targets.
const (
	// NoRounding keeps rewards exact (the default).
	NoRounding RoundTo = ""
	// RoundToCurrency rounds to the minor units of the reward's currency
	// (ISO 4217: USD 2, JPY 0, BHD 3).
	RoundToCurrency RoundTo = "currency"
	// RoundToPlaces rounds to Rounding.Places places after the point.
	RoundToPlaces RoundTo = "places"
)

// RoundingMode says which way a reward between two steps goes.
type RoundingMode string

// Rounding modes. Rewards are never negative, so "up" and "down" are away
// from and towards zero.
const (
	HalfUp   RoundingMode = "half_up" // the default
	HalfEven RoundingMode = "half_even"
	Up       RoundingMode = "up" // the documented "round up all rewards"
	Down     RoundingMode = "down"
)

// Rounding is how a program rounds the rewards it computes. Rewards set
// directly by the input (TransactionInput.Reward) are never rounded. When a
// sale earns several rewards (one per product line), the sale's total is
// rounded and shared out by largest remainder, so that the rounded parts
// add up to the rounded whole.
type Rounding struct {
	To RoundTo `json:"to,omitempty"`
	// Places is the number of places after the point, for RoundToPlaces
	// (0 to 18).
	Places int32 `json:"places,omitempty"`
	// Mode is HalfUp when empty.
	Mode RoundingMode `json:"mode,omitempty"`
}

func (r Rounding) validate(v *validator, path string) {
	switch r.To {
	case NoRounding, RoundToCurrency:
		if r.Places != 0 {
			v.add(path+".places", "is only for rounding to places")
		}
	case RoundToPlaces:
		if r.Places < 0 || r.Places > maxScale {
			v.addf(path+".places", "must be between 0 and %d", maxScale)
		}
	default:
		v.addf(path+".to", "must be %q, %q or empty", RoundToCurrency, RoundToPlaces)
	}
	switch r.Mode {
	case "", HalfUp, HalfEven, Up, Down:
	default:
		v.addf(path+".mode", "must be %q, %q, %q or %q", HalfUp, HalfEven, Up, Down)
	}
}

// places is how many places after the point rewards in units keep, and
// whether they are rounded at all.
func (r Rounding) places(units string) (int32, bool, error) {
	switch r.To {
	case RoundToPlaces:
		return r.Places, true, nil
	case RoundToCurrency:
		cur, err := currency.ParseISO(units)
		if err != nil {
			return 0, false, fmt.Errorf("%q is not an ISO 4217 currency, so it has no minor units to round to", units)
		}
		scale, _ := currency.Standard.Rounding(cur)
		return int32(scale), true, nil
	}
	return 0, false, nil
}

func (r Rounding) round(d decimal.Decimal, places int32) decimal.Decimal {
	switch r.Mode {
	case HalfEven:
		return d.RoundBank(places)
	case Up:
		return d.RoundUp(places)
	case Down:
		return d.RoundDown(places)
	}
	return d.Round(places)
}

// label names the rounding in explanations: "half_up:2".
func (r Rounding) label(places int32) string {
	mode := r.Mode
	if mode == "" {
		mode = HalfUp
	}
	return string(mode) + ":" + itoa(int(places))
}

// allocate rounds the exact parts of one sale so that they add up to their
// rounded sum: each part is cut down to places, then the units the cut
// lost are given back, one each, to the parts that lost the most (the
// earliest first among equals).
func (r Rounding) allocate(exact []decimal.Decimal, places int32) []decimal.Decimal {
	out := make([]decimal.Decimal, len(exact))
	if len(exact) == 1 {
		out[0] = r.round(exact[0], places)
		return out
	}
	sum, floors := decimal.Zero, decimal.Zero
	order := make([]int, len(exact))
	rem := make([]decimal.Decimal, len(exact))
	for i, e := range exact {
		out[i] = e.RoundDown(places)
		rem[i] = e.Sub(out[i])
		sum, floors = sum.Add(e), floors.Add(out[i])
		order[i] = i
	}
	unit := decimal.New(1, -places)
	missing := r.round(sum, places).Sub(floors).Div(unit).IntPart()
	slices.SortStableFunc(order, func(a, b int) int { return rem[b].Cmp(rem[a]) })
	for _, i := range order[:missing] {
		out[i] = out[i].Add(unit)
	}
	return out
}

// places is how many places the program rounds r to, and whether it
// rounds it at all: amounts in custom units get no currency rounding.
func (e *Engine) places(r *Reward) (int32, bool) {
	ro := e.rules.rounding
	if ro.To == RoundToCurrency && !r.IsCurrency {
		return 0, false
	}
	places, ok, _ := ro.places(r.AmountUnits) // normalize and New checked the units
	return places, ok
}

// roundForStorage rounds a reward finer than the 18 places of storage
// half-even to them, recording StorageRounding.
func roundForStorage(r *Reward) {
	if r.Amount.Exponent() >= -maxScale {
		return // the common case, with no rounding to do
	}
	if y := r.Amount.RoundBank(maxScale); !y.Equal(r.Amount) {
		r.Amount, r.Explanation.Rounding = y, StorageRounding
	}
}

// round applies the program's rounding to a sale's exact computed
// rewards, once, so that they add up to their rounded total, and records
// it on each. Without program rounding, a reward finer than the 18 places
// of storage is rounded half-even to them (StorageRounding).
func (e *Engine) round(t *Transaction) {
	ro := e.rules.rounding
	// Each beneficiary's rewards of the sale in one unit add up to their
	// rounded sum.
	done := make([]bool, len(t.Rewards))
	for i := range t.Rewards {
		if done[i] {
			continue
		}
		places, ok := e.places(&t.Rewards[i])
		if !ok {
			done[i] = true
			roundForStorage(&t.Rewards[i])
			continue
		}
		var group []int
		for j := i; j < len(t.Rewards); j++ {
			rj, ri := &t.Rewards[j], &t.Rewards[i]
			if !done[j] && rj.PartnerID == ri.PartnerID && rj.RewardedCustomerID == ri.RewardedCustomerID && rj.AmountUnits == ri.AmountUnits {
				group, done[j] = append(group, j), true
			}
		}
		exact := make([]decimal.Decimal, len(group))
		for k, j := range group {
			exact[k] = t.Rewards[j].Amount
		}
		for k, amount := range ro.allocate(exact, places) {
			r := &t.Rewards[group[k]]
			r.Amount = amount
			r.Explanation.Rounding, r.Explanation.Exact = ro.label(places), &exact[k]
		}
	}
}

// roundRat rounds a rational amount to places, in mode (HalfUp when
// empty); amounts are never negative, so up and down are away from and
// towards zero.
func roundRat(q *big.Rat, places int32, mode RoundingMode) decimal.Decimal {
	x := new(big.Rat).Mul(q, new(big.Rat).SetInt(pow10(int64(places))))
	return roundQuo(new(big.Int).Set(x.Num()), x.Denom(), places, mode)
}

// mulDivRound is a × b ÷ c rounded to places in mode, as roundRat rounds
// it, in integers (no rational to keep in lowest terms); 0 when c is 0.
// None of a, b, c is negative.
func mulDivRound(a, b, c decimal.Decimal, places int32, mode RoundingMode) decimal.Decimal {
	if c.Sign() == 0 {
		return decimal.Zero
	}
	n := a.Mul(b)
	num, den := n.Coefficient(), c.Coefficient()
	if k := int64(n.Exponent()) - int64(c.Exponent()) + int64(places); k >= 0 {
		num.Mul(num, pow10(k))
	} else {
		den.Mul(den, pow10(-k))
	}
	return roundQuo(num, den, places, mode)
}

// powers10 are 10⁰ to 10⁷⁵, made once: amounts have at most 38 digits
// and 18 places, so every scale a rounding needs is among them.
var powers10 = func() []*big.Int {
	out := make([]*big.Int, 76)
	out[0] = big.NewInt(1)
	for i := 1; i < len(out); i++ {
		out[i] = new(big.Int).Mul(out[i-1], big.NewInt(10))
	}
	return out
}()

// pow10 is 10ᵏ (1 for k < 0, as big.Int.Exp has it), shared: the caller
// must not modify it.
func pow10(k int64) *big.Int {
	if k >= 0 && k < int64(len(powers10)) {
		return powers10[k]
	}
	return new(big.Int).Exp(big.NewInt(10), big.NewInt(k), nil)
}

// roundQuo is num ÷ den rounded to an integer in mode, as a decimal with
// places places; num is overwritten.
func roundQuo(num, den *big.Int, places int32, mode RoundingMode) decimal.Decimal {
	n, rem := num.QuoRem(num, den, new(big.Int)) // n = floor(num/den) for num >= 0
	if rem.Sign() != 0 {
		twice := rem.Lsh(rem, 1)
		half := twice.Cmp(den) // compare the remainder with a half
		switch {
		case mode == Up,
			mode == HalfEven && (half > 0 || half == 0 && n.Bit(0) == 1),
			(mode == HalfUp || mode == "") && half >= 0:
			n.Add(n, powers10[0])
		}
	}
	return decimal.NewFromBigInt(n, -places)
}

// roundingOf reads how a reward was rounded from its explanation's label
// ("half_up:2", StorageRounding): what a share of it is rounded by; with
// no label, to the 18 places of storage, half to even.
func roundingOf(label string) (int32, RoundingMode) {
	mode, places, ok := strings.Cut(label, ":")
	if !ok {
		return maxScale, HalfEven
	}
	n, err := strconv.Atoi(places)
	if err != nil {
		return maxScale, HalfEven
	}
	return int32(n), RoundingMode(mode)
}
