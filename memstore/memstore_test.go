package memstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/memstore"
	"github.com/commissionkit/commission/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, storetest.Harness{
		New:    func(t *testing.T) commission.Store { return memstore.New() },
		Checks: 100,
	})
}

// What follows is memstore's own behaviour, beyond the contract that
// storetest checks.

var (
	ctx = context.Background()
	t0  = time.Date(2025, 5, 1, 12, 0, 0, 0, time.UTC)
)

func sale(key, rewardID string) *commission.Transaction {
	return &commission.Transaction{
		Key: key, Action: "sale", Amount: decimal.NewFromInt(10), AmountUnits: "USD", IsCurrency: true,
		Rewardable: true, CustomerID: "c1", CustomerKey: "c1", CreatedAt: t0, State: commission.TransactionActive,
		Rewards: []commission.Reward{{ID: rewardID, TransactionKey: key, Status: commission.RewardOK, Amount: decimal.NewFromInt(3), CreatedAt: t0}},
	}
}

// Every write in a View fails at once.
func TestViewWritesFail(t *testing.T) {
	s := memstore.New()
	require.NoError(t, s.Update(ctx, "a", func(tx commission.StoreTx) error {
		return tx.InsertTransaction(ctx, sale("s1", "r1"))
	}))
	at := t0.Add(time.Hour)
	require.NoError(t, s.View(ctx, "a", func(tx commission.StoreTx) error {
		for what, err := range map[string]error{
			"InsertPartner":       tx.InsertPartner(ctx, &commission.Partner{ID: "p1", Key: "p1"}),
			"SetPartnerStatus":    tx.SetPartnerStatus(ctx, "p1", commission.PartnerArchived),
			"InsertCustomer":      tx.InsertCustomer(ctx, &commission.Customer{ID: "c1", Key: "c1"}),
			"SetCustomerStatus":   tx.SetCustomerStatus(ctx, "c1", commission.CustomerSuspended),
			"InsertTransaction":   tx.InsertTransaction(ctx, sale("s2", "r2")),
			"SetTransactionState": tx.SetTransactionState(ctx, "s1", commission.TransactionDeleted, &at),
			"SetRewardStatus":     tx.SetRewardStatus(ctx, "r1", commission.RewardRejected, "no", at),
			"AddCounters":         tx.AddCounters(ctx, []commission.CounterDelta{{Key: commission.CounterKey{Name: "n"}, Delta: decimal.NewFromInt(1)}}),
		} {
			require.Error(t, err, what)
		}
		return nil
	}))
}

// A unit of work may go on after a write that failed as a duplicate: the
// rejected value leaves nothing behind, and the rest commits.
func TestUnitOfWorkGoesOnAfterDuplicate(t *testing.T) {
	s := memstore.New()
	require.NoError(t, s.Update(ctx, "a", func(tx commission.StoreTx) error {
		require.NoError(t, tx.InsertPartner(ctx, &commission.Partner{ID: "p1", Key: "p1", Email: "p1@x.test"}))
		require.NoError(t, tx.InsertCustomer(ctx, &commission.Customer{ID: "c1", Key: "c1", Email: "c1@x.test"}))
		return tx.InsertTransaction(ctx, sale("s1", "r1"))
	}))
	require.NoError(t, s.Update(ctx, "a", func(tx commission.StoreTx) error {
		for what, err := range map[string]error{
			"partner email": tx.InsertPartner(ctx, &commission.Partner{ID: "p2", Key: "p2", Email: "p1@x.test"}),
			"customer key":  tx.InsertCustomer(ctx, &commission.Customer{ID: "c2", Key: "c1"}),
			"key":           tx.InsertTransaction(ctx, sale("s1", "r2")),
			"reward id":     tx.InsertTransaction(ctx, sale("s2", "r1")),
		} {
			require.True(t, errors.Is(err, commission.ErrDuplicateKey), "%s: %v", what, err)
		}
		return tx.InsertTransaction(ctx, sale("s3", "r3"))
	}))
	require.NoError(t, s.View(ctx, "a", func(tx commission.StoreTx) error {
		_, err := tx.Partner(ctx, commission.PartnerRef{ID: "p2"})
		require.ErrorIs(t, err, commission.ErrNotFound)
		_, err = tx.Customer(ctx, commission.CustomerRef{ID: "c2"})
		require.ErrorIs(t, err, commission.ErrNotFound)
		_, err = tx.Transaction(ctx, "s2")
		require.ErrorIs(t, err, commission.ErrNotFound)
		_, err = tx.Reward(ctx, "r2")
		require.ErrorIs(t, err, commission.ErrNotFound)
		r, err := tx.Reward(ctx, "r1")
		require.NoError(t, err)
		require.Equal(t, "s1", r.TransactionKey)
		ls, err := tx.Transactions(ctx, commission.TransactionQuery{Limit: 10})
		require.NoError(t, err)
		require.Len(t, ls, 2)
		require.Equal(t, "s3", ls[0].Key)
		require.Equal(t, "s1", ls[1].Key)
		return nil
	}))
}
