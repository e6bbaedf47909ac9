package commission

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/shopspring/decimal"
)

// A sale's life after it is recorded: made rewardable after the fraud
// protection (or the caller) held it back; deleted, archived and restored;
// its rewards approved or rejected while in review.

// ErrRewarded reports making rewardable a sale that has rewards that
// count, or that was rewarded elsewhere.
var ErrRewarded = errors.New("commission: transaction already rewarded")

// MakeRewardable creates the rewards of a sale that earned none: one
// recorded with rewardable false, or whose rewards the fraud protection
// rejected (those stay, for audit). The rewards are computed now by the
// current rules, as of the sale's created_at, with no fraud check: this
// is the decision that overrides it. When the rules give the sale
// nothing, nothing changes. ErrRewarded if the sale earned rewards, even
// ones since rejected by RejectReward: that rejection is a decision on the
// reward, which this does not override.
func (e *Engine) MakeRewardable(ctx context.Context, key string) (_ *Transaction, err error) {
	defer e.logOp(ctx, "MakeRewardable", &err, "key", key)
	if err := checkKey("key", key); err != nil {
		return nil, err
	}
	now := e.clock()
	rate, err := e.storedRate(ctx, key, now)
	if err != nil {
		return nil, err
	}
	var out *Transaction
	err = e.update(ctx, func(tx StoreTx) error {
		w := &work{tx: tx, now: now}
		t, err := w.tx.Transaction(ctx, key)
		if err != nil {
			return err
		}
		if err := canMakeRewardable(t); err != nil {
			return err
		}
		b, err := w.tx.Buyer(ctx, CustomerRef{ID: t.CustomerID}, nil)
		if err != nil {
			return err
		}
		nt := t.Clone()
		nt.Rewards, nt.Rewardable = nil, true
		if err := e.earn(ctx, w, &earning{t: nt, b: b, stored: true, rate: rate}); err != nil {
			return err
		}
		out = t.Clone()
		if len(nt.Rewards) == 0 && !nt.Qualified {
			return nil // the rules give it nothing: nothing changes
		}
		out.Rewards = append(out.Rewards, nt.Rewards...)
		out.Rewardable, out.Qualified = nt.Rewardable, nt.Qualified
		record(w.tx, EventTransactionUpdated, out)
		recordAll(w.tx, EventRewardCreated, out.Rewards[len(t.Rewards):])
		return w.tx.AddRewards(ctx, out, len(t.Rewards))
	})
	if err != nil {
		return nil, err
	}
	return e.present(out, now), nil
}

// storedRate is the rate a stored sale is rewarded at when it is made
// rewardable, with conversion on: the rate it was stored with, else (a
// sale stored before sales kept their rate) the rate source's, looked up
// before the unit of work.
func (e *Engine) storedRate(ctx context.Context, key string, now time.Time) (*decimal.Decimal, error) {
	if e.rates == nil {
		return nil, nil
	}
	t, err := e.Transaction(ctx, key)
	if err != nil {
		return nil, err
	}
	if t.Rate != nil {
		return t.Rate, nil
	}
	in := TransactionInput{AmountUnits: t.AmountUnits, CreatedAt: &t.CreatedAt}
	if err := e.convert(ctx, &in, now); err != nil {
		return nil, err
	}
	return in.rate, nil
}

// canMakeRewardable says why t cannot be made rewardable, if it cannot.
func canMakeRewardable(t *Transaction) error {
	key := t.Key
	switch {
	case t.State == TransactionDeleted:
		return fmt.Errorf("%w: transaction %q", ErrAlreadyDeleted, key)
	case t.State == TransactionArchived:
		return fmt.Errorf("%w: restore %q first", ErrAlreadyArchived, key)
	case t.Rewarded:
		return fmt.Errorf("%w: %q was rewarded elsewhere", ErrRewarded, key)
	case t.Refunded.Sign() > 0:
		return fmt.Errorf("%w: %q", ErrRefunded, key)
	case t.Qualified:
		// It earned its rewards and counts towards periods, tiers and
		// goals; a reward rejected since was rejected by decision.
		return fmt.Errorf("%w: %q earned its rewards; those rejected were rejected by RejectReward", ErrRewarded, key)
	}
	for _, r := range t.Rewards {
		if r.Status != RewardRejected {
			return fmt.Errorf("%w: %q has reward %q", ErrRewarded, key, r.ID)
		}
	}
	return nil
}

// DeleteTransaction reverses a transaction (a refund or chargeback): it and
// its rewards get deleted_at and stop counting. It stays readable, for
// audit, and listed only when asked for (ListOptions.States). Its key
// stays reserved, so a retried create can never pay twice.
// ErrAlreadyDeleted if it is deleted already (a retry whose first
// attempt committed), ErrNotFound if the key was never used.
func (e *Engine) DeleteTransaction(ctx context.Context, key string) (err error) {
	defer e.logOp(ctx, "DeleteTransaction", &err, "key", key)
	return e.changeState(ctx, key, func(t *Transaction, now time.Time) (TransactionState, *time.Time, error) {
		return TransactionDeleted, &now, nil
	})
}

// ArchiveTransaction soft-deletes a transaction: its rewards are reversed
// until it is restored. ErrAlreadyArchived if it is archived.
func (e *Engine) ArchiveTransaction(ctx context.Context, key string) (err error) {
	defer e.logOp(ctx, "ArchiveTransaction", &err, "key", key)
	return e.changeState(ctx, key, func(t *Transaction, now time.Time) (TransactionState, *time.Time, error) {
		if t.State == TransactionArchived {
			return "", nil, fmt.Errorf("%w: %q", ErrAlreadyArchived, key)
		}
		return TransactionArchived, &now, nil
	})
}

// RestoreTransaction returns an archived transaction and its rewards to
// their former state. ErrNotArchived if it is not archived.
func (e *Engine) RestoreTransaction(ctx context.Context, key string) (err error) {
	defer e.logOp(ctx, "RestoreTransaction", &err, "key", key)
	return e.changeState(ctx, key, func(t *Transaction, now time.Time) (TransactionState, *time.Time, error) {
		if t.State != TransactionArchived {
			return "", nil, fmt.Errorf("%w: %q", ErrNotArchived, key)
		}
		return TransactionActive, nil, nil
	})
}

// changeState moves a transaction to the state next gives, and its
// rewards in or out of what counts.
func (e *Engine) changeState(ctx context.Context, key string, next func(*Transaction, time.Time) (TransactionState, *time.Time, error)) error {
	if err := checkKey("key", key); err != nil {
		return err
	}
	now := e.clock()
	return e.update(ctx, func(tx StoreTx) error {
		t, err := tx.Transaction(ctx, key)
		if err != nil {
			return err
		}
		if t.State == TransactionDeleted {
			return fmt.Errorf("%w: transaction %q", ErrAlreadyDeleted, key)
		}
		state, at, err := next(t, now)
		if err != nil {
			return err
		}
		if err := e.lockForState(ctx, tx, t); err != nil {
			return err
		}
		if err := tx.SetTransactionState(ctx, key, state, at); err != nil {
			return err
		}
		recordState(tx, t, state, at)
		// The metrics after the state is stored, so that the customer's
		// history they may read no longer holds (or holds again) t. Then
		// the entries that take its rewards' money back (leaving the
		// active state) or give it again (returning), with the spend
		// limits and balances they move. Counters are locked in the
		// order a sale locks them: the customer's and metrics first.
		var sign int64
		switch {
		case t.State == TransactionActive && state != TransactionActive:
			sign = -1
		case t.State != TransactionActive && state == TransactionActive:
			sign = 1
		default:
			return nil
		}
		if err := e.recount(ctx, tx, t, sign); err != nil {
			return err
		}
		entries, err := e.stateEntries(ctx, tx, t, state, now)
		if err != nil {
			return err
		}
		return post(ctx, tx, t, entries, nil)
	})
}

// lockForState locks, before t's state (and its rewards' rows) change,
// the counters the change moves, in the order every unit of work locks
// counters: the customer's, then in one call the beneficiary's metrics,
// the spend limits and the earners' balances. A payout locks balances
// before the rewards' rows; so, now, does a deletion, an archive or a
// restore. (A deletion that moves its customer to an earlier month of
// counting locks that month's count later, when it knows it.)
func (e *Engine) lockForState(ctx context.Context, tx StoreTx, t *Transaction) error {
	var keys []CounterKey
	if who := e.beneficiaryOf(t); t.Qualified && who != "" && !t.signup() {
		vals, err := tx.Counters(ctx, customerKeys(t.CustomerID))
		if err != nil {
			return err
		}
		month := monthBucket(t.CreatedAt)
		keys = append(keys, CounterKey{Name: revenueCounter, Subject: who}, CounterKey{Name: revenueCounter, Subject: who, Bucket: month},
			CounterKey{Name: customersCounter, Subject: who}, CounterKey{Name: customersCounter, Subject: who, Bucket: month})
		if !vals[1].IsZero() {
			keys = append(keys, CounterKey{Name: customersCounter, Subject: who, Bucket: numberMonth(vals[1])})
		}
	}
	for i := range t.Rewards {
		r := &t.Rewards[i]
		for _, d := range spendDeltas(nil, r, decimal.Zero) {
			keys = append(keys, d.Key)
		}
		keys = append(keys, balanceKeys(earnerOf(r), r.AmountUnits)...)
	}
	return lockCounters(ctx, tx, keys)
}

// stateEntries are the entries of t's rewards as t moves to state: out
// of the active state, each reward's net is taken back; back into it
// (a restore), what the archive took is given again. A rejected reward
// counts nowhere and gets none.
func (e *Engine) stateEntries(ctx context.Context, tx StoreTx, t *Transaction, state TransactionState, now time.Time) ([]Entry, error) {
	var entries []Entry
	if state != TransactionActive {
		reason := EntryDeleted
		if state == TransactionArchived {
			reason = EntryArchived
		}
		for i := range t.Rewards {
			if r := &t.Rewards[i]; r.Status != RewardRejected && r.net().Sign() > 0 {
				entries = append(entries, e.entry(r, r.net().Neg(), reason, now))
			}
		}
		return entries, nil
	}
	stored, err := tx.Entries(ctx, t.Key)
	if err != nil {
		return nil, err
	}
	for i := range t.Rewards {
		r := &t.Rewards[i]
		if r.Status == RewardRejected {
			continue
		}
		if en := lastArchived(stored, r.ID); en != nil {
			entries = append(entries, e.entry(r, en.Amount.Neg(), EntryRestored, now))
		}
	}
	return entries, nil
}

// lastArchived is what the archive being restored took from the reward
// with id: its last archive entry, unless a restore gave it back since
// (then that archive took nothing, its net being 0 when it was made).
func lastArchived(stored []Entry, id string) *Entry {
	for j := len(stored) - 1; j >= 0; j-- {
		en := &stored[j]
		if en.RewardID != id {
			continue
		}
		switch en.Reason {
		case EntryArchived:
			return en
		case EntryRestored:
			return nil
		}
	}
	return nil
}

// ApproveReward releases a reward held in its review period before the
// period ends. ErrNotInReview if it is not held.
func (e *Engine) ApproveReward(ctx context.Context, id string) (err error) {
	defer e.logOp(ctx, "ApproveReward", &err, "reward", id)
	return e.decide(ctx, id, RewardOK, "")
}

// RejectReward rejects a reward held in its review period, with a reason.
// ErrNotInReview if it is not held. The rejected amount no longer counts
// towards spend limits; the sale itself still counts towards commission
// periods, tiers and goals (to reverse a sale, delete or archive it).
func (e *Engine) RejectReward(ctx context.Context, id, reason string) (err error) {
	defer e.logOp(ctx, "RejectReward", &err, "reward", id)
	v := &validator{}
	validateText(v, "reason", reason, maxReasonLen)
	if err := v.err(); err != nil {
		return err
	}
	return e.decide(ctx, id, RewardRejected, reason)
}

// decide records a decision on a reward in review.
func (e *Engine) decide(ctx context.Context, id string, status RewardStatus, reason string) error {
	if err := checkKey("id", id); err != nil {
		return err
	}
	now := e.clock()
	return e.update(ctx, func(tx StoreTx) error {
		// A reward changes with its transaction, whose row a SQL store
		// locks: read it through the transaction, as a deletion does, so
		// that the two take turns.
		found, err := tx.Reward(ctx, id)
		if err != nil {
			return err
		}
		t, err := tx.Transaction(ctx, found.TransactionKey)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(t.Rewards, func(r Reward) bool { return r.ID == id })
		if i < 0 {
			return fmt.Errorf("%w: reward %q", ErrNotFound, id)
		}
		r := &t.Rewards[i]
		if r.DeletedAt != nil || r.statusAt(now) != RewardInReview {
			return fmt.Errorf("%w: reward %q is %s", ErrNotInReview, id, describeStatus(r, now))
		}
		if err := e.settleDecision(ctx, tx, r, status); err != nil {
			return err
		}
		recordDecision(tx, r, status, reason, now)
		return tx.SetRewardStatus(ctx, id, status, reason, now)
	})
}

// settleDecision moves the money of a decision on r: a rejected reward
// counts nowhere, so its net leaves the spend limits, then its earner's
// unpaid money. The earner's balance is locked (as a payout locks it)
// before r is read again, so that a payout that took r in the meantime
// is seen: a reward in a payout is no longer in review.
func (e *Engine) settleDecision(ctx context.Context, tx StoreTx, r *Reward, status RewardStatus) error {
	net := r.net().Neg()
	var deltas []CounterDelta
	if status == RewardRejected {
		deltas = spendDeltas(nil, r, net)
	}
	keys := []CounterKey{balanceKey(placeUnpaid, earnerOf(r), r.AmountUnits)}
	if err := addSorted(ctx, tx, append(deltas, CounterDelta{Key: keys[0]})); err != nil {
		return err
	}
	now, err := tx.Reward(ctx, r.ID)
	if err != nil {
		return err
	}
	if now.PayoutID != "" {
		return fmt.Errorf("%w: reward %q is in payout %q", ErrNotInReview, r.ID, now.PayoutID)
	}
	if status != RewardRejected {
		return nil
	}
	return tx.AddCounters(ctx, []CounterDelta{{Key: keys[0], Delta: net}})
}

func describeStatus(r *Reward, now time.Time) string {
	if r.DeletedAt != nil {
		return "reversed"
	}
	return string(r.statusAt(now))
}
