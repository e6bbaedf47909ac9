package commission

import (
	"math/big"
	"testing"

	"github.com/shopspring/decimal"
	"pgregory.net/rapid"
)

// mulDivRound, in integers, rounds a × b ÷ c exactly as roundRat rounds
// the rational, in every mode, at any scale.
func TestMulDivRoundIsRoundRat(t *testing.T) {
	amount := rapid.Custom(func(t *rapid.T) decimal.Decimal {
		return decimal.New(rapid.Int64Range(0, 1e15).Draw(t, "coefficient"), int32(rapid.IntRange(-18, 4).Draw(t, "exponent")))
	})
	modes := []RoundingMode{HalfUp, HalfEven, Up, Down, ""}
	rapid.Check(t, func(t *rapid.T) {
		a, b, c := amount.Draw(t, "a"), amount.Draw(t, "b"), amount.Draw(t, "c")
		places := int32(rapid.IntRange(0, 18).Draw(t, "places"))
		mode := rapid.SampledFrom(modes).Draw(t, "mode")
		got := mulDivRound(a, b, c, places, mode)
		want := decimal.Zero
		if c.Sign() != 0 {
			want = roundRat(new(big.Rat).Quo(new(big.Rat).Mul(a.Rat(), b.Rat()), c.Rat()), places, mode)
		}
		if !got.Equal(want) {
			t.Fatalf("%s × %s ÷ %s to %d places %q: got %s, want %s", a, b, c, places, mode, got, want)
		}
	})
}
