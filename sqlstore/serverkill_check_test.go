package sqlstore_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/sqlstore"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
)

// The server-kill test's check (serverkill_test.go): after a restart, a
// fresh pool reads the whole program, and it must agree with what the
// writers were told, hold no half-written operation, and keep counters
// equal to what they summarise, recomputed from the stored transactions.

// The engine's counter names (metrics.go, caps.go, goals.go), spelt out:
// the test recomputes them from what the store holds.
const (
	counterRevenue   = "metric.revenue"
	counterCustomers = "metric.customers"
	counterSignups   = "metric.signups"
	counterSales     = "customer.sales"
	counterMonth     = "customer.counted_month"
	counterSpend     = "spend.partner.month"
	counterGoal      = "goal." + killGoal
)

// killMonthNumber is killMonth as the engine counts a customer's month.
var killMonthNumber = decimal.NewFromInt(202505)

// killSnapshot is the program as a fresh pool reads it.
type killSnapshot struct {
	txs        map[string]*commission.Transaction // every stored transaction by key, deleted included
	rewardRows int                                // rows in the rewards table
	partners   map[string]*commission.Partner     // by key
	customers  map[string]*commission.Customer    // by key: the ledger's that are stored
	signups    map[string]int                     // customers stored per partner id, counted in their table
	// want holds every counter of the partners and customers, recounted
	// from the above; got the same counters as stored.
	want, got map[commission.CounterKey]decimal.Decimal
}

// killFound is what a check found: what became of the operations whose
// commit was unknown, and how much of what the program does the stored
// sales reach.
type killFound struct {
	createsStored, createsAbsent, deletesDone, deletesUndone int
	capped, goalBonuses, deleted, bulks, newCustomers        int
}

// checkKillStore reads the store on a fresh pool and checks it against
// the ledger; it returns what it found, and what it read.
func checkKillStore(t *testing.T, db database, l *killLedger) (killFound, *killSnapshot) {
	t.Helper()
	snap := readKillSnapshot(t, db, l)
	found := checkKillLedger(t, l, snap)
	for key, tr := range snap.txs {
		in := l.sales[key].in
		requireWholeSale(t, tr, in, snap.partners[l.customers[in.Customer.Key].partner].ID)
	}
	snap.requireCounters(t)
	found.count(snap)
	return found, snap
}

// readKillSnapshot reads the program in one View, after the table rows it
// counts in SQL: no writer runs during the check.
func readKillSnapshot(t *testing.T, db database, l *killLedger) *killSnapshot {
	t.Helper()
	ctx := context.Background()
	s := db.open(t)
	defer s.DB().Close()
	snap := &killSnapshot{txs: map[string]*commission.Transaction{},
		partners: map[string]*commission.Partner{}, customers: map[string]*commission.Customer{}, signups: map[string]int{}}
	keys := snap.readRows(t, s.DB(), db.dialect)
	require.NoError(t, s.View(ctx, killProgram, func(tx commission.StoreTx) error {
		if err := snap.readTransactions(ctx, tx, keys); err != nil {
			return err
		}
		if err := snap.readPeople(ctx, tx, l); err != nil {
			return err
		}
		snap.want = snap.recount()
		wantKeys := make([]commission.CounterKey, 0, len(snap.want))
		for k := range snap.want {
			wantKeys = append(wantKeys, k)
		}
		vals, err := tx.Counters(ctx, wantKeys)
		snap.got = make(map[commission.CounterKey]decimal.Decimal, len(vals))
		for i, v := range vals {
			snap.got[wantKeys[i]] = v
		}
		return err
	}))
	return snap
}

// readRows reads in SQL what the store's interface does not list: every
// transaction key, deleted included, the number of reward rows, and the
// customers per partner.
func (snap *killSnapshot) readRows(t *testing.T, db *sql.DB, d sqlstore.Dialect) []string {
	t.Helper()
	query := func(q string, scan func(*sql.Rows) error) {
		if d != sqlstore.Postgres {
			q = strings.ReplaceAll(q, "$1", "?")
		}
		rows, err := db.QueryContext(context.Background(), q, killProgram)
		require.NoError(t, err)
		defer rows.Close()
		for rows.Next() {
			require.NoError(t, scan(rows))
		}
		require.NoError(t, rows.Err())
	}
	var keys []string
	query("SELECT tx_key FROM commission_transactions WHERE program_id = $1", func(r *sql.Rows) error {
		var k string
		err := r.Scan(&k)
		keys = append(keys, k)
		return err
	})
	query("SELECT COUNT(*) FROM commission_rewards WHERE program_id = $1", func(r *sql.Rows) error { return r.Scan(&snap.rewardRows) })
	query("SELECT partner_id, COUNT(*) FROM commission_customers WHERE program_id = $1 GROUP BY partner_id", func(r *sql.Rows) error {
		var partner string
		var n int
		err := r.Scan(&partner, &n)
		snap.signups[partner] = n
		return err
	})
	return keys
}

// readTransactions reads the listing of every state, page by page: it
// must show each key of the transactions table once, and no other.
func (snap *killSnapshot) readTransactions(ctx context.Context, tx commission.StoreTx, keys []string) error {
	q := commission.TransactionQuery{Limit: 500}
	for {
		page, err := tx.Transactions(ctx, q)
		if err != nil {
			return err
		}
		for _, tr := range page {
			if snap.txs[tr.Key] != nil {
				return fmt.Errorf("key %s listed twice", tr.Key)
			}
			snap.txs[tr.Key] = tr
		}
		if len(page) < q.Limit {
			break
		}
		after := page[len(page)-1].Position()
		q.After = &after
	}
	for _, k := range keys {
		if snap.txs[k] == nil {
			return fmt.Errorf("key %s is in the transactions table and not listed", k)
		}
	}
	if len(snap.txs) != len(keys) {
		return fmt.Errorf("the listing shows %d keys, the transactions table holds %d", len(snap.txs), len(keys))
	}
	return nil
}

// readPeople reads the partners and every customer the ledger names.
func (snap *killSnapshot) readPeople(ctx context.Context, tx commission.StoreTx, l *killLedger) error {
	for i := range killPartners {
		p, err := tx.Partner(ctx, commission.PartnerRef{Key: killPartnerKey(i)})
		if err != nil {
			return err
		}
		snap.partners[p.Key] = p
	}
	for key := range l.customers {
		c, err := tx.Customer(ctx, commission.CustomerRef{Key: key})
		switch {
		case errors.Is(err, commission.ErrNotFound):
		case err != nil:
			return err
		default:
			snap.customers[key] = c
		}
	}
	return nil
}

// checkKillLedger checks the store against the ledger: every acknowledged
// sale stored exactly and every acknowledged deletion done; nothing of an
// operation that failed; one whose commit was unknown whole or not at all
// (a bulk all or none of its sales, a customer created with a sale there
// only with it); no sale deleted that no writer deleted, and no key no
// writer tried.
func checkKillLedger(t *testing.T, l *killLedger, snap *killSnapshot) killFound {
	t.Helper()
	var found killFound
	for key, s := range l.sales {
		tr, stored := snap.txs[key]
		switch s.created {
		case acknowledged:
			require.True(t, stored, "acknowledged sale %s is not stored", key)
			requireSameSale(t, s.acked, tr)
		case failed:
			require.False(t, stored, "sale %s is stored, though its create failed without ErrCommitUnknown", key)
		case uncertain:
			found.createsStored += b2i(stored)
			found.createsAbsent += b2i(!stored)
		}
		if !stored {
			continue
		}
		deleted := tr.State == commission.TransactionDeleted
		switch s.deleted {
		case notTried:
			require.False(t, deleted, "%s is deleted; no writer deleted it", key)
		case acknowledged:
			require.True(t, deleted, "the acknowledged deletion of %s is not stored", key)
		case failed:
			require.False(t, deleted, "%s is deleted, though its deletion failed without ErrCommitUnknown", key)
		case uncertain:
			found.deletesDone += b2i(deleted)
			found.deletesUndone += b2i(!deleted)
		}
	}
	for key := range snap.txs {
		require.Contains(t, l.sales, key, "stored key %s was never tried", key)
	}
	for _, keys := range l.bulks {
		n := 0
		for _, k := range keys {
			n += b2i(snap.txs[k] != nil)
		}
		require.True(t, n == 0 || n == len(keys), "bulk %v is torn: %d of its sales stored", keys, n)
		found.bulks += b2i(n > 0)
	}
	for key, c := range l.customers {
		got, stored := snap.customers[key]
		if c.sale == "" || snap.txs[c.sale] != nil {
			require.True(t, stored, "customer %s is not stored", key)
			require.Equal(t, snap.partners[c.partner].ID, got.PartnerID, "partner of customer %s", key)
		} else {
			require.False(t, stored, "customer %s is stored without the sale %s that created it", key, c.sale)
		}
		found.newCustomers += b2i(stored && c.sale != "")
	}
	return found
}

// b2i is 1 for true, to count what holds.
func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// requireSameSale checks that a stored sale is the one its create
// returned, rewards and all (its state may have changed since).
func requireSameSale(t *testing.T, want, got *commission.Transaction) {
	t.Helper()
	key := want.Key
	require.Equal(t, want.Key, got.Key)
	require.True(t, want.Amount.Equal(got.Amount), "%s: amount %s, acknowledged %s", key, got.Amount, want.Amount)
	require.True(t, want.CreatedAt.Equal(got.CreatedAt), "%s: created_at", key)
	require.Equal(t, []string{want.CustomerID, want.PartnerID}, []string{got.CustomerID, got.PartnerID}, "%s: customer and partner", key)
	require.Equal(t, [2]bool{want.Rewardable, want.Qualified}, [2]bool{got.Rewardable, got.Qualified}, "%s: rewardable, qualified", key)
	require.Len(t, got.Rewards, len(want.Rewards), "%s: rewards", key)
	for i, w := range want.Rewards {
		g := got.Rewards[i]
		require.Equal(t, w.ID, g.ID, "%s: reward %d", key, i)
		require.True(t, w.Amount.Equal(g.Amount), "%s: reward %d is %s, acknowledged %s", key, i, g.Amount, w.Amount)
		require.Equal(t, []string{w.PartnerID, w.AmountUnits}, []string{g.PartnerID, g.AmountUnits}, "%s: reward %d", key, i)
		we, ge := w.Explanation, g.Explanation
		require.Equal(t, []any{we.Rule, we.Match, we.Thresholds, we.Caps, we.Counted}, []any{ge.Rule, ge.Match, ge.Thresholds, ge.Caps, ge.Counted},
			"%s: reward %d's explanation", key, i)
		require.Equal(t, we.Uncapped == nil, ge.Uncapped == nil, "%s: reward %d uncapped", key, i)
		require.True(t, we.Uncapped == nil || we.Uncapped.Equal(*ge.Uncapped), "%s: reward %d uncapped", key, i)
	}
}

// requireWholeSale checks a stored sale in itself: its amount and
// customer as the writer drew them, and all its rewards, whole: 10% of
// the amount to its partner, lowered by the spend limit (a reward the
// limit leaves nothing of may be left out), then the goal bonuses it
// crossed, in points; a deleted sale's rewards deleted with it.
func requireWholeSale(t *testing.T, tr *commission.Transaction, in commission.TransactionInput, partnerID string) {
	t.Helper()
	key := tr.Key
	require.True(t, tr.Amount.Equal(*in.Amount), "%s: amount %s, drawn %s", key, tr.Amount, *in.Amount)
	require.Equal(t, in.Customer.Key, tr.CustomerKey, key)
	require.Equal(t, partnerID, tr.PartnerID, key)
	deleted := tr.State == commission.TransactionDeleted
	require.Contains(t, []commission.TransactionState{commission.TransactionActive, commission.TransactionDeleted}, tr.State, key)
	require.Equal(t, deleted, tr.DeletedAt != nil, "%s: deleted_at", key)
	rewardable := in.Rewardable == nil || *in.Rewardable
	require.Equal(t, rewardable, tr.Qualified, "%s: qualified", key)
	if !rewardable {
		require.Empty(t, tr.Rewards, key)
	}
	for i, r := range tr.Rewards {
		require.Equal(t, []string{key, partnerID}, []string{r.TransactionKey, r.PartnerID}, "%s: reward %d", key, i)
		require.Equal(t, deleted, r.DeletedAt != nil, "%s: reward %d's deleted_at", key, i)
		if r.Explanation.Match == commission.MatchGoal {
			requireGoalBonus(t, key, i, r)
			continue
		}
		require.Zero(t, i, "%s: reward %d is not a goal bonus", key, i)
		requireCommission(t, key, r, tr.Amount.Mul(killShare))
	}
}

// requireCommission checks a sale's commission: want, or less when the
// spend limit lowered it, and counted towards the limit.
func requireCommission(t *testing.T, key string, r commission.Reward, want decimal.Decimal) {
	t.Helper()
	ex := r.Explanation
	require.Equal(t, commission.MatchDefault, ex.Match, "%s: commission", key)
	require.Equal(t, []string{"month"}, ex.Counted, "%s: the commission counts towards", key)
	uncapped := r.Amount
	if ex.Uncapped != nil {
		uncapped = *ex.Uncapped
		require.Equal(t, []string{"partner.month"}, ex.Caps, "%s: the commission's caps", key)
	}
	require.True(t, uncapped.Equal(want), "%s: commission before caps is %s, want %s", key, uncapped, want)
	require.True(t, r.Amount.Sign() >= 0 && r.Amount.Cmp(uncapped) <= 0, "%s: commission %s of %s", key, r.Amount, uncapped)
}

// requireGoalBonus checks a goal bonus: in points, which no cap lowers
// or counts, for each threshold it pays.
func requireGoalBonus(t *testing.T, key string, i int, r commission.Reward) {
	t.Helper()
	ex := r.Explanation
	require.Equal(t, killPoints, r.AmountUnits, "%s: reward %d", key, i)
	require.Positive(t, ex.Thresholds, "%s: reward %d", key, i)
	require.True(t, r.Amount.Equal(killBonus.Mul(decimal.NewFromInt(int64(ex.Thresholds)))), "%s: reward %d is %s for %d thresholds", key, i, r.Amount, ex.Thresholds)
	require.Nil(t, ex.Uncapped, "%s: reward %d", key, i)
	require.Empty(t, ex.Counted, "%s: reward %d", key, i)
}

// recount recomputes, from the stored transactions and customers, every
// counter the engine keeps for the program's partners and customers.
func (snap *killSnapshot) recount() map[commission.CounterKey]decimal.Decimal {
	want := map[commission.CounterKey]decimal.Decimal{}
	add := func(name, subject, bucket string, d decimal.Decimal) {
		k := commission.CounterKey{Name: name, Subject: subject, Bucket: bucket}
		want[k] = want[k].Add(d)
	}
	for _, p := range snap.partners {
		n := decimal.NewFromInt(int64(snap.signups[p.ID]))
		for _, b := range []string{"", killMonth} {
			add(counterRevenue, p.ID, b, decimal.Zero)
			add(counterCustomers, p.ID, b, decimal.Zero)
			add(counterSignups, p.ID, b, n)
		}
		add(counterSpend, p.ID, killMonth, decimal.Zero)
		add(counterGoal, p.ID, "", decimal.Zero)
	}
	for _, c := range snap.customers {
		add(counterSales, c.ID, "", decimal.Zero)
		add(counterMonth, c.ID, "", decimal.Zero)
	}
	one := decimal.NewFromInt(1)
	for _, tr := range snap.txs {
		for _, r := range tr.Rewards { // a threshold pays once: reversed bonuses count
			if r.Explanation.Match == commission.MatchGoal {
				add(counterGoal, tr.PartnerID, "", decimal.NewFromInt(int64(r.Explanation.Thresholds)))
			}
		}
		if tr.State != commission.TransactionActive {
			continue
		}
		for _, r := range tr.Rewards {
			if r.Status != commission.RewardRejected && slices.Contains(r.Explanation.Counted, "month") {
				add(counterSpend, tr.PartnerID, killMonth, r.Amount)
			}
		}
		if !tr.Qualified {
			continue
		}
		if want[commission.CounterKey{Name: counterSales, Subject: tr.CustomerID}].IsZero() {
			add(counterCustomers, tr.PartnerID, "", one)
			add(counterCustomers, tr.PartnerID, killMonth, one)
			add(counterMonth, tr.CustomerID, "", killMonthNumber)
		}
		add(counterSales, tr.CustomerID, "", one)
		add(counterRevenue, tr.PartnerID, "", tr.Amount)
		add(counterRevenue, tr.PartnerID, killMonth, tr.Amount)
	}
	return want
}

// requireCounters checks each counter against its recount, each partner's
// spend against the limit, and that each goal paid every threshold the
// partner's revenue stands at (it may have paid more: revenue falls with
// deletions, and a threshold pays once).
func (snap *killSnapshot) requireCounters(t *testing.T) {
	t.Helper()
	for k, want := range snap.want {
		require.True(t, snap.got[k].Equal(want), "counter %+v is %s; what it summarises adds up to %s", k, snap.got[k], want)
	}
	for _, p := range snap.partners {
		spend := snap.want[commission.CounterKey{Name: counterSpend, Subject: p.ID, Bucket: killMonth}]
		require.True(t, spend.Cmp(killLimit) <= 0, "partner %s earned %s, over the limit %s", p.Key, spend, killLimit)
		revenue := snap.want[commission.CounterKey{Name: counterRevenue, Subject: p.ID}]
		paid := snap.want[commission.CounterKey{Name: counterGoal, Subject: p.ID}]
		require.True(t, paid.Cmp(revenue.Div(killTarget).Floor()) >= 0, "partner %s: revenue %s, %s thresholds paid", p.Key, revenue, paid)
	}
	var rewards int
	for _, tr := range snap.txs {
		rewards += len(tr.Rewards)
	}
	require.Equal(t, snap.rewardRows, rewards, "reward rows in the table, and rewards of the stored transactions")
}

// count adds up how far the stored sales reach into what the program does.
func (found *killFound) count(snap *killSnapshot) {
	for _, tr := range snap.txs {
		found.deleted += b2i(tr.State == commission.TransactionDeleted)
		for _, r := range tr.Rewards {
			found.capped += b2i(r.Explanation.Uncapped != nil)
			found.goalBonuses += b2i(r.Explanation.Match == commission.MatchGoal)
		}
	}
}

// requireReach checks that the sales hit what the test means to crash
// under: the spend limit, goal bonuses, deletions, bulks and customers
// created with their sale.
func (found killFound) requireReach(t *testing.T) {
	t.Helper()
	require.Positive(t, found.capped, "no reward was lowered by the spend limit")
	require.Positive(t, found.goalBonuses, "no goal bonus was paid")
	require.Positive(t, found.deleted, "no sale was deleted")
	require.Positive(t, found.bulks, "no bulk was stored")
	require.Positive(t, found.newCustomers, "no customer was created with its sale")
}
