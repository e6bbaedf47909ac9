package rapidgen

import (
	"math/big"

	"github.com/shopspring/decimal"
	"pgregory.net/rapid"
)

var ten = big.NewInt(10)

// Decimal draws a non-negative decimal with at most intDigits digits
// before the point and at most maxScale after it. It is built from an
// integer coefficient and an exponent, so it is exact and within those
// bounds whatever rapid draws; now and then it is an edge instead: zero,
// the smallest step (1e-maxScale), the largest value, and 99.99 when it
// fits.
func Decimal(intDigits, maxScale int) *rapid.Generator[decimal.Decimal] {
	digits := rapid.Custom(func(t *rapid.T) decimal.Decimal {
		scale := rapid.IntRange(0, maxScale).Draw(t, "scale")
		n := rapid.IntRange(0, intDigits+scale).Draw(t, "ndigits")
		coef := new(big.Int)
		if n > 0 {
			for _, d := range rapid.SliceOfN(rapid.IntRange(0, 9), n, n).Draw(t, "coefficient") {
				coef.Mul(coef, ten)
				coef.Add(coef, big.NewInt(int64(d)))
			}
		}
		return decimal.NewFromBigInt(coef, int32(-scale))
	})
	largest := decimal.NewFromBigInt(new(big.Int).Sub(new(big.Int).Exp(ten, big.NewInt(int64(intDigits+maxScale)), nil), big.NewInt(1)), int32(-maxScale))
	edges := []decimal.Decimal{decimal.Zero, decimal.New(1, int32(-maxScale)), largest}
	if intDigits >= 2 && maxScale >= 2 {
		edges = append(edges, decimal.New(9999, -2))
	}
	return rapid.OneOf(digits, digits, digits, rapid.SampledFrom(edges))
}

// Amount draws any valid amount: up to 20 digits before the point and 18
// after, from 0.000000000000000001 to the largest NUMERIC(38,18) holds.
func Amount() *rapid.Generator[decimal.Decimal] { return Decimal(20, 18) }

// Rate draws a percent rate from 0 to 100 with up to 4 places.
func Rate() *rapid.Generator[decimal.Decimal] {
	return rapid.Custom(func(t *rapid.T) decimal.Decimal {
		places := rapid.IntRange(0, 4).Draw(t, "places")
		limit := int64(100)
		for range places {
			limit *= 10
		}
		return decimal.New(rapid.Int64Range(0, limit).Draw(t, "units"), int32(-places))
	})
}

// Cents draws money from lo to hi cents, with two places.
func Cents(lo, hi int64) *rapid.Generator[decimal.Decimal] {
	return rapid.Custom(func(t *rapid.T) decimal.Decimal {
		return decimal.New(rapid.Int64Range(lo, hi).Draw(t, "cents"), -2)
	})
}

// OneIn is true about once in n draws, and false when shrunk.
func OneIn(t *rapid.T, label string, n int) bool { return rapid.IntRange(1, n).Draw(t, label) == n }
