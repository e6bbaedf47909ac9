package storetest

import (
	"fmt"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/commissionkit/commission"
)

// Counters are exact decimals keyed by (Name, Subject, Bucket) within a
// program, zero until added to.
func counterTests() []subtest {
	return []subtest{
		{"unknown keys are zero", testCountersUnknown},
		{"adds exactly", testCountersAdd},
		{"keys are independent", testCountersIndependent},
		{"programs are isolated", testCountersPrograms},
		{"read with the buyer", testBuyerCounters},
	}
}

var (
	counterK            = commission.CounterKey{Name: "partner.revenue", Subject: "p1", Bucket: "2025-05"}
	counterOtherName    = commission.CounterKey{Name: "partner.rewards", Subject: "p1", Bucket: "2025-05"}
	counterOtherSubject = commission.CounterKey{Name: "partner.revenue", Subject: "p2", Bucket: "2025-05"}
	counterOtherBucket  = commission.CounterKey{Name: "partner.revenue", Subject: "p1", Bucket: "2025-06"}
	counterAllTime      = commission.CounterKey{Name: "partner.revenue", Subject: "p1", Bucket: ""}
)

func addCounters(t *testing.T, s commission.Store, prog string, deltas ...commission.CounterDelta) {
	t.Helper()
	update(t, s, prog, func(tx commission.StoreTx) { require.NoError(t, tx.AddCounters(ctx, deltas)) })
}

func testCountersUnknown(t *testing.T, h Harness) {
	s := h.New(t)
	for _, v := range counters(t, s, "a", counterK, counterOtherName, counterAllTime) {
		requireDecimal(t, decimal.Zero, v, "unknown counter")
		require.True(t, v.IsZero())
	}
	require.Empty(t, counters(t, s, "a"))
	// Adding zero creates a counter that reads zero.
	addCounters(t, s, "a", commission.CounterDelta{Key: counterK, Delta: decimal.Zero})
	requireDecimal(t, decimal.Zero, counters(t, s, "a", counterK)[0], "counter added zero")
}

func testCountersAdd(t *testing.T, h Harness) {
	s := h.New(t)
	addCounters(t, s, "a", commission.CounterDelta{Key: counterK, Delta: dec("0.1")})
	addCounters(t, s, "a", commission.CounterDelta{Key: counterK, Delta: dec("0.2")})
	requireDecimal(t, dec("0.3"), counters(t, s, "a", counterK)[0], "0.1 + 0.2")

	// Several deltas to one key in one call, negative ones included.
	update(t, s, "a", func(tx commission.StoreTx) {
		require.NoError(t, tx.AddCounters(ctx, []commission.CounterDelta{
			{Key: counterK, Delta: dec("0.7")},
			{Key: counterK, Delta: dec("-0.05")},
			{Key: counterK, Delta: dec("0.05")},
		}))
		vals, err := tx.Counters(ctx, []commission.CounterKey{counterK})
		require.NoError(t, err)
		requireDecimal(t, dec("1"), vals[0], "read inside the unit of work")
	})
	requireDecimal(t, dec("1.0"), counters(t, s, "a", counterK)[0], "after several deltas")

	// Below zero and back.
	addCounters(t, s, "a", commission.CounterDelta{Key: counterK, Delta: dec("-3.5")})
	requireDecimal(t, dec("-2.5"), counters(t, s, "a", counterK)[0], "negative")
	addCounters(t, s, "a", commission.CounterDelta{Key: counterK, Delta: dec("3.5")})

	// Full NUMERIC(38,18) precision.
	addCounters(t, s, "a",
		commission.CounterDelta{Key: counterOtherName, Delta: dec("12345678901234567890.123456789012345678")},
		commission.CounterDelta{Key: counterOtherName, Delta: dec("0.000000000000000001")})
	requireDecimal(t, dec("12345678901234567890.123456789012345679"), counters(t, s, "a", counterOtherName)[0], "precision")
	require.Equal(t, 1, counters(t, s, "a", counterOtherName)[0].Cmp(dec("12345678901234567890.123456789012345678")))
	requireDecimal(t, dec("1"), counters(t, s, "a", counterK)[0], "unchanged by another key")
}

func testCountersIndependent(t *testing.T, h Harness) {
	s := h.New(t)
	addCounters(t, s, "a",
		commission.CounterDelta{Key: counterK, Delta: dec("1")},
		commission.CounterDelta{Key: counterOtherSubject, Delta: dec("2")},
		commission.CounterDelta{Key: counterOtherBucket, Delta: dec("3")},
		commission.CounterDelta{Key: counterAllTime, Delta: dec("4")})
	// Values come back in the order of the keys asked for, repeats
	// included.
	vals := counters(t, s, "a", counterAllTime, counterOtherBucket, counterOtherSubject, counterK, counterAllTime,
		commission.CounterKey{Name: "partner.revenue"}, commission.CounterKey{Subject: "p1", Bucket: "2025-05"}, counterOtherName)
	for i, want := range []string{"4", "3", "2", "1", "4", "0", "0", "0"} {
		requireDecimal(t, dec(want), vals[i], fmt.Sprintf("counter %d", i))
	}
}

func testCountersPrograms(t *testing.T, h Harness) {
	s := h.New(t)
	addCounters(t, s, "a", commission.CounterDelta{Key: counterK, Delta: dec("1")})
	for _, v := range counters(t, s, "b", counterK, counterOtherName, counterOtherSubject, counterOtherBucket, counterAllTime) {
		requireDecimal(t, decimal.Zero, v, "counter of another program")
	}
	addCounters(t, s, "b", commission.CounterDelta{Key: counterK, Delta: dec("100")})
	requireDecimal(t, dec("100"), counters(t, s, "b", counterK)[0], "program b")
	requireDecimal(t, dec("1"), counters(t, s, "a", counterK)[0], "program a")
}

// Counters a store reads with a buyer (StoreTx.Buyer) are the customer's
// (its ID the subject, no bucket), as Counters reads them: with what the
// unit of work added, in the order asked.
func testBuyerCounters(t *testing.T, h Harness) {
	s := h.New(t)
	sales := commission.CounterKey{Name: "customer.sales", Subject: "c1"}
	first := commission.CounterKey{Name: "customer.first", Subject: "c1"}
	update(t, s, "a", func(tx commission.StoreTx) {
		require.NoError(t, tx.InsertPartner(ctx, partnerFixture("p1")))
		require.NoError(t, tx.InsertCustomer(ctx, customerFixture("c1", "p1")))
		require.NoError(t, tx.InsertCustomer(ctx, customerFixture("c2", "p1")))
		require.NoError(t, tx.AddCounters(ctx, []commission.CounterDelta{
			{Key: sales, Delta: dec("3")}, {Key: first, Delta: dec("1748736000000000.5")},
			{Key: commission.CounterKey{Name: "customer.sales", Subject: "c2"}, Delta: dec("9")},
			{Key: commission.CounterKey{Name: "customer.sales", Subject: "c1", Bucket: "2025-05"}, Delta: dec("8")},
		}))
	})
	addCounters(t, s, "b", commission.CounterDelta{Key: sales, Delta: dec("7")})
	update(t, s, "a", func(tx commission.StoreTx) {
		require.NoError(t, tx.AddCounters(ctx, []commission.CounterDelta{{Key: sales, Delta: dec("0.25")}}))
		b, err := tx.Buyer(ctx, commission.CustomerRef{Key: "key-c1"}, []string{first.Name, sales.Name})
		require.NoError(t, err)
		if b.Counters != nil {
			require.Len(t, b.Counters, 2)
			requireDecimal(t, dec("1748736000000000.5"), b.Counters[0], "first")
			requireDecimal(t, dec("3.25"), b.Counters[1], "sales, with this unit's addition")
		}
		b, err = tx.Buyer(ctx, commission.CustomerRef{ID: "c1"}, []string{sales.Name, "customer.none"})
		require.NoError(t, err)
		if b.Counters != nil {
			require.Len(t, b.Counters, 2)
			requireDecimal(t, dec("3.25"), b.Counters[0], "sales")
			requireDecimal(t, decimal.Zero, b.Counters[1], "a counter never added to")
		}
	})
}
