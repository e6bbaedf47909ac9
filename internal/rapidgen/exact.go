package rapidgen

import (
	"math/big"

	"github.com/commissionkit/commission"
)

var (
	hundred      = big.NewRat(100, 1)
	storageScale = new(big.Int).Exp(ten, big.NewInt(18), nil)
)

// Pays is what c pays on base, exactly: its flat value, or base × its
// percent / 100, computed with big.Rat so that it does not share the
// engine's decimal arithmetic.
func Pays(c commission.Commission, base *big.Rat) *big.Rat {
	if c.Type == commission.FlatCommission {
		return c.Value.Rat()
	}
	r := new(big.Rat).Mul(base, c.Value.Rat())
	return r.Quo(r, hundred)
}

// Stored is r as storage keeps it (NUMERIC(38,18)): r itself when it has
// at most 18 places after the point, else r rounded half-even to 18.
func Stored(r *big.Rat) *big.Rat {
	scaled := new(big.Rat).Mul(r, new(big.Rat).SetInt(storageScale))
	if scaled.IsInt() {
		return r
	}
	q, m := new(big.Int).QuoRem(scaled.Num(), scaled.Denom(), new(big.Int))
	switch c := new(big.Int).Mul(m, big.NewInt(2)).CmpAbs(scaled.Denom()); {
	case c > 0, c == 0 && q.Bit(0) == 1:
		q.Add(q, big.NewInt(int64(m.Sign())))
	}
	return new(big.Rat).SetFrac(q, storageScale)
}
