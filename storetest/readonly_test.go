package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/memstore"
)

// sharingStore is a Store that shares the values it returns, as the
// StoreTx contract allows ("a store may share them between calls ... so the
// caller copies before modifying"): a View returns the same *Transaction
// and *Reward for a key or id until an Update replaces them. It keeps a
// copy of each shared value as it was shared, so a test can tell whether a
// caller modified one. It is for tests that use it from one goroutine.
type sharingStore struct {
	inner commission.Store

	mu      sync.Mutex
	txs     map[string]*commission.Transaction // by program and key
	rewards map[string]*commission.Reward      // by program and id
	asGiven map[any]any                        // shared value → its copy when shared
}

func newSharingStore() *sharingStore {
	s := &sharingStore{inner: memstore.New()}
	s.reset()
	return s
}

func (s *sharingStore) reset() {
	s.txs = map[string]*commission.Transaction{}
	s.rewards = map[string]*commission.Reward{}
	s.asGiven = map[any]any{}
}

func (s *sharingStore) Update(ctx context.Context, prog string, fn func(commission.StoreTx) error) error {
	err := s.inner.Update(ctx, prog, fn)
	s.mu.Lock()
	defer s.mu.Unlock()
	// A write replaces what was shared; the old values stay with their
	// holders, unchanged.
	s.txs, s.rewards = map[string]*commission.Transaction{}, map[string]*commission.Reward{}
	return err
}

func (s *sharingStore) View(ctx context.Context, prog string, fn func(commission.StoreTx) error) error {
	return s.inner.View(ctx, prog, func(tx commission.StoreTx) error {
		return fn(&sharingTx{StoreTx: tx, s: s, prog: prog})
	})
}

type sharingTx struct {
	commission.StoreTx
	s    *sharingStore
	prog string
}

func (t *sharingTx) share(tr *commission.Transaction) *commission.Transaction {
	t.s.mu.Lock()
	defer t.s.mu.Unlock()
	if shared, ok := t.s.txs[t.prog+"/"+tr.Key]; ok {
		return shared
	}
	t.s.txs[t.prog+"/"+tr.Key] = tr
	t.s.asGiven[tr] = tr.Clone()
	return tr
}

func (t *sharingTx) Transaction(ctx context.Context, key string) (*commission.Transaction, error) {
	tr, err := t.StoreTx.Transaction(ctx, key)
	if err != nil {
		return nil, err
	}
	return t.share(tr), nil
}

func (t *sharingTx) Transactions(ctx context.Context, q commission.TransactionQuery) ([]*commission.Transaction, error) {
	list, err := t.StoreTx.Transactions(ctx, q)
	for i := range list {
		list[i] = t.share(list[i])
	}
	return list, err
}

func (t *sharingTx) Reward(ctx context.Context, id string) (*commission.Reward, error) {
	r, err := t.StoreTx.Reward(ctx, id)
	if err != nil {
		return nil, err
	}
	t.s.mu.Lock()
	defer t.s.mu.Unlock()
	if shared, ok := t.s.rewards[t.prog+"/"+id]; ok {
		return shared, nil
	}
	t.s.rewards[t.prog+"/"+id] = r
	t.s.asGiven[r] = r.Clone()
	return r, nil
}

// requireUnmodified checks that every value the store shared is as it was
// when shared.
func (s *sharingStore) requireUnmodified(t *testing.T) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for v, given := range s.asGiven {
		switch v := v.(type) {
		case *commission.Transaction:
			was := given.(*commission.Transaction)
			requireSameTx(t, was, v)
			require.Equal(t, was.Kind, v.Kind, "transaction %s Kind", v.Key)
		case *commission.Reward:
			was := given.(*commission.Reward)
			requireSameReward(t, was, v)
			require.Equal(t, was.Kind, v.Kind, "reward %s Kind", v.ID)
		}
	}
}

// TestEngineCopiesStoreValues: the Engine is a caller of StoreTx, so it
// must copy a returned value before modifying it. Engine.Transaction,
// Engine.Transactions, Engine.Reward and the *DuplicateError of a create
// present what the store returned (Kind, and each reward's status as of the
// clock) in place. On a store that shares its values this rewrites the
// store's shared copy: another Engine whose clock is earlier then sees a
// held reward as earned, and two Engines reading at once race.
func TestEngineCopiesStoreValues(t *testing.T) {
	s := newSharingStore()
	prog := commission.Program{
		ID: "prog", Kind: commission.Affiliate, Currency: "USD",
		Rules: commission.RuleSet{Default: commission.Percent(dec("30")), ReviewPeriod: 7 * 24 * time.Hour},
	}
	late := &clock{now: t0}
	eng, err := commission.New(s, prog, commission.WithClock(late.Now), commission.WithIDGenerator(idGenerator("id")))
	require.NoError(t, err)
	early, err := commission.New(s, prog, commission.WithClock(func() time.Time { return t0.Add(time.Hour) }))
	require.NoError(t, err)

	_, err = eng.CreatePartner(ctx, commission.PartnerInput{Key: "p"})
	require.NoError(t, err)
	_, err = eng.CreateCustomer(ctx, commission.CustomerInput{Key: "c", Partner: &commission.PartnerRef{Key: "p"}})
	require.NoError(t, err)
	amount := dec("10")
	created, err := eng.CreateTransaction(ctx, commission.TransactionInput{Key: "k", Amount: &amount, Customer: commission.CustomerInput{Key: "c"}})
	require.NoError(t, err)
	rewardID := created.Rewards[0].ID

	// A week and a day later, the reward is earned for eng; an hour after
	// the sale, it is still held for early.
	late.Advance(8 * 24 * time.Hour)
	tx, err := eng.Transaction(ctx, "k")
	require.NoError(t, err)
	require.Equal(t, commission.RewardOK, tx.Rewards[0].Status)
	_, err = eng.Transactions(ctx, commission.ListOptions{})
	require.NoError(t, err)
	r, err := eng.Reward(ctx, rewardID)
	require.NoError(t, err)
	require.Equal(t, commission.RewardOK, r.Status)

	tx, err = early.Transaction(ctx, "k")
	require.NoError(t, err)
	require.Equal(t, commission.RewardInReview, tx.Rewards[0].Status, "early's clock is within the review period")
	r, err = early.Reward(ctx, rewardID)
	require.NoError(t, err)
	require.Equal(t, commission.RewardInReview, r.Status, "early's clock is within the review period")

	s.requireUnmodified(t)
}
