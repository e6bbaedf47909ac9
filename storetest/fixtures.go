package storetest

import (
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/commissionkit/commission"
)

// The store-level tests work through commission.Store and
// commission.StoreTx only, with no Engine in between. Their fixtures keep
// to what the Engine stores: times in UTC to the microsecond, amounts within
// NUMERIC(38,18). They compare values field by field (times with Equal,
// decimals with Equal, a nil slice like an empty one), since a store on a
// database returns equal values, not identical ones. Transaction.Kind and
// Reward.Kind are not compared: the Engine sets them on every value it
// returns.

var (
	t0      = time.Date(2025, 5, 1, 12, 0, 0, 0, time.UTC)
	errBoom = errors.New("boom")
)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// rate30 multiplies an amount into its 30% commission.
var rate30 = dec("0.3")

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

// tb is what the comparisons need of a *testing.T or a *rapid.T.
type tb interface {
	require.TestingT
	Helper()
}

func requireDecimal(t tb, want, got decimal.Decimal, what string) {
	t.Helper()
	require.Truef(t, want.Equal(got), "%s: want %s, got %s", what, want, got)
}

func requireTimePtr(t tb, want, got *time.Time, what string) {
	t.Helper()
	if want == nil {
		require.Nilf(t, got, "%s", what)
		return
	}
	require.NotNilf(t, got, "%s", what)
	require.Truef(t, want.Equal(*got), "%s: want %v, got %v", what, *want, *got)
}

func requireTime(t tb, want, got time.Time, what string) {
	t.Helper()
	require.Truef(t, want.Equal(got), "%s: want %v, got %v", what, want, got)
}

func requireNotFound(t tb, err error, what string) {
	t.Helper()
	require.Errorf(t, err, "%s: want ErrNotFound", what)
	require.Truef(t, errors.Is(err, commission.ErrNotFound), "%s: want ErrNotFound, got %v", what, err)
}

func requireDuplicate(t tb, err error, what string) {
	t.Helper()
	require.Errorf(t, err, "%s: want ErrDuplicateKey", what)
	require.Truef(t, errors.Is(err, commission.ErrDuplicateKey), "%s: want ErrDuplicateKey, got %v", what, err)
}

// requireStrings compares string lists, a nil one equal to an empty one.
func requireStrings(t tb, want, got []string, what string) {
	t.Helper()
	if len(want) == 0 {
		require.Emptyf(t, got, "%s", what)
		return
	}
	require.Equalf(t, want, got, "%s", what)
}

func requireSamePartner(t tb, want, got *commission.Partner) {
	t.Helper()
	what := "partner " + want.ID
	require.NotNil(t, got, what)
	require.Equal(t, want.ID, got.ID, what)
	require.Equal(t, want.Key, got.Key, what)
	require.Equal(t, want.Email, got.Email, what)
	require.Equal(t, want.Name, got.Name, what)
	require.Equal(t, want.Surname, got.Surname, what)
	requireStrings(t, want.Tags, got.Tags, what+" Tags")
	require.Equal(t, want.ReferringPartnerID, got.ReferringPartnerID, what)
	require.Equal(t, want.Status, got.Status, what)
	requireTime(t, want.CreatedAt, got.CreatedAt, what+" CreatedAt")
}

func requireSameCustomer(t tb, want, got *commission.Customer) {
	t.Helper()
	what := "customer " + want.ID
	require.NotNil(t, got, what)
	require.Equal(t, want.ID, got.ID, what)
	require.Equal(t, want.Key, got.Key, what)
	require.Equal(t, want.Email, got.Email, what)
	require.Equal(t, want.Name, got.Name, what)
	require.Equal(t, want.Surname, got.Surname, what)
	requireStrings(t, want.Tags, got.Tags, what+" Tags")
	require.Equal(t, want.PartnerID, got.PartnerID, what)
	require.Equal(t, want.PartnerKey, got.PartnerKey, what)
	require.Equal(t, want.ReferringCustomerID, got.ReferringCustomerID, what)
	require.Equal(t, want.ReferringCustomerKey, got.ReferringCustomerKey, what)
	require.Equal(t, want.Status, got.Status, what)
	requireTime(t, want.CreatedAt, got.CreatedAt, what+" CreatedAt")
}

func requireSameReward(t tb, want, got *commission.Reward) {
	t.Helper()
	what := "reward " + want.ID
	require.NotNil(t, got, what)
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
	requireTime(t, want.CreatedAt, got.CreatedAt, what+" CreatedAt")
	requireTimePtr(t, want.DeletedAt, got.DeletedAt, what+" DeletedAt")
	require.Equal(t, want.Explanation.Rule, got.Explanation.Rule, what)
	require.Equal(t, want.Explanation.RuleVersion, got.Explanation.RuleVersion, what)
	require.Equal(t, want.Explanation.Match, got.Explanation.Match, what)
	require.Equal(t, want.Explanation.Type, got.Explanation.Type, what)
	requireDecimal(t, want.Explanation.Base, got.Explanation.Base, what+" Explanation.Base")
	requireDecimal(t, want.Explanation.Value, got.Explanation.Value, what+" Explanation.Value")
	require.Equal(t, want.Explanation.Rounding, got.Explanation.Rounding, what)
}

// requireSameTx compares every stored field of two transactions (Seq only
// when want has one).
func requireSameTx(t tb, want, got *commission.Transaction) {
	t.Helper()
	what := "transaction " + want.Key
	require.NotNil(t, got, what)
	require.Equal(t, want.Key, got.Key, what)
	if want.Seq != 0 {
		require.Equal(t, want.Seq, got.Seq, what)
	}
	require.Equal(t, want.Action, got.Action, what)
	requireDecimal(t, want.Amount, got.Amount, what+" Amount")
	if want.Rate == nil {
		require.Nil(t, got.Rate, what)
	} else {
		require.NotNil(t, got.Rate, what)
		requireDecimal(t, *want.Rate, *got.Rate, what+" Rate")
	}
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
	requireTime(t, want.CreatedAt, got.CreatedAt, what+" CreatedAt")
	require.Equal(t, want.Backdated, got.Backdated, what)
	require.Equal(t, want.State, got.State, what)
	requireTimePtr(t, want.DeletedAt, got.DeletedAt, what+" DeletedAt")
	require.Len(t, got.Rewards, len(want.Rewards), what)
	for i := range want.Rewards {
		requireSameReward(t, &want.Rewards[i], &got.Rewards[i])
	}
}

// requireNewestFirst checks that ts are in the listing order.
func requireNewestFirst(t tb, ts []*commission.Transaction) {
	t.Helper()
	for i := 1; i < len(ts); i++ {
		require.Truef(t, ts[i-1].Position().Before(ts[i].Position()),
			"newest first by (CreatedAt, Seq): %s (%v, %d) before %s (%v, %d)",
			ts[i-1].Key, ts[i-1].CreatedAt, ts[i-1].Seq, ts[i].Key, ts[i].CreatedAt, ts[i].Seq)
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

// errIsAny reports whether err matches one of targets.
func errIsAny(err error, targets ...error) bool {
	for _, target := range targets {
		if errors.Is(err, target) {
			return true
		}
	}
	return false
}

// clock is a test clock, moved by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// idGenerator makes ids prefix1, prefix2, ...
func idGenerator(prefix string) func() string {
	var n atomic.Int64
	return func() string { return prefix + strconv.FormatInt(n.Add(1), 10) }
}

// listAll walks every page of a listing through NextCursor.
func listAll(t tb, eng *commission.Engine, opts commission.ListOptions) []*commission.Transaction {
	t.Helper()
	var all []*commission.Transaction
	for pages := 0; ; pages++ {
		require.Less(t, pages, 1000, "listing does not end")
		page, err := eng.Transactions(ctx, opts)
		require.NoError(t, err)
		require.LessOrEqual(t, len(page.Transactions), opts.Limit)
		all = append(all, page.Transactions...)
		if page.NextCursor == "" {
			return all
		}
		require.NotEmpty(t, page.Transactions, "a page with a next cursor is not empty")
		opts.Cursor = page.NextCursor
	}
}
