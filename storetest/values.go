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

// Values passed in and values returned. A StoreTx keeps no reference to
// the values passed to it. The values it returns are read-only for the
// caller, and a store that shares them replaces, never modifies, what it
// shared: a value once returned does not change under its holder. Every
// field the Engine stores reads back equal.
func valueTests() []subtest {
	return []subtest{
		{"every field reads back", testEveryField},
		{"inserted partner and customer are not retained", testPartnerCustomerNotRetained},
		{"inserted transaction is not retained", testTransactionNotRetained},
		{"returned values do not change under their holder", testReturnedValuesUnchanged},
		{"returned values under concurrent writes", testReturnedValuesConcurrent},
	}
}

// fullFixtures returns a partner, a customer of it and a transaction of
// that customer with every field set, to values a lax store would lose:
// microseconds, 38 significant digits, quotes and non-ASCII text.
func fullFixtures() (*commission.Partner, *commission.Customer, *commission.Transaction) {
	at := t0.Add(123456 * time.Microsecond)
	decided := at.Add(36*time.Hour + time.Microsecond)
	ends := at.Add(7 * 24 * time.Hour)
	p := &commission.Partner{
		ID: "pf", Key: "key-pf", Email: "pf@partners.test",
		Name: "Zoë ☃", Surname: `O'Brien "quoted"`, Tags: []string{"a", "b,c", `d"e`},
		ReferringPartnerID: "p0", Status: commission.PartnerPending, CreatedAt: at,
	}
	c := &commission.Customer{
		ID: "cf", Key: "key-cf", Email: "cf@customers.test",
		Name: "Ana", Surname: "Núñez", Tags: []string{"vip"},
		PartnerID: "pf", PartnerKey: "key-pf",
		ReferringCustomerID: "c0", ReferringCustomerKey: "key-c0",
		Status: commission.CustomerSuspended, CreatedAt: at,
	}
	set := dec("12345678901234567890.123456789012345678")
	rate := dec("0.000000000000000001")
	tr := &commission.Transaction{
		Key:         "kf",
		Action:      "upgrade",
		Amount:      dec("99999999999999999999.999999999999999999"),
		Reward:      &set,
		AmountUnits: "points",
		Rate:        &rate,
		Credit:      true,
		ProductType: "plans",
		Products: []commission.ProductLine{
			{ProductID: "basic", ProductType: "plans", ProductPrice: dec("99999999999999999999.999999999999999998")},
			{ProductID: "tiny", ProductPrice: dec("0.000000000000000001")},
			{ProductID: "free", ProductType: "gifts", ProductPrice: dec("0")},
		},
		Rewarded:             true,
		Qualified:            true,
		CustomerID:           "cf",
		CustomerKey:          "key-cf",
		PartnerID:            "pf",
		PartnerKey:           "key-pf",
		ReferringCustomerID:  "c0",
		ReferringCustomerKey: "key-c0",
		CreatedAt:            at,
		Backdated:            true,
		State:                commission.TransactionActive,
		Rewards: []commission.Reward{
			{
				ID: "rf1", TransactionKey: "kf", Action: "upgrade",
				Status: commission.RewardRejected, ReviewEndsAt: &ends, DecidedAt: &decided, Reason: `self_referral "x"`,
				PartnerID: "pf", PartnerKey: "key-pf", CustomerID: "cf", CustomerKey: "key-cf",
				RewardedCustomerID: "c0", RewardedCustomerKey: "key-c0",
				Amount: dec("29999999999999999999.999999999999999999"), AmountUnits: "points", Credit: true,
				ProductID: "basic", ProductType: "plans", CreatedAt: at,
				Explanation: commission.Explanation{
					Rule: "product_type:plans", RuleVersion: "2025-05", Match: "product_type",
					Base: dec("99999999999999999999.999999999999999998"), Type: commission.PercentCommission,
					Value: dec("29.9999"), Rounding: commission.StorageRounding,
				},
			},
			{
				ID: "rf2", TransactionKey: "kf", Action: "upgrade", Status: commission.RewardOK,
				PartnerID: "pf", PartnerKey: "key-pf", CustomerID: "cf", CustomerKey: "key-cf",
				Amount: dec("0"), AmountUnits: "points", ProductID: "tiny", CreatedAt: at,
				Explanation: commission.Explanation{Rule: "manual", Match: "manual", Base: dec("0.000000000000000001"), Value: dec("0")},
			},
			{
				ID: "rf3", TransactionKey: "kf", Action: "upgrade", Status: commission.RewardInReview, ReviewEndsAt: &ends,
				PartnerID: "pf", PartnerKey: "key-pf", CustomerID: "cf", CustomerKey: "key-cf",
				Amount: dec("2.5"), AmountUnits: "points", ProductID: "free", ProductType: "gifts", CreatedAt: at,
				Explanation: commission.Explanation{
					Rule: "gifts", RuleVersion: "2025-05", Match: "product_type",
					Base: dec("0"), Type: commission.FlatCommission, Value: dec("2.50"),
				},
			},
		},
	}
	return p, c, tr
}

func testEveryField(t *testing.T, h Harness) {
	s := h.New(t)
	p, c, tr := fullFixtures()
	wantP, wantC, want := p.Clone(), c.Clone(), tr.Clone()
	// A plain sale too: no reward set, no products, no review.
	plain := saleFixture("plain", "cf", "", t0.Add(time.Second+time.Microsecond))
	plain.Reward, plain.Products, plain.ProductType = nil, nil, ""
	wantPlain := plain.Clone()
	update(t, s, "a", func(tx commission.StoreTx) {
		require.NoError(t, tx.InsertPartner(ctx, p))
		require.NoError(t, tx.InsertCustomer(ctx, c))
		require.NoError(t, tx.InsertTransaction(ctx, tr))
		require.NoError(t, tx.InsertTransaction(ctx, plain))
	})
	want.Seq, wantPlain.Seq = tr.Seq, plain.Seq
	require.Greater(t, plain.Seq, tr.Seq)

	for _, ref := range []commission.PartnerRef{{ID: "pf"}, {Key: "key-pf"}, {Email: "pf@partners.test"}} {
		got, err := getPartner(t, s, "a", ref)
		require.NoError(t, err)
		requireSamePartner(t, wantP, got)
	}
	for _, ref := range []commission.CustomerRef{{ID: "cf"}, {Key: "key-cf"}, {Email: "cf@customers.test"}} {
		got, err := getCustomer(t, s, "a", ref)
		require.NoError(t, err)
		requireSameCustomer(t, wantC, got)
	}
	got, err := getTx(t, s, "a", "kf")
	require.NoError(t, err)
	requireSameTx(t, want, got)
	got, err = getTx(t, s, "a", "plain")
	require.NoError(t, err)
	requireSameTx(t, wantPlain, got)
	for i := range want.Rewards {
		r, err := getReward(t, s, "a", want.Rewards[i].ID)
		require.NoError(t, err)
		requireSameReward(t, &want.Rewards[i], r)
	}
	for _, q := range []commission.TransactionQuery{{Limit: 10}, {CustomerID: "cf", Limit: 10}, {PartnerID: "pf", Limit: 10}} {
		ls := list(t, s, "a", q)
		if q.PartnerID != "" {
			require.Len(t, ls, 1, "%+v", q)
			requireSameTx(t, want, ls[0])
			continue
		}
		require.Len(t, ls, 2, "%+v", q)
		requireSameTx(t, wantPlain, ls[0])
		requireSameTx(t, want, ls[1])
	}

	// States, decisions and their times read back too.
	archivedAt := t0.Add(48*time.Hour + 7*time.Microsecond)
	decidedAt := t0.Add(50*time.Hour + 9*time.Microsecond)
	update(t, s, "a", func(tx commission.StoreTx) {
		require.NoError(t, tx.SetPartnerStatus(ctx, "pf", commission.PartnerArchived))
		require.NoError(t, tx.SetCustomerStatus(ctx, "cf", commission.CustomerActive))
		require.NoError(t, tx.SetRewardStatus(ctx, "rf3", commission.RewardOK, "", decidedAt))
		require.NoError(t, tx.SetTransactionState(ctx, "kf", commission.TransactionArchived, &archivedAt))
	})
	wantP.Status, wantC.Status = commission.PartnerArchived, commission.CustomerActive
	want.State, want.DeletedAt = commission.TransactionArchived, &archivedAt
	want.Rewards[2].Status, want.Rewards[2].DecidedAt = commission.RewardOK, &decidedAt
	for i := range want.Rewards {
		want.Rewards[i].DeletedAt = &archivedAt
	}
	gp, err := getPartner(t, s, "a", commission.PartnerRef{Key: "key-pf"})
	require.NoError(t, err)
	requireSamePartner(t, wantP, gp)
	gc, err := getCustomer(t, s, "a", commission.CustomerRef{Key: "key-cf"})
	require.NoError(t, err)
	requireSameCustomer(t, wantC, gc)
	got, err = getTx(t, s, "a", "kf")
	require.NoError(t, err)
	requireSameTx(t, want, got)
	r, err := getReward(t, s, "a", "rf3")
	require.NoError(t, err)
	requireSameReward(t, &want.Rewards[2], r)
	ls := list(t, s, "a", commission.TransactionQuery{PartnerID: "pf", Limit: 10})
	require.Len(t, ls, 1)
	requireSameTx(t, want, ls[0])
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

	for _, ref := range []commission.PartnerRef{{ID: "p1"}, {Key: "key-p1"}, {Email: "p1@partners.test"}} {
		got, err := getPartner(t, s, "a", ref)
		require.NoError(t, err)
		requireSamePartner(t, partnerFixture("p1"), got)
	}
	for _, ref := range []commission.CustomerRef{{ID: "c1"}, {Key: "key-c1"}, {Email: "c1@customers.test"}} {
		got, err := getCustomer(t, s, "a", ref)
		require.NoError(t, err)
		requireSameCustomer(t, customerFixture("c1", "p1"), got)
	}
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

func testReturnedValuesUnchanged(t *testing.T, h Harness) {
	s := h.New(t)
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
		requireSamePartner(t, partnerFixture("p1"), sn.p)
		requireSameCustomer(t, customerFixture("c1", "p1"), sn.c)
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
	for w := 0; w < workers; w++ {
		ws := all[w]
		wg.Go(func() {
			for i := 0; i < iterations; i++ {
				at := t0.Add(time.Duration(i) * time.Minute)
				err := ws.Update(ctx, "a", func(tx commission.StoreTx) error {
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
	for r := 0; r < workers; r++ {
		rs := all[workers+r]
		wg.Go(func() {
			for i := 0; i < iterations; i++ {
				var (
					p  *commission.Partner
					c  *commission.Customer
					tr *commission.Transaction
					rw *commission.Reward
					ls []*commission.Transaction
				)
				err := rs.View(ctx, "a", func(tx commission.StoreTx) error {
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
				status, cstatus, state := p.Status, c.Status, tr.State
				_ = fmt.Sprint(p.Tags, c.Tags, tr.DeletedAt, tr.Rewards, rw.Reason, rw.DecidedAt)
				for _, l := range ls {
					_ = fmt.Sprint(l.State, l.DeletedAt, l.Rewards)
				}
				assert.Equal(t, status, p.Status, "partner changed under its holder")
				assert.Equal(t, cstatus, c.Status, "customer changed under its holder")
				assert.Equal(t, state, tr.State, "transaction changed under its holder")
			}
		})
	}
	wg.Wait()
}
