package rapidgen_test

import (
	"math/big"
	"slices"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/internal/rapidgen"
	"github.com/commissionkit/commission/memstore"
)

func TestDecimalStaysWithinItsBounds(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		intDigits, maxScale := rapid.IntRange(1, 20).Draw(t, "int_digits"), rapid.IntRange(0, 20).Draw(t, "max_scale")
		d := rapidgen.Decimal(intDigits, maxScale).Draw(t, "d")
		require.False(t, d.IsNegative(), "%s", d)
		require.GreaterOrEqual(t, d.Exponent(), int32(-maxScale), "%s has more than %d places", d, maxScale)
		require.LessOrEqual(t, d.NumDigits()+int(d.Exponent()), intDigits, "%s has more than %d digits before the point", d, intDigits)
	})
}

func TestRateIsAPercent(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		r := rapidgen.Rate().Draw(t, "rate")
		require.True(t, r.Sign() >= 0 && r.Cmp(decimal.NewFromInt(100)) <= 0, "%s", r)
		require.GreaterOrEqual(t, r.Exponent(), int32(-4), "%s", r)
	})
}

func TestStoredRoundsHalfEvenTo18Places(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"0.1", "0.1"},
		{"0.0000000000000000001", "0"},
		{"0.0000000000000000005", "0"},
		{"0.0000000000000000015", "0.000000000000000002"},
		{"0.0000000000000000025", "0.000000000000000002"},
		{"0.0000000000000000025000001", "0.000000000000000003"},
		{"-0.0000000000000000015", "-0.000000000000000002"},
		{"99999999999999999999.9999999999999999994", "99999999999999999999.999999999999999999"},
	} {
		in, _ := new(big.Rat).SetString(c.in)
		want, _ := new(big.Rat).SetString(c.want)
		got := rapidgen.Stored(in)
		require.Zero(t, got.Cmp(want), "%s: want %s, got %s", c.in, c.want, got.FloatString(20))
	}
	third := rapidgen.Stored(big.NewRat(2, 3))
	require.Equal(t, "0.666666666666666667", third.FloatString(18))
}

func TestPays(t *testing.T) {
	base := big.NewRat(1999, 100)
	require.Zero(t, rapidgen.Pays(commission.Percent(decimal.RequireFromString("30")), base).Cmp(big.NewRat(5997, 1000)))
	require.Zero(t, rapidgen.Pays(commission.Flat(decimal.RequireFromString("2.5")), base).Cmp(big.NewRat(5, 2)))
}

func TestTagsAreDistinctAndFromThePool(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		tags := rapidgen.Tags(rapidgen.PartnerTags).Draw(t, "tags")
		require.NotEmpty(t, tags)
		for i, tag := range tags {
			require.Contains(t, rapidgen.PartnerTags, tag)
			require.False(t, slices.Contains(tags[:i], tag), "%v repeats %s", tags, tag)
		}
	})
}

// Every program drawn is one New accepts, so that a test never spends a
// check on an invalid one.
func TestProgramIsValid(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := rapidgen.Program().Draw(t, "program")
		p.ID = "prog"
		_, err := commission.New(memstore.New(), p)
		require.NoError(t, err, "%+v", p)
	})
}

func TestChainHandsOverInOrder(t *testing.T) {
	a := commission.Percent(decimal.NewFromInt(40)).For(commission.Months(3))
	b := commission.Percent(decimal.NewFromInt(20)).For(commission.Days(10))
	c := commission.Flat(decimal.NewFromInt(1))
	got := rapidgen.Chain(a, b, c)
	require.Equal(t, a.Then(b.Then(c)), got)
	require.Equal(t, c, rapidgen.Chain(c))
}

// Every schedule drawn is one New accepts as a default.
func TestScheduleIsValid(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := rapidgen.Schedule(rapidgen.Commission(rapidgen.Rate(), rapidgen.Cents(0, 100))).Draw(t, "schedule")
		p := commission.Program{ID: "prog", Kind: commission.Affiliate, Currency: "USD", Rules: commission.RuleSet{Default: c}}
		_, err := commission.New(memstore.New(), p)
		require.NoError(t, err, "%+v", c)
	})
}
