package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/commissionkit/commission"
)

// Refunds are kept by key, unique in the program, and listed per
// transaction oldest first.
func refundTests() []subtest {
	return []subtest{
		{"a refund key taken is ErrDuplicateKey", testRefundKeyTaken},
		{"an unknown refund is ErrNotFound", testRefundUnknown},
		{"refunds list oldest first", testRefundsOrder},
	}
}

// refundOf returns a refund key of amount of transaction txKey, made at at.
func refundOf(key, txKey, amount string, at time.Time) *commission.Refund {
	return &commission.Refund{Key: key, TransactionKey: txKey, Amount: dec(amount), CreatedAt: at}
}

// insertRefund stores r, leaving its transaction refunded by r's amount
// and qualified.
func insertRefund(tx commission.StoreTx, r *commission.Refund) error {
	return tx.InsertRefund(ctx, r, commission.RefundedSale{Refunded: r.Amount, Qualified: true})
}

// A refund key taken, in its own transaction or another, is
// ErrDuplicateKey, and nothing of the rejected refund is stored.
func testRefundKeyTaken(t *testing.T, h Harness) {
	s := h.New(t)
	insert(t, s, "a", saleFixture("s1", "c1", "p1", t0, "r1"), saleFixture("s2", "c1", "p1", t0, "r2"))
	first := refundOf("f1", "s1", "1", t0)
	update(t, s, "a", func(tx commission.StoreTx) { require.NoError(t, insertRefund(tx, first)) })
	for _, txKey := range []string{"s1", "s2"} {
		err := s.Update(ctx, "a", func(tx commission.StoreTx) error {
			return insertRefund(tx, refundOf("f1", txKey, "2", t0.Add(time.Hour)))
		})
		requireDuplicate(t, err, "refund key f1 again, of "+txKey)
	}
	err := s.Update(ctx, "a", func(tx commission.StoreTx) error {
		require.NoError(t, insertRefund(tx, refundOf("f2", "s2", "3", t0)))
		return insertRefund(tx, refundOf("f2", "s1", "3", t0))
	})
	requireDuplicate(t, err, "refund key f2 taken earlier in the unit of work")

	got, err := getRefund(t, s, "a", "f1")
	require.NoError(t, err)
	requireSameRefund(t, first, got)
	require.Len(t, refundsOf(t, s, "a", "s1"), 1)
	require.Empty(t, refundsOf(t, s, "a", "s2"))
	_, err = getRefund(t, s, "a", "f2")
	requireNotFound(t, err, "refund f2, rolled back")
}

// Refund of an unknown key is ErrNotFound; a transaction with no refunds,
// or none at all, lists none.
func testRefundUnknown(t *testing.T, h Harness) {
	s := h.New(t)
	insert(t, s, "a", saleFixture("s1", "c1", "p1", t0, "r1"))
	_, err := getRefund(t, s, "a", "nope")
	requireNotFound(t, err, "unknown refund")
	require.Empty(t, refundsOf(t, s, "a", "s1"))
	require.Empty(t, refundsOf(t, s, "a", "nope"))
}

// Refunds lists a transaction's refunds, and only its, oldest first,
// whatever their keys and whichever units of work stored them.
func testRefundsOrder(t *testing.T, h Harness) {
	s := h.New(t)
	insert(t, s, "a", saleFixture("s1", "c1", "p1", t0, "r1"), saleFixture("s2", "c1", "p1", t0, "r2"))
	want := []*commission.Refund{
		refundOf("f-b", "s1", "1", t0.Add(time.Hour)),
		refundOf("f-a", "s1", "2", t0.Add(2*time.Hour)),
		refundOf("f-c", "s1", "3", t0.Add(3*time.Hour)),
	}
	update(t, s, "a", func(tx commission.StoreTx) {
		require.NoError(t, insertRefund(tx, want[0]))
		require.NoError(t, insertRefund(tx, refundOf("f-0", "s2", "4", t0.Add(time.Hour+time.Minute))))
		require.NoError(t, insertRefund(tx, want[1]))
	})
	update(t, s, "a", func(tx commission.StoreTx) { require.NoError(t, insertRefund(tx, want[2])) })
	got := refundsOf(t, s, "a", "s1")
	require.Len(t, got, len(want))
	for i := range want {
		requireSameRefund(t, want[i], got[i])
	}
	require.Len(t, refundsOf(t, s, "a", "s2"), 1)
}
