package commission

import (
	"context"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Balances: what the program owes an earner in one unit, and where it
// sits on its way from earned to paid.

// Beneficiary names whom a balance, a payout or a listing of money is
// of, by id, key or email: a partner in an affiliate program, a customer
// (a referrer or a referred friend) in a refer-a-friend program.
type Beneficiary struct {
	ID    string `json:"id,omitempty"`
	Key   string `json:"key,omitempty"`
	Email string `json:"email,omitempty"`
}

// validate checks the fields of b, under prefix.
func (b Beneficiary) validate(v *validator, prefix string) {
	validateRef(v, prefix, b.ID, b.Key, b.Email)
	if b.ID == "" && b.Key == "" && b.Email == "" {
		v.add(prefix+"id", "id, key or email is required")
	}
}

// payee is a beneficiary as the store knows it: whom a reward pays, with
// its key, and, for a partner, its own payout minimum.
type payee struct {
	earner  Earner
	key     string
	minimum *decimal.Decimal
}

// payee resolves b to the partner or customer it names, in the
// program's kind. ErrNotFound if there is none.
func (e *Engine) payee(ctx context.Context, tx StoreTx, b Beneficiary) (*payee, error) {
	if e.prog.Kind == ReferAFriend {
		ref := CustomerRef(b).folded()
		c, err := tx.Customer(ctx, ref)
		if err != nil {
			return nil, customerNotFound(err, ref)
		}
		return &payee{earner: Earner{EarnerCustomer, c.ID}, key: c.Key}, nil
	}
	ref := PartnerRef(b).folded()
	p, err := tx.Partner(ctx, ref)
	if err != nil {
		return nil, partnerNotFound(err, ref)
	}
	return &payee{earner: Earner{EarnerPartner, p.ID}, key: p.Key, minimum: copyDecimal(p.PayoutMinimum)}, nil
}

// units is the unit a caller asks about: the program currency when
// empty, else one of the program's custom units or a currency (in upper
// case, as sales store it: "usd" is USD).
func (e *Engine) units(v *validator, path, units string) string {
	if units == "" {
		return e.prog.Currency
	}
	if code := strings.ToUpper(units); !e.prog.customUnit(units) && isCurrency(code) {
		return code
	}
	if !e.prog.validUnits(units) {
		v.add(path, "is neither an ISO 4217 currency nor one of the program's custom units")
	}
	return units
}

// Balance is what the program owes one earner in one unit, as of AsOf,
// by where the money sits. Pending, NotPaid, InPayout and Paid never
// overlap; Clawback is what reversals took back of rewards that were
// already in a payout or paid, which the next payout recovers.
//
//	Pending + NotPaid + InPayout + Paid - Clawback
//
// is, always, what the earner's rewards in the unit earned less all that
// was reversed of them.
type Balance struct {
	Earner    Earner    `json:"earner"`
	EarnerKey string    `json:"earner_key"`
	Units     string    `json:"amount_units"`
	AsOf      time.Time `json:"as_of"`
	// Pending is held in review periods that have not ended.
	Pending decimal.Decimal `json:"pending"`
	// NotPaid is earned and in no payout, net of what was reversed, with
	// the adjustments that gave money back.
	NotPaid decimal.Decimal `json:"not_paid"`
	// InPayout is what pending payouts pay; Paid what paid payouts paid.
	InPayout decimal.Decimal `json:"in_payout"`
	Paid     decimal.Decimal `json:"paid"`
	// Clawback is what reversals of rewards in a payout or paid took
	// back and no payout has recovered yet, as a positive amount.
	Clawback decimal.Decimal `json:"clawback"`
	// Payable is NotPaid less Clawback: what a payout would pay now. It
	// is negative while clawbacks exceed the earnings that cover them.
	Payable decimal.Decimal `json:"payable"`
}

// Balance returns what the program owes the beneficiary in units (the
// program currency when empty), as of the engine's clock. It reads
// counters kept with every change, and the rewards still in review, so
// its cost does not grow with the beneficiary's history. ErrNotFound if
// there is no such beneficiary.
func (e *Engine) Balance(ctx context.Context, who Beneficiary, units string) (*Balance, error) {
	v := &validator{}
	who.validate(v, "beneficiary.")
	units = e.units(v, "amount_units", units)
	if err := v.err(); err != nil {
		return nil, err
	}
	now := e.clock()
	return viewValue(ctx, e, func(tx StoreTx) (*Balance, error) {
		p, err := e.payee(ctx, tx, who)
		if err != nil {
			return nil, err
		}
		return readBalance(ctx, tx, p, units, now)
	})
}

// readBalance reads p's balance in units as of now.
func readBalance(ctx context.Context, tx StoreTx, p *payee, units string, now time.Time) (*Balance, error) {
	keys := balanceKeys(p.earner, units)
	vals, err := tx.Counters(ctx, keys)
	if err != nil {
		return nil, err
	}
	pending, err := tx.PendingSum(ctx, p.earner, units, now)
	if err != nil {
		return nil, err
	}
	b := &Balance{Earner: p.earner, EarnerKey: p.key, Units: units, AsOf: now, Pending: pending}
	b.Clawback, b.InPayout, b.Paid = vals[0], vals[1], vals[2]
	b.NotPaid = vals[3].Sub(pending)
	b.Payable = b.NotPaid.Sub(b.Clawback)
	return b, nil
}

// balanceKeys are who's four balance counters in units, in the order
// counters are locked: clawback, in_payout, paid, unpaid.
func balanceKeys(who Earner, units string) []CounterKey {
	keys := make([]CounterKey, len(lockPlaces))
	for i, place := range lockPlaces {
		keys[i] = balanceKey(place, who, units)
	}
	return keys
}

// lockPlaces are the places of a balance in the order their counters are
// locked.
var lockPlaces = [...]string{placeClawback, placeInPayout, placePaid, placeUnpaid}
