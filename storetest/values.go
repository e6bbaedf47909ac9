package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/commissionkit/commission"
)

// Every field the Engine stores reads back equal, whichever method stored
// it and whichever method reads it.
func valueTests() []subtest {
	return []subtest{
		{"every field reads back", testEveryField},
		{"a batch insert stores every transaction and sets Seq", testInsertTransactions},
		{"buyer reads a customer with its partner and referrer", testBuyer},
		{"partner commission round-trips and rolls back", testPartnerCommission},
		{"amounts at the limits of storage", testAmountLimits},
	}
}

// fullFixtures returns a partner, a customer of it and a transaction of
// that customer with every field set, to values a lax store would lose:
// microseconds, 38 significant digits, quotes and non-ASCII text.
func fullFixtures() (*commission.Partner, *commission.Customer, *commission.Transaction) {
	at := t0.Add(123456 * time.Microsecond)
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
		ReferralURL: "https://example.com/landing?aff=key-pf&utm_source=n%C3%BA%C3%B1ez#top",
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
		Rewards:              fullRewards(at),
	}
	return p, c, tr
}

// fullRewards are the rewards of fullFixtures' transaction, made at at:
// one with every field set, one of zero and one held for review.
func fullRewards(at time.Time) []commission.Reward {
	decided := at.Add(36*time.Hour + time.Microsecond)
	ends := at.Add(7 * 24 * time.Hour)
	return []commission.Reward{
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
	}
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

	requirePeopleStored(t, s, "a", wantP, wantC)
	requireSaleStored(t, s, "a", want)
	requireSaleStored(t, s, "a", wantPlain)
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
	changeStates(t, s, wantP, wantC, want)
	requirePeopleStored(t, s, "a", wantP, wantC)
	requireSaleStored(t, s, "a", want)
	ls := list(t, s, "a", commission.TransactionQuery{PartnerID: "pf", Limit: 10})
	require.Len(t, ls, 1)
	requireSameTx(t, want, ls[0])
}

// changeStates archives fullFixtures' partner and transaction, makes its
// customer active and approves reward rf3, at times to the microsecond,
// and makes the same changes to the wanted values.
func changeStates(t *testing.T, s commission.Store, wantP *commission.Partner, wantC *commission.Customer, want *commission.Transaction) {
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
}

// InsertTransactions stores a batch as InsertTransaction stores each sale.
func testInsertTransactions(t *testing.T, h Harness) {
	s := h.New(t)
	batch := []*commission.Transaction{
		saleFixture("b1", "c1", "p1", t0, "rb1"),
		saleFixture("b2", "c1", "p1", t0.Add(time.Second), "rb2a", "rb2b"),
		saleFixture("b3", "c2", "", t0.Add(-time.Hour)),
	}
	update(t, s, "a", func(tx commission.StoreTx) { require.NoError(t, tx.InsertTransactions(ctx, batch)) })
	seen := map[int64]bool{}
	for _, in := range batch {
		require.NotZero(t, in.Seq, "%s has its Seq", in.Key)
		require.False(t, seen[in.Seq], "Seq values are unique")
		seen[in.Seq] = true
		got, err := getTx(t, s, "a", in.Key)
		require.NoError(t, err)
		requireSameTx(t, in, got)
	}
	require.Equal(t, []string{"b2", "b1", "b3"}, listKeys(t, s, "a", commission.TransactionQuery{Limit: 10}))
}

func testBuyer(t *testing.T, h Harness) {
	s := h.New(t)
	update(t, s, "a", func(tx commission.StoreTx) {
		require.NoError(t, tx.InsertPartner(ctx, partnerFixture("p1")))
		require.NoError(t, tx.InsertCustomer(ctx, customerFixture("c1", "p1")))
		friend := customerFixture("c2", "")
		friend.ReferringCustomerID, friend.ReferringCustomerKey = "c1", "key-c1"
		require.NoError(t, tx.InsertCustomer(ctx, friend))
	})
	require.NoError(t, s.View(ctx, "a", func(tx commission.StoreTx) error {
		b, err := tx.Buyer(ctx, commission.CustomerRef{Key: "key-c1"}, nil)
		require.NoError(t, err)
		requireSameCustomer(t, customerFixture("c1", "p1"), b.Customer)
		requireSamePartner(t, partnerFixture("p1"), b.Partner)
		require.Nil(t, b.Referrer)
		require.Nil(t, b.Counters, "counters not asked for")

		b, err = tx.Buyer(ctx, commission.CustomerRef{ID: "c2"}, nil)
		require.NoError(t, err)
		require.Nil(t, b.Partner)
		require.NotNil(t, b.Referrer)
		require.Equal(t, "c1", b.Referrer.ID)

		_, err = tx.Buyer(ctx, commission.CustomerRef{Email: "nobody@customers.test"}, nil)
		requireNotFound(t, err, "unknown buyer")
		return nil
	}))
}

func testPartnerCommission(t *testing.T, h Harness) {
	s := h.New(t)
	c := commission.Percent(dec("40")).For(commission.Months(3)).Then(commission.Flat(dec("2.5")))
	update(t, s, "a", func(tx commission.StoreTx) {
		p := partnerFixture("p1")
		p.Commission = &c
		require.NoError(t, tx.InsertPartner(ctx, p))
	})
	requireCommission(t, s, &c)
	err := s.Update(ctx, "a", func(tx commission.StoreTx) error {
		require.NoError(t, tx.SetPartnerCommission(ctx, "p1", nil))
		return errBoom
	})
	require.ErrorIs(t, err, errBoom)
	requireCommission(t, s, &c)
	update(t, s, "a", func(tx commission.StoreTx) { require.NoError(t, tx.SetPartnerCommission(ctx, "p1", nil)) })
	requireCommission(t, s, nil)
	err = s.Update(ctx, "a", func(tx commission.StoreTx) error { return tx.SetPartnerCommission(ctx, "nobody", &c) })
	requireNotFound(t, err, "unknown partner")
}

// requireCommission requires partner p1 of program "a" to have the custom
// commission want (a period, then another), or none when want is nil.
func requireCommission(t *testing.T, s commission.Store, want *commission.Commission) {
	t.Helper()
	p, err := getPartner(t, s, "a", commission.PartnerRef{ID: "p1"})
	require.NoError(t, err)
	if want == nil {
		require.Nil(t, p.Commission)
		return
	}
	require.NotNil(t, p.Commission)
	require.Equal(t, want.Type, p.Commission.Type)
	requireDecimal(t, want.Value, p.Commission.Value, "value")
	require.Equal(t, *want.Period, *p.Commission.Period)
	require.Equal(t, want.Next.Type, p.Commission.Next.Type)
	requireDecimal(t, want.Next.Value, p.Commission.Next.Value, "then.value")
}
