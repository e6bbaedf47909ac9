package sqlstore

import "github.com/commissionkit/commission"

// moneyQueries holds the fixed statements of the money lifecycle (entries,
// refunds, payouts, an earner's unpaid rewards), written once per dialect.
type moneyQueries struct {
	entrySelectList  string
	entriesOf        string
	openAdjustments  string
	insertEntries    string // PostgreSQL; see pgInsertEntries
	insertRefund     string
	refund           string
	refundsOf        string
	payoutSelectList string
	insertPayout     string
	payout           string
	updatePayout     string
	payoutExists     string
	deletePayout     string
	deleteItems      string
	insertItems      string // PostgreSQL; see insertItems
	claim            [memberKinds]string
	release          [memberKinds]string
	members          [memberKinds]string
	markPaid         string
	pending          map[commission.EarnerKind]string
	payable          map[commission.EarnerKind]string
}

// memberKind is what a payout holds: rewards, or adjustments (entries).
type memberKind int

const (
	rewardMember memberKind = iota
	entryMember
	memberKinds
)

var (
	// memberNames are the kinds as commission_payout_items.kind holds them.
	memberNames  = [memberKinds]string{"reward", "entry"}
	memberTables = [memberKinds]string{"commission_rewards", "commission_entries"}
	// earnerColumns name a reward's earner by kind.
	earnerColumns = map[commission.EarnerKind]string{
		commission.EarnerPartner:  "partner_id",
		commission.EarnerCustomer: "rewarded_customer_id",
	}
)

const (
	entryCols   = "program_id, id, reward_id, tx_key, reason, refund_key, earner_kind, earner_id, units, amount, created_at, adjustment, payout_id"
	entryArity  = 13
	payoutCols  = "program_id, id, earner_kind, earner_id, earner_key, units, amount, state, created_at, paid_at, canceled_at, reference"
	payoutArity = 12
	itemCols    = "program_id, payout_id, kind, position, item_id"
	itemArity   = 5
)

// moneyQueries builds the statements; it reads rewardSelectList.
func (q *queries) moneyQueries() moneyQueries {
	d, r := q.d, q.d.rebind
	m := moneyQueries{pending: map[commission.EarnerKind]string{}, payable: map[commission.EarnerKind]string{}}
	m.entrySelectList = "id, reward_id, tx_key, reason, refund_key, earner_kind, earner_id, units, " + d.num("amount") + ", created_at, adjustment, payout_id"
	entries := "SELECT " + m.entrySelectList + " FROM commission_entries WHERE program_id = ?"
	m.entriesOf = r(entries + " AND tx_key = ? ORDER BY seq")
	m.openAdjustments = r(entries + " AND earner_kind = ? AND earner_id = ? AND units = ? AND adjustment = ? AND payout_id = '' ORDER BY seq")
	if d == Postgres {
		m.insertEntries = pgInsertEntriesSQL()
	}
	refunds := "SELECT refund_key, tx_key, " + d.num("amount") + ", products, created_at FROM commission_refunds WHERE program_id = ?"
	m.insertRefund = r("INSERT INTO commission_refunds (program_id, refund_key, tx_key, amount, products, created_at) VALUES " +
		placeholders(6) + d.skipDuplicate())
	if d == Postgres {
		m.insertRefund = pgInsertRefundSQL
	}
	m.refund = r(refunds + " AND refund_key = ?")
	m.refundsOf = r(refunds + " AND tx_key = ? ORDER BY created_at, seq")
	m.payoutQueries(d)
	for kind, col := range earnerColumns {
		// Both read the earner's status index, never its paid rewards:
		// a paid reward's status is paid.
		unpaid := " FROM commission_rewards WHERE program_id = ? AND " + col + " = ? AND amount_units = ?"
		m.pending[kind] = r("SELECT partner_id, " + d.num("amount") + ", " + d.num("reversed") + unpaid +
			" AND status = ? AND review_ends_at > ?")
		m.payable[kind] = r("SELECT " + q.rewardSelectList + unpaid +
			" AND status IN (?, ?) AND (status = ? OR review_ends_at <= ?) AND payout_id = ''")
	}
	return m
}

func (m *moneyQueries) payoutQueries(d Dialect) {
	r := d.rebind
	m.payoutSelectList = "id, earner_kind, earner_id, earner_key, units, " + d.num("amount") + ", state, created_at, paid_at, canceled_at, reference"
	m.insertPayout = r("INSERT INTO commission_payouts (" + payoutCols + ") VALUES " + placeholders(payoutArity) + d.skipDuplicate())
	m.payout = r("SELECT " + m.payoutSelectList + " FROM commission_payouts WHERE program_id = ? AND id = ?")
	m.updatePayout = r("UPDATE commission_payouts SET state = ?, paid_at = ?, canceled_at = ?, reference = ? WHERE program_id = ? AND id = ?")
	m.payoutExists = r("SELECT COUNT(*) FROM commission_payouts WHERE program_id = ? AND id = ?")
	m.deletePayout = r("DELETE FROM commission_payouts WHERE program_id = ? AND id = ?")
	m.deleteItems = r("DELETE FROM commission_payout_items WHERE program_id = ? AND payout_id = ?")
	if d == Postgres {
		m.insertItems = r("INSERT INTO commission_payout_items (" + itemCols + ")" +
			" SELECT ?, ?, ?, u.position - 1, u.id FROM unnest(?::text[]) WITH ORDINALITY AS u(id, position)")
	}
	for k := range memberKinds {
		table := memberTables[k]
		m.claim[k] = r(memberUpdate(d, table, "payout_id = ?", "m.payout_id = ''"))
		m.release[k] = r(memberUpdate(d, table, "payout_id = ''", "m.payout_id = i.payout_id"))
		m.members[k] = r("SELECT i.item_id, m.payout_id FROM commission_payout_items i LEFT JOIN " + table +
			" m ON m.program_id = i.program_id AND m.id = i.item_id WHERE i.program_id = ? AND i.payout_id = ? AND i.kind = ? ORDER BY i.position")
	}
	m.markPaid = r(memberUpdate(d, memberTables[rewardMember], "status = ?", "m.payout_id = i.payout_id"))
}

// memberUpdate is the statement that sets set, its arguments first, on the
// rows of table that a payout holds and that match cond (m names the row,
// i its item); then it takes the program, the payout's id and the kind of
// item.
func memberUpdate(d Dialect, table, set, cond string) string {
	items := "i.program_id = ? AND i.payout_id = ? AND i.kind = ?"
	if d == MySQL {
		return "UPDATE " + table + " m JOIN commission_payout_items i ON m.program_id = i.program_id AND m.id = i.item_id" +
			" SET m." + set + " WHERE " + items + " AND " + cond
	}
	return "UPDATE " + table + " AS m SET " + set + " FROM commission_payout_items AS i WHERE " + items +
		" AND m.program_id = i.program_id AND m.id = i.item_id AND " + cond
}

// pgInsertRefundSQL stores a refund ($1 program, $2 key, $3 transaction,
// $4 amount, $5 lines, $6 time) and what it leaves of its transaction ($7
// refunded, $8 qualified), as one statement: the refund only if the
// transaction exists, the transaction only if the refund was stored (its
// key free). It returns whether the transaction exists and whether it was
// changed.
const pgInsertRefundSQL = `WITH r AS (
	INSERT INTO commission_refunds (program_id, refund_key, tx_key, amount, products, created_at)
	SELECT $1::text, $2::text, $3::text, $4::numeric, $5::text, $6::bigint
	WHERE EXISTS (SELECT 1 FROM commission_transactions WHERE program_id = $1 AND tx_key = $3)
	ON CONFLICT DO NOTHING RETURNING 1
), u AS (
	UPDATE commission_transactions SET refunded = $7::numeric, qualified = $8::boolean
	WHERE program_id = $1 AND tx_key = $3 AND EXISTS (SELECT 1 FROM r) RETURNING 1
)
SELECT (SELECT count(*) FROM commission_transactions WHERE program_id = $1 AND tx_key = $3), (SELECT count(*) FROM u)`
