package storetest

import (
	"math/big"
	"slices"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/internal/rapidgen"
)

// The money lifecycle of the engine model: refunds by amount and their
// retries, payouts gathered for a partner, marked paid and canceled, and
// the entries that refunds and sales leaving or returning to the active
// state make against rewards. After every step each partner's balance is
// checked against the model's prediction, and the ledger's invariant
// (SPEC §5) against the model's entries.

var (
	// modelRefundKeys are the keys refunds are sent with: a key drawn
	// again is a retry, the same refund or a duplicate.
	modelRefundKeys = []string{"r0", "r1", "r2", "r3", "r4", "r5"}
	// modelPayoutMinimum draws the program's payout minimum: none, the
	// smallest amount or one a few sales reach.
	modelPayoutMinimum = rapid.SampledFrom([]string{"0", "0", "0.000000000000000001", "1", "25"})
	// modelReferences are the transfer references payouts are paid with.
	modelReferences = []string{"tr-1", "tr-2"}
	// modelMoneyUnits are the units balances and payouts are in: the
	// program's currency (by default, or named) and its points.
	modelMoneyUnits = []string{"", modelCurrency, modelPoints}
)

// unitsOf is the units a caller's units name once the default is filled
// in.
func unitsOf(units string) string {
	if units == "" {
		return modelCurrency
	}
	return units
}

// modelEntry is a change the model expects the engine to have stored
// against a reward after it was earned.
type modelEntry struct {
	amount decimal.Decimal
	// adjustment is set when the entry was made while its reward was in
	// a payout, and cleared when that payout is canceled while pending.
	adjustment bool
	// netted is the payout that nets the adjustment, pending or paid;
	// nil while it is open.
	netted *modelPayout
}

// modelPayout is a payout as the model expects it.
type modelPayout struct {
	id, partner, units, reference string
	state                         commission.PayoutState
	amount                        decimal.Decimal
	rewards                       []*modelReward
	entries                       []*modelEntry // the adjustments it nets
}

// modelRefund is a stored refund and the entries it made, in the order of
// its sale's rewards.
type modelRefund struct {
	key, tx string
	amount  decimal.Decimal
	rewards []string
	entries []*modelEntry
}

// net is what r pays now: its amount and its entries.
func (r *modelReward) net() decimal.Decimal {
	n := r.pay.amount
	for _, e := range r.entries {
		n = n.Add(e.amount)
	}
	return n
}

// paid reports whether r is in a payout marked paid.
func (r *modelReward) paid() bool {
	return r.payout != nil && r.payout.state == commission.PayoutPaid
}

// post records an entry of amount against r: an adjustment when r is in a
// payout.
func (r *modelReward) post(amount decimal.Decimal) *modelEntry {
	e := &modelEntry{amount: amount, adjustment: r.payout != nil}
	r.entries = append(r.entries, e)
	return e
}

// leave records the entries of mt's rewards as it leaves the active state
// (deleted, or archived when archived): each reward that counts gives back
// what it pays. An archive remembers what it took, for the restore.
func (m *engineModel) leave(mt *modelTx, archived bool) {
	for _, r := range mt.rewards {
		took := decimal.Zero
		if r.decided != commission.RewardRejected && r.net().Sign() > 0 {
			took = r.net()
			r.post(took.Neg())
		}
		if archived {
			r.took = took
		}
	}
}

// back records the entries of mt's rewards as it is restored: each gets
// again what its archive took, and nothing when that took nothing.
func (m *engineModel) back(mt *modelTx) {
	for _, r := range mt.rewards {
		if !r.took.IsZero() {
			r.post(r.took)
			r.took = decimal.Zero
		}
	}
}

// payShare is what a reward of amount pays once left of sold is left:
// amount × left ÷ sold, rounded as the reward was. The model's program has
// no rounding of its own, so a reward keeps no exact amount apart from
// what it stores (Explanation.Exact is nil) and its share is rounded to
// the 18 places of storage, half to even (Explanation.Rounding is "" or
// commission.StorageRounding).
func payShare(amount, left, sold decimal.Decimal) decimal.Decimal {
	q := new(big.Rat).Mul(amount.Rat(), left.Rat())
	q.Quo(q, sold.Rat())
	return decimal.NewFromBigRat(rapidgen.Stored(q), 18)
}

// applyRefund records a refund of amount of mt with key, and the entries
// it makes: each reward that counts goes to its share of what is left.
func (m *engineModel) applyRefund(mt *modelTx, key string, amount decimal.Decimal) *modelRefund {
	mt.refunded = mt.refunded.Add(amount)
	sold := mt.sale.amount
	rf := &modelRefund{key: key, tx: mt.sale.key, amount: amount}
	for _, r := range mt.rewards {
		if r.decided == commission.RewardRejected {
			continue
		}
		if d := payShare(r.pay.amount, sold.Sub(mt.refunded), sold).Sub(r.net()); !d.IsZero() {
			rf.rewards = append(rf.rewards, r.id)
			rf.entries = append(rf.entries, r.post(d))
		}
	}
	m.refunds[key] = rf
	return rf
}

// refund refunds a sale by amount: all that is left of it, a part, the
// smallest step, more than is left, or an amount drawn at random; now and
// then of a sale that is not active, or does not exist, or with a refund
// key used before (a retry, see sendRefund).
func (m *engineModel) refund(t *rapid.T) {
	keys := rapid.SampledFrom(modelKeys)
	if used := m.usedKeys(); len(used) > 0 {
		keys = rapid.OneOf(keys, rapid.SampledFrom(used))
	}
	txKey := keys.Draw(t, "key")
	left := dec("10")
	if mt := m.txs[txKey]; mt != nil {
		left = mt.sale.amount.Sub(mt.refunded)
	}
	var amount decimal.Decimal
	switch rapid.SampledFrom([]string{"all", "part", "part", "smallest", "too much", "random"}).Draw(t, "refund") {
	case "all":
		amount = left
	case "part":
		q := new(big.Rat).Mul(left.Rat(), big.NewRat(int64(rapid.IntRange(1, 3).Draw(t, "quarters")), 4))
		amount = decimal.NewFromBigRat(q, 18)
	case "smallest":
		amount = decimal.New(1, -18)
	case "too much":
		amount = left.Add(decimal.New(1, -18))
	default:
		amount = rapidgen.Decimal(intDigits(left)+1, 18).Draw(t, "amount")
	}
	m.sendRefund(t, txKey, rapid.SampledFrom(modelRefundKeys).Draw(t, "refund_key"), amount)
}

// retryRefund sends a stored refund again: mostly the same body, which
// returns the stored refund; now and then with another amount or of
// another sale, a duplicate.
func (m *engineModel) retryRefund(t *rapid.T) {
	var keys []string
	for _, k := range modelRefundKeys {
		if m.refunds[k] != nil {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		t.Skip("no refund stored yet")
	}
	rf := m.refunds[rapid.SampledFrom(keys).Draw(t, "refund_key")]
	txKey, amount := rf.tx, rf.amount
	switch rapid.IntRange(0, 5).Draw(t, "change") {
	case 0:
		amount = amount.Add(decimal.New(1, -18))
	case 1:
		txKey = rapid.SampledFrom(modelKeys).Draw(t, "other_key")
	case 2:
		amount = amount.Round(2) // the same amount at another scale, or another amount
	}
	m.sendRefund(t, txKey, rf.key, amount)
}

// sendRefund refunds amount of the sale txKey with refund key, and checks
// what the engine answers against the model, in the engine's order: the
// body, the sale's key, then the refund's (a stored key returns its
// refund when the body is the same, even once the sale is deleted or
// archived), the sale's state, then what is left of the sale.
func (m *engineModel) sendRefund(t *rapid.T, txKey, key string, amount decimal.Decimal) {
	got, err := m.eng.RefundTransaction(ctx, txKey, commission.RefundInput{Key: key, Amount: &amount})
	mt, stored := m.txs[txKey], m.refunds[key]
	switch {
	case amount.Sign() <= 0 || amount.Cmp(modelLargest) > 0:
		requireField(t, err, "amount")
	case mt == nil:
		require.ErrorIs(t, err, commission.ErrNotFound, txKey)
	case stored != nil && (stored.tx != txKey || !stored.amount.Equal(amount)):
		require.ErrorIs(t, err, commission.ErrDuplicateKey, "refund %s of %s %s, stored %s %s", key, txKey, amount, stored.tx, stored.amount)
	case stored != nil:
		require.NoError(t, err, "refund %s retried", key)
		requireRefund(t, stored, got)
	case mt.state == commission.TransactionDeleted:
		require.ErrorIs(t, err, commission.ErrAlreadyDeleted, txKey)
	case mt.state == commission.TransactionArchived:
		require.ErrorIs(t, err, commission.ErrAlreadyArchived, txKey)
	case amount.Cmp(mt.sale.amount.Sub(mt.refunded)) > 0:
		requireField(t, err, "amount")
	default:
		require.NoError(t, err, "refund %s of %s %s", key, txKey, amount)
		requireRefund(t, m.applyRefund(mt, key, amount), got)
	}
}

// requireField checks that err is a *ValidationError on field.
func requireField(t *rapid.T, err error, field string) {
	t.Helper()
	var verr *commission.ValidationError
	require.ErrorAs(t, err, &verr)
	_, ok := verr.Field(field)
	require.True(t, ok, "want an error on %s, got %v", field, err)
}

// requireRefund checks a refund the engine returned against the model's.
func requireRefund(t *rapid.T, want *modelRefund, got *commission.Refund) {
	t.Helper()
	what := "refund " + want.key
	require.Equal(t, want.key, got.Key, what)
	require.Equal(t, want.tx, got.TransactionKey, what)
	requireDecimal(t, want.amount, got.Amount, what+" amount")
	require.Empty(t, got.Lines, what)
	require.Len(t, got.Entries, len(want.entries), what+" entries")
	for i, e := range want.entries {
		en := got.Entries[i]
		require.Equal(t, want.rewards[i], en.RewardID, what)
		require.Equal(t, commission.EntryRefund, en.Reason, what)
		require.Equal(t, want.key, en.RefundKey, what)
		require.Equal(t, want.tx, en.TransactionKey, what)
		requireDecimal(t, e.amount, en.Amount, what+" entry of "+en.RewardID)
		require.Equal(t, e.adjustment, en.Adjustment, what+" entry of "+en.RewardID+" adjustment")
	}
}

// beneficiary draws how a partner is named: by key or by email.
func beneficiary(t *rapid.T, partner string) commission.Beneficiary {
	if rapid.Bool().Draw(t, "by_email") {
		return commission.Beneficiary{Email: partner + "@partners.test"}
	}
	return commission.Beneficiary{Key: partner}
}

// payable is what a payout of partner in units would gather now: its
// rewards that count, released from review, in no payout and paying more
// than nothing, and the open adjustments of its paid rewards; and what it
// would pay.
func (m *engineModel) payable(partner, units string) ([]*modelReward, []*modelEntry, decimal.Decimal) {
	var rewards []*modelReward
	var entries []*modelEntry
	amount := decimal.Zero
	now := m.clock.Now()
	for _, mt := range m.txs {
		for _, r := range mt.rewards {
			if mt.partner != partner || r.pay.units != units || r.decided == commission.RewardRejected {
				continue
			}
			if r.payout == nil && mt.statusAt(r, now) == commission.RewardOK && r.net().Sign() > 0 {
				rewards = append(rewards, r)
				amount = amount.Add(r.net())
			}
			for _, e := range r.entries {
				if r.paid() && e.adjustment && e.netted == nil {
					entries = append(entries, e)
					amount = amount.Add(e.amount)
				}
			}
		}
	}
	return rewards, entries, amount
}

// createPayout asks for a payout of all a partner's payable money in a
// unit, now and then of a partner that does not exist: refused when it
// would pay nothing, or less than the program's minimum in its currency.
func (m *engineModel) createPayout(t *rapid.T) {
	partner := rapid.SampledFrom(modelPartnerRefs).Draw(t, "partner")
	units := rapid.SampledFrom(modelMoneyUnits).Draw(t, "units")
	po, err := m.eng.CreatePayout(ctx, commission.PayoutInput{Beneficiary: beneficiary(t, partner), Units: units})
	if !m.partners[partner] {
		require.ErrorIs(t, err, commission.ErrNotFound, partner)
		return
	}
	units = unitsOf(units)
	rewards, entries, amount := m.payable(partner, units)
	if amount.Sign() <= 0 || units == modelCurrency && amount.Cmp(m.minimum) < 0 {
		require.ErrorIs(t, err, commission.ErrBelowThreshold, "%s's payable %s, minimum %s", partner, amount, m.minimum)
		return
	}
	require.NoError(t, err, "%s's payable %s, minimum %s", partner, amount, m.minimum)
	mp := &modelPayout{id: po.ID, partner: partner, units: units, state: commission.PayoutPending, amount: amount, rewards: rewards, entries: entries}
	require.NotContains(t, m.payoutIDs(), po.ID, "payout id given twice")
	for _, r := range rewards {
		r.payout = mp
	}
	for _, e := range entries {
		e.netted = mp
	}
	m.payouts = append(m.payouts, mp)
	requirePayout(t, mp, po)
}

// payoutIDs are the ids of the payouts the model holds, in their order.
func (m *engineModel) payoutIDs() []string {
	ids := make([]string, len(m.payouts))
	for i, mp := range m.payouts {
		ids[i] = mp.id
	}
	return ids
}

// drawPayout draws one of the model's payouts, or an id that names none
// (nil).
func (m *engineModel) drawPayout(t *rapid.T) (string, *modelPayout) {
	id := rapid.SampledFrom(append(m.payoutIDs(), "no-such-payout")).Draw(t, "payout")
	if i := slices.Index(m.payoutIDs(), id); i >= 0 {
		return id, m.payouts[i]
	}
	return id, nil
}

// markPaid marks a payout paid with a reference: again with the same
// reference, it is returned unchanged; canceled, or paid with another,
// it is settled.
func (m *engineModel) markPaid(t *rapid.T) {
	id, mp := m.drawPayout(t)
	ref := rapid.SampledFrom(modelReferences).Draw(t, "reference")
	po, err := m.eng.MarkPayoutPaid(ctx, id, ref)
	switch {
	case mp == nil:
		require.ErrorIs(t, err, commission.ErrNotFound, id)
		return
	case mp.state == commission.PayoutPaid && mp.reference == ref:
	case mp.state != commission.PayoutPending:
		require.ErrorIs(t, err, commission.ErrPayoutSettled, "payout %s is %s", id, mp.state)
		return
	default:
		mp.state, mp.reference = commission.PayoutPaid, ref
	}
	require.NoError(t, err, id)
	requirePayout(t, mp, po)
}

// cancelPayout cancels a payout: its rewards are free again, with what
// was taken from them while it was pending netted in place, and the
// adjustments it netted are open again. Canceled again, it is returned
// unchanged; paid, it is settled.
func (m *engineModel) cancelPayout(t *rapid.T) {
	id, mp := m.drawPayout(t)
	po, err := m.eng.CancelPayout(ctx, id)
	switch {
	case mp == nil:
		require.ErrorIs(t, err, commission.ErrNotFound, id)
		return
	case mp.state == commission.PayoutPaid:
		require.ErrorIs(t, err, commission.ErrPayoutSettled, id)
		return
	case mp.state == commission.PayoutPending:
		mp.state = commission.PayoutCanceled
		for _, r := range mp.rewards {
			r.payout = nil
			for _, e := range r.entries {
				if e.netted == nil {
					e.adjustment = false
				}
			}
		}
		for _, e := range mp.entries {
			e.netted = nil
		}
	}
	require.NoError(t, err, id)
	requirePayout(t, mp, po)
}

// requirePayout checks a payout the engine returned against the model's.
func requirePayout(t *rapid.T, want *modelPayout, got *commission.Payout) {
	t.Helper()
	what := "payout " + want.id
	require.Equal(t, want.id, got.ID, what)
	require.Equal(t, commission.EarnerPartner, got.Earner.Kind, what)
	require.Equal(t, want.partner, got.EarnerKey, what)
	require.Equal(t, want.units, got.Units, what)
	require.Equal(t, want.state, got.State, what)
	requireDecimal(t, want.amount, got.Amount, what+" amount")
	rewards := make([]string, len(want.rewards))
	for i, r := range want.rewards {
		rewards[i] = r.id
	}
	require.ElementsMatch(t, rewards, got.RewardIDs, what+" rewards")
	require.Len(t, got.EntryIDs, len(want.entries), what+" entries")
	require.Equal(t, want.reference, got.Reference, what)
	require.Equal(t, want.state == commission.PayoutPaid, got.PaidAt != nil, what+" paid_at")
	require.Equal(t, want.state == commission.PayoutCanceled, got.CanceledAt != nil, what+" canceled_at")
}

// modelBalance is a partner's balance as the model predicts it.
type modelBalance struct {
	pending, notPaid, inPayout, paid, clawback decimal.Decimal
}

// balance predicts partner's balance in units now: its rewards that count
// by where they sit, its open adjustments (with the pending payout of
// their reward, else a clawback or a credit), and its payouts.
func (m *engineModel) balance(partner, units string) modelBalance {
	var b modelBalance
	now := m.clock.Now()
	for _, mt := range m.txs {
		for _, r := range mt.rewards {
			if mt.partner != partner || r.pay.units != units || r.decided == commission.RewardRejected {
				continue
			}
			switch {
			case r.payout != nil:
			case mt.statusAt(r, now) == commission.RewardInReview:
				b.pending = b.pending.Add(r.net())
			default:
				b.notPaid = b.notPaid.Add(r.net())
			}
			for _, e := range r.entries {
				switch {
				case !e.adjustment || e.netted != nil:
				case !r.paid():
					b.inPayout = b.inPayout.Add(e.amount)
				case e.amount.Sign() < 0:
					b.clawback = b.clawback.Sub(e.amount)
				default:
					b.notPaid = b.notPaid.Add(e.amount)
				}
			}
		}
	}
	for _, mp := range m.payouts {
		switch {
		case mp.partner != partner || mp.units != units:
		case mp.state == commission.PayoutPending:
			b.inPayout = b.inPayout.Add(mp.amount)
		case mp.state == commission.PayoutPaid:
			b.paid = b.paid.Add(mp.amount)
		}
	}
	return b
}

// earned is what partner's rewards that count in units earned, less all
// that their entries took back: what the ledger holds for partner, apart
// from where the money sits.
func (m *engineModel) earned(partner, units string) decimal.Decimal {
	sum := decimal.Zero
	for _, mt := range m.txs {
		for _, r := range mt.rewards {
			if mt.partner == partner && r.pay.units == units && r.decided != commission.RewardRejected {
				sum = sum.Add(r.net())
			}
		}
	}
	return sum
}

// checkMoney checks every partner's balance in each unit against the
// model (a partner not created yet has none), each named by key or by
// email, in the default unit or by name.
func (m *engineModel) checkMoney(t *rapid.T) {
	for _, p := range modelPartners {
		for _, units := range []string{rapid.SampledFrom(modelMoneyUnits[:2]).Draw(t, "units"), modelPoints} {
			got, err := m.reader.Balance(ctx, beneficiary(t, p), units)
			if !m.partners[p] {
				require.ErrorIs(t, err, commission.ErrNotFound, p)
				continue
			}
			require.NoError(t, err, p)
			m.requireBalance(t, p, unitsOf(units), got)
		}
	}
}

// requireBalance checks partner's balance in units against the model's,
// and the invariant: what the ledger holds equals Pending + NotPaid +
// InPayout + Paid - Clawback, as the model predicts it and as the engine
// reports it.
func (m *engineModel) requireBalance(t *rapid.T, partner, units string, got *commission.Balance) {
	t.Helper()
	want, what := m.balance(partner, units), partner+"'s balance in "+units+" "
	require.Equal(t, partner, got.EarnerKey, what)
	require.Equal(t, units, got.Units, what)
	requireDecimal(t, want.pending, got.Pending, what+"pending")
	requireDecimal(t, want.notPaid, got.NotPaid, what+"not paid")
	requireDecimal(t, want.inPayout, got.InPayout, what+"in payout")
	requireDecimal(t, want.paid, got.Paid, what+"paid")
	requireDecimal(t, want.clawback, got.Clawback, what+"clawback")
	requireDecimal(t, want.notPaid.Sub(want.clawback), got.Payable, what+"payable")
	earned := m.earned(partner, units)
	requireDecimal(t, earned, want.pending.Add(want.notPaid).Add(want.inPayout).Add(want.paid).Sub(want.clawback),
		what+"invariant, as the model predicts it")
	requireDecimal(t, earned, got.Pending.Add(got.NotPaid).Add(got.InPayout).Add(got.Paid).Sub(got.Clawback),
		what+"invariant, as the engine reports it")
}

// requireRewardMoney checks what the engine says of a reward's money: what
// its entries took back, and the payout it is in.
func requireRewardMoney(t *rapid.T, what string, want *modelReward, r *commission.Reward) {
	t.Helper()
	requireDecimal(t, want.pay.amount.Sub(want.net()), r.Reversed, what+" reversed")
	payout := ""
	if want.payout != nil {
		payout = want.payout.id
	}
	require.Equal(t, payout, r.PayoutID, what+" payout")
}

// readBackPayouts reads every payout of the model back by id.
func (m *engineModel) readBackPayouts(t *rapid.T) {
	for _, mp := range m.payouts {
		po, err := m.reader.Payout(ctx, mp.id)
		require.NoError(t, err, mp.id)
		requirePayout(t, mp, po)
	}
	_, err := m.reader.Payout(ctx, "no-such-payout")
	require.ErrorIs(t, err, commission.ErrNotFound)
}
