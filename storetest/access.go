package storetest

import (
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/commissionkit/commission"
)

// Short ways into a store for the tests: a unit of work that must commit,
// and one read each, in a View of its own.

// update runs fn in an Update on prog and requires it to commit.
func update(t *testing.T, s commission.Store, prog string, fn func(tx commission.StoreTx)) {
	t.Helper()
	require.NoError(t, s.Update(ctx, prog, func(tx commission.StoreTx) error {
		fn(tx)
		return nil
	}))
}

// insert stores transactions in one Update on prog.
func insert(t *testing.T, s commission.Store, prog string, trs ...*commission.Transaction) {
	t.Helper()
	update(t, s, prog, func(tx commission.StoreTx) {
		for _, tr := range trs {
			require.NoError(t, tx.InsertTransaction(ctx, tr))
		}
	})
}

// read runs f in a View on prog and returns its results.
func read[T any](t *testing.T, s commission.Store, prog string, f func(tx commission.StoreTx) (T, error)) (T, error) {
	t.Helper()
	var (
		out  T
		ferr error
	)
	require.NoError(t, s.View(ctx, prog, func(tx commission.StoreTx) error {
		out, ferr = f(tx)
		return nil
	}))
	return out, ferr
}

func getPartner(t *testing.T, s commission.Store, prog string, ref commission.PartnerRef) (*commission.Partner, error) {
	t.Helper()
	return read(t, s, prog, func(tx commission.StoreTx) (*commission.Partner, error) { return tx.Partner(ctx, ref) })
}

func getCustomer(t *testing.T, s commission.Store, prog string, ref commission.CustomerRef) (*commission.Customer, error) {
	t.Helper()
	return read(t, s, prog, func(tx commission.StoreTx) (*commission.Customer, error) { return tx.Customer(ctx, ref) })
}

func getTx(t *testing.T, s commission.Store, prog, key string) (*commission.Transaction, error) {
	t.Helper()
	return read(t, s, prog, func(tx commission.StoreTx) (*commission.Transaction, error) { return tx.Transaction(ctx, key) })
}

func getReward(t *testing.T, s commission.Store, prog, id string) (*commission.Reward, error) {
	t.Helper()
	return read(t, s, prog, func(tx commission.StoreTx) (*commission.Reward, error) { return tx.Reward(ctx, id) })
}

func list(t *testing.T, s commission.Store, prog string, q commission.TransactionQuery) []*commission.Transaction {
	t.Helper()
	out, err := read(t, s, prog, func(tx commission.StoreTx) ([]*commission.Transaction, error) { return tx.Transactions(ctx, q) })
	require.NoError(t, err)
	return out
}

func keysOf(ts []*commission.Transaction) []string {
	keys := []string{}
	for _, tr := range ts {
		keys = append(keys, tr.Key)
	}
	return keys
}

func listKeys(t *testing.T, s commission.Store, prog string, q commission.TransactionQuery) []string {
	t.Helper()
	return keysOf(list(t, s, prog, q))
}

func history(t *testing.T, s commission.Store, prog, customerID string, before time.Time) commission.CustomerHistory {
	t.Helper()
	h, err := read(t, s, prog, func(tx commission.StoreTx) (commission.CustomerHistory, error) {
		return tx.CustomerHistory(ctx, customerID, before)
	})
	require.NoError(t, err)
	return h
}

func counters(t *testing.T, s commission.Store, prog string, keys ...commission.CounterKey) []decimal.Decimal {
	t.Helper()
	vals, err := read(t, s, prog, func(tx commission.StoreTx) ([]decimal.Decimal, error) { return tx.Counters(ctx, keys) })
	require.NoError(t, err)
	require.Len(t, vals, len(keys))
	return vals
}
