package storetest

import (
	"fmt"
	"slices"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/commissionkit/commission"
)

// The engine model's checks after each step: the listing, the partners'
// totals, and each transaction and reward read back against the model.

// check is the invariant: the listing, in one page and paged at a small
// size drawn each time, holds every active sale, once, newest first, as
// the model has it, and asked for every state, every sale; each
// partner's rewards that count add up to the model's; the partner filter
// lists the model's active sales of p0; deleted keys are read back
// deleted.
// (Reading every key and reward back, a round trip each, is an action,
// readBack, so that a check on a database does not make them all after
// every step.)
func (m *engineModel) check(t *rapid.T) {
	now := m.clock.Now()
	m.requireTotals(t, m.requireListing(t, commission.MaxLimit, nil, now))
	m.requireTotals(t, m.requireListing(t, rapid.SampledFrom([]int{2, 4}).Draw(t, "page_size"), nil, now))
	m.requireListing(t, commission.MaxLimit, modelStates, now)
	var wantP0 []string
	for _, k := range m.usedKeys() {
		mt := m.txs[k]
		if mt.state == commission.TransactionDeleted {
			tx, err := m.reader.Transaction(ctx, k)
			require.NoError(t, err, "deleted key %q is kept", k)
			m.requireTx(t, mt, tx, now)
		} else if mt.partner == "p0" && mt.state == commission.TransactionActive {
			wantP0 = append(wantP0, k)
		}
	}
	require.ElementsMatch(t, wantP0, keysOf(listAll(t, m.reader, commission.ListOptions{PartnerKey: "p0", Limit: commission.MaxLimit})),
		"p0's transactions")
	m.checkMoney(t)
}

// modelStates are every state a transaction can be in.
var modelStates = []commission.TransactionState{commission.TransactionActive, commission.TransactionArchived, commission.TransactionDeleted}

// requireListing walks the listing of the sales in states (the active
// ones when nil) limit at a time and checks it against the model.
func (m *engineModel) requireListing(t *rapid.T, limit int, states []commission.TransactionState, now time.Time) []*commission.Transaction {
	t.Helper()
	listed := listAll(t, m.reader, commission.ListOptions{Limit: limit, States: states})
	if states == nil {
		states = []commission.TransactionState{commission.TransactionActive}
	}
	seen := map[string]bool{}
	for _, tx := range listed {
		require.False(t, seen[tx.Key], "key %q listed twice (limit %d)", tx.Key, limit)
		seen[tx.Key] = true
		mt := m.txs[tx.Key]
		require.NotNil(t, mt, "unknown key %q listed", tx.Key)
		require.Contains(t, states, mt.state, "key %q listed", tx.Key)
		m.requireTx(t, mt, tx, now)
	}
	requireNewestFirst(t, listed)
	want := 0
	for _, mt := range m.txs {
		if slices.Contains(states, mt.state) {
			want++
		}
	}
	require.Len(t, seen, want, "listed transactions (limit %d, states %v)", limit, states)
	return listed
}

// requireTotals checks each partner's rewards that count, over the
// listing, against the model's.
func (m *engineModel) requireTotals(t *rapid.T, listed []*commission.Transaction) {
	t.Helper()
	got := map[string]decimal.Decimal{}
	for _, tx := range listed {
		for _, r := range tx.Rewards {
			if r.DeletedAt == nil && r.Status != commission.RewardRejected {
				got[r.PartnerKey] = got[r.PartnerKey].Add(r.Amount)
			}
		}
	}
	want := map[string]decimal.Decimal{}
	for _, mt := range m.txs {
		for _, r := range mt.rewards {
			if mt.counts(r) {
				want[mt.partner] = want[mt.partner].Add(r.pay.amount)
			}
		}
	}
	for _, p := range modelPartners {
		requireDecimal(t, want[p], got[p], "partner "+p+"'s rewards that count")
	}
}

// readBack reads every key by Transaction and every reward by id, a
// deleted sale's too: each is as the model has it.
func (m *engineModel) readBack(t *rapid.T) {
	now := m.clock.Now()
	for _, key := range modelKeys {
		tx, err := m.reader.Transaction(ctx, key)
		mt := m.txs[key]
		if mt == nil {
			require.ErrorIs(t, err, commission.ErrNotFound, "key %q", key)
			continue
		}
		require.NoError(t, err, key)
		m.requireTx(t, mt, tx, now)
		for i, want := range mt.rewards {
			what := fmt.Sprintf("%s rewards[%d] read by id", key, i)
			r, err := m.reader.Reward(ctx, want.id)
			require.NoError(t, err, what)
			m.requireReward(t, what, mt, want, r, now)
		}
	}
	m.readBackPayouts(t)
}

// requireCustomers checks that each of keys exists, with its partner, if
// and only if the model has it.
func (m *engineModel) requireCustomers(t *rapid.T, keys ...string) {
	t.Helper()
	for _, key := range keys {
		c, err := m.reader.Customer(ctx, commission.CustomerRef{Key: key})
		partner, exists := m.customers[key]
		if !exists {
			require.ErrorIs(t, err, commission.ErrNotFound, "customer %s", key)
			continue
		}
		require.NoError(t, err, "customer %s", key)
		require.Equal(t, partner, c.PartnerKey, "customer %s", key)
	}
}

// requireTx checks a transaction against the model, as of now: its sale,
// state, rate and every reward.
func (m *engineModel) requireTx(t *rapid.T, mt *modelTx, tx *commission.Transaction, now time.Time) {
	t.Helper()
	key := mt.sale.key
	require.Equal(t, key, tx.Key)
	requireDecimal(t, mt.sale.amount, tx.Amount, key+" amount")
	require.Equal(t, mt.sale.currency(), tx.AmountUnits, key)
	requireDecimalPtr(t, mt.rate, tx.Rate, key+" rate")
	require.Equal(t, mt.sale.customer, tx.CustomerKey, key)
	require.Equal(t, mt.partner, tx.PartnerKey, key)
	require.Equal(t, mt.state, tx.State, key)
	requireTime(t, mt.created, tx.CreatedAt, key+" CreatedAt")
	require.Equal(t, mt.state != commission.TransactionActive, tx.DeletedAt != nil, "%s deleted_at", key)
	requireDecimal(t, mt.refunded, tx.Refunded, key+" refunded")
	require.Len(t, tx.Rewards, len(mt.rewards), key)
	for i := range tx.Rewards {
		m.requireReward(t, fmt.Sprintf("%s rewards[%d]", key, i), mt, mt.rewards[i], &tx.Rewards[i], now)
	}
}

// requireReward checks a reward against the model: exactly what its line earns, in the program's currency, at the
// sale's rate, with its status as of now.
func (m *engineModel) requireReward(t *rapid.T, what string, mt *modelTx, want *modelReward, r *commission.Reward, now time.Time) {
	t.Helper()
	require.Equal(t, want.id, r.ID, what)
	require.Equal(t, mt.sale.key, r.TransactionKey, what)
	requireDecimal(t, want.pay.amount, r.Amount, what+" amount")
	require.Equal(t, want.pay.units, r.AmountUnits, what+" units")
	require.Equal(t, mt.partner, r.PartnerKey, what)
	require.Equal(t, mt.statusAt(want, now), r.Status, what+" status at "+now.String())
	require.Equal(t, mt.state != commission.TransactionActive, r.DeletedAt != nil, what+" deleted_at")
	ex := r.Explanation
	requireDecimal(t, want.pay.base, ex.Base, what+" explanation.base")
	requireDecimal(t, want.pay.value, ex.Value, what+" explanation.value")
	requireDecimalPtr(t, mt.rate, ex.Rate, what+" explanation.rate")
	wantRounding := ""
	if want.pay.rounded {
		wantRounding = commission.StorageRounding
	}
	require.Equal(t, wantRounding, ex.Rounding, what+" explanation.rounding")
	requireRewardMoney(t, what, want, r)
}
