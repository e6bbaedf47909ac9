package sqlstore

import "strings"

// queries holds every fixed statement, written once per dialect.
type queries struct {
	d Dialect

	partnerBy             map[string]string // by column: id, partner_key, email
	insertPartner         string
	setPartnerStatus      string
	setPartnerCommission  string
	setPartnerMinimum     string
	partnerExists         string
	customerBy            map[string]string
	buyerBy               map[string]string    // customer with partner and referrer
	pgBuyerCounters       [2]map[string]string // and counters, by whether they are locked (pgbuyer.go)
	insertCustomer        string
	setCustomerStatus     string
	customerExists        string
	lockCustomer          string
	transaction           string
	transactionForUpdate  string
	insertTransaction     string
	deleteTransaction     string
	rewardsOf             string
	deleteRewards         string
	insertRewards         [9]string    // by number of rows; [0] unused
	pgSale                [4][9]string // by riders (ridesAdds, ridesEvents) and number of rewards
	reward                string
	setTransactionState   string
	setTransactionRefund  string
	transactionExists     string
	setRewardsDeletedAt   string
	markRewarded          string
	setRewardStatus       string
	rewardExists          string
	history               string
	counters              counterQueries // MySQL and SQLite; see counters.go
	money                 moneyQueries   // entries, refunds, payouts; see moneyqueries.go
	events                eventQueries   // the event log; see events.go
	webhooks              webhookQueries // endpoints and deliveries; see webhooks.go
	people                peopleQueries  // changing partners and customers; see people.go
	transactionSelectList string
	rewardSelectList      string
}

const (
	partnerCols  = "id, partner_key, email, name, surname, tags, referring_partner_id, status, created_at, commission, payout_minimum"
	customerCols = "id, customer_key, email, name, surname, tags, partner_id, partner_key, referring_customer_id, referring_customer_key, status, created_at, referral_url"
	txInsertCols = "program_id, tx_key, action, amount, reward, amount_units, is_currency, credit, product_id, product_type, products, rewarded, rewardable, qualified, customer_id, customer_key, partner_id, partner_key, referring_customer_id, referring_customer_key, created_at, backdated, state, deleted_at, rate, refunded"
	rewardCols   = "program_id, id, tx_key, position, action, status, review_ends_at, decided_at, reason, partner_id, partner_key, customer_id, customer_key, rewarded_customer_id, rewarded_customer_key, amount, amount_units, is_currency, credit, product_id, product_type, created_at, deleted_at, explanation, line, reversed, payout_id"
	rewardArity  = 27
	txArity      = 26
)

// prefixed qualifies every column of a list with a table alias.
func prefixed(alias, cols string) string {
	return alias + strings.ReplaceAll(cols, ", ", ", "+alias)
}

func placeholders(n int) string {
	return "(" + strings.TrimSuffix(strings.Repeat("?, ", n), ", ") + ")"
}

// rowsOf is the VALUES list of n rows of arity placeholders.
func rowsOf(n, arity int) string {
	row := placeholders(arity)
	return strings.TrimSuffix(strings.Repeat(row+", ", n), ", ")
}

func newQueries(d Dialect) *queries {
	q := &queries{d: d}
	q.partnerQueries()
	q.customerQueries()
	q.transactionQueries()
	q.rewardQueries()
	q.money = q.moneyQueries()
	q.events = newEventQueries(d)
	q.webhooks = newWebhookQueries(d)
	q.people = newPeopleQueries(q)
	if d != Postgres { // see pgcounters.go
		q.counters = newCounterQueries(d)
	}
	return q
}

// byColumn returns query(col) for each column a partner or customer is
// found by: its id, its key (keyCol) and its email.
func byColumn(keyCol string, query func(col string) string) map[string]string {
	out := make(map[string]string, 3)
	for _, col := range []string{"id", keyCol, "email"} {
		out[col] = query(col)
	}
	return out
}

func (q *queries) partnerQueries() {
	r := q.d.rebind
	q.partnerBy = byColumn("partner_key", func(col string) string {
		return r("SELECT " + partnerCols + " FROM commission_partners WHERE program_id = ? AND " + col + " = ?")
	})
	q.insertPartner = r("INSERT INTO commission_partners (program_id, " + partnerCols + ") VALUES " + placeholders(12) + q.d.skipDuplicate())
	q.setPartnerStatus = r("UPDATE commission_partners SET status = ? WHERE program_id = ? AND id = ?")
	q.setPartnerCommission = r("UPDATE commission_partners SET commission = ? WHERE program_id = ? AND id = ?")
	q.setPartnerMinimum = r("UPDATE commission_partners SET payout_minimum = ? WHERE program_id = ? AND id = ?")
	q.partnerExists = r("SELECT COUNT(*) FROM commission_partners WHERE program_id = ? AND id = ?")
}

func (q *queries) customerQueries() {
	r := q.d.rebind
	q.customerBy = byColumn("customer_key", func(col string) string {
		return r("SELECT " + customerCols + " FROM commission_customers WHERE program_id = ? AND " + col + " = ?")
	})
	buyer := func(more string) func(col string) string {
		return func(col string) string {
			return r("SELECT " + prefixed("c.", customerCols) + ", " + prefixed("p.", partnerCols) + ", " + prefixed("r.", customerCols) + more +
				" FROM commission_customers c" +
				" LEFT JOIN commission_partners p ON p.program_id = c.program_id AND p.id = c.partner_id" +
				" LEFT JOIN commission_customers r ON r.program_id = c.program_id AND r.id = c.referring_customer_id" +
				" WHERE c.program_id = ? AND c." + col + " = ?")
		}
	}
	q.buyerBy = byColumn("customer_key", buyer(""))
	if q.d == Postgres {
		for i, lock := range []bool{false, true} {
			q.pgBuyerCounters[i] = byColumn("customer_key", buyer(", "+pgBuyerCounters(lock)))
		}
	}
	q.insertCustomer = r("INSERT INTO commission_customers (program_id, " + customerCols + ") VALUES " + placeholders(14) + q.d.skipDuplicate())
	q.setCustomerStatus = r("UPDATE commission_customers SET status = ? WHERE program_id = ? AND id = ?")
	q.customerExists = r("SELECT COUNT(*) FROM commission_customers WHERE program_id = ? AND id = ?")
	q.lockCustomer = r("SELECT id FROM commission_customers WHERE program_id = ? AND id = ?" + q.d.forUpdate())
}

func (q *queries) transactionQueries() {
	d, r := q.d, q.d.rebind
	q.transactionSelectList = "seq, tx_key, action, " + d.num("amount") + ", " + d.num("reward") +
		", amount_units, is_currency, credit, product_id, product_type, products, rewarded, rewardable, qualified, customer_id, customer_key, partner_id, partner_key, referring_customer_id, referring_customer_key, created_at, backdated, state, deleted_at, " + d.num("rate") + ", " + d.num("refunded")
	q.transaction = r("SELECT " + q.transactionSelectList + " FROM commission_transactions WHERE program_id = ? AND tx_key = ?")
	q.transactionForUpdate = q.transaction + d.forUpdate()
	q.insertTransaction = r("INSERT INTO commission_transactions (" + txInsertCols + ") VALUES " + placeholders(txArity) + d.skipDuplicate())
	if d != MySQL {
		q.insertTransaction += " RETURNING seq"
	}
	q.deleteTransaction = r("DELETE FROM commission_transactions WHERE seq = ?")
	q.markRewarded = r("UPDATE commission_transactions SET rewardable = ?, qualified = ? WHERE program_id = ? AND tx_key = ?")
	q.setTransactionState = r("UPDATE commission_transactions SET state = ?, deleted_at = ? WHERE program_id = ? AND tx_key = ?")
	q.setTransactionRefund = r("UPDATE commission_transactions SET refunded = ?, qualified = ? WHERE program_id = ? AND tx_key = ?")
	q.transactionExists = r("SELECT COUNT(*) FROM commission_transactions WHERE program_id = ? AND tx_key = ?")
	q.history = r("SELECT COUNT(*), MIN(created_at) FROM commission_transactions WHERE program_id = ? AND customer_id = ? AND qualified = ? AND state = ? AND created_at < ?")
}

func (q *queries) rewardQueries() {
	d, r := q.d, q.d.rebind
	q.rewardSelectList = "id, tx_key, action, status, review_ends_at, decided_at, reason, partner_id, partner_key, customer_id, customer_key, rewarded_customer_id, rewarded_customer_key, " +
		d.num("amount") + ", amount_units, is_currency, credit, product_id, product_type, created_at, deleted_at, explanation, line, " + d.num("reversed") + ", payout_id"
	q.rewardsOf = r("SELECT " + q.rewardSelectList + " FROM commission_rewards WHERE program_id = ? AND tx_key = ? ORDER BY position")
	for n := range q.insertRewards {
		q.insertRewards[n] = q.rewardInsert(n)
		if d == Postgres {
			for riders := range q.pgSale {
				q.pgSale[riders][n] = pgSaleSQL(n, riders)
			}
		}
	}
	q.deleteRewards = r("DELETE FROM commission_rewards WHERE program_id = ? AND tx_key = ?")
	q.reward = r("SELECT " + q.rewardSelectList + " FROM commission_rewards WHERE program_id = ? AND id = ?")
	q.setRewardsDeletedAt = r("UPDATE commission_rewards SET deleted_at = ? WHERE program_id = ? AND tx_key = ?")
	q.setRewardStatus = r("UPDATE commission_rewards SET status = ?, reason = ?, decided_at = ? WHERE program_id = ? AND id = ?")
	q.rewardExists = r("SELECT COUNT(*) FROM commission_rewards WHERE program_id = ? AND id = ?")
}

// rewardInsert is the statement inserting n reward rows.
func (q *queries) rewardInsert(n int) string {
	return q.d.rebind("INSERT INTO commission_rewards (" + rewardCols + ") VALUES " + rowsOf(n, rewardArity) + q.d.skipDuplicate())
}
