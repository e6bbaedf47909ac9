package commission

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/shopspring/decimal"
)

// A pending payout is settled once: paid, with the external reference of
// the transfer that paid it, or canceled, releasing what it gathered.

// maxReferenceLen bounds a payout's external reference.
const maxReferenceLen = 255

// MarkPayoutPaid records that a pending payout was paid, by the transfer
// reference names (required): its money moves from in_payout to paid and
// its rewards' status becomes paid. What was reversed of its rewards
// while it was pending becomes a clawback (or a credit) the next payout
// nets. Marking it paid again with the same reference returns it
// unchanged; ErrPayoutSettled if it was canceled or paid with another
// reference. ErrNotFound if there is no such payout.
func (e *Engine) MarkPayoutPaid(ctx context.Context, id, reference string) (_ *Payout, err error) {
	defer e.logOp(ctx, "MarkPayoutPaid", &err, "payout", id, "reference", reference)
	v := &validator{}
	validateKey(v, "id", id, true)
	validateText(v, "reference", reference, maxReferenceLen)
	if reference == "" {
		v.add("reference", "is required")
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	now := e.clock()
	return e.settlePayout(ctx, id, func(tx StoreTx, po *Payout, open []Entry) error {
		switch {
		case po.State == PayoutPaid && po.Reference == reference:
			return nil
		case po.State != PayoutPending:
			return fmt.Errorf("%w: payout %q is %s", ErrPayoutSettled, id, settledAs(po))
		}
		po.State, po.PaidAt, po.Reference = PayoutPaid, &now, reference
		record(tx, EventPayoutPaid, po)
		if err := tx.AddCounters(ctx, paidDeltas(po, open)); err != nil {
			return err
		}
		return tx.UpdatePayout(ctx, po)
	})
}

// CancelPayout cancels a pending payout: its rewards are free for another
// payout, with what was reversed of them while it was pending netted in
// place, and the clawbacks and credits it netted are open again.
// Canceling it again returns it unchanged; ErrPayoutSettled if it was
// paid. ErrNotFound if there is no such payout.
func (e *Engine) CancelPayout(ctx context.Context, id string) (_ *Payout, err error) {
	defer e.logOp(ctx, "CancelPayout", &err, "payout", id)
	if err := checkKey("id", id); err != nil {
		return nil, err
	}
	now := e.clock()
	return e.settlePayout(ctx, id, func(tx StoreTx, po *Payout, open []Entry) error {
		switch po.State {
		case PayoutCanceled:
			return nil
		case PayoutPaid:
			return fmt.Errorf("%w: payout %q is %s", ErrPayoutSettled, id, settledAs(po))
		}
		po.State, po.CanceledAt = PayoutCanceled, &now
		record(tx, EventPayoutCanceled, po)
		return cancel(ctx, tx, po, open)
	})
}

func settledAs(po *Payout) string {
	if po.State == PayoutPaid {
		return "paid, with reference " + po.Reference
	}
	return string(po.State)
}

// settlePayout runs settle on the payout with id, read again once its
// earner's balance is locked (as every change of a payout's rewards
// locks it), with the open adjustments of its rewards: what was reversed
// of them while it was pending. settle stores what it changes.
func (e *Engine) settlePayout(ctx context.Context, id string, settle func(StoreTx, *Payout, []Entry) error) (*Payout, error) {
	return updateValue(ctx, e, func(tx StoreTx) (*Payout, error) {
		po, err := tx.Payout(ctx, id)
		if err != nil {
			return nil, payoutNotFound(err, id)
		}
		if err := lockCounters(ctx, tx, balanceKeys(po.Earner, po.Units)); err != nil {
			return nil, err
		}
		if po, err = tx.Payout(ctx, id); err != nil {
			return nil, err
		}
		po = po.Clone()
		open, err := reversedWhilePending(ctx, tx, po)
		if err != nil {
			return nil, err
		}
		return po, settle(tx, po, open)
	})
}

// reversedWhilePending are the open adjustments of po's rewards: while po
// is pending, what was reversed of them since po gathered them.
func reversedWhilePending(ctx context.Context, tx StoreTx, po *Payout) ([]Entry, error) {
	if po.State != PayoutPending {
		return nil, nil
	}
	open, err := tx.OpenAdjustments(ctx, po.Earner, po.Units)
	if err != nil {
		return nil, err
	}
	if len(open) == 0 {
		return nil, nil
	}
	in := make(map[string]bool, len(po.RewardIDs))
	for _, id := range po.RewardIDs {
		in[id] = true
	}
	return slices.DeleteFunc(open, func(en Entry) bool { return !in[en.RewardID] }), nil
}

// paidDeltas move po's money from in_payout to paid, and what was
// reversed of its rewards while it was pending (open, counted in
// in_payout) to clawback (taking back) or unpaid (giving back).
func paidDeltas(po *Payout, open []Entry) []CounterDelta {
	out := po.Amount
	deltas := make([]CounterDelta, 0, 4)
	for _, en := range open {
		out = out.Add(en.Amount)
		place := placeUnpaid
		if en.Amount.Sign() < 0 {
			place = placeClawback
		}
		deltas = append(deltas, placeDelta(place, po.Earner, po.Units, en.Amount))
	}
	return append(deltas,
		placeDelta(placeInPayout, po.Earner, po.Units, out.Neg()),
		placeDelta(placePaid, po.Earner, po.Units, po.Amount))
}

// cancel stores po canceled and releases what it gathered: its rewards
// come back to unpaid at what they pay now (what was reversed of them
// while po was pending, open, is netted in place and no longer an
// adjustment), and the adjustments po netted are open again: clawbacks
// back in clawback, credits in unpaid.
func cancel(ctx context.Context, tx StoreTx, po *Payout, open []Entry) error {
	gathered := po.Amount // in in_payout: what po pays, and what was reversed since
	ids := make([]string, len(open))
	for i, en := range open {
		ids[i] = en.ID
		gathered = gathered.Add(en.Amount)
	}
	if len(ids) > 0 {
		if err := tx.SetEntriesAdjustment(ctx, ids, false); err != nil {
			return err
		}
	}
	if err := tx.UpdatePayout(ctx, po); err != nil {
		return err
	}
	clawback, err := reopened(ctx, tx, po)
	if err != nil {
		return err
	}
	// gathered is the rewards' nets now, the credits and the clawbacks
	// (negative): the clawbacks go back to clawback, the rest to unpaid.
	return tx.AddCounters(ctx, []CounterDelta{
		placeDelta(placeClawback, po.Earner, po.Units, clawback),
		placeDelta(placeInPayout, po.Earner, po.Units, gathered.Neg()),
		placeDelta(placeUnpaid, po.Earner, po.Units, gathered.Sub(clawback)),
	})
}

// reopened sums the clawbacks (negative) a canceled po had netted, which
// the cancellation opened again.
func reopened(ctx context.Context, tx StoreTx, po *Payout) (decimal.Decimal, error) {
	var sum decimal.Decimal
	if len(po.EntryIDs) == 0 {
		return sum, nil
	}
	open, err := tx.OpenAdjustments(ctx, po.Earner, po.Units)
	if err != nil {
		return sum, err
	}
	netted := make(map[string]bool, len(po.EntryIDs))
	for _, id := range po.EntryIDs {
		netted[id] = true
	}
	for _, en := range open {
		if en.Amount.Sign() < 0 && netted[en.ID] {
			sum = sum.Add(en.Amount)
		}
	}
	return sum, nil
}

// payoutNotFound words a payout a caller names and the store does not
// have.
func payoutNotFound(err error, id string) error {
	if errors.Is(err, ErrNotFound) {
		return fmt.Errorf("%w: payout %q", ErrNotFound, brief(id))
	}
	return err
}
