package memstore_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/memstore"
)

// The memory store is tested here directly through the commission.Store and
// commission.StoreTx interfaces, with no Engine in between.

var (
	ctx     = context.Background()
	t0      = time.Date(2025, 5, 1, 12, 0, 0, 0, time.UTC)
	errBoom = errors.New("boom")
)

func newStore() commission.Store { return memstore.New() }

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func partnerFixture(id string) *commission.Partner {
	return &commission.Partner{
		ID:        id,
		Key:       "key-" + id,
		Email:     id + "@partners.test",
		Name:      "Name " + id,
		Surname:   "Surname " + id,
		Tags:      []string{"tag1", "tag2"},
		Status:    commission.PartnerActive,
		CreatedAt: t0,
	}
}

func customerFixture(id, partnerID string) *commission.Customer {
	c := &commission.Customer{
		ID:        id,
		Key:       "key-" + id,
		Email:     id + "@customers.test",
		Name:      "Name " + id,
		Tags:      []string{"vip", "eu"},
		PartnerID: partnerID,
		Status:    commission.CustomerActive,
		CreatedAt: t0,
	}
	if partnerID != "" {
		c.PartnerKey = "key-" + partnerID
	}
	return c
}

// saleFixture builds a qualified, active transaction with one reward per id.
func saleFixture(key, customerID, partnerID string, at time.Time, rewardIDs ...string) *commission.Transaction {
	set := dec("100.10")
	tr := &commission.Transaction{
		Key:         key,
		Action:      "sale",
		Amount:      dec("100.10"),
		Reward:      &set,
		AmountUnits: "USD",
		IsCurrency:  true,
		ProductType: "books",
		Products: []commission.ProductLine{
			{ProductID: "p1", ProductType: "books", ProductPrice: dec("60.05")},
			{ProductID: "p2", ProductType: "books", ProductPrice: dec("40.05")},
		},
		Rewardable:  true,
		Qualified:   true,
		CustomerID:  customerID,
		CustomerKey: "key-" + customerID,
		PartnerID:   partnerID,
		CreatedAt:   at,
		State:       commission.TransactionActive,
		Kind:        commission.Affiliate,
	}
	if partnerID != "" {
		tr.PartnerKey = "key-" + partnerID
	}
	for i, id := range rewardIDs {
		ends := at.Add(30 * 24 * time.Hour)
		tr.Rewards = append(tr.Rewards, commission.Reward{
			ID:             id,
			TransactionKey: key,
			Action:         "sale",
			Status:         commission.RewardInReview,
			ReviewEndsAt:   &ends,
			PartnerID:      tr.PartnerID,
			PartnerKey:     tr.PartnerKey,
			CustomerID:     customerID,
			CustomerKey:    tr.CustomerKey,
			Amount:         dec("10.01").Add(decimal.NewFromInt(int64(i))),
			AmountUnits:    "USD",
			IsCurrency:     true,
			ProductID:      "p1",
			ProductType:    "books",
			CreatedAt:      at,
			Explanation: commission.Explanation{
				Rule:        "default",
				RuleVersion: "v1",
				Match:       "default",
				Base:        dec("100.10"),
				Type:        commission.PercentCommission,
				Value:       dec("10"),
			},
		})
	}
	return tr
}

// update runs fn in an Update on prog and requires it to commit.
func update(t *testing.T, s commission.Store, prog string, fn func(tx commission.StoreTx)) {
	t.Helper()
	require.NoError(t, s.Update(ctx, prog, func(tx commission.StoreTx) error {
		fn(tx)
		return nil
	}))
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

func requireDecimal(t *testing.T, want, got decimal.Decimal, what string) {
	t.Helper()
	require.Truef(t, want.Equal(got), "%s: want %s, got %s", what, want, got)
}

func requireTimePtr(t *testing.T, want, got *time.Time, what string) {
	t.Helper()
	if want == nil {
		require.Nilf(t, got, "%s", what)
		return
	}
	require.NotNilf(t, got, "%s", what)
	require.Truef(t, want.Equal(*got), "%s: want %v, got %v", what, *want, *got)
}

func requireNotFound(t *testing.T, err error, what string) {
	t.Helper()
	require.Errorf(t, err, "%s: want ErrNotFound", what)
	require.Truef(t, errors.Is(err, commission.ErrNotFound), "%s: want ErrNotFound, got %v", what, err)
}

func requireDuplicate(t *testing.T, err error, what string) {
	t.Helper()
	require.Errorf(t, err, "%s: want ErrDuplicateKey", what)
	require.Truef(t, errors.Is(err, commission.ErrDuplicateKey), "%s: want ErrDuplicateKey, got %v", what, err)
}

func requireSameReward(t *testing.T, want, got *commission.Reward) {
	t.Helper()
	what := "reward " + want.ID
	require.Equal(t, want.ID, got.ID, what)
	require.Equal(t, want.TransactionKey, got.TransactionKey, what)
	require.Equal(t, want.Action, got.Action, what)
	require.Equal(t, want.Status, got.Status, what)
	requireTimePtr(t, want.ReviewEndsAt, got.ReviewEndsAt, what+" ReviewEndsAt")
	requireTimePtr(t, want.DecidedAt, got.DecidedAt, what+" DecidedAt")
	require.Equal(t, want.Reason, got.Reason, what)
	require.Equal(t, want.PartnerID, got.PartnerID, what)
	require.Equal(t, want.PartnerKey, got.PartnerKey, what)
	require.Equal(t, want.CustomerID, got.CustomerID, what)
	require.Equal(t, want.CustomerKey, got.CustomerKey, what)
	require.Equal(t, want.RewardedCustomerID, got.RewardedCustomerID, what)
	require.Equal(t, want.RewardedCustomerKey, got.RewardedCustomerKey, what)
	requireDecimal(t, want.Amount, got.Amount, what+" Amount")
	require.Equal(t, want.AmountUnits, got.AmountUnits, what)
	require.Equal(t, want.IsCurrency, got.IsCurrency, what)
	require.Equal(t, want.Credit, got.Credit, what)
	require.Equal(t, want.ProductID, got.ProductID, what)
	require.Equal(t, want.ProductType, got.ProductType, what)
	require.Truef(t, want.CreatedAt.Equal(got.CreatedAt), "%s CreatedAt", what)
	requireTimePtr(t, want.DeletedAt, got.DeletedAt, what+" DeletedAt")
	require.Equal(t, want.Explanation.Rule, got.Explanation.Rule, what)
	require.Equal(t, want.Explanation.RuleVersion, got.Explanation.RuleVersion, what)
	require.Equal(t, want.Explanation.Match, got.Explanation.Match, what)
	require.Equal(t, want.Explanation.Type, got.Explanation.Type, what)
	requireDecimal(t, want.Explanation.Base, got.Explanation.Base, what+" Explanation.Base")
	requireDecimal(t, want.Explanation.Value, got.Explanation.Value, what+" Explanation.Value")
	require.Equal(t, want.Kind, got.Kind, what)
}

// requireSameTx compares every field of two transactions (Seq only when
// want has one).
func requireSameTx(t *testing.T, want, got *commission.Transaction) {
	t.Helper()
	what := "transaction " + want.Key
	require.NotNil(t, got, what)
	require.Equal(t, want.Key, got.Key, what)
	if want.Seq != 0 {
		require.Equal(t, want.Seq, got.Seq, what)
	}
	require.Equal(t, want.Action, got.Action, what)
	requireDecimal(t, want.Amount, got.Amount, what+" Amount")
	if want.Reward == nil {
		require.Nil(t, got.Reward, what)
	} else {
		require.NotNil(t, got.Reward, what)
		requireDecimal(t, *want.Reward, *got.Reward, what+" Reward")
	}
	require.Equal(t, want.AmountUnits, got.AmountUnits, what)
	require.Equal(t, want.IsCurrency, got.IsCurrency, what)
	require.Equal(t, want.Credit, got.Credit, what)
	require.Equal(t, want.ProductID, got.ProductID, what)
	require.Equal(t, want.ProductType, got.ProductType, what)
	require.Len(t, got.Products, len(want.Products), what)
	for i := range want.Products {
		require.Equal(t, want.Products[i].ProductID, got.Products[i].ProductID, what)
		require.Equal(t, want.Products[i].ProductType, got.Products[i].ProductType, what)
		requireDecimal(t, want.Products[i].ProductPrice, got.Products[i].ProductPrice, what+" ProductPrice")
	}
	require.Equal(t, want.Rewarded, got.Rewarded, what)
	require.Equal(t, want.Rewardable, got.Rewardable, what)
	require.Equal(t, want.Qualified, got.Qualified, what)
	require.Equal(t, want.CustomerID, got.CustomerID, what)
	require.Equal(t, want.CustomerKey, got.CustomerKey, what)
	require.Equal(t, want.PartnerID, got.PartnerID, what)
	require.Equal(t, want.PartnerKey, got.PartnerKey, what)
	require.Equal(t, want.ReferringCustomerID, got.ReferringCustomerID, what)
	require.Equal(t, want.ReferringCustomerKey, got.ReferringCustomerKey, what)
	require.Truef(t, want.CreatedAt.Equal(got.CreatedAt), "%s CreatedAt: want %v, got %v", what, want.CreatedAt, got.CreatedAt)
	require.Equal(t, want.Backdated, got.Backdated, what)
	require.Equal(t, want.State, got.State, what)
	requireTimePtr(t, want.DeletedAt, got.DeletedAt, what+" DeletedAt")
	require.Equal(t, want.Kind, got.Kind, what)
	require.Len(t, got.Rewards, len(want.Rewards), what)
	for i := range want.Rewards {
		requireSameReward(t, &want.Rewards[i], &got.Rewards[i])
	}
}

// within runs f and fails the test if it does not return in time (a
// deadlocked store).
func within(t *testing.T, f func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("store did not return within 10s: deadlocked?")
		return nil
	}
}

// ---------------------------------------------------------------------------
// Rollback

func TestUpdateRollback(t *testing.T) {
	counterBase := commission.CounterKey{Name: "partner.revenue", Subject: "p0", Bucket: "2025-05"}
	counterNew := commission.CounterKey{Name: "partner.revenue", Subject: "p1", Bucket: "2025-05"}
	counterNew2 := commission.CounterKey{Name: "partner.signups", Subject: "p1", Bucket: ""}

	for _, ending := range []string{"error", "panic"} {
		for _, baseline := range []bool{false, true} {
			name := ending + "/empty program"
			if baseline {
				name = ending + "/with committed data"
			}
			t.Run(name, func(t *testing.T) {
				s := newStore()
				var s0 *commission.Transaction
				if baseline {
					s0 = saleFixture("s0", "c0", "p0", t0, "r0")
					update(t, s, "a", func(tx commission.StoreTx) {
						require.NoError(t, tx.InsertPartner(ctx, partnerFixture("p0")))
						require.NoError(t, tx.InsertCustomer(ctx, customerFixture("c0", "p0")))
						require.NoError(t, tx.InsertTransaction(ctx, s0))
						require.NoError(t, tx.AddCounters(ctx, []commission.CounterDelta{{Key: counterBase, Delta: dec("5")}}))
					})
				}

				at := t0.Add(2 * time.Hour)
				fnCalled := false
				fn := func(tx commission.StoreTx) error {
					fnCalled = true
					require.NoError(t, tx.InsertPartner(ctx, partnerFixture("p1")))
					require.NoError(t, tx.SetPartnerStatus(ctx, "p1", commission.PartnerArchived))
					require.NoError(t, tx.InsertCustomer(ctx, customerFixture("c1", "p1")))
					require.NoError(t, tx.SetCustomerStatus(ctx, "c1", commission.CustomerSuspended))
					require.NoError(t, tx.InsertTransaction(ctx, saleFixture("s1", "c1", "p1", t0.Add(time.Hour), "r1", "r2")))
					require.NoError(t, tx.InsertTransaction(ctx, saleFixture("s2", "c1", "p1", t0.Add(-time.Hour), "r3")))
					require.NoError(t, tx.SetTransactionState(ctx, "s1", commission.TransactionArchived, &at))
					require.NoError(t, tx.SetRewardStatus(ctx, "r3", commission.RewardRejected, "fraud", at))
					require.NoError(t, tx.AddCounters(ctx, []commission.CounterDelta{
						{Key: counterNew, Delta: dec("2")},
						{Key: counterNew, Delta: dec("3")},
						{Key: counterNew2, Delta: dec("1")},
					}))
					if baseline {
						require.NoError(t, tx.SetPartnerStatus(ctx, "p0", commission.PartnerArchived))
						require.NoError(t, tx.SetCustomerStatus(ctx, "c0", commission.CustomerSuspended))
						require.NoError(t, tx.SetTransactionState(ctx, "s0", commission.TransactionDeleted, &at))
						require.NoError(t, tx.SetRewardStatus(ctx, "r0", commission.RewardOK, "approved", at))
						require.NoError(t, tx.AddCounters(ctx, []commission.CounterDelta{{Key: counterBase, Delta: dec("1.5")}}))
						require.NoError(t, tx.InsertTransaction(ctx, saleFixture("s3", "c0", "p0", t0.Add(3*time.Hour), "r4")))
					}

					// The unit of work reads its own writes.
					p, err := tx.Partner(ctx, commission.PartnerRef{Key: "key-p1"})
					require.NoError(t, err)
					require.Equal(t, commission.PartnerArchived, p.Status)
					c, err := tx.Customer(ctx, commission.CustomerRef{Email: "c1@customers.test"})
					require.NoError(t, err)
					require.Equal(t, commission.CustomerSuspended, c.Status)
					r, err := tx.Reward(ctx, "r3")
					require.NoError(t, err)
					require.Equal(t, commission.RewardRejected, r.Status)
					vals, err := tx.Counters(ctx, []commission.CounterKey{counterNew, counterNew2})
					require.NoError(t, err)
					requireDecimal(t, dec("5"), vals[0], "counter inside the unit of work")
					requireDecimal(t, dec("1"), vals[1], "counter inside the unit of work")
					ls, err := tx.Transactions(ctx, commission.TransactionQuery{CustomerID: "c1", Limit: 10})
					require.NoError(t, err)
					require.Equal(t, []string{"s1", "s2"}, keysOf(ls))
					h, err := tx.CustomerHistory(ctx, "c1", t0.Add(24*time.Hour))
					require.NoError(t, err)
					require.EqualValues(t, 1, h.Count) // s1 is archived

					if ending == "panic" {
						panic("boom")
					}
					return errBoom
				}

				var err error
				func() {
					defer func() {
						r := recover()
						if ending == "panic" {
							require.Equal(t, "boom", r, "the panic must reach the caller")
						} else {
							require.Nil(t, r)
						}
					}()
					err = s.Update(ctx, "a", fn)
				}()
				require.True(t, fnCalled)
				if ending == "error" {
					require.ErrorIs(t, err, errBoom)
				}

				// The store is not left locked.
				require.NoError(t, within(t, func() error {
					return s.View(ctx, "a", func(commission.StoreTx) error { return nil })
				}))
				require.NoError(t, within(t, func() error {
					return s.Update(ctx, "a", func(commission.StoreTx) error { return nil })
				}))

				// Nothing written is left behind.
				for _, ref := range []commission.PartnerRef{{ID: "p1"}, {Key: "key-p1"}, {Email: "p1@partners.test"}} {
					_, err := getPartner(t, s, "a", ref)
					requireNotFound(t, err, fmt.Sprintf("partner %+v", ref))
				}
				for _, ref := range []commission.CustomerRef{{ID: "c1"}, {Key: "key-c1"}, {Email: "c1@customers.test"}} {
					_, err := getCustomer(t, s, "a", ref)
					requireNotFound(t, err, fmt.Sprintf("customer %+v", ref))
				}
				for _, key := range []string{"s1", "s2", "s3"} {
					_, err := getTx(t, s, "a", key)
					requireNotFound(t, err, "transaction "+key)
				}
				for _, id := range []string{"r1", "r2", "r3", "r4"} {
					_, err := getReward(t, s, "a", id)
					requireNotFound(t, err, "reward "+id)
				}
				vals := counters(t, s, "a", counterNew, counterNew2, counterBase)
				requireDecimal(t, decimal.Zero, vals[0], "rolled back counter")
				requireDecimal(t, decimal.Zero, vals[1], "rolled back counter")
				require.Empty(t, listKeys(t, s, "a", commission.TransactionQuery{CustomerID: "c1", Limit: 10}))
				require.Empty(t, listKeys(t, s, "a", commission.TransactionQuery{PartnerID: "p1", Limit: 10}))
				require.Zero(t, history(t, s, "a", "c1", t0.Add(24*time.Hour)).Count)

				if baseline {
					// Committed data changed by the unit of work is restored.
					requireDecimal(t, dec("5"), vals[2], "committed counter")
					require.Equal(t, []string{"s0"}, listKeys(t, s, "a", commission.TransactionQuery{Limit: 10}))
					p, err := getPartner(t, s, "a", commission.PartnerRef{ID: "p0"})
					require.NoError(t, err)
					require.Equal(t, partnerFixture("p0"), p)
					c, err := getCustomer(t, s, "a", commission.CustomerRef{ID: "c0"})
					require.NoError(t, err)
					require.Equal(t, customerFixture("c0", "p0"), c)
					got, err := getTx(t, s, "a", "s0")
					require.NoError(t, err)
					requireSameTx(t, s0, got)
					r, err := getReward(t, s, "a", "r0")
					require.NoError(t, err)
					requireSameReward(t, &s0.Rewards[0], r)
					h := history(t, s, "a", "c0", t0.Add(24*time.Hour))
					require.EqualValues(t, 1, h.Count)
					require.True(t, t0.Equal(h.First))
				} else {
					requireDecimal(t, decimal.Zero, vals[2], "counter")
					require.Empty(t, listKeys(t, s, "a", commission.TransactionQuery{Limit: 10}))
				}

				// The same ids, keys, emails and reward ids are free again.
				s1 := saleFixture("s1", "c1", "p1", t0.Add(time.Hour), "r1", "r2")
				s2 := saleFixture("s2", "c1", "p1", t0.Add(-time.Hour), "r3")
				update(t, s, "a", func(tx commission.StoreTx) {
					require.NoError(t, tx.InsertPartner(ctx, partnerFixture("p1")))
					require.NoError(t, tx.InsertCustomer(ctx, customerFixture("c1", "p1")))
					require.NoError(t, tx.InsertTransaction(ctx, s1))
					require.NoError(t, tx.InsertTransaction(ctx, s2))
				})
				if baseline {
					require.Greater(t, s1.Seq, s0.Seq)
				}
				require.Greater(t, s2.Seq, s1.Seq)
				p, err := getPartner(t, s, "a", commission.PartnerRef{Email: "p1@partners.test"})
				require.NoError(t, err)
				require.Equal(t, partnerFixture("p1"), p)
				got, err := getTx(t, s, "a", "s1")
				require.NoError(t, err)
				requireSameTx(t, s1, got)
				r, err := getReward(t, s, "a", "r3")
				require.NoError(t, err)
				requireSameReward(t, &s2.Rewards[0], r)
				want := []string{"s1", "s2"}
				if baseline {
					want = []string{"s1", "s0", "s2"}
				}
				require.Equal(t, want, listKeys(t, s, "a", commission.TransactionQuery{Limit: 10}))
			})
		}
	}
}

// A unit of work that fails after a write method itself failed (a
// duplicate) rolls back the writes before it too.
func TestUpdateRollbackAfterFailedWrite(t *testing.T) {
	s := newStore()
	update(t, s, "a", func(tx commission.StoreTx) {
		require.NoError(t, tx.InsertTransaction(ctx, saleFixture("taken", "c0", "", t0, "r-taken")))
	})
	err := s.Update(ctx, "a", func(tx commission.StoreTx) error {
		require.NoError(t, tx.InsertCustomer(ctx, customerFixture("c1", "")))
		require.NoError(t, tx.InsertTransaction(ctx, saleFixture("fresh", "c1", "", t0, "r-fresh")))
		return tx.InsertTransaction(ctx, saleFixture("taken", "c1", "", t0))
	})
	requireDuplicate(t, err, "second insert of key taken")
	_, err = getCustomer(t, s, "a", commission.CustomerRef{ID: "c1"})
	requireNotFound(t, err, "customer c1")
	_, err = getTx(t, s, "a", "fresh")
	requireNotFound(t, err, "transaction fresh")
	_, err = getReward(t, s, "a", "r-fresh")
	requireNotFound(t, err, "reward r-fresh")
	require.Equal(t, []string{"taken"}, listKeys(t, s, "a", commission.TransactionQuery{Limit: 10}))
}

// The store keeps no reference to the values passed to it, so a caller
// that changes its own Partner or Customer after inserting it, in a unit of
// work that then fails, must not disturb the rollback.
func TestRollbackIgnoresCallerMutationsOfInsertedValues(t *testing.T) {
	t.Run("partner", func(t *testing.T) {
		s := newStore()
		q := partnerFixture("q")
		update(t, s, "a", func(tx commission.StoreTx) { require.NoError(t, tx.InsertPartner(ctx, q)) })

		err := s.Update(ctx, "a", func(tx commission.StoreTx) error {
			p := partnerFixture("p")
			require.NoError(t, tx.InsertPartner(ctx, p))
			// The caller reuses its value; the store must not care.
			p.ID, p.Key, p.Email = "q", "key-q", "q@partners.test"
			return errBoom
		})
		require.ErrorIs(t, err, errBoom)

		for _, ref := range []commission.PartnerRef{{ID: "q"}, {Key: "key-q"}, {Email: "q@partners.test"}} {
			got, err := getPartner(t, s, "a", ref)
			require.NoErrorf(t, err, "committed partner q by %+v", ref)
			require.Equal(t, q.ID, got.ID)
		}
		for _, ref := range []commission.PartnerRef{{ID: "p"}, {Key: "key-p"}, {Email: "p@partners.test"}} {
			_, err := getPartner(t, s, "a", ref)
			requireNotFound(t, err, fmt.Sprintf("rolled back partner p by %+v", ref))
		}
		require.NoError(t, s.Update(ctx, "a", func(tx commission.StoreTx) error {
			return tx.InsertPartner(ctx, partnerFixture("p"))
		}), "the rolled back partner's id, key and email are free")
	})

	t.Run("customer", func(t *testing.T) {
		s := newStore()
		q := customerFixture("q", "")
		update(t, s, "a", func(tx commission.StoreTx) { require.NoError(t, tx.InsertCustomer(ctx, q)) })

		err := s.Update(ctx, "a", func(tx commission.StoreTx) error {
			c := customerFixture("c", "")
			require.NoError(t, tx.InsertCustomer(ctx, c))
			c.ID, c.Key, c.Email = "q", "key-q", "q@customers.test"
			return errBoom
		})
		require.ErrorIs(t, err, errBoom)

		for _, ref := range []commission.CustomerRef{{ID: "q"}, {Key: "key-q"}, {Email: "q@customers.test"}} {
			got, err := getCustomer(t, s, "a", ref)
			require.NoErrorf(t, err, "committed customer q by %+v", ref)
			require.Equal(t, q.ID, got.ID)
		}
		for _, ref := range []commission.CustomerRef{{ID: "c"}, {Key: "key-c"}, {Email: "c@customers.test"}} {
			_, err := getCustomer(t, s, "a", ref)
			requireNotFound(t, err, fmt.Sprintf("rolled back customer c by %+v", ref))
		}
		require.NoError(t, s.Update(ctx, "a", func(tx commission.StoreTx) error {
			return tx.InsertCustomer(ctx, customerFixture("c", ""))
		}), "the rolled back customer's id, key and email are free")
	})
}

// ---------------------------------------------------------------------------
// Duplicates

func TestDuplicatePartner(t *testing.T) {
	s := newStore()
	update(t, s, "a", func(tx commission.StoreTx) { require.NoError(t, tx.InsertPartner(ctx, partnerFixture("p1"))) })

	cases := map[string]*commission.Partner{
		"id":    {ID: "p1", Key: "other-key", Email: "other@partners.test"},
		"key":   {ID: "other", Key: "key-p1", Email: "other@partners.test"},
		"email": {ID: "other", Key: "other-key", Email: "p1@partners.test"},
	}
	for name, p := range cases {
		t.Run(name, func(t *testing.T) {
			err := s.Update(ctx, "a", func(tx commission.StoreTx) error { return tx.InsertPartner(ctx, p) })
			requireDuplicate(t, err, "partner with a taken "+name)

			// A unit of work that ignores the error and commits stores
			// nothing of the rejected partner.
			update(t, s, "a", func(tx commission.StoreTx) {
				requireDuplicate(t, tx.InsertPartner(ctx, p), "partner with a taken "+name)
			})
			if name != "id" {
				_, err = getPartner(t, s, "a", commission.PartnerRef{ID: "other"})
				requireNotFound(t, err, "rejected partner by id")
			}
			if name != "key" {
				_, err = getPartner(t, s, "a", commission.PartnerRef{Key: "other-key"})
				requireNotFound(t, err, "rejected partner by key")
			}
			if name != "email" {
				_, err = getPartner(t, s, "a", commission.PartnerRef{Email: "other@partners.test"})
				requireNotFound(t, err, "rejected partner by email")
			}
			got, err := getPartner(t, s, "a", commission.PartnerRef{ID: "p1"})
			require.NoError(t, err)
			require.Equal(t, partnerFixture("p1"), got)
		})
	}

	t.Run("empty emails do not collide", func(t *testing.T) {
		update(t, s, "a", func(tx commission.StoreTx) {
			require.NoError(t, tx.InsertPartner(ctx, &commission.Partner{ID: "n1", Key: "n1", Status: commission.PartnerActive}))
			require.NoError(t, tx.InsertPartner(ctx, &commission.Partner{ID: "n2", Key: "n2", Status: commission.PartnerActive}))
		})
	})

	t.Run("within one unit of work", func(t *testing.T) {
		err := s.Update(ctx, "a", func(tx commission.StoreTx) error {
			require.NoError(t, tx.InsertPartner(ctx, partnerFixture("w")))
			return tx.InsertPartner(ctx, &commission.Partner{ID: "w2", Key: "key-w"})
		})
		requireDuplicate(t, err, "key taken earlier in the same unit of work")
		_, err = getPartner(t, s, "a", commission.PartnerRef{ID: "w"})
		requireNotFound(t, err, "partner w rolled back")
	})

	t.Run("partners and customers are separate", func(t *testing.T) {
		update(t, s, "a", func(tx commission.StoreTx) {
			c := customerFixture("p1", "")
			c.Key, c.Email = "key-p1", "p1@partners.test"
			require.NoError(t, tx.InsertCustomer(ctx, c))
		})
	})
}

func TestDuplicateCustomer(t *testing.T) {
	s := newStore()
	update(t, s, "a", func(tx commission.StoreTx) { require.NoError(t, tx.InsertCustomer(ctx, customerFixture("c1", ""))) })

	cases := map[string]*commission.Customer{
		"id":    {ID: "c1", Key: "other-key", Email: "other@customers.test"},
		"key":   {ID: "other", Key: "key-c1", Email: "other@customers.test"},
		"email": {ID: "other", Key: "other-key", Email: "c1@customers.test"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			err := s.Update(ctx, "a", func(tx commission.StoreTx) error { return tx.InsertCustomer(ctx, c) })
			requireDuplicate(t, err, "customer with a taken "+name)

			update(t, s, "a", func(tx commission.StoreTx) {
				requireDuplicate(t, tx.InsertCustomer(ctx, c), "customer with a taken "+name)
			})
			if name != "id" {
				_, err = getCustomer(t, s, "a", commission.CustomerRef{ID: "other"})
				requireNotFound(t, err, "rejected customer by id")
			}
			if name != "key" {
				_, err = getCustomer(t, s, "a", commission.CustomerRef{Key: "other-key"})
				requireNotFound(t, err, "rejected customer by key")
			}
			if name != "email" {
				_, err = getCustomer(t, s, "a", commission.CustomerRef{Email: "other@customers.test"})
				requireNotFound(t, err, "rejected customer by email")
			}
			got, err := getCustomer(t, s, "a", commission.CustomerRef{ID: "c1"})
			require.NoError(t, err)
			require.Equal(t, customerFixture("c1", ""), got)
		})
	}

	t.Run("empty emails do not collide", func(t *testing.T) {
		update(t, s, "a", func(tx commission.StoreTx) {
			require.NoError(t, tx.InsertCustomer(ctx, &commission.Customer{ID: "n1", Key: "n1", Status: commission.CustomerActive}))
			require.NoError(t, tx.InsertCustomer(ctx, &commission.Customer{ID: "n2", Key: "n2", Status: commission.CustomerActive}))
		})
	})
}

func TestDuplicateTransaction(t *testing.T) {
	insert := func(s commission.Store, tr *commission.Transaction) error {
		return s.Update(ctx, "a", func(tx commission.StoreTx) error { return tx.InsertTransaction(ctx, tr) })
	}

	t.Run("key", func(t *testing.T) {
		s := newStore()
		require.NoError(t, insert(s, saleFixture("k", "c1", "p1", t0, "r1")))
		requireDuplicate(t, insert(s, saleFixture("k", "c2", "p2", t0.Add(time.Hour), "r2")), "taken key")
		got, err := getTx(t, s, "a", "k")
		require.NoError(t, err)
		require.Equal(t, "c1", got.CustomerID, "the stored transaction is unchanged")
		_, err = getReward(t, s, "a", "r2")
		requireNotFound(t, err, "reward of the rejected transaction")
		require.NoError(t, insert(s, saleFixture("k2", "c2", "p2", t0, "r2")), "its reward id is free")
	})

	for _, state := range []commission.TransactionState{commission.TransactionDeleted, commission.TransactionArchived} {
		t.Run("key of a "+string(state)+" transaction", func(t *testing.T) {
			s := newStore()
			require.NoError(t, insert(s, saleFixture("k", "c1", "p1", t0, "r1")))
			at := t0.Add(time.Hour)
			update(t, s, "a", func(tx commission.StoreTx) {
				require.NoError(t, tx.SetTransactionState(ctx, "k", state, &at))
			})
			requireDuplicate(t, insert(s, saleFixture("k", "c1", "p1", t0.Add(2*time.Hour))), "key of a "+string(state)+" transaction")

			// The transaction is still found by key, in its state.
			got, err := getTx(t, s, "a", "k")
			require.NoError(t, err)
			require.Equal(t, state, got.State)
			requireTimePtr(t, &at, got.DeletedAt, "DeletedAt")
			requireTimePtr(t, &at, got.Rewards[0].DeletedAt, "reward DeletedAt")
			r, err := getReward(t, s, "a", "r1")
			require.NoError(t, err)
			requireTimePtr(t, &at, r.DeletedAt, "reward DeletedAt")
		})
	}

	t.Run("reward id taken by another transaction", func(t *testing.T) {
		s := newStore()
		require.NoError(t, insert(s, saleFixture("k1", "c1", "p1", t0, "r1", "r2")))
		requireDuplicate(t, insert(s, saleFixture("k2", "c1", "p1", t0, "r3", "r2")), "reward id taken")
		_, err := getTx(t, s, "a", "k2")
		requireNotFound(t, err, "transaction with a taken reward id")

		// Ignoring the error and committing stores nothing of it either.
		update(t, s, "a", func(tx commission.StoreTx) {
			requireDuplicate(t, tx.InsertTransaction(ctx, saleFixture("k2", "c1", "p1", t0, "r3", "r2")), "reward id taken")
		})
		_, err = getTx(t, s, "a", "k2")
		requireNotFound(t, err, "transaction with a taken reward id")
		_, err = getReward(t, s, "a", "r3")
		requireNotFound(t, err, "reward r3")
		r, err := getReward(t, s, "a", "r2")
		require.NoError(t, err)
		require.Equal(t, "k1", r.TransactionKey)
		require.NoError(t, insert(s, saleFixture("k2", "c1", "p1", t0, "r3")), "key and reward ids are free")
	})

	t.Run("reward id taken by a deleted transaction", func(t *testing.T) {
		s := newStore()
		require.NoError(t, insert(s, saleFixture("k1", "c1", "p1", t0, "r1")))
		at := t0
		update(t, s, "a", func(tx commission.StoreTx) {
			require.NoError(t, tx.SetTransactionState(ctx, "k1", commission.TransactionDeleted, &at))
		})
		requireDuplicate(t, insert(s, saleFixture("k2", "c1", "p1", t0, "r1")), "reward id of a deleted transaction")
	})

	t.Run("reward id taken earlier in the same unit of work", func(t *testing.T) {
		s := newStore()
		err := s.Update(ctx, "a", func(tx commission.StoreTx) error {
			require.NoError(t, tx.InsertTransaction(ctx, saleFixture("k1", "c1", "p1", t0, "r1")))
			return tx.InsertTransaction(ctx, saleFixture("k2", "c1", "p1", t0, "r1"))
		})
		requireDuplicate(t, err, "reward id taken in the same unit of work")
	})

	t.Run("reward id repeated within one transaction", func(t *testing.T) {
		s := newStore()
		requireDuplicate(t, insert(s, saleFixture("k1", "c1", "p1", t0, "r1", "r1")), "reward id repeated in one transaction")
		_, err := getTx(t, s, "a", "k1")
		requireNotFound(t, err, "transaction with a repeated reward id")
	})
}

// ---------------------------------------------------------------------------
// Values passed in and values returned
//
// StoreTx keeps no reference to the values passed to it. The values it
// returns are read-only for the caller, and a store that shares them
// replaces, never modifies, what it shared: a value once returned does not
// change under its holder.

func TestInsertedPartnerAndCustomerAreNotRetained(t *testing.T) {
	s := newStore()
	p := partnerFixture("p1")
	c := customerFixture("c1", "p1")
	update(t, s, "a", func(tx commission.StoreTx) {
		require.NoError(t, tx.InsertPartner(ctx, p))
		require.NoError(t, tx.InsertCustomer(ctx, c))
		// Mutating the inserted values inside the unit of work...
		p.Name, p.Status, p.Tags[0] = "changed", commission.PartnerArchived, "changed"
		c.Name, c.Status, c.Tags[0] = "changed", commission.CustomerSuspended, "changed"
		gp, err := tx.Partner(ctx, commission.PartnerRef{ID: "p1"})
		require.NoError(t, err)
		require.Equal(t, partnerFixture("p1"), gp)
		gc, err := tx.Customer(ctx, commission.CustomerRef{ID: "c1"})
		require.NoError(t, err)
		require.Equal(t, customerFixture("c1", "p1"), gc)
	})
	// ...and after it.
	p.Tags[1] = "changed"
	p.Tags = append(p.Tags, "more")
	c.Tags[1] = "changed"
	c.Tags = append(c.Tags, "more")

	for _, ref := range []commission.PartnerRef{{ID: "p1"}, {Key: "key-p1"}, {Email: "p1@partners.test"}} {
		got, err := getPartner(t, s, "a", ref)
		require.NoError(t, err)
		require.Equal(t, partnerFixture("p1"), got)
	}
	for _, ref := range []commission.CustomerRef{{ID: "c1"}, {Key: "key-c1"}, {Email: "c1@customers.test"}} {
		got, err := getCustomer(t, s, "a", ref)
		require.NoError(t, err)
		require.Equal(t, customerFixture("c1", "p1"), got)
	}
}

// mutateTx changes every field, slice element and pointee of tr.
func mutateTx(tr *commission.Transaction) {
	tr.Action = "changed"
	tr.Amount = dec("999")
	*tr.Reward = dec("999")
	tr.Products[0].ProductID = "changed"
	tr.Products[0].ProductPrice = dec("999")
	tr.State = commission.TransactionDeleted
	tr.CreatedAt = t0.Add(1000 * time.Hour)
	if tr.DeletedAt != nil {
		*tr.DeletedAt = t0.Add(1000 * time.Hour)
	}
	for i := range tr.Rewards {
		r := &tr.Rewards[i]
		r.ID = "changed"
		r.Amount = dec("999")
		r.Status = commission.RewardRejected
		if r.ReviewEndsAt != nil {
			*r.ReviewEndsAt = t0.Add(1000 * time.Hour)
		}
		if r.DecidedAt != nil {
			*r.DecidedAt = t0.Add(1000 * time.Hour)
		}
		if r.DeletedAt != nil {
			*r.DeletedAt = t0.Add(1000 * time.Hour)
		}
		r.Explanation.Base = dec("999")
	}
	tr.Products = append(tr.Products, commission.ProductLine{ProductID: "extra"})
	tr.Rewards = append(tr.Rewards, commission.Reward{ID: "extra"})
}

func TestInsertedTransactionIsNotRetained(t *testing.T) {
	s := newStore()
	in := saleFixture("k1", "c1", "p1", t0, "r1", "r2", "r3")
	want := saleFixture("k1", "c1", "p1", t0, "r1", "r2", "r3")
	update(t, s, "a", func(tx commission.StoreTx) {
		require.NoError(t, tx.InsertTransaction(ctx, in))
		require.NotZero(t, in.Seq, "InsertTransaction sets Seq")
		want.Seq = in.Seq
		mutateTx(in)
		got, err := tx.Transaction(ctx, "k1")
		require.NoError(t, err)
		requireSameTx(t, want, got)
		r, err := tx.Reward(ctx, "r1")
		require.NoError(t, err)
		requireSameReward(t, &want.Rewards[0], r)
	})
	mutateTx(in)
	in.Rewards, in.Products = nil, nil

	got, err := getTx(t, s, "a", "k1")
	require.NoError(t, err)
	requireSameTx(t, want, got)
	require.Equal(t, []string{"r1", "r2", "r3"}, []string{got.Rewards[0].ID, got.Rewards[1].ID, got.Rewards[2].ID},
		"rewards in the order they were stored")
	for i, id := range []string{"r1", "r2", "r3"} {
		r, err := getReward(t, s, "a", id)
		require.NoError(t, err)
		requireSameReward(t, &want.Rewards[i], r)
	}
	ls := list(t, s, "a", commission.TransactionQuery{Limit: 10})
	require.Len(t, ls, 1)
	requireSameTx(t, want, ls[0])

	// The deletedAt pointer given to SetTransactionState is not kept.
	at := t0.Add(time.Hour)
	update(t, s, "a", func(tx commission.StoreTx) {
		require.NoError(t, tx.SetTransactionState(ctx, "k1", commission.TransactionArchived, &at))
	})
	at = t0.Add(1000 * time.Hour)
	wantAt := t0.Add(time.Hour)
	want.State, want.DeletedAt = commission.TransactionArchived, &wantAt
	for i := range want.Rewards {
		want.Rewards[i].DeletedAt = &wantAt
	}
	got, err = getTx(t, s, "a", "k1")
	require.NoError(t, err)
	requireSameTx(t, want, got)
	r, err := getReward(t, s, "a", "r2")
	require.NoError(t, err)
	requireSameReward(t, &want.Rewards[1], r)
}

func TestReturnedValuesDoNotChangeUnderTheirHolder(t *testing.T) {
	s := newStore()
	update(t, s, "a", func(tx commission.StoreTx) {
		require.NoError(t, tx.InsertPartner(ctx, partnerFixture("p1")))
		require.NoError(t, tx.InsertCustomer(ctx, customerFixture("c1", "p1")))
		require.NoError(t, tx.InsertTransaction(ctx, saleFixture("k1", "c1", "p1", t0, "r1", "r2")))
	})
	before := saleFixture("k1", "c1", "p1", t0, "r1", "r2")

	type snapshot struct {
		p  *commission.Partner
		c  *commission.Customer
		tr *commission.Transaction
		r  *commission.Reward
		ls []*commission.Transaction
	}
	take := func(tx commission.StoreTx) snapshot {
		var sn snapshot
		var err error
		sn.p, err = tx.Partner(ctx, commission.PartnerRef{Key: "key-p1"})
		require.NoError(t, err)
		sn.c, err = tx.Customer(ctx, commission.CustomerRef{Email: "c1@customers.test"})
		require.NoError(t, err)
		sn.tr, err = tx.Transaction(ctx, "k1")
		require.NoError(t, err)
		sn.r, err = tx.Reward(ctx, "r1")
		require.NoError(t, err)
		sn.ls, err = tx.Transactions(ctx, commission.TransactionQuery{Limit: 10})
		require.NoError(t, err)
		return sn
	}
	requireUnchanged := func(t *testing.T, sn snapshot) {
		t.Helper()
		require.Equal(t, partnerFixture("p1"), sn.p)
		require.Equal(t, customerFixture("c1", "p1"), sn.c)
		requireSameTx(t, before, sn.tr)
		requireSameReward(t, &before.Rewards[0], sn.r)
		require.Len(t, sn.ls, 1)
		requireSameTx(t, before, sn.ls[0])
	}

	var fromView snapshot
	require.NoError(t, s.View(ctx, "a", func(tx commission.StoreTx) error {
		fromView = take(tx)
		return nil
	}))

	at := t0.Add(time.Hour)
	write := func(tx commission.StoreTx) {
		require.NoError(t, tx.SetPartnerStatus(ctx, "p1", commission.PartnerArchived))
		require.NoError(t, tx.SetCustomerStatus(ctx, "c1", commission.CustomerSuspended))
		require.NoError(t, tx.SetRewardStatus(ctx, "r1", commission.RewardRejected, "fraud", at))
		require.NoError(t, tx.SetTransactionState(ctx, "k1", commission.TransactionArchived, &at))
	}
	requireWritten := func(t *testing.T, sn snapshot) {
		t.Helper()
		require.Equal(t, commission.PartnerArchived, sn.p.Status)
		require.Equal(t, commission.CustomerSuspended, sn.c.Status)
		require.Equal(t, commission.TransactionArchived, sn.tr.State)
		requireTimePtr(t, &at, sn.tr.DeletedAt, "DeletedAt")
		require.Equal(t, commission.RewardRejected, sn.tr.Rewards[0].Status)
		require.Equal(t, commission.RewardRejected, sn.r.Status)
		require.Equal(t, "fraud", sn.r.Reason)
		requireTimePtr(t, &at, sn.r.DecidedAt, "DecidedAt")
		require.Len(t, sn.ls, 1)
		require.Equal(t, commission.TransactionArchived, sn.ls[0].State)
	}

	// Writes in a unit of work that fails: values read before the writes,
	// and values read inside it after them, stay as they were read.
	var inside, insideAfter snapshot
	err := s.Update(ctx, "a", func(tx commission.StoreTx) error {
		inside = take(tx)
		write(tx)
		requireUnchanged(t, inside)
		insideAfter = take(tx)
		requireWritten(t, insideAfter)
		return errBoom
	})
	require.ErrorIs(t, err, errBoom)
	requireUnchanged(t, fromView)
	requireUnchanged(t, inside)
	requireWritten(t, insideAfter)
	require.NoError(t, s.View(ctx, "a", func(tx commission.StoreTx) error {
		requireUnchanged(t, take(tx))
		return nil
	}))

	// The same writes committed.
	update(t, s, "a", write)
	requireUnchanged(t, fromView)
	requireUnchanged(t, inside)
	require.NoError(t, s.View(ctx, "a", func(tx commission.StoreTx) error {
		requireWritten(t, take(tx))
		return nil
	}))
}

// Values returned by one unit of work are read after it ended while other
// goroutines change the same rows: under -race, a store that modified a
// shared value in place would be reported.
func TestReturnedValuesUnderConcurrentWrites(t *testing.T) {
	s := newStore()
	update(t, s, "a", func(tx commission.StoreTx) {
		require.NoError(t, tx.InsertPartner(ctx, partnerFixture("p1")))
		require.NoError(t, tx.InsertCustomer(ctx, customerFixture("c1", "p1")))
		require.NoError(t, tx.InsertTransaction(ctx, saleFixture("k1", "c1", "p1", t0, "r1")))
	})
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Go(func() {
			for i := 0; i < 200; i++ {
				at := t0.Add(time.Duration(i) * time.Minute)
				err := s.Update(ctx, "a", func(tx commission.StoreTx) error {
					ps, cs, ts := commission.PartnerActive, commission.CustomerActive, commission.TransactionActive
					var deletedAt *time.Time
					if i%2 == 0 {
						ps, cs, ts, deletedAt = commission.PartnerArchived, commission.CustomerSuspended, commission.TransactionArchived, &at
					}
					if err := tx.SetPartnerStatus(ctx, "p1", ps); err != nil {
						return err
					}
					if err := tx.SetCustomerStatus(ctx, "c1", cs); err != nil {
						return err
					}
					if err := tx.SetRewardStatus(ctx, "r1", commission.RewardInReview, fmt.Sprint(i), at); err != nil {
						return err
					}
					if err := tx.SetTransactionState(ctx, "k1", ts, deletedAt); err != nil {
						return err
					}
					if i%3 == 0 {
						return errBoom // and roll it all back
					}
					return nil
				})
				if i%3 == 0 {
					assert.ErrorIs(t, err, errBoom)
				} else {
					assert.NoError(t, err)
				}
			}
		})
	}
	for r := 0; r < 4; r++ {
		wg.Go(func() {
			for i := 0; i < 200; i++ {
				var (
					p  *commission.Partner
					c  *commission.Customer
					tr *commission.Transaction
					rw *commission.Reward
					ls []*commission.Transaction
				)
				err := s.View(ctx, "a", func(tx commission.StoreTx) error {
					var err error
					if p, err = tx.Partner(ctx, commission.PartnerRef{ID: "p1"}); err != nil {
						return err
					}
					if c, err = tx.Customer(ctx, commission.CustomerRef{ID: "c1"}); err != nil {
						return err
					}
					if tr, err = tx.Transaction(ctx, "k1"); err != nil {
						return err
					}
					if rw, err = tx.Reward(ctx, "r1"); err != nil {
						return err
					}
					ls, err = tx.Transactions(ctx, commission.TransactionQuery{Limit: 10})
					return err
				})
				if !assert.NoError(t, err) {
					return
				}
				// Read everything after the View, while writers run.
				status, cstatus := p.Status, c.Status
				_ = fmt.Sprint(p.Tags, c.Tags, tr.State, tr.DeletedAt, tr.Rewards[0].Reason, rw.Reason, rw.DecidedAt)
				assert.Equal(t, status, p.Status, "partner changed under its holder")
				assert.Equal(t, cstatus, c.Status, "customer changed under its holder")
				for _, l := range ls {
					_ = fmt.Sprint(l.State, l.DeletedAt, l.Rewards[0].Status)
				}
			}
		})
	}
	wg.Wait()
}

// ---------------------------------------------------------------------------
// View

func TestViewIsReadOnly(t *testing.T) {
	s := newStore()
	s1 := saleFixture("s1", "c1", "p1", t0, "r1")
	key := commission.CounterKey{Name: "n", Subject: "p1"}
	update(t, s, "a", func(tx commission.StoreTx) {
		require.NoError(t, tx.InsertPartner(ctx, partnerFixture("p1")))
		require.NoError(t, tx.InsertCustomer(ctx, customerFixture("c1", "p1")))
		require.NoError(t, tx.InsertTransaction(ctx, s1))
		require.NoError(t, tx.AddCounters(ctx, []commission.CounterDelta{{Key: key, Delta: dec("1")}}))
	})

	at := t0.Add(time.Hour)
	require.NoError(t, s.View(ctx, "a", func(tx commission.StoreTx) error {
		require.Error(t, tx.InsertPartner(ctx, partnerFixture("p2")), "InsertPartner")
		require.Error(t, tx.SetPartnerStatus(ctx, "p1", commission.PartnerArchived), "SetPartnerStatus")
		require.Error(t, tx.InsertCustomer(ctx, customerFixture("c2", "p1")), "InsertCustomer")
		require.Error(t, tx.SetCustomerStatus(ctx, "c1", commission.CustomerSuspended), "SetCustomerStatus")
		require.Error(t, tx.InsertTransaction(ctx, saleFixture("s2", "c1", "p1", t0, "r2")), "InsertTransaction")
		require.Error(t, tx.SetTransactionState(ctx, "s1", commission.TransactionDeleted, &at), "SetTransactionState")
		require.Error(t, tx.SetRewardStatus(ctx, "r1", commission.RewardRejected, "no", at), "SetRewardStatus")
		require.Error(t, tx.AddCounters(ctx, []commission.CounterDelta{{Key: key, Delta: dec("1")}}), "AddCounters")
		return nil
	}))

	_, err := getPartner(t, s, "a", commission.PartnerRef{ID: "p2"})
	requireNotFound(t, err, "partner p2")
	_, err = getCustomer(t, s, "a", commission.CustomerRef{ID: "c2"})
	requireNotFound(t, err, "customer c2")
	_, err = getTx(t, s, "a", "s2")
	requireNotFound(t, err, "transaction s2")
	_, err = getReward(t, s, "a", "r2")
	requireNotFound(t, err, "reward r2")
	p, err := getPartner(t, s, "a", commission.PartnerRef{ID: "p1"})
	require.NoError(t, err)
	require.Equal(t, commission.PartnerActive, p.Status)
	c, err := getCustomer(t, s, "a", commission.CustomerRef{ID: "c1"})
	require.NoError(t, err)
	require.Equal(t, commission.CustomerActive, c.Status)
	got, err := getTx(t, s, "a", "s1")
	require.NoError(t, err)
	requireSameTx(t, s1, got)
	requireDecimal(t, dec("1"), counters(t, s, "a", key)[0], "counter")

	// A View on a program never written to is empty, not an error.
	require.Empty(t, listKeys(t, s, "never-written", commission.TransactionQuery{Limit: 10}))
}

// ---------------------------------------------------------------------------
// Listing

// listingFixture stores (in this order, Seq 1..9):
//
//	t1 T+1h   cA1/pA
//	t2 T+3h   cB1/pB
//	t3 T+2h   cA2/pA  (backdated)
//	t4 T      cA1/pA  (backdated, oldest)
//	t5 T+2h   cB1/pB  (same CreatedAt as t3, later Seq)
//	t6 T+4h   cA1/pA  then archived
//	t7 T+5h   cA1/pA  then deleted
//	t8 T+30m  cX/-    (no partner)
//	t9 T+6h   cA1/pB
func listingFixture(t *testing.T) (commission.Store, map[string]*commission.Transaction) {
	t.Helper()
	s := newStore()
	h := time.Hour
	rows := []struct {
		key, customer, partner string
		at                     time.Duration
	}{
		{"t1", "cA1", "pA", h},
		{"t2", "cB1", "pB", 3 * h},
		{"t3", "cA2", "pA", 2 * h},
		{"t4", "cA1", "pA", 0},
		{"t5", "cB1", "pB", 2 * h},
		{"t6", "cA1", "pA", 4 * h},
		{"t7", "cA1", "pA", 5 * h},
		{"t8", "cX", "", 30 * time.Minute},
		{"t9", "cA1", "pB", 6 * h},
	}
	txs := make(map[string]*commission.Transaction)
	for i, r := range rows {
		tr := saleFixture(r.key, r.customer, r.partner, t0.Add(r.at), "r-"+r.key)
		// One unit of work per insert, so backdated rows land among
		// committed ones.
		update(t, s, "a", func(tx commission.StoreTx) { require.NoError(t, tx.InsertTransaction(ctx, tr)) })
		require.EqualValues(t, i+1, tr.Seq)
		txs[r.key] = tr
	}
	archivedAt, deletedAt := t0.Add(7*h), t0.Add(8*h)
	update(t, s, "a", func(tx commission.StoreTx) {
		require.NoError(t, tx.SetTransactionState(ctx, "t6", commission.TransactionArchived, &archivedAt))
		require.NoError(t, tx.SetTransactionState(ctx, "t7", commission.TransactionDeleted, &deletedAt))
	})
	return s, txs
}

func TestTransactionsListing(t *testing.T) {
	s, txs := listingFixture(t)
	pos := func(key string) *commission.Position { p := txs[key].Position(); return &p }
	at := func(d time.Duration, seq int64) *commission.Position {
		return &commission.Position{CreatedAt: t0.Add(d), Seq: seq}
	}
	all := []string{"t9", "t6", "t2", "t5", "t3", "t1", "t8", "t4"}

	cases := []struct {
		name string
		q    commission.TransactionQuery
		want []string
	}{
		{"all, newest first, archived in, deleted out", commission.TransactionQuery{Limit: 100}, all},
		{"limit", commission.TransactionQuery{Limit: 1}, []string{"t9"}},
		{"limit exact", commission.TransactionQuery{Limit: 8}, all},
		{"offset and limit", commission.TransactionQuery{Offset: 1, Limit: 2}, []string{"t6", "t2"}},
		{"offset across equal CreatedAt", commission.TransactionQuery{Offset: 3, Limit: 2}, []string{"t5", "t3"}},
		{"offset to the last", commission.TransactionQuery{Offset: 7, Limit: 10}, []string{"t4"}},
		{"offset past the end", commission.TransactionQuery{Offset: 8, Limit: 10}, []string{}},

		{"after a position", commission.TransactionQuery{After: pos("t5"), Limit: 100}, []string{"t3", "t1", "t8", "t4"}},
		{"after the newest", commission.TransactionQuery{After: pos("t9"), Limit: 100}, all[1:]},
		{"after a deleted transaction", commission.TransactionQuery{After: pos("t7"), Limit: 100}, all[1:]},
		{"after the oldest", commission.TransactionQuery{After: pos("t4"), Limit: 100}, []string{}},
		{"after a seq between two equal times", commission.TransactionQuery{After: at(2*time.Hour, 4), Limit: 100}, []string{"t3", "t1", "t8", "t4"}},
		{"after a larger seq at an equal time", commission.TransactionQuery{After: at(2*time.Hour, 100), Limit: 100}, []string{"t5", "t3", "t1", "t8", "t4"}},
		{"after a time between rows", commission.TransactionQuery{After: at(150*time.Minute, 0), Limit: 100}, []string{"t5", "t3", "t1", "t8", "t4"}},
		{"after the future", commission.TransactionQuery{After: at(100*time.Hour, 0), Limit: 100}, all},
		{"after the past", commission.TransactionQuery{After: at(-time.Hour, 1000), Limit: 100}, []string{}},
		{"after, offset and limit", commission.TransactionQuery{After: pos("t2"), Offset: 1, Limit: 2}, []string{"t3", "t1"}},

		{"partner", commission.TransactionQuery{PartnerID: "pA", Limit: 100}, []string{"t6", "t3", "t1", "t4"}},
		{"other partner", commission.TransactionQuery{PartnerID: "pB", Limit: 100}, []string{"t9", "t2", "t5"}},
		{"unknown partner", commission.TransactionQuery{PartnerID: "nobody", Limit: 100}, []string{}},
		{"partner, offset and limit", commission.TransactionQuery{PartnerID: "pA", Offset: 1, Limit: 1}, []string{"t3"}},
		{"partner after", commission.TransactionQuery{PartnerID: "pA", After: pos("t6"), Limit: 100}, []string{"t3", "t1", "t4"}},
		{"partner after another partner's row", commission.TransactionQuery{PartnerID: "pA", After: pos("t5"), Limit: 100}, []string{"t3", "t1", "t4"}},

		{"customer", commission.TransactionQuery{CustomerID: "cA1", Limit: 100}, []string{"t9", "t6", "t1", "t4"}},
		{"customer with no partner", commission.TransactionQuery{CustomerID: "cX", Limit: 100}, []string{"t8"}},
		{"other customer", commission.TransactionQuery{CustomerID: "cB1", Limit: 100}, []string{"t2", "t5"}},
		{"unknown customer", commission.TransactionQuery{CustomerID: "nobody", Limit: 100}, []string{}},
		{"customer, offset and limit", commission.TransactionQuery{CustomerID: "cA1", Offset: 2, Limit: 5}, []string{"t1", "t4"}},
		{"customer after", commission.TransactionQuery{CustomerID: "cA1", After: pos("t6"), Limit: 100}, []string{"t1", "t4"}},

		{"customer and partner", commission.TransactionQuery{CustomerID: "cA1", PartnerID: "pA", Limit: 100}, []string{"t6", "t1", "t4"}},
		{"customer and other partner", commission.TransactionQuery{CustomerID: "cA1", PartnerID: "pB", Limit: 100}, []string{"t9"}},
		{"customer and a partner it never had", commission.TransactionQuery{CustomerID: "cB1", PartnerID: "pA", Limit: 100}, []string{}},
		{"customer and partner, offset and limit", commission.TransactionQuery{CustomerID: "cA1", PartnerID: "pA", Offset: 1, Limit: 1}, []string{"t1"}},
		{"customer and partner after", commission.TransactionQuery{CustomerID: "cA1", PartnerID: "pA", After: pos("t9"), Limit: 100}, []string{"t6", "t1", "t4"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := list(t, s, "a", c.q)
			require.Equal(t, c.want, keysOf(got))
			for i := 1; i < len(got); i++ {
				require.True(t, got[i-1].Position().Before(got[i].Position()), "newest first by (CreatedAt, Seq)")
			}
		})
	}

	t.Run("listed values are complete", func(t *testing.T) {
		got := list(t, s, "a", commission.TransactionQuery{CustomerID: "cA1", Limit: 2})
		require.Len(t, got, 2)
		requireSameTx(t, txs["t9"], got[0])
		archivedAt := t0.Add(7 * time.Hour)
		want := saleFixture("t6", "cA1", "pA", t0.Add(4*time.Hour), "r-t6")
		want.Seq, want.State, want.DeletedAt = 6, commission.TransactionArchived, &archivedAt
		want.Rewards[0].DeletedAt = &archivedAt
		requireSameTx(t, want, got[1])
	})

	t.Run("cursor paging walks everything once", func(t *testing.T) {
		for _, q := range []commission.TransactionQuery{{}, {PartnerID: "pA"}, {CustomerID: "cA1"}, {PartnerID: "pB", CustomerID: "cA1"}} {
			whole := listKeys(t, s, "a", commission.TransactionQuery{PartnerID: q.PartnerID, CustomerID: q.CustomerID, Limit: 100})
			var walked []string
			for page := 0; ; page++ {
				require.Less(t, page, 20, "paging does not end")
				q.Limit = 3
				got := list(t, s, "a", q)
				walked = append(walked, keysOf(got)...)
				if len(got) < 3 {
					break
				}
				p := got[len(got)-1].Position()
				q.After = &p
			}
			require.Equal(t, whole, walked)
		}
	})

	t.Run("restored transaction is listed again", func(t *testing.T) {
		update(t, s, "a", func(tx commission.StoreTx) {
			require.NoError(t, tx.SetTransactionState(ctx, "t7", commission.TransactionActive, nil))
		})
		require.Equal(t, []string{"t9", "t7", "t6", "t2", "t5", "t3", "t1", "t8", "t4"},
			listKeys(t, s, "a", commission.TransactionQuery{Limit: 100}))
		require.Equal(t, []string{"t7", "t6", "t3", "t1", "t4"},
			listKeys(t, s, "a", commission.TransactionQuery{PartnerID: "pA", Limit: 100}))
		update(t, s, "a", func(tx commission.StoreTx) {
			at := t0
			require.NoError(t, tx.SetTransactionState(ctx, "t7", commission.TransactionDeleted, &at))
		})
		require.Equal(t, all, listKeys(t, s, "a", commission.TransactionQuery{Limit: 100}))
	})
}

// Many rows at the same CreatedAt, inserted in one unit of work, list by
// Seq descending, and a backdated row inserted later goes before them.
func TestTransactionsListingEqualTimes(t *testing.T) {
	s := newStore()
	var want []string
	update(t, s, "a", func(tx commission.StoreTx) {
		for i := 0; i < 20; i++ {
			key := fmt.Sprintf("same-%02d", i)
			require.NoError(t, tx.InsertTransaction(ctx, saleFixture(key, "c", "p", t0)))
			want = append([]string{key}, want...)
		}
	})
	update(t, s, "a", func(tx commission.StoreTx) {
		require.NoError(t, tx.InsertTransaction(ctx, saleFixture("older", "c", "p", t0.Add(-time.Nanosecond))))
		require.NoError(t, tx.InsertTransaction(ctx, saleFixture("newer", "c", "p", t0.Add(time.Nanosecond))))
	})
	want = append(append([]string{"newer"}, want...), "older")
	for _, q := range []commission.TransactionQuery{{Limit: 100}, {PartnerID: "p", Limit: 100}, {CustomerID: "c", Limit: 100}} {
		require.Equal(t, want, listKeys(t, s, "a", q))
	}
	got := list(t, s, "a", commission.TransactionQuery{After: &commission.Position{CreatedAt: t0, Seq: 11}, Limit: 3})
	require.Equal(t, []string{"same-09", "same-08", "same-07"}, keysOf(got))
}

// ---------------------------------------------------------------------------
// Customer history

func TestCustomerHistory(t *testing.T) {
	s := newStore()
	m := time.Minute
	type row struct {
		key       string
		customer  string
		at        time.Duration
		qualified bool
		state     commission.TransactionState
	}
	rows := []row{
		{"h1", "c", 60 * m, true, commission.TransactionActive},
		{"h2", "c", 120 * m, true, commission.TransactionActive},
		{"h3", "c", 30 * m, false, commission.TransactionActive}, // not qualified
		{"h4", "c", 15 * m, true, commission.TransactionDeleted},
		{"h5", "c", 10 * m, true, commission.TransactionArchived},
		{"h6", "c", 180 * m, true, commission.TransactionActive},
		{"o1", "other", 0, true, commission.TransactionActive},
		{"h7", "c", 20 * m, true, commission.TransactionActive}, // backdated, earliest counted
	}
	for _, r := range rows {
		tr := saleFixture(r.key, r.customer, "p", t0.Add(r.at), "r-"+r.key)
		tr.Qualified = r.qualified
		update(t, s, "a", func(tx commission.StoreTx) {
			require.NoError(t, tx.InsertTransaction(ctx, tr))
			if r.state != commission.TransactionActive {
				at := t0.Add(r.at + time.Second)
				require.NoError(t, tx.SetTransactionState(ctx, r.key, r.state, &at))
			}
		})
	}

	check := func(t *testing.T, customer string, before time.Time, count int64, first time.Time) {
		t.Helper()
		h := history(t, s, "a", customer, before)
		require.Equal(t, count, h.Count, "count before %v", before)
		require.Truef(t, first.Equal(h.First), "first before %v: want %v, got %v", before, first, h.First)
		if count == 0 {
			require.True(t, h.First.IsZero(), "First is zero when Count is 0")
		}
	}
	zero := time.Time{}
	check(t, "c", t0, 0, zero)
	check(t, "c", t0.Add(20*m), 0, zero) // h4 deleted, h5 archived; h7 not strictly before
	check(t, "c", t0.Add(20*m+time.Nanosecond), 1, t0.Add(20*m))
	check(t, "c", t0.Add(60*m), 1, t0.Add(20*m)) // h3 unqualified, h1 not strictly before
	check(t, "c", t0.Add(60*m+time.Nanosecond), 2, t0.Add(20*m))
	check(t, "c", t0.Add(24*time.Hour), 4, t0.Add(20*m))
	check(t, "other", t0.Add(24*time.Hour), 1, t0)
	check(t, "other", t0, 0, zero)
	check(t, "nobody", t0.Add(24*time.Hour), 0, zero)

	// Archiving the earliest moves First; restoring brings it back.
	update(t, s, "a", func(tx commission.StoreTx) {
		at := t0.Add(24 * time.Hour)
		require.NoError(t, tx.SetTransactionState(ctx, "h7", commission.TransactionArchived, &at))
	})
	check(t, "c", t0.Add(24*time.Hour), 3, t0.Add(60*m))
	update(t, s, "a", func(tx commission.StoreTx) {
		require.NoError(t, tx.SetTransactionState(ctx, "h7", commission.TransactionActive, nil))
		require.NoError(t, tx.SetTransactionState(ctx, "h4", commission.TransactionActive, nil))
	})
	check(t, "c", t0.Add(24*time.Hour), 5, t0.Add(15*m))

	// Another program sees none of it.
	h := history(t, s, "b", "c", t0.Add(24*time.Hour))
	require.Zero(t, h.Count)
	require.True(t, h.First.IsZero())
}

// ---------------------------------------------------------------------------
// Counters

func TestCounters(t *testing.T) {
	s := newStore()
	k := commission.CounterKey{Name: "partner.revenue", Subject: "p1", Bucket: "2025-05"}
	otherName := commission.CounterKey{Name: "partner.rewards", Subject: "p1", Bucket: "2025-05"}
	otherSubject := commission.CounterKey{Name: "partner.revenue", Subject: "p2", Bucket: "2025-05"}
	otherBucket := commission.CounterKey{Name: "partner.revenue", Subject: "p1", Bucket: "2025-06"}
	allTime := commission.CounterKey{Name: "partner.revenue", Subject: "p1", Bucket: ""}

	t.Run("unknown keys are zero", func(t *testing.T) {
		vals := counters(t, s, "a", k, otherName, allTime)
		for _, v := range vals {
			requireDecimal(t, decimal.Zero, v, "unknown counter")
			require.True(t, v.IsZero())
		}
		require.Empty(t, counters(t, s, "a"))
	})

	t.Run("adds exactly", func(t *testing.T) {
		update(t, s, "a", func(tx commission.StoreTx) {
			require.NoError(t, tx.AddCounters(ctx, []commission.CounterDelta{{Key: k, Delta: dec("0.1")}}))
		})
		update(t, s, "a", func(tx commission.StoreTx) {
			require.NoError(t, tx.AddCounters(ctx, []commission.CounterDelta{{Key: k, Delta: dec("0.2")}}))
		})
		requireDecimal(t, dec("0.3"), counters(t, s, "a", k)[0], "0.1 + 0.2")

		// Several deltas to one key in one call, negative ones included.
		update(t, s, "a", func(tx commission.StoreTx) {
			require.NoError(t, tx.AddCounters(ctx, []commission.CounterDelta{
				{Key: k, Delta: dec("0.7")},
				{Key: k, Delta: dec("-0.05")},
				{Key: k, Delta: dec("0.05")},
			}))
			vals, err := tx.Counters(ctx, []commission.CounterKey{k})
			require.NoError(t, err)
			requireDecimal(t, dec("1"), vals[0], "read inside the unit of work")
		})
		requireDecimal(t, dec("1.0"), counters(t, s, "a", k)[0], "after several deltas")

		// Full NUMERIC(38,18) precision.
		update(t, s, "a", func(tx commission.StoreTx) {
			require.NoError(t, tx.AddCounters(ctx, []commission.CounterDelta{
				{Key: otherName, Delta: dec("12345678901234567890.123456789012345678")},
				{Key: otherName, Delta: dec("0.000000000000000001")},
			}))
		})
		requireDecimal(t, dec("12345678901234567890.123456789012345679"), counters(t, s, "a", otherName)[0], "precision")
		require.Equal(t, 1, dec("12345678901234567890.123456789012345679").Cmp(dec("12345678901234567890.123456789012345678")))
	})

	t.Run("keys are independent", func(t *testing.T) {
		update(t, s, "a", func(tx commission.StoreTx) {
			require.NoError(t, tx.AddCounters(ctx, []commission.CounterDelta{
				{Key: otherSubject, Delta: dec("2")},
				{Key: otherBucket, Delta: dec("3")},
				{Key: allTime, Delta: dec("4")},
			}))
		})
		// Values come back in the order of the keys asked for, repeats
		// included.
		vals := counters(t, s, "a", allTime, otherBucket, otherSubject, k, allTime,
			commission.CounterKey{Name: "partner.revenue"}, commission.CounterKey{Subject: "p1", Bucket: "2025-05"})
		for i, want := range []string{"4", "3", "2", "1", "4", "0", "0"} {
			requireDecimal(t, dec(want), vals[i], fmt.Sprintf("counter %d", i))
		}
	})

	t.Run("programs are isolated", func(t *testing.T) {
		for _, v := range counters(t, s, "b", k, otherName, otherSubject, otherBucket, allTime) {
			requireDecimal(t, decimal.Zero, v, "counter of another program")
		}
		update(t, s, "b", func(tx commission.StoreTx) {
			require.NoError(t, tx.AddCounters(ctx, []commission.CounterDelta{{Key: k, Delta: dec("100")}}))
		})
		requireDecimal(t, dec("100"), counters(t, s, "b", k)[0], "program b")
		requireDecimal(t, dec("1"), counters(t, s, "a", k)[0], "program a")
	})
}

// ---------------------------------------------------------------------------
// Programs

func TestProgramIsolation(t *testing.T) {
	s := newStore()
	at := t0.Add(time.Hour)
	key := commission.CounterKey{Name: "n", Subject: "p1"}
	update(t, s, "a", func(tx commission.StoreTx) {
		require.NoError(t, tx.InsertPartner(ctx, partnerFixture("p1")))
		require.NoError(t, tx.InsertCustomer(ctx, customerFixture("c1", "p1")))
		require.NoError(t, tx.InsertTransaction(ctx, saleFixture("s1", "c1", "p1", t0, "r1")))
		require.NoError(t, tx.InsertTransaction(ctx, saleFixture("s2", "c1", "p1", t0, "r2")))
		require.NoError(t, tx.SetTransactionState(ctx, "s2", commission.TransactionDeleted, &at))
		require.NoError(t, tx.AddCounters(ctx, []commission.CounterDelta{{Key: key, Delta: dec("7")}}))
	})

	// Program b sees nothing of a, and cannot change it.
	require.NoError(t, s.View(ctx, "b", func(tx commission.StoreTx) error {
		_, err := tx.Partner(ctx, commission.PartnerRef{ID: "p1"})
		requireNotFound(t, err, "partner by id")
		_, err = tx.Partner(ctx, commission.PartnerRef{Key: "key-p1"})
		requireNotFound(t, err, "partner by key")
		_, err = tx.Partner(ctx, commission.PartnerRef{Email: "p1@partners.test"})
		requireNotFound(t, err, "partner by email")
		_, err = tx.Customer(ctx, commission.CustomerRef{ID: "c1"})
		requireNotFound(t, err, "customer by id")
		_, err = tx.Customer(ctx, commission.CustomerRef{Key: "key-c1"})
		requireNotFound(t, err, "customer by key")
		_, err = tx.Customer(ctx, commission.CustomerRef{Email: "c1@customers.test"})
		requireNotFound(t, err, "customer by email")
		_, err = tx.Transaction(ctx, "s1")
		requireNotFound(t, err, "transaction")
		_, err = tx.Transaction(ctx, "s2")
		requireNotFound(t, err, "deleted transaction")
		_, err = tx.Reward(ctx, "r1")
		requireNotFound(t, err, "reward")
		ls, err := tx.Transactions(ctx, commission.TransactionQuery{Limit: 10})
		require.NoError(t, err)
		require.Empty(t, ls)
		ls, err = tx.Transactions(ctx, commission.TransactionQuery{CustomerID: "c1", Limit: 10})
		require.NoError(t, err)
		require.Empty(t, ls)
		ls, err = tx.Transactions(ctx, commission.TransactionQuery{PartnerID: "p1", Limit: 10})
		require.NoError(t, err)
		require.Empty(t, ls)
		h, err := tx.CustomerHistory(ctx, "c1", t0.Add(time.Hour))
		require.NoError(t, err)
		require.Zero(t, h.Count)
		vals, err := tx.Counters(ctx, []commission.CounterKey{key})
		require.NoError(t, err)
		requireDecimal(t, decimal.Zero, vals[0], "counter")
		return nil
	}))
	err := s.Update(ctx, "b", func(tx commission.StoreTx) error {
		requireNotFound(t, tx.SetPartnerStatus(ctx, "p1", commission.PartnerArchived), "SetPartnerStatus")
		requireNotFound(t, tx.SetCustomerStatus(ctx, "c1", commission.CustomerSuspended), "SetCustomerStatus")
		requireNotFound(t, tx.SetTransactionState(ctx, "s1", commission.TransactionDeleted, &at), "SetTransactionState")
		requireNotFound(t, tx.SetRewardStatus(ctx, "r1", commission.RewardRejected, "x", at), "SetRewardStatus")
		return nil
	})
	require.NoError(t, err)

	// The same ids, keys, emails and reward ids are free in b, and what b
	// writes stays in b.
	update(t, s, "b", func(tx commission.StoreTx) {
		p := partnerFixture("p1")
		p.Name = "in b"
		require.NoError(t, tx.InsertPartner(ctx, p))
		require.NoError(t, tx.InsertCustomer(ctx, customerFixture("c1", "p1")))
		require.NoError(t, tx.InsertTransaction(ctx, saleFixture("s1", "c1", "p1", t0, "r1")))
		require.NoError(t, tx.InsertTransaction(ctx, saleFixture("s2", "c1", "p1", t0, "r2")))
		require.NoError(t, tx.SetPartnerStatus(ctx, "p1", commission.PartnerArchived))
		require.NoError(t, tx.SetCustomerStatus(ctx, "c1", commission.CustomerSuspended))
		require.NoError(t, tx.SetTransactionState(ctx, "s1", commission.TransactionArchived, &at))
		require.NoError(t, tx.SetRewardStatus(ctx, "r2", commission.RewardRejected, "x", at))
	})

	require.Equal(t, []string{"s2", "s1"}, listKeys(t, s, "b", commission.TransactionQuery{Limit: 10}))
	requireDecimal(t, dec("7"), counters(t, s, "a", key)[0], "counter of a")

	// Program a is as it was.
	p, err := getPartner(t, s, "a", commission.PartnerRef{Key: "key-p1"})
	require.NoError(t, err)
	require.Equal(t, partnerFixture("p1"), p)
	c, err := getCustomer(t, s, "a", commission.CustomerRef{Key: "key-c1"})
	require.NoError(t, err)
	require.Equal(t, customerFixture("c1", "p1"), c)
	require.Equal(t, []string{"s1"}, listKeys(t, s, "a", commission.TransactionQuery{Limit: 10}))
	got, err := getTx(t, s, "a", "s1")
	require.NoError(t, err)
	requireSameTx(t, saleFixture("s1", "c1", "p1", t0, "r1"), got)
	r, err := getReward(t, s, "a", "r2")
	require.NoError(t, err)
	require.Equal(t, commission.RewardInReview, r.Status)
	requireTimePtr(t, &at, r.DeletedAt, "reward of the deleted transaction")
	h := history(t, s, "a", "c1", t0.Add(time.Hour))
	require.EqualValues(t, 1, h.Count)
}

// ---------------------------------------------------------------------------
// Concurrency

func TestConcurrentUpdatesAndViews(t *testing.T) {
	const (
		goroutines = 8
		iterations = 200
	)
	s := newStore()
	total := commission.CounterKey{Name: "inserted"}

	var (
		mu        sync.Mutex
		successes = make(map[string]int)
		dups      = make(map[string]int)
		seqs      = make(map[int64]string)
	)
	keyFor := func(g, i int) string {
		if i%4 == 0 {
			return fmt.Sprintf("shared-%03d", i) // every goroutine tries it
		}
		return fmt.Sprintf("g%d-%03d", g, i)
	}

	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Go(func() {
			for i := 0; i < iterations; i++ {
				key := keyFor(g, i)
				in := saleFixture(key, fmt.Sprintf("c%d", g%3), fmt.Sprintf("p%d", i%2),
					t0.Add(time.Duration(i%10)*time.Minute), "r-"+key)
				err := s.Update(ctx, "a", func(tx commission.StoreTx) error {
					// Counted first, so a lost insert must roll it back.
					if err := tx.AddCounters(ctx, []commission.CounterDelta{{Key: total, Delta: dec("1")}}); err != nil {
						return err
					}
					return tx.InsertTransaction(ctx, in)
				})
				mu.Lock()
				switch {
				case err == nil:
					successes[key]++
					if other, seen := seqs[in.Seq]; seen {
						t.Errorf("Seq %d given to %s and %s", in.Seq, other, key)
					}
					seqs[in.Seq] = key
				case errors.Is(err, commission.ErrDuplicateKey):
					dups[key]++
				default:
					t.Errorf("insert %s: %v", key, err)
				}
				mu.Unlock()

				if i%10 == 0 {
					err := s.Update(ctx, "a", func(tx commission.StoreTx) error {
						if err := tx.AddCounters(ctx, []commission.CounterDelta{{Key: total, Delta: dec("1000000")}}); err != nil {
							return err
						}
						if err := tx.InsertTransaction(ctx, saleFixture(fmt.Sprintf("rolled-back-%d-%d", g, i), "c0", "p0", t0, fmt.Sprintf("rb-%d-%d", g, i))); err != nil {
							return err
						}
						return errBoom
					})
					assert.ErrorIs(t, err, errBoom)
				}

				err = s.View(ctx, "a", func(tx commission.StoreTx) error {
					tr, err := tx.Transaction(ctx, key)
					if err != nil {
						return fmt.Errorf("transaction %s after its insert: %w", key, err)
					}
					if tr.Key != key || len(tr.Rewards) != 1 || tr.Rewards[0].ID != "r-"+key {
						return fmt.Errorf("transaction %s read back as %s with %d rewards", key, tr.Key, len(tr.Rewards))
					}
					ls, err := tx.Transactions(ctx, commission.TransactionQuery{CustomerID: fmt.Sprintf("c%d", g%3), Limit: 20})
					if err != nil {
						return err
					}
					for j := 1; j < len(ls); j++ {
						if !ls[j-1].Position().Before(ls[j].Position()) {
							return fmt.Errorf("listing out of order: %s before %s", ls[j-1].Key, ls[j].Key)
						}
					}
					vals, err := tx.Counters(ctx, []commission.CounterKey{total})
					if err != nil {
						return err
					}
					// Only committed counts are seen: at least this
					// goroutine's key, never a rolled back million.
					if vals[0].Cmp(decimal.NewFromInt(1)) < 0 || vals[0].Cmp(dec("1000000")) >= 0 {
						return fmt.Errorf("counter reads %s", vals[0])
					}
					return nil
				})
				assert.NoError(t, err)

				// Other programs, created concurrently, stay empty.
				err = s.View(ctx, fmt.Sprintf("other-%d", i%5), func(tx commission.StoreTx) error {
					ls, err := tx.Transactions(ctx, commission.TransactionQuery{Limit: 10})
					if err != nil {
						return err
					}
					if len(ls) != 0 {
						return fmt.Errorf("program other-%d lists %d transactions", i%5, len(ls))
					}
					return nil
				})
				assert.NoError(t, err)
			}
		})
	}
	wg.Wait()
	require.False(t, t.Failed())

	distinct := make(map[string]bool)
	for g := 0; g < goroutines; g++ {
		for i := 0; i < iterations; i++ {
			distinct[keyFor(g, i)] = true
		}
	}
	require.Len(t, distinct, goroutines*iterations*3/4+iterations/4)
	for key := range distinct {
		require.Equal(t, 1, successes[key], "exactly one insert of %s succeeds", key)
		if len(key) > 6 && key[:6] == "shared" {
			require.Equal(t, goroutines-1, dups[key], "the others get ErrDuplicateKey for %s", key)
		} else {
			require.Zero(t, dups[key], key)
		}
	}
	require.Len(t, successes, len(distinct))
	require.Len(t, seqs, len(distinct), "Seq values are unique")

	all := list(t, s, "a", commission.TransactionQuery{Limit: 10 * len(distinct)})
	require.Len(t, all, len(distinct))
	listedSeqs := make(map[int64]bool)
	for j, tr := range all {
		require.True(t, distinct[tr.Key], "unexpected key %s", tr.Key)
		require.False(t, listedSeqs[tr.Seq], "Seq %d listed twice", tr.Seq)
		listedSeqs[tr.Seq] = true
		require.Equal(t, tr.Key, seqs[tr.Seq], "Seq of %s", tr.Key)
		if j > 0 {
			require.True(t, all[j-1].Position().Before(tr.Position()), "newest first")
		}
	}
	requireDecimal(t, decimal.NewFromInt(int64(len(distinct))), counters(t, s, "a", total)[0],
		"one count per committed insert, none for lost or rolled back ones")
	for g := 0; g < goroutines; g++ {
		_, err := getTx(t, s, "a", fmt.Sprintf("rolled-back-%d-0", g))
		requireNotFound(t, err, "rolled back transaction")
	}
}

// ---------------------------------------------------------------------------
// Context

func TestCancelledContext(t *testing.T) {
	s := newStore()
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel2 := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel2()

	for name, c := range map[string]struct {
		ctx  context.Context
		want error
	}{
		"cancelled": {cancelled, context.Canceled},
		"expired":   {expired, context.DeadlineExceeded},
	} {
		t.Run(name, func(t *testing.T) {
			called := false
			err := s.Update(c.ctx, "a", func(tx commission.StoreTx) error {
				called = true
				return tx.InsertPartner(ctx, partnerFixture("p1"))
			})
			require.ErrorIs(t, err, c.want)
			require.False(t, called, "Update must not call fn")

			err = s.View(c.ctx, "a", func(commission.StoreTx) error {
				called = true
				return nil
			})
			require.ErrorIs(t, err, c.want)
			require.False(t, called, "View must not call fn")

			_, err = getPartner(t, s, "a", commission.PartnerRef{ID: "p1"})
			requireNotFound(t, err, "partner p1")
		})
	}
}
