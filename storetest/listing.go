package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/commissionkit/commission"
)

// Transactions lists newest first by (CreatedAt, Seq), filtered by state,
// partner and customer, paged by offset and by cursor.
func listingTests() []subtest {
	return []subtest{
		{"queries", testListingQueries},
		{"states", testListingStates},
		{"listed values are complete", testListedValuesComplete},
		{"cursor paging walks everything once", testCursorPaging},
		{"restored transaction is listed again", testRestoredListed},
		{"equal times list by Seq", testListingEqualTimes},
	}
}

// listingFixture stores, in this order (so with increasing Seq):
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
//
// It returns the transactions as inserted, with the Seq the store gave.
func listingFixture(t *testing.T, s commission.Store) map[string]*commission.Transaction {
	t.Helper()
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
	var last int64
	for _, r := range rows {
		tr := saleFixture(r.key, r.customer, r.partner, t0.Add(r.at), "r-"+r.key)
		// One unit of work per insert, so backdated rows land among
		// committed ones.
		insert(t, s, "a", tr)
		require.Greater(t, tr.Seq, last, "Seq increases")
		last = tr.Seq
		txs[r.key] = tr
	}
	archivedAt, deletedAt := t0.Add(7*h), t0.Add(8*h)
	update(t, s, "a", func(tx commission.StoreTx) {
		require.NoError(t, tx.SetTransactionState(ctx, "t6", commission.TransactionArchived, &archivedAt))
		require.NoError(t, tx.SetTransactionState(ctx, "t7", commission.TransactionDeleted, &deletedAt))
	})
	return txs
}

// listingAll is the fixture's listing of the states in notDeleted: newest
// first, archived in, deleted out.
var listingAll = []string{"t9", "t6", "t2", "t5", "t3", "t1", "t8", "t4"}

// notDeleted are the states most of the listing cases ask for.
var notDeleted = []commission.TransactionState{commission.TransactionActive, commission.TransactionArchived}

// listingCase is a query on listingFixture and the keys it lists.
type listingCase struct {
	name string
	q    commission.TransactionQuery
	want []string
}

func testListingQueries(t *testing.T, h Harness) {
	s := h.New(t)
	// The cases share one store, so they are not subtests: every failing
	// case is reported by name, and the test goes on.
	for _, c := range listingCases(listingFixture(t, s)) {
		c.q.States = notDeleted
		got := list(t, s, "a", c.q)
		assert.Equal(t, c.want, keysOf(got), c.name)
		for i := 1; i < len(got); i++ {
			assert.True(t, got[i-1].Position().Before(got[i].Position()), "%s: newest first by (CreatedAt, Seq)", c.name)
		}
	}
}

// listingCases are the queries of testListingQueries on txs, the
// transactions of listingFixture.
func listingCases(txs map[string]*commission.Transaction) []listingCase {
	pos := func(key string) *commission.Position { p := txs[key].Position(); return &p }
	at := func(d time.Duration, seq int64) *commission.Position {
		return &commission.Position{CreatedAt: t0.Add(d), Seq: seq}
	}
	all := listingAll
	// t4 was inserted between t3 and t5, so a Seq strictly between theirs
	// exists whatever gaps the store leaves.
	between := txs["t5"].Seq - 1

	return []listingCase{
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
		{"after a seq between two equal times", commission.TransactionQuery{After: at(2*time.Hour, between), Limit: 100}, []string{"t3", "t1", "t8", "t4"}},
		{"after a larger seq at an equal time", commission.TransactionQuery{After: at(2*time.Hour, txs["t5"].Seq+1), Limit: 100}, []string{"t5", "t3", "t1", "t8", "t4"}},
		{"after a time between rows", commission.TransactionQuery{After: at(150*time.Minute, 0), Limit: 100}, []string{"t5", "t3", "t1", "t8", "t4"}},
		{"after the future", commission.TransactionQuery{After: at(100*time.Hour, 0), Limit: 100}, all},
		{"after the past", commission.TransactionQuery{After: at(-time.Hour, txs["t9"].Seq+1000), Limit: 100}, []string{}},
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
}

// testListingStates: the states asked for, and every state when none is.
func testListingStates(t *testing.T, h Harness) {
	s := h.New(t)
	listingFixture(t, s)
	active, archived, deleted := commission.TransactionActive, commission.TransactionArchived, commission.TransactionDeleted
	for _, c := range []listingCase{
		{"every state", commission.TransactionQuery{Limit: 100}, []string{"t9", "t7", "t6", "t2", "t5", "t3", "t1", "t8", "t4"}},
		{"active", commission.TransactionQuery{States: []commission.TransactionState{active}, Limit: 100}, []string{"t9", "t2", "t5", "t3", "t1", "t8", "t4"}},
		{"deleted", commission.TransactionQuery{States: []commission.TransactionState{deleted}, Limit: 100}, []string{"t7"}},
		{"archived and deleted", commission.TransactionQuery{States: []commission.TransactionState{archived, deleted}, Limit: 100}, []string{"t7", "t6"}},
		{"active of a partner", commission.TransactionQuery{States: []commission.TransactionState{active}, PartnerID: "pA", Limit: 100}, []string{"t3", "t1", "t4"}},
		{"deleted of a customer, after a position", commission.TransactionQuery{States: []commission.TransactionState{deleted}, CustomerID: "cA1",
			After: &commission.Position{CreatedAt: t0.Add(10 * time.Hour)}, Limit: 100}, []string{"t7"}},
		{"active, offset", commission.TransactionQuery{States: []commission.TransactionState{active}, Offset: 1, Limit: 2}, []string{"t2", "t5"}},
	} {
		assert.Equal(t, c.want, listKeys(t, s, "a", c.q), c.name)
	}
}

func testListedValuesComplete(t *testing.T, h Harness) {
	s := h.New(t)
	txs := listingFixture(t, s)
	got := list(t, s, "a", commission.TransactionQuery{CustomerID: "cA1", States: notDeleted, Limit: 2})
	require.Len(t, got, 2)
	requireSameTx(t, txs["t9"], got[0])
	archivedAt := t0.Add(7 * time.Hour)
	want := saleFixture("t6", "cA1", "pA", t0.Add(4*time.Hour), "r-t6")
	want.Seq, want.State, want.DeletedAt = txs["t6"].Seq, commission.TransactionArchived, &archivedAt
	want.Rewards[0].DeletedAt = &archivedAt
	requireSameTx(t, want, got[1])
}

func testCursorPaging(t *testing.T, h Harness) {
	s := h.New(t)
	listingFixture(t, s)
	for _, q := range []commission.TransactionQuery{{}, {PartnerID: "pA"}, {CustomerID: "cA1"}, {PartnerID: "pB", CustomerID: "cA1"},
		{States: notDeleted}, {States: notDeleted, PartnerID: "pA"}} {
		whole := listKeys(t, s, "a", commission.TransactionQuery{PartnerID: q.PartnerID, CustomerID: q.CustomerID, States: q.States, Limit: 100})
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
		require.Equal(t, whole, walked, fmt.Sprintf("partner %q, customer %q", q.PartnerID, q.CustomerID))
	}
}

func testRestoredListed(t *testing.T, h Harness) {
	s := h.New(t)
	listingFixture(t, s)
	update(t, s, "a", func(tx commission.StoreTx) {
		require.NoError(t, tx.SetTransactionState(ctx, "t7", commission.TransactionActive, nil))
	})
	require.Equal(t, []string{"t9", "t7", "t6", "t2", "t5", "t3", "t1", "t8", "t4"},
		listKeys(t, s, "a", commission.TransactionQuery{States: notDeleted, Limit: 100}))
	require.Equal(t, []string{"t7", "t6", "t3", "t1", "t4"},
		listKeys(t, s, "a", commission.TransactionQuery{States: notDeleted, PartnerID: "pA", Limit: 100}))
	require.Equal(t, []string{"t9", "t7", "t6", "t1", "t4"},
		listKeys(t, s, "a", commission.TransactionQuery{States: notDeleted, CustomerID: "cA1", Limit: 100}))
	update(t, s, "a", func(tx commission.StoreTx) {
		at := t0
		require.NoError(t, tx.SetTransactionState(ctx, "t7", commission.TransactionDeleted, &at))
	})
	require.Equal(t, listingAll, listKeys(t, s, "a", commission.TransactionQuery{States: notDeleted, Limit: 100}))
}

// Many rows at the same CreatedAt, inserted in one unit of work, list by
// Seq descending, and rows a microsecond older or newer, inserted later,
// go after or before them.
func testListingEqualTimes(t *testing.T, h Harness) {
	s := h.New(t)
	var (
		want []string
		same []*commission.Transaction
	)
	update(t, s, "a", func(tx commission.StoreTx) {
		for i := 0; i < 20; i++ {
			tr := saleFixture(fmt.Sprintf("same-%02d", i), "c", "p", t0)
			require.NoError(t, tx.InsertTransaction(ctx, tr))
			same = append(same, tr)
			want = append([]string{tr.Key}, want...)
		}
	})
	insert(t, s, "a",
		saleFixture("older", "c", "p", t0.Add(-time.Microsecond)),
		saleFixture("newer", "c", "p", t0.Add(time.Microsecond)))
	want = append(append([]string{"newer"}, want...), "older")
	for _, q := range []commission.TransactionQuery{{Limit: 100}, {PartnerID: "p", Limit: 100}, {CustomerID: "c", Limit: 100}} {
		require.Equal(t, want, listKeys(t, s, "a", q))
	}
	got := list(t, s, "a", commission.TransactionQuery{After: &commission.Position{CreatedAt: t0, Seq: same[10].Seq}, Limit: 3})
	require.Equal(t, []string{"same-09", "same-08", "same-07"}, keysOf(got))
}
