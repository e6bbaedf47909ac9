package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/commissionkit/commission"
	"github.com/shopspring/decimal"
)

// tx is one unit of work: commission.StoreTx on a database transaction.
type tx struct {
	s       *Store
	q       queryer
	program string
	write   bool
}

var _ commission.StoreTx = (*tx)(nil)

func (t *tx) writable() error {
	if !t.write {
		return errReadOnly
	}
	return nil
}

// queries holds every fixed statement, written once per dialect.
type queries struct {
	d Dialect

	partnerBy             map[string]string // by column: id, partner_key, email
	insertPartner         string
	setPartnerStatus      string
	setPartnerCommission  string
	partnerExists         string
	customerBy            map[string]string
	buyerBy               map[string]string // customer with partner and referrer
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
	insertRewards         [9]string // by number of rows; [0] unused
	pgSale                [9]string // by number of rewards
	reward                string
	setTransactionState   string
	setRewardsDeletedAt   string
	markRewarded          string
	setRewardStatus       string
	rewardExists          string
	history               string
	counters              counterQueries // MySQL and SQLite; see counters.go
	transactionSelectList string
	rewardSelectList      string
}

const (
	partnerCols  = "id, partner_key, email, name, surname, tags, referring_partner_id, status, created_at, commission"
	customerCols = "id, customer_key, email, name, surname, tags, partner_id, partner_key, referring_customer_id, referring_customer_key, status, created_at"
	txInsertCols = "program_id, tx_key, action, amount, reward, amount_units, is_currency, credit, product_id, product_type, products, rewarded, rewardable, qualified, customer_id, customer_key, partner_id, partner_key, referring_customer_id, referring_customer_key, created_at, backdated, state, deleted_at, rate"
	rewardCols   = "program_id, id, tx_key, position, action, status, review_ends_at, decided_at, reason, partner_id, partner_key, customer_id, customer_key, rewarded_customer_id, rewarded_customer_key, amount, amount_units, is_currency, credit, product_id, product_type, created_at, deleted_at, explanation"
	rewardArity  = 24
	txArity      = 25
)

// prefixed qualifies every column of a list with a table alias.
func prefixed(alias, cols string) string {
	return alias + strings.ReplaceAll(cols, ", ", ", "+alias)
}

func placeholders(n int) string {
	return "(" + strings.TrimSuffix(strings.Repeat("?, ", n), ", ") + ")"
}

func newQueries(d Dialect) *queries {
	r := d.rebind
	q := &queries{d: d, partnerBy: map[string]string{}, customerBy: map[string]string{}}
	for _, col := range []string{"id", "partner_key", "email"} {
		q.partnerBy[col] = r("SELECT " + partnerCols + " FROM commission_partners WHERE program_id = ? AND " + col + " = ?")
	}
	for _, col := range []string{"id", "customer_key", "email"} {
		q.customerBy[col] = r("SELECT " + customerCols + " FROM commission_customers WHERE program_id = ? AND " + col + " = ?")
	}
	onConflict := ""
	if d == Postgres {
		// A duplicate is reported as no row inserted: an error would abort
		// the whole PostgreSQL transaction, where it aborts only the
		// statement on the others.
		onConflict = " ON CONFLICT DO NOTHING"
	}
	q.insertPartner = r("INSERT INTO commission_partners (program_id, " + partnerCols + ") VALUES " + placeholders(11) + onConflict)
	q.setPartnerStatus = r("UPDATE commission_partners SET status = ? WHERE program_id = ? AND id = ?")
	q.setPartnerCommission = r("UPDATE commission_partners SET commission = ? WHERE program_id = ? AND id = ?")
	q.partnerExists = r("SELECT COUNT(*) FROM commission_partners WHERE program_id = ? AND id = ?")
	q.buyerBy = map[string]string{}
	for _, col := range []string{"id", "customer_key", "email"} {
		q.buyerBy[col] = r("SELECT " + prefixed("c.", customerCols) + ", " + prefixed("p.", partnerCols) + ", " + prefixed("r.", customerCols) +
			" FROM commission_customers c" +
			" LEFT JOIN commission_partners p ON p.program_id = c.program_id AND p.id = c.partner_id" +
			" LEFT JOIN commission_customers r ON r.program_id = c.program_id AND r.id = c.referring_customer_id" +
			" WHERE c.program_id = ? AND c." + col + " = ?")
	}
	q.insertCustomer = r("INSERT INTO commission_customers (program_id, " + customerCols + ") VALUES " + placeholders(13) + onConflict)
	q.setCustomerStatus = r("UPDATE commission_customers SET status = ? WHERE program_id = ? AND id = ?")
	q.customerExists = r("SELECT COUNT(*) FROM commission_customers WHERE program_id = ? AND id = ?")
	q.lockCustomer = r("SELECT id FROM commission_customers WHERE program_id = ? AND id = ?" + d.forUpdate())

	q.transactionSelectList = "seq, tx_key, action, " + d.num("amount") + ", " + d.num("reward") +
		", amount_units, is_currency, credit, product_id, product_type, products, rewarded, rewardable, qualified, customer_id, customer_key, partner_id, partner_key, referring_customer_id, referring_customer_key, created_at, backdated, state, deleted_at, " + d.num("rate")
	q.transaction = r("SELECT " + q.transactionSelectList + " FROM commission_transactions WHERE program_id = ? AND tx_key = ?")
	q.transactionForUpdate = q.transaction + d.forUpdate()
	q.insertTransaction = r("INSERT INTO commission_transactions (" + txInsertCols + ") VALUES " + placeholders(txArity) + onConflict)
	if d != MySQL {
		q.insertTransaction += " RETURNING seq"
	}
	q.deleteTransaction = r("DELETE FROM commission_transactions WHERE seq = ?")

	q.rewardSelectList = "id, tx_key, action, status, review_ends_at, decided_at, reason, partner_id, partner_key, customer_id, customer_key, rewarded_customer_id, rewarded_customer_key, " +
		d.num("amount") + ", amount_units, is_currency, credit, product_id, product_type, created_at, deleted_at, explanation"
	q.rewardsOf = r("SELECT " + q.rewardSelectList + " FROM commission_rewards WHERE program_id = ? AND tx_key = ? ORDER BY position")
	for n := range q.insertRewards {
		q.insertRewards[n] = q.rewardInsert(n)
		if d == Postgres {
			q.pgSale[n] = pgSaleSQL(n)
		}
	}
	q.deleteRewards = r("DELETE FROM commission_rewards WHERE program_id = ? AND tx_key = ?")
	q.reward = r("SELECT " + q.rewardSelectList + " FROM commission_rewards WHERE program_id = ? AND id = ?")
	q.markRewarded = r("UPDATE commission_transactions SET rewardable = ?, qualified = ? WHERE program_id = ? AND tx_key = ?")
	q.setTransactionState = r("UPDATE commission_transactions SET state = ?, deleted_at = ? WHERE program_id = ? AND tx_key = ?")
	q.setRewardsDeletedAt = r("UPDATE commission_rewards SET deleted_at = ? WHERE program_id = ? AND tx_key = ?")
	q.setRewardStatus = r("UPDATE commission_rewards SET status = ?, reason = ?, decided_at = ? WHERE program_id = ? AND id = ?")
	q.rewardExists = r("SELECT COUNT(*) FROM commission_rewards WHERE program_id = ? AND id = ?")
	q.history = r("SELECT COUNT(*), MIN(created_at) FROM commission_transactions WHERE program_id = ? AND customer_id = ? AND qualified = ? AND state = ? AND created_at < ?")

	if d != Postgres { // see pgbatch.go
		q.counters = newCounterQueries(d)
	}
	return q
}

// ---------------------------------------------------------------------------
// Values in and out

// money is the exact text of an amount. The schema holds 18 places after
// the point; anything finer would be rounded by the database, so it is an
// error instead.
func money(d decimal.Decimal) (string, error) {
	exp := d.Exponent()
	if exp >= 0 {
		return d.StringFixed(0), nil
	}
	if exp < -18 && !d.Equal(d.Truncate(18)) {
		return "", fmt.Errorf("sqlstore: amount %s has more than 18 places after the point", d.StringFixed(-exp))
	}
	return d.StringFixed(-exp), nil
}

func moneyPtr(d *decimal.Decimal) (any, error) {
	if d == nil {
		return nil, nil
	}
	return money(*d)
}

func parseMoney(s string) (decimal.Decimal, error) {
	d, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.Decimal{}, fmt.Errorf("sqlstore: stored amount %q: %w", s, err)
	}
	return d, nil
}

func micros(t time.Time) int64 { return t.UnixMicro() }

func microsPtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixMicro()
}

func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

func fromNullMicros(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := fromMicros(n.Int64)
	return &t
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func toJSON(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

// scanner is *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// notFound turns sql.ErrNoRows into commission.ErrNotFound.
func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%w: %s", commission.ErrNotFound, what)
	}
	return fmt.Errorf("sqlstore: %s: %w", what, err)
}

// ---------------------------------------------------------------------------
// Partners and customers

func refColumn(id, key, email, keyCol string) (string, string) {
	switch {
	case id != "":
		return "id", id
	case key != "":
		return keyCol, key
	}
	return "email", email
}

func (t *tx) Partner(ctx context.Context, ref commission.PartnerRef) (*commission.Partner, error) {
	col, v := refColumn(ref.ID, ref.Key, ref.Email, "partner_key")
	if v == "" {
		return nil, fmt.Errorf("%w: empty partner reference", commission.ErrNotFound)
	}
	p, err := scanPartner(t.q.QueryRowContext(ctx, t.s.q.partnerBy[col], t.program, v))
	if err != nil {
		return nil, notFound(err, "partner "+col+" "+v)
	}
	return p, nil
}

func scanPartner(row scanner) (*commission.Partner, error) {
	var p partnerRow
	if err := row.Scan(p.dest()...); err != nil {
		return nil, err
	}
	return p.partner()
}

// partnerRow scans partner columns that may be NULL (a LEFT JOIN).
type partnerRow struct {
	id, key, email, name, surname, tags, referrer, status sql.NullString
	created                                               sql.NullInt64
	commission                                            sql.NullString
}

func (p *partnerRow) dest() []any {
	return []any{&p.id, &p.key, &p.email, &p.name, &p.surname, &p.tags, &p.referrer, &p.status, &p.created, &p.commission}
}

// partner is the scanned partner, nil when the columns were NULL.
func (p *partnerRow) partner() (*commission.Partner, error) {
	if !p.id.Valid {
		return nil, nil
	}
	out := &commission.Partner{ID: p.id.String, Key: p.key.String, Email: p.email.String, Name: p.name.String,
		Surname: p.surname.String, ReferringPartnerID: p.referrer.String, Status: commission.PartnerStatus(p.status.String),
		CreatedAt: fromMicros(p.created.Int64)}
	if err := json.Unmarshal([]byte(p.tags.String), &out.Tags); err != nil {
		return nil, err
	}
	if p.commission.Valid {
		if err := json.Unmarshal([]byte(p.commission.String), &out.Commission); err != nil {
			return nil, fmt.Errorf("sqlstore: commission of partner %q: %w", out.Key, err)
		}
	}
	return out, nil
}

// inserted reports a duplicate: an error naming a unique violation, or, on
// PostgreSQL (ON CONFLICT DO NOTHING), no row inserted.
func inserted(res sql.Result, err error, what string) error {
	if err != nil {
		if classify(err) == uniqueViolation {
			return fmt.Errorf("%w: %s", commission.ErrDuplicateKey, what)
		}
		return fmt.Errorf("sqlstore: insert %s: %w", what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("sqlstore: insert %s: %w", what, err)
	}
	if n == 0 {
		return fmt.Errorf("%w: %s", commission.ErrDuplicateKey, what)
	}
	return nil
}

func (t *tx) InsertPartner(ctx context.Context, p *commission.Partner) error {
	if err := t.writable(); err != nil {
		return err
	}
	tags, err := toJSON(p.Tags)
	if err != nil {
		return err
	}
	c, err := commissionJSON(p.Commission)
	if err != nil {
		return err
	}
	res, err := t.q.ExecContext(ctx, t.s.q.insertPartner, t.program, p.ID, p.Key, nullIfEmpty(p.Email),
		p.Name, p.Surname, tags, p.ReferringPartnerID, string(p.Status), micros(p.CreatedAt), c)
	return inserted(res, err, fmt.Sprintf("partner %q", p.Key))
}

// commissionJSON is a custom commission as stored: JSON, or NULL for none.
func commissionJSON(c *commission.Commission) (any, error) {
	if c == nil {
		return nil, nil
	}
	return toJSON(c)
}

func (t *tx) SetPartnerCommission(ctx context.Context, id string, c *commission.Commission) error {
	js, err := commissionJSON(c)
	if err != nil {
		return err
	}
	if err := t.writable(); err != nil {
		return err
	}
	res, err := t.q.ExecContext(ctx, t.s.q.setPartnerCommission, js, t.program, id)
	return t.changedOne(ctx, res, err, t.s.q.partnerExists, id, "partner")
}

// setStatus runs an UPDATE of one row by id; no row changed is
// ErrNotFound only if the row does not exist (MySQL counts rows changed,
// not rows matched).
func (t *tx) setStatus(ctx context.Context, update, exists, id, status, what string) error {
	if err := t.writable(); err != nil {
		return err
	}
	res, err := t.q.ExecContext(ctx, update, status, t.program, id)
	return t.changedOne(ctx, res, err, exists, id, what)
}

// changedOne checks an UPDATE of one row by id: no row changed is
// ErrNotFound only if the row does not exist (MySQL counts rows changed,
// not rows matched).
func (t *tx) changedOne(ctx context.Context, res sql.Result, err error, exists, id, what string) error {
	if err != nil {
		return fmt.Errorf("sqlstore: %s: %w", what, err)
	}
	if n, err := res.RowsAffected(); err != nil || n > 0 {
		return err
	}
	var n int
	if err := t.q.QueryRowContext(ctx, exists, t.program, id).Scan(&n); err != nil {
		return fmt.Errorf("sqlstore: %s: %w", what, err)
	}
	if n == 0 {
		return fmt.Errorf("%w: %s %q", commission.ErrNotFound, what, id)
	}
	return nil
}

func (t *tx) SetPartnerStatus(ctx context.Context, id string, status commission.PartnerStatus) error {
	return t.setStatus(ctx, t.s.q.setPartnerStatus, t.s.q.partnerExists, id, string(status), "partner")
}

func (t *tx) Customer(ctx context.Context, ref commission.CustomerRef) (*commission.Customer, error) {
	col, v := refColumn(ref.ID, ref.Key, ref.Email, "customer_key")
	if v == "" {
		return nil, fmt.Errorf("%w: empty customer reference", commission.ErrNotFound)
	}
	c, err := scanCustomer(t.q.QueryRowContext(ctx, t.s.q.customerBy[col], t.program, v))
	if err != nil {
		return nil, notFound(err, "customer "+col+" "+v)
	}
	return c, nil
}

func scanCustomer(row scanner) (*commission.Customer, error) {
	var c customerRow
	if err := row.Scan(c.dest()...); err != nil {
		return nil, err
	}
	return c.customer()
}

// customerRow scans customer columns that may be NULL (a LEFT JOIN).
type customerRow struct {
	id, key, email, name, surname, tags, partnerID, partnerKey, referrerID, referrerKey, status sql.NullString
	created                                                                                     sql.NullInt64
}

func (c *customerRow) dest() []any {
	return []any{&c.id, &c.key, &c.email, &c.name, &c.surname, &c.tags, &c.partnerID, &c.partnerKey,
		&c.referrerID, &c.referrerKey, &c.status, &c.created}
}

// customer is the scanned customer, nil when the columns were NULL.
func (c *customerRow) customer() (*commission.Customer, error) {
	if !c.id.Valid {
		return nil, nil
	}
	out := &commission.Customer{ID: c.id.String, Key: c.key.String, Email: c.email.String, Name: c.name.String,
		Surname: c.surname.String, PartnerID: c.partnerID.String, PartnerKey: c.partnerKey.String,
		ReferringCustomerID: c.referrerID.String, ReferringCustomerKey: c.referrerKey.String,
		Status: commission.CustomerStatus(c.status.String), CreatedAt: fromMicros(c.created.Int64)}
	if err := json.Unmarshal([]byte(c.tags.String), &out.Tags); err != nil {
		return nil, err
	}
	return out, nil
}

func (t *tx) Buyer(ctx context.Context, ref commission.CustomerRef) (*commission.Buyer, error) {
	col, v := refColumn(ref.ID, ref.Key, ref.Email, "customer_key")
	if v == "" {
		return nil, fmt.Errorf("%w: empty customer reference", commission.ErrNotFound)
	}
	var c, r customerRow
	var p partnerRow
	dest := append(append(c.dest(), p.dest()...), r.dest()...)
	if err := t.q.QueryRowContext(ctx, t.s.q.buyerBy[col], t.program, v).Scan(dest...); err != nil {
		return nil, notFound(err, "customer "+col+" "+v)
	}
	var b commission.Buyer
	var err error
	if b.Customer, err = c.customer(); err != nil {
		return nil, err
	}
	if b.Partner, err = p.partner(); err != nil {
		return nil, err
	}
	if b.Referrer, err = r.customer(); err != nil {
		return nil, err
	}
	return &b, nil
}

func (t *tx) InsertCustomer(ctx context.Context, c *commission.Customer) error {
	if err := t.writable(); err != nil {
		return err
	}
	tags, err := toJSON(c.Tags)
	if err != nil {
		return err
	}
	res, err := t.q.ExecContext(ctx, t.s.q.insertCustomer, t.program, c.ID, c.Key, nullIfEmpty(c.Email),
		c.Name, c.Surname, tags, c.PartnerID, c.PartnerKey, c.ReferringCustomerID, c.ReferringCustomerKey,
		string(c.Status), micros(c.CreatedAt))
	return inserted(res, err, fmt.Sprintf("customer %q", c.Key))
}

func (t *tx) SetCustomerStatus(ctx context.Context, id string, status commission.CustomerStatus) error {
	return t.setStatus(ctx, t.s.q.setCustomerStatus, t.s.q.customerExists, id, string(status), "customer")
}

// ---------------------------------------------------------------------------
// Transactions

func (t *tx) Transaction(ctx context.Context, key string) (*commission.Transaction, error) {
	query := t.s.q.transaction
	if t.write {
		query = t.s.q.transactionForUpdate
	}
	tr, err := scanTransaction(t.q.QueryRowContext(ctx, query, t.program, key))
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("transaction %q", key))
	}
	rows, err := t.q.QueryContext(ctx, t.s.q.rewardsOf, t.program, key)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: rewards of %q: %w", key, err)
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanReward(rows)
		if err != nil {
			return nil, err
		}
		tr.Rewards = append(tr.Rewards, *r)
	}
	return tr, rows.Err()
}

func scanTransaction(row scanner) (*commission.Transaction, error) {
	var tr commission.Transaction
	var amount string
	var reward, rate sql.NullString
	var products string
	var created int64
	var deleted sql.NullInt64
	err := row.Scan(&tr.Seq, &tr.Key, &tr.Action, &amount, &reward, &tr.AmountUnits, &tr.IsCurrency, &tr.Credit,
		&tr.ProductID, &tr.ProductType, &products, &tr.Rewarded, &tr.Rewardable, &tr.Qualified,
		&tr.CustomerID, &tr.CustomerKey, &tr.PartnerID, &tr.PartnerKey, &tr.ReferringCustomerID, &tr.ReferringCustomerKey,
		&created, &tr.Backdated, &tr.State, &deleted, &rate)
	if err != nil {
		return nil, err
	}
	if tr.Amount, err = parseMoney(amount); err != nil {
		return nil, err
	}
	if reward.Valid {
		d, err := parseMoney(reward.String)
		if err != nil {
			return nil, err
		}
		tr.Reward = &d
	}
	if rate.Valid {
		d, err := parseMoney(rate.String)
		if err != nil {
			return nil, err
		}
		tr.Rate = &d
	}
	if err := json.Unmarshal([]byte(products), &tr.Products); err != nil {
		return nil, fmt.Errorf("sqlstore: products of %q: %w", tr.Key, err)
	}
	tr.CreatedAt, tr.DeletedAt = fromMicros(created), fromNullMicros(deleted)
	return &tr, nil
}

func scanReward(row scanner) (*commission.Reward, error) {
	var r commission.Reward
	var reviewEnds, decided, deleted sql.NullInt64
	var amount, explanation string
	var created int64
	err := row.Scan(&r.ID, &r.TransactionKey, &r.Action, &r.Status, &reviewEnds, &decided, &r.Reason,
		&r.PartnerID, &r.PartnerKey, &r.CustomerID, &r.CustomerKey, &r.RewardedCustomerID, &r.RewardedCustomerKey,
		&amount, &r.AmountUnits, &r.IsCurrency, &r.Credit, &r.ProductID, &r.ProductType, &created, &deleted, &explanation)
	if err != nil {
		return nil, err
	}
	if r.Amount, err = parseMoney(amount); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(explanation), &r.Explanation); err != nil {
		return nil, fmt.Errorf("sqlstore: explanation of reward %q: %w", r.ID, err)
	}
	r.ReviewEndsAt, r.DecidedAt, r.DeletedAt = fromNullMicros(reviewEnds), fromNullMicros(decided), fromNullMicros(deleted)
	r.CreatedAt = fromMicros(created)
	return &r, nil
}

func (t *tx) InsertTransaction(ctx context.Context, in *commission.Transaction) error {
	if err := t.writable(); err != nil {
		return err
	}
	args, err := t.transactionArgs(nil, in)
	if err != nil {
		return err
	}
	what := fmt.Sprintf("transaction %q", in.Key)
	if t.s.d == Postgres {
		return t.pgInsertOne(ctx, in, args, what)
	}
	var seq int64
	if t.s.d == MySQL {
		res, err := t.q.ExecContext(ctx, t.s.q.insertTransaction, args...)
		if err := inserted(res, err, what); err != nil {
			return err
		}
		if seq, err = res.LastInsertId(); err != nil {
			return fmt.Errorf("sqlstore: insert %s: %w", what, err)
		}
	} else if err := t.q.QueryRowContext(ctx, t.s.q.insertTransaction, args...).Scan(&seq); err != nil {
		if errors.Is(err, sql.ErrNoRows) || classify(err) == uniqueViolation {
			return fmt.Errorf("%w: %s", commission.ErrDuplicateKey, what)
		}
		return fmt.Errorf("sqlstore: insert %s: %w", what, err)
	}
	if len(in.Rewards) > 0 {
		if err := t.insertRewards(ctx, in); err != nil {
			// Leave nothing of the transaction behind: the caller may go on.
			t.q.ExecContext(ctx, t.s.q.deleteRewards, t.program, in.Key)
			t.q.ExecContext(ctx, t.s.q.deleteTransaction, seq)
			return err
		}
	}
	in.Seq = seq
	return nil
}

// pgInsertOne writes a transaction and its rewards in one statement.
func (t *tx) pgInsertOne(ctx context.Context, in *commission.Transaction, args []any, what string) error {
	for i := range in.Rewards {
		var err error
		if args, err = t.rewardArgs(args, in.Key, i, &in.Rewards[i]); err != nil {
			return err
		}
	}
	query := ""
	if n := len(in.Rewards); n < len(t.s.q.pgSale) {
		query = t.s.q.pgSale[n]
	} else {
		query = pgSaleSQL(n)
	}
	var seq, rewards int64
	if err := t.q.QueryRowContext(ctx, query, args...).Scan(&seq, &rewards); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%w: %s", commission.ErrDuplicateKey, what)
		}
		return fmt.Errorf("sqlstore: insert %s: %w", what, err)
	}
	if rewards != int64(len(in.Rewards)) {
		// Leave nothing of the transaction behind: the caller may go on.
		t.q.ExecContext(ctx, t.s.q.deleteRewards, t.program, in.Key)
		t.q.ExecContext(ctx, t.s.q.deleteTransaction, seq)
		return fmt.Errorf("%w: reward id of %s", commission.ErrDuplicateKey, what)
	}
	in.Seq = seq
	return nil
}

// transactionArgs appends the column values of a transaction row, in
// txInsertCols order.
func (t *tx) transactionArgs(args []any, in *commission.Transaction) ([]any, error) {
	amount, err := money(in.Amount)
	if err != nil {
		return nil, err
	}
	reward, err := moneyPtr(in.Reward)
	if err != nil {
		return nil, err
	}
	rate, err := moneyPtr(in.Rate)
	if err != nil {
		return nil, err
	}
	products, err := toJSON(in.Products)
	if err != nil {
		return nil, err
	}
	return append(args, t.program, in.Key, in.Action, amount, reward, in.AmountUnits, in.IsCurrency, in.Credit,
		in.ProductID, in.ProductType, products, in.Rewarded, in.Rewardable, in.Qualified,
		in.CustomerID, in.CustomerKey, in.PartnerID, in.PartnerKey, in.ReferringCustomerID, in.ReferringCustomerKey,
		micros(in.CreatedAt), in.Backdated, string(in.State), microsPtr(in.DeletedAt), rate), nil
}

// rewardArgs appends the column values of the i-th reward of a
// transaction, in rewardCols order.
func (t *tx) rewardArgs(args []any, key string, i int, r *commission.Reward) ([]any, error) {
	amount, err := money(r.Amount)
	if err != nil {
		return nil, err
	}
	explanation, err := r.Explanation.MarshalJSON() // what json.Marshal would call, without its checks
	if err != nil {
		return nil, err
	}
	return append(args, t.program, r.ID, key, i, r.Action, string(r.Status), microsPtr(r.ReviewEndsAt),
		microsPtr(r.DecidedAt), r.Reason, r.PartnerID, r.PartnerKey, r.CustomerID, r.CustomerKey,
		r.RewardedCustomerID, r.RewardedCustomerKey, amount, r.AmountUnits, r.IsCurrency, r.Credit,
		r.ProductID, r.ProductType, micros(r.CreatedAt), microsPtr(r.DeletedAt), string(explanation)), nil
}

// insertRewards writes all of a transaction's rewards in one statement.
func (t *tx) insertRewards(ctx context.Context, in *commission.Transaction) error {
	args := make([]any, 0, rewardArity*len(in.Rewards))
	for i := range in.Rewards {
		var err error
		if args, err = t.rewardArgs(args, in.Key, i, &in.Rewards[i]); err != nil {
			return err
		}
	}
	return t.insertRewardRows(ctx, args, fmt.Sprintf("reward id of transaction %q", in.Key))
}

// insertRewardRows inserts reward rows (rewardArity values each) in one
// statement; a taken reward id is ErrDuplicateKey.
func (t *tx) insertRewardRows(ctx context.Context, args []any, what string) error {
	rows := len(args) / rewardArity
	query := ""
	if rows < len(t.s.q.insertRewards) {
		query = t.s.q.insertRewards[rows]
	} else {
		query = t.s.q.rewardInsert(rows)
	}
	res, err := t.q.ExecContext(ctx, query, args...)
	if err != nil {
		return inserted(res, err, what)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("sqlstore: insert %s: %w", what, err)
	}
	if n != int64(rows) { // ON CONFLICT DO NOTHING skipped a taken id
		return fmt.Errorf("%w: %s", commission.ErrDuplicateKey, what)
	}
	return nil
}

// rewardInsert is the statement inserting n reward rows.
func (q *queries) rewardInsert(n int) string {
	query := "INSERT INTO commission_rewards (" + rewardCols + ") VALUES " + rowsOf(n, rewardArity)
	if q.d == Postgres {
		query += " ON CONFLICT DO NOTHING"
	}
	return q.d.rebind(query)
}

// rowsOf is the VALUES list of n rows of arity placeholders.
func rowsOf(n, arity int) string {
	row := placeholders(arity)
	return strings.TrimSuffix(strings.Repeat(row+", ", n), ", ")
}

// batchRows bounds the rows of one multi-row INSERT, so that its
// placeholders stay under every dialect's limit (SQLite: 32,766).
const batchRows = 500

// InsertTransactions writes the transactions in multi-row INSERTs of up to
// batchRows rows, then their rewards likewise.
func (t *tx) InsertTransactions(ctx context.Context, ts []*commission.Transaction) error {
	if err := t.writable(); err != nil {
		return err
	}
	if t.s.d == Postgres {
		return t.pgInsert(ctx, ts)
	}
	for start := 0; start < len(ts); start += batchRows {
		if err := t.insertTransactionRows(ctx, ts[start:min(start+batchRows, len(ts))]); err != nil {
			return err
		}
	}
	args := make([]any, 0, batchRows*rewardArity)
	for _, in := range ts {
		for i := range in.Rewards {
			var err error
			if args, err = t.rewardArgs(args, in.Key, i, &in.Rewards[i]); err != nil {
				return err
			}
			if len(args) == cap(args) {
				if err := t.insertRewardRows(ctx, args, "reward id"); err != nil {
					return err
				}
				args = args[:0]
			}
		}
	}
	if len(args) > 0 {
		return t.insertRewardRows(ctx, args, "reward id")
	}
	return nil
}

// insertTransactionRows inserts a batch of transaction rows in one
// statement and sets their Seq.
func (t *tx) insertTransactionRows(ctx context.Context, ts []*commission.Transaction) error {
	args := make([]any, 0, len(ts)*txArity)
	for _, in := range ts {
		var err error
		if args, err = t.transactionArgs(args, in); err != nil {
			return err
		}
	}
	query := "INSERT INTO commission_transactions (" + txInsertCols + ") VALUES " + rowsOf(len(ts), txArity)
	seqs := make(map[string]int64, len(ts))
	if t.s.d == MySQL {
		res, err := t.q.ExecContext(ctx, query, args...)
		if err := inserted(res, err, "transaction key"); err != nil {
			return err
		}
		// Auto-increment values of one INSERT need not be consecutive:
		// read them back by key.
		keys := []any{t.program}
		for _, in := range ts {
			keys = append(keys, in.Key)
		}
		rows, err := t.q.QueryContext(ctx, "SELECT tx_key, seq FROM commission_transactions WHERE program_id = ? AND tx_key IN "+placeholders(len(ts)), keys...)
		if err := readSeqs(rows, err, seqs); err != nil {
			return err
		}
	} else {
		if t.s.d == Postgres {
			query += " ON CONFLICT DO NOTHING"
		}
		rows, err := t.q.QueryContext(ctx, t.s.d.rebind(query+" RETURNING tx_key, seq"), args...)
		if err := readSeqs(rows, err, seqs); err != nil {
			return err
		}
	}
	for _, in := range ts {
		seq, ok := seqs[in.Key]
		if !ok { // skipped by ON CONFLICT DO NOTHING
			return fmt.Errorf("%w: transaction %q", commission.ErrDuplicateKey, in.Key)
		}
		in.Seq = seq
	}
	return nil
}

func readSeqs(rows *sql.Rows, err error, seqs map[string]int64) error {
	if err != nil {
		if classify(err) == uniqueViolation {
			return fmt.Errorf("%w: transaction key", commission.ErrDuplicateKey)
		}
		return fmt.Errorf("sqlstore: insert transactions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var key string
		var seq int64
		if err := rows.Scan(&key, &seq); err != nil {
			return err
		}
		seqs[key] = seq
	}
	if err := rows.Err(); err != nil {
		if classify(err) == uniqueViolation {
			return fmt.Errorf("%w: transaction key", commission.ErrDuplicateKey)
		}
		return fmt.Errorf("sqlstore: insert transactions: %w", err)
	}
	return nil
}

func (t *tx) AddRewards(ctx context.Context, in *commission.Transaction, from int) error {
	if err := t.writable(); err != nil {
		return err
	}
	key := in.Key
	tr, err := t.Transaction(ctx, key) // locks it, or ErrNotFound
	if err != nil {
		return err
	}
	rewards := in.Rewards[from:]
	args := make([]any, 0, rewardArity*len(rewards))
	for i := range rewards {
		if args, err = t.rewardArgs(args, key, len(tr.Rewards)+i, &rewards[i]); err != nil {
			return err
		}
	}
	if len(args) > 0 {
		if err := t.insertRewardRows(ctx, args, fmt.Sprintf("reward id of transaction %q", key)); err != nil {
			return err
		}
	}
	if _, err := t.q.ExecContext(ctx, t.s.q.markRewarded, in.Rewardable, in.Qualified, t.program, key); err != nil {
		return fmt.Errorf("sqlstore: transaction %q: %w", key, err)
	}
	return nil
}

func (t *tx) SetTransactionState(ctx context.Context, key string, state commission.TransactionState, deletedAt *time.Time) error {
	if err := t.writable(); err != nil {
		return err
	}
	if _, err := t.Transaction(ctx, key); err != nil { // locks the row, or ErrNotFound
		return err
	}
	if _, err := t.q.ExecContext(ctx, t.s.q.setTransactionState, string(state), microsPtr(deletedAt), t.program, key); err != nil {
		return fmt.Errorf("sqlstore: transaction %q: %w", key, err)
	}
	if _, err := t.q.ExecContext(ctx, t.s.q.setRewardsDeletedAt, microsPtr(deletedAt), t.program, key); err != nil {
		return fmt.Errorf("sqlstore: rewards of %q: %w", key, err)
	}
	return nil
}

func (t *tx) Transactions(ctx context.Context, q commission.TransactionQuery) ([]*commission.Transaction, error) {
	var b strings.Builder
	args := []any{t.program, string(commission.TransactionDeleted)}
	b.WriteString("SELECT " + t.s.q.transactionSelectList + " FROM commission_transactions WHERE program_id = ? AND state <> ?")
	if q.PartnerID != "" {
		b.WriteString(" AND partner_id = ?")
		args = append(args, q.PartnerID)
	}
	if q.CustomerID != "" {
		b.WriteString(" AND customer_id = ?")
		args = append(args, q.CustomerID)
	}
	if q.After != nil {
		at := q.After.CreatedAt.UnixMicro()
		// created_at <= ? first, so that the index's range ends there.
		b.WriteString(" AND created_at <= ? AND (created_at < ? OR seq < ?)")
		args = append(args, at, at, q.After.Seq)
	}
	b.WriteString(" ORDER BY created_at DESC, seq DESC LIMIT ? OFFSET ?")
	args = append(args, q.Limit, q.Offset)
	rows, err := t.q.QueryContext(ctx, t.s.d.rebind(b.String()), args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list transactions: %w", err)
	}
	var out []*commission.Transaction
	for rows.Next() {
		tr, err := scanTransaction(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, tr)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if err := t.attachRewards(ctx, out); err != nil {
		return nil, err
	}
	return out, nil
}

// attachRewards loads the rewards of a page of transactions in one query.
func (t *tx) attachRewards(ctx context.Context, txs []*commission.Transaction) error {
	if len(txs) == 0 {
		return nil
	}
	byKey := make(map[string]*commission.Transaction, len(txs))
	args := []any{t.program}
	for _, tr := range txs {
		byKey[tr.Key] = tr
		args = append(args, tr.Key)
	}
	query := "SELECT " + t.s.q.rewardSelectList + " FROM commission_rewards WHERE program_id = ? AND tx_key IN " +
		placeholders(len(txs)) + " ORDER BY tx_key, position"
	rows, err := t.q.QueryContext(ctx, t.s.d.rebind(query), args...)
	if err != nil {
		return fmt.Errorf("sqlstore: rewards: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanReward(rows)
		if err != nil {
			return err
		}
		tr := byKey[r.TransactionKey]
		tr.Rewards = append(tr.Rewards, *r)
	}
	return rows.Err()
}

// Reward reads without a lock: a reward changes with its transaction,
// whose row Transaction locks.
func (t *tx) Reward(ctx context.Context, id string) (*commission.Reward, error) {
	r, err := scanReward(t.q.QueryRowContext(ctx, t.s.q.reward, t.program, id))
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("reward %q", id))
	}
	return r, nil
}

func (t *tx) SetRewardStatus(ctx context.Context, id string, status commission.RewardStatus, reason string, at time.Time) error {
	if err := t.writable(); err != nil {
		return err
	}
	res, err := t.q.ExecContext(ctx, t.s.q.setRewardStatus, string(status), reason, micros(at), t.program, id)
	if err != nil {
		return fmt.Errorf("sqlstore: reward %q: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil || n > 0 {
		return err
	}
	var n int
	if err := t.q.QueryRowContext(ctx, t.s.q.rewardExists, t.program, id).Scan(&n); err != nil {
		return fmt.Errorf("sqlstore: reward %q: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("%w: reward %q", commission.ErrNotFound, id)
	}
	return nil
}

// CustomerHistory, in an Update, first locks the customer's row, so that
// two sales by one customer take turns on the limits it decides.
func (t *tx) CustomerHistory(ctx context.Context, customerID string, before time.Time) (commission.CustomerHistory, error) {
	var h commission.CustomerHistory
	if t.write && t.s.d != SQLite {
		var id string
		err := t.q.QueryRowContext(ctx, t.s.q.lockCustomer, t.program, customerID).Scan(&id)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return h, fmt.Errorf("sqlstore: lock customer %q: %w", customerID, err)
		}
	}
	// Strictly before: a time between two microseconds counts the earlier.
	limit := before.UnixMicro()
	if before.Sub(fromMicros(limit)) > 0 {
		limit++
	}
	var first sql.NullInt64
	err := t.q.QueryRowContext(ctx, t.s.q.history, t.program, customerID, true, string(commission.TransactionActive), limit).
		Scan(&h.Count, &first)
	if err != nil {
		return h, fmt.Errorf("sqlstore: history of %q: %w", customerID, err)
	}
	if first.Valid {
		h.First = fromMicros(first.Int64)
	}
	return h, nil
}

// ---------------------------------------------------------------------------
// Counters

// Counters, in an Update, locks the counters it reads, in a fixed order so
// that two units of work cannot deadlock on them.
func (t *tx) Counters(ctx context.Context, keys []commission.CounterKey) ([]decimal.Decimal, error) {
	if t.s.d == Postgres && len(keys) > 0 {
		return t.pgCounters(ctx, keys)
	}
	return t.sqlCounters(ctx, keys)
}

func (t *tx) AddCounters(ctx context.Context, deltas []commission.CounterDelta) error {
	if err := t.writable(); err != nil {
		return err
	}
	if len(deltas) == 0 {
		return nil
	}
	// In key order, as Counters locks them, so that two units of work
	// cannot deadlock on counters.
	deltas = slices.Clone(deltas)
	slices.SortStableFunc(deltas, func(a, b commission.CounterDelta) int { return a.Key.Compare(b.Key) })
	if t.s.d == Postgres {
		return t.pgAddCounters(ctx, deltas)
	}
	return t.sqlAddCounters(ctx, deltas)
}
