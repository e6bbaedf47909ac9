package commission

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/shopspring/decimal"
)

// RateSource gives exchange rates, for programs that convert sales in
// other currencies into their own. The application provides
// it: the engine calls no network service.
type RateSource interface {
	// Rate is what one unit of from is worth in to at the given time.
	Rate(ctx context.Context, from, to string, at time.Time) (decimal.Decimal, error)
}

// WithRates turns currency conversion on: a sale in another currency than
// the program's is converted at the sale's created_at, its rewards are in
// the program currency, and the transaction (Transaction.Rate) and each
// reward's explanation record the rate, kept to 18 decimal places (a
// finer rate is rounded half to even). Without it, a sale in a currency
// other than the program's is refused: a *ValidationError names its
// amount_units, and nothing is stored.
func WithRates(src RateSource) Option { return func(e *Engine) { e.rates = src } }

// ErrNoRate reports a sale in a currency the rate source has no rate for.
// Nothing is stored: a sale is never passed through unconverted.
var ErrNoRate = errors.New("commission: no exchange rate")

// checkConvertible refuses a sale in a currency other than the program's
// when the engine converts none: its rewards would be in a currency the
// program's rules and caps were not written for (a hosted service would
// pay 100,000 "USD" for 100,000 JPY).
func (e *Engine) checkConvertible(v *validator, in *TransactionInput) {
	u := in.AmountUnits
	if e.rates == nil && u != e.prog.Currency && isCurrency(u) {
		v.addf("amount_units", "is %s, not the program currency %s, and the engine converts no currency (it has no rate source: WithRates)", u, e.prog.Currency)
	}
}

// convert looks up the rate of a sale in another currency, before the
// unit of work starts (a rate source may be slow).
func (e *Engine) convert(ctx context.Context, in *TransactionInput, now time.Time) error {
	if e.rates == nil || in.AmountUnits == e.prog.Currency || e.prog.customUnit(in.AmountUnits) {
		return nil
	}
	at := now
	if in.CreatedAt != nil {
		at = *in.CreatedAt
	}
	rate, err := e.rates.Rate(ctx, in.AmountUnits, e.prog.Currency, at)
	switch {
	case err != nil:
		return fmt.Errorf("%w: %s to %s at %s: %v", ErrNoRate, in.AmountUnits, e.prog.Currency, at.Format(TimeFormat), err)
	case rate.Sign() <= 0, rate.NumDigits()+int(rate.Exponent()) > maxIntegerDigits:
		return fmt.Errorf("%w: %s to %s at %s: the rate source gave %s", ErrNoRate, in.AmountUnits, e.prog.Currency, at.Format(TimeFormat), rate)
	}
	// Rates are kept, like amounts, to 18 decimal places: a finer one is
	// rounded (half to even) before it is used, so that the stored rate
	// is the one the rewards were computed at.
	if rate.Exponent() < -maxScale {
		rate = rate.RoundBank(maxScale)
		if rate.Sign() <= 0 {
			return fmt.Errorf("%w: %s to %s at %s: the rate source gave a rate below 1e-18", ErrNoRate, in.AmountUnits, e.prog.Currency, at.Format(TimeFormat))
		}
	}
	in.rate = &rate
	return in.convertible()
}

// convertible checks that the sale's amounts, converted at its rate, are
// amounts storage holds.
func (in *TransactionInput) convertible() error {
	v := &validator{}
	for _, a := range []struct {
		path string
		d    *decimal.Decimal
	}{{"amount", in.Amount}, {"reward", in.Reward}} {
		if a.d != nil && tooLarge(a.d.Mul(*in.rate)) {
			v.addf(a.path, "converted at %s, has more than %d digits before the decimal point", brief(formatDecimal(*in.rate)), maxIntegerDigits)
		}
	}
	return v.err()
}
