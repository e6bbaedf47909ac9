package commission

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/shopspring/decimal"
)

// RefundInput refunds part or all of a sale: an amount of the whole sale,
// or amounts of some of its product lines. It decodes the request body
// {"key": ..., "amount": ...} or {"key": ..., "products": [...]}.
type RefundInput struct {
	// Key is the refund's own unique key (a payment provider's refund
	// id): the same key and body again return the stored refund.
	Key string `json:"key"`
	// Amount is how much of the sale's amount is refunded; set it or
	// Products, not both.
	Amount *decimal.Decimal `json:"amount,omitempty"`
	// Products refunds product lines of a multi-product sale.
	Products []RefundLine `json:"products,omitempty"`
}

// RefundLine is how much of one product line a refund takes back.
type RefundLine struct {
	// ProductID names the line; it must name exactly one line of the sale.
	ProductID string `json:"product_id"`
	// Amount is how much of the line's price is refunded; nil for all
	// that is left of it.
	Amount *decimal.Decimal `json:"amount,omitempty"`
}

// Refund is a stored refund of part or all of a sale.
type Refund struct {
	Key            string `json:"key"`
	TransactionKey string `json:"transaction"`
	// Amount is how much of the sale's amount this refund took back.
	Amount decimal.Decimal `json:"amount"`
	// Lines are the product lines it refunded, each with the amount it
	// took from the line, when it refunded by line.
	Lines     []RefundLine `json:"products,omitempty"`
	CreatedAt time.Time    `json:"created_at"`
	// Entries are what it took back from each reward of the sale. A store
	// does not keep them on the refund; the engine gathers them.
	Entries []Entry `json:"entries"`
}

// RefundTransaction refunds part or all of a sale, as a payment provider
// reports it: an amount of the sale, or amounts of its product lines.
//
// Every reward of the sale pays, from then on, its share of what is left:
// round(its exact amount × left ÷ sold), by its own rounding and at the
// terms it was computed with, never today's rules, and never more than
// it paid before the refund; a reward of one line
// refunded by line takes the line's share, the other rewards the sale's.
// Each refund stores, for each reward, an Entry of the difference from
// what it paid before, so that a sale refunded in full, in any number of
// parts, pays exactly nothing. The rewards themselves never change. What
// the entries take back leaves the earners' balances (a clawback when the
// reward was in a payout or paid) and the spend limits; the revenue
// metric gives back what was refunded; a sale refunded in full stops
// counting, as a deleted one does. A sale refunded by amount is refunded
// by amount after, one refunded by line by line.
//
// The refund's key makes it idempotent: the same key and body again
// return the stored refund; another body is ErrDuplicateKey. Errors:
// *ValidationError (more than is left, a line that names no single line
// of the sale, ...), ErrNotFound, ErrAlreadyDeleted, ErrAlreadyArchived.
func (e *Engine) RefundTransaction(ctx context.Context, key string, in RefundInput) (_ *Refund, err error) {
	defer e.logOp(ctx, "RefundTransaction", &err, "key", key, "refund", in.Key)
	v := &validator{}
	validateKey(v, "transaction", key, true)
	in.validate(v)
	if err := v.err(); err != nil {
		return nil, err
	}
	now := e.clock()
	return updateValue(ctx, e, func(tx StoreTx) (*Refund, error) {
		t, err := tx.Transaction(ctx, key)
		if err != nil {
			return nil, err
		}
		// A sale never refunded has no refund to answer or to add to
		// (every refund takes more than 0): its refunds are not read.
		var prior []*Refund
		if !t.Refunded.IsZero() {
			if prior, err = tx.Refunds(ctx, key); err != nil {
				return nil, err
			}
		}
		// A retry is answered even after the sale was deleted or archived.
		if i := slices.IndexFunc(prior, func(r *Refund) bool { return r.Key == in.Key }); i >= 0 {
			return replayRefund(ctx, tx, prior[i], key, &in)
		}
		r, err := e.newRefund(ctx, tx, t, prior, &in, now)
		if err != nil {
			return nil, takenElsewhere(ctx, tx, in.Key, err)
		}
		return r, nil
	})
}

// newRefund refunds t, refunded by prior before, as in asks.
func (e *Engine) newRefund(ctx context.Context, tx StoreTx, t *Transaction, prior []*Refund, in *RefundInput, now time.Time) (*Refund, error) {
	if err := refundable(t); err != nil {
		return nil, err
	}
	p, err := planRefund(t, prior, in)
	if err != nil {
		return nil, err
	}
	return e.refund(ctx, tx, t, p, in, now)
}

// takenElsewhere is ErrDuplicateKey when a refund of another sale holds
// key (the refund was refused for that before anything else), else err.
// It reads the key only once a refund failed, so that one that does not
// costs no read more.
func takenElsewhere(ctx context.Context, tx StoreTx, key string, err error) error {
	if !errors.Is(err, ErrDuplicateKey) {
		if _, lookup := tx.Refund(ctx, key); lookup != nil {
			return err
		}
	}
	return fmt.Errorf("%w: refund %q exists with another body", ErrDuplicateKey, brief(key))
}

// validate checks a refund's body.
func (in *RefundInput) validate(v *validator) {
	validateKey(v, "key", in.Key, true)
	switch {
	case in.Amount == nil && len(in.Products) == 0:
		v.add("amount", "amount or products is required")
	case in.Amount != nil && len(in.Products) > 0:
		v.add("products", "cannot be combined with amount")
	case in.Amount != nil:
		validateRefundAmount(v, "amount", *in.Amount)
	}
	if len(in.Products) > maxLines {
		v.addf("products", "has more than %d lines", maxLines)
		return
	}
	for i, l := range in.Products {
		path := "products[" + itoa(i) + "]."
		validateKey(v, path+"product_id", l.ProductID, true)
		if l.Amount != nil {
			validateRefundAmount(v, path+"amount", *l.Amount)
		}
	}
}

func validateRefundAmount(v *validator, path string, d decimal.Decimal) {
	validateAmount(v, path, d)
	if d.Sign() == 0 {
		v.add(path, "must be more than 0")
	}
}

// refundable says why t, read and locked, cannot be refunded, if it
// cannot.
func refundable(t *Transaction) error {
	switch t.State {
	case TransactionDeleted:
		return fmt.Errorf("%w: transaction %q", ErrAlreadyDeleted, brief(t.Key))
	case TransactionArchived:
		return fmt.Errorf("%w: restore %q first", ErrAlreadyArchived, brief(t.Key))
	}
	return nil
}

// replayRefund answers a refund whose key is stored: the stored refund,
// with its entries, when in asks for the same; else ErrDuplicateKey.
func replayRefund(ctx context.Context, tx StoreTx, r *Refund, key string, in *RefundInput) (*Refund, error) {
	if !r.sameAs(key, in) {
		return nil, fmt.Errorf("%w: refund %q exists with another body", ErrDuplicateKey, brief(in.Key))
	}
	entries, err := tx.Entries(ctx, key)
	if err != nil {
		return nil, err
	}
	for _, en := range entries {
		if en.RefundKey == r.Key {
			r.Entries = append(r.Entries, en)
		}
	}
	return r, nil
}

// sameAs reports whether in, for the sale with key, asks for what r did:
// the same amount, or the same lines with the same amounts (a line
// without one asked for what was left of it).
func (r *Refund) sameAs(key string, in *RefundInput) bool {
	if r.TransactionKey != key || (in.Amount != nil) != (len(r.Lines) == 0) || len(in.Products) != len(r.Lines) {
		return false
	}
	if in.Amount != nil {
		return in.Amount.Equal(r.Amount)
	}
	for i, l := range in.Products {
		if l.ProductID != r.Lines[i].ProductID || (l.Amount != nil && !l.Amount.Equal(*r.Lines[i].Amount)) {
			return false
		}
	}
	return true
}
