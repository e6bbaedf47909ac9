package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/commissionkit/commission"
)

// Who holds a value. A StoreTx keeps no reference to the values passed to
// it. The values it returns are read-only for the caller, and a store that
// shares them replaces, never modifies, what it shared: a value once
// returned does not change under its holder.
func referenceTests() []subtest {
	return []subtest{
		{"inserted partner and customer are not retained", testPartnerCustomerNotRetained},
		{"inserted transaction is not retained", testTransactionNotRetained},
		{"returned values do not change under their holder", testReturnedValuesUnchanged},
		{"returned values under concurrent writes", testReturnedValuesConcurrent},
	}
}

func testPartnerCustomerNotRetained(t *testing.T, h Harness) {
	s := h.New(t)
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
		requireSamePartner(t, partnerFixture("p1"), gp)
		gc, err := tx.Customer(ctx, commission.CustomerRef{ID: "c1"})
		require.NoError(t, err)
		requireSameCustomer(t, customerFixture("c1", "p1"), gc)
	})
	// ...and after it.
	p.Tags[1] = "changed"
	p.Tags = append(p.Tags, "more")
	c.Tags[1] = "changed"
	c.Tags = append(c.Tags, "more")

	requirePeopleStored(t, s, "a", partnerFixture("p1"), customerFixture("c1", "p1"))
}

// mutateTx changes every field, slice element and pointee of tr.
func mutateTx(tr *commission.Transaction) {
	tr.Action = "changed"
	tr.Amount = dec("999")
	*tr.Reward = dec("999")
	if tr.Rate != nil {
		*tr.Rate = dec("999")
	}
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

func testTransactionNotRetained(t *testing.T, h Harness) {
	s := h.New(t)
	in := saleFixture("k1", "c1", "p1", t0, "r1", "r2", "r3")
	want := saleFixture("k1", "c1", "p1", t0, "r1", "r2", "r3")
	update(t, s, "a", func(tx commission.StoreTx) {
		require.NoError(t, tx.InsertTransaction(ctx, in))
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

// snapshot is what one unit of work read of the fixtures p1, c1, k1 and r1.
type snapshot struct {
	p  *commission.Partner
	c  *commission.Customer
	tr *commission.Transaction
	r  *commission.Reward
	ls []*commission.Transaction
}

func takeSnapshot(t *testing.T, tx commission.StoreTx) snapshot {
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

// requireAsStored requires sn to be the fixtures as stored.
func (sn snapshot) requireAsStored(t *testing.T) {
	t.Helper()
	before := saleFixture("k1", "c1", "p1", t0, "r1", "r2")
	requireSamePartner(t, partnerFixture("p1"), sn.p)
	requireSameCustomer(t, customerFixture("c1", "p1"), sn.c)
	requireSameTx(t, before, sn.tr)
	requireSameReward(t, &before.Rewards[0], sn.r)
	require.Len(t, sn.ls, 1)
	requireSameTx(t, before, sn.ls[0])
}

// snapshotAt is when writeSnapshot archives and decides.
var snapshotAt = t0.Add(time.Hour)

// writeSnapshot changes every fixture a snapshot holds.
func writeSnapshot(t *testing.T, tx commission.StoreTx) {
	require.NoError(t, tx.SetPartnerStatus(ctx, "p1", commission.PartnerArchived))
	require.NoError(t, tx.SetCustomerStatus(ctx, "c1", commission.CustomerSuspended))
	require.NoError(t, tx.SetRewardStatus(ctx, "r1", commission.RewardRejected, "fraud", snapshotAt))
	require.NoError(t, tx.SetTransactionState(ctx, "k1", commission.TransactionArchived, &snapshotAt))
}

// requireWritten requires sn to hold what writeSnapshot wrote.
func (sn snapshot) requireWritten(t *testing.T) {
	t.Helper()
	require.Equal(t, commission.PartnerArchived, sn.p.Status)
	require.Equal(t, commission.CustomerSuspended, sn.c.Status)
	require.Equal(t, commission.TransactionArchived, sn.tr.State)
	requireTimePtr(t, &snapshotAt, sn.tr.DeletedAt, "DeletedAt")
	require.Equal(t, commission.RewardRejected, sn.tr.Rewards[0].Status)
	require.Equal(t, commission.RewardRejected, sn.r.Status)
	require.Equal(t, "fraud", sn.r.Reason)
	requireTimePtr(t, &snapshotAt, sn.r.DecidedAt, "DecidedAt")
	require.Len(t, sn.ls, 1)
	require.Equal(t, commission.TransactionArchived, sn.ls[0].State)
}

func testReturnedValuesUnchanged(t *testing.T, h Harness) {
	s := h.New(t)
	update(t, s, "a", func(tx commission.StoreTx) {
		require.NoError(t, tx.InsertPartner(ctx, partnerFixture("p1")))
		require.NoError(t, tx.InsertCustomer(ctx, customerFixture("c1", "p1")))
		require.NoError(t, tx.InsertTransaction(ctx, saleFixture("k1", "c1", "p1", t0, "r1", "r2")))
	})
	var fromView snapshot
	require.NoError(t, s.View(ctx, "a", func(tx commission.StoreTx) error {
		fromView = takeSnapshot(t, tx)
		return nil
	}))

	// Writes in a unit of work that fails: values read before the writes,
	// and values read inside it after them, stay as they were read.
	var inside, insideAfter snapshot
	err := s.Update(ctx, "a", func(tx commission.StoreTx) error {
		inside = takeSnapshot(t, tx)
		writeSnapshot(t, tx)
		inside.requireAsStored(t)
		insideAfter = takeSnapshot(t, tx)
		insideAfter.requireWritten(t)
		return errBoom
	})
	require.ErrorIs(t, err, errBoom)
	fromView.requireAsStored(t)
	inside.requireAsStored(t)
	insideAfter.requireWritten(t)
	require.NoError(t, s.View(ctx, "a", func(tx commission.StoreTx) error {
		takeSnapshot(t, tx).requireAsStored(t)
		return nil
	}))

	// The same writes committed.
	update(t, s, "a", func(tx commission.StoreTx) { writeSnapshot(t, tx) })
	fromView.requireAsStored(t)
	inside.requireAsStored(t)
	require.NoError(t, s.View(ctx, "a", func(tx commission.StoreTx) error {
		takeSnapshot(t, tx).requireWritten(t)
		return nil
	}))
}

// Values returned by one unit of work are read after it ended while other
// goroutines (on peer stores, when the harness has them) change the same
// rows: under -race, a store that modified a shared value in place would
// be reported.
func testReturnedValuesConcurrent(t *testing.T, h Harness) {
	const (
		workers    = 4
		iterations = 50
	)
	s := h.New(t)
	all := stores(t, h, s, 2*workers)
	update(t, s, "a", func(tx commission.StoreTx) {
		require.NoError(t, tx.InsertPartner(ctx, partnerFixture("p1")))
		require.NoError(t, tx.InsertCustomer(ctx, customerFixture("c1", "p1")))
		require.NoError(t, tx.InsertTransaction(ctx, saleFixture("k1", "c1", "p1", t0, "r1")))
	})
	var wg sync.WaitGroup
	for w := range workers {
		ws := all[w]
		wg.Go(func() {
			for i := range iterations {
				err := flipStates(ws, i)
				if i%3 == 0 {
					assert.ErrorIs(t, err, errBoom)
				} else {
					assert.NoError(t, err)
				}
			}
		})
	}
	for r := range workers {
		rs := all[workers+r]
		wg.Go(func() {
			for range iterations {
				if !readAndHold(t, rs) {
					return
				}
			}
		})
	}
	wg.Wait()
}

// flipStates archives (for an even i) or restores the fixtures p1, c1, k1
// and r1, in one unit of work that fails (errBoom) when i is a multiple of
// 3, to be rolled back.
func flipStates(s commission.Store, i int) error {
	at := t0.Add(time.Duration(i) * time.Minute)
	return s.Update(ctx, "a", func(tx commission.StoreTx) error {
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
			return errBoom
		}
		return nil
	})
}

// readAndHold reads the fixtures p1, c1, k1 and r1 and the listing in a
// View, then reads them again after it, while writers run, and requires
// them unchanged. It reports false when the View failed.
func readAndHold(t *testing.T, s commission.Store) bool {
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
		return false
	}
	status, cstatus, state := p.Status, c.Status, tr.State
	_ = fmt.Sprint(p.Tags, c.Tags, tr.DeletedAt, tr.Rewards, rw.Reason, rw.DecidedAt)
	for _, l := range ls {
		_ = fmt.Sprint(l.State, l.DeletedAt, l.Rewards)
	}
	assert.Equal(t, status, p.Status, "partner changed under its holder")
	assert.Equal(t, cstatus, c.Status, "customer changed under its holder")
	assert.Equal(t, state, tr.State, "transaction changed under its holder")
	return true
}
