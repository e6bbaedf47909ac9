package commission

import (
	"context"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Store persists one or more programs' partners, customers, transactions,
// rewards and counters. Stores only persist and query; every decision (what
// a sale earns, whether an input is valid, what a deletion reverses) is the
// Engine's.
//
// Each Engine operation is one unit of work: Update for writes, View for
// reads. A Store must guarantee, for Update:
//
//   - Atomicity: everything fn writes commits together when fn returns nil,
//     and nothing of it is visible to anyone when fn returns an error.
//   - Race-free reads: a row or counter read inside Update cannot be changed
//     by another Update (in this process or another sharing the database)
//     before this one commits. Two units of work can never both pass a check
//     only one may pass. A store may serialise Updates per program, or lock
//     the rows it reads in a fixed order; it retries deadlocks and
//     serialization failures a bounded number of times, calling fn again.
//     fn must therefore have no effect outside the StoreTx.
//   - Isolation per program: a StoreTx sees only programID's data.
//
// Stores return the sentinel errors of this package (ErrNotFound,
// ErrDuplicateKey), wrapped with context, for the expected conditions, and
// never a driver's own error for them.
type Store interface {
	Update(ctx context.Context, programID string, fn func(StoreTx) error) error
	View(ctx context.Context, programID string, fn func(StoreTx) error) error
}

// StoreTx is one unit of work on one program, valid only until the fn it
// was passed to returns. A store keeps no reference to the values passed to
// it. The values it returns are read-only: a store may share them between
// calls (an in-memory store then replaces, never modifies, what it shared),
// so the caller copies before modifying.
type StoreTx interface {
	// Partner returns the partner named by ref: by ID if set, else by Key,
	// else by Email. ErrNotFound if there is none.
	Partner(ctx context.Context, ref PartnerRef) (*Partner, error)
	// InsertPartner stores a new partner. ErrDuplicateKey if its ID, Key or
	// (non-empty) Email is taken.
	InsertPartner(ctx context.Context, p *Partner) error
	// SetPartnerStatus changes a partner's status. ErrNotFound if unknown.
	SetPartnerStatus(ctx context.Context, partnerID string, status PartnerStatus) error
	// SetPartnerCommission changes a partner's custom commission (nil:
	// none). ErrNotFound if unknown.
	SetPartnerCommission(ctx context.Context, partnerID string, c *Commission) error
	// SetPartnerPayoutMinimum changes a partner's own payout minimum
	// (nil: the program's). ErrNotFound if unknown.
	SetPartnerPayoutMinimum(ctx context.Context, partnerID string, min *decimal.Decimal) error
	// LockPartner returns the partner named by ref, as Partner does, and
	// in an Update locks it until the unit of work ends, so that no other
	// unit of work changes it between this one's read and its write: the
	// engine reads the partner it changes with it. ErrNotFound if there is
	// none.
	LockPartner(ctx context.Context, ref PartnerRef) (*Partner, error)
	// UpdatePartner stores a partner's Email, Name, Surname, Tags and
	// Status, found by its ID; its other fields are left as they are.
	// ErrNotFound if the ID is unknown; ErrDuplicateKey if the (non-empty)
	// Email is another partner's, and then nothing is changed, so that the
	// unit of work may go on.
	UpdatePartner(ctx context.Context, p *Partner) error
	// Partners lists partners newest first by (CreatedAt, ID), IDs
	// compared byte by byte, filtered and paged by q.
	Partners(ctx context.Context, q PartnerQuery) ([]*Partner, error)

	// Customer returns the customer named by ref: by ID if set, else by
	// Key, else by Email. ErrNotFound if there is none.
	Customer(ctx context.Context, ref CustomerRef) (*Customer, error)
	// Buyer returns the customer named by ref together with its partner
	// and its referring customer, in one read. ErrNotFound if there is no
	// such customer. counters names counters of the customer (subject its
	// ID, no bucket) that the caller reads next: a store may read them
	// with the buyer, saving a round trip, into Buyer.Counters, as
	// Counters would read them (locked, in a unit of work that writes),
	// or leave Buyer.Counters nil.
	Buyer(ctx context.Context, ref CustomerRef, counters []string) (*Buyer, error)
	// InsertCustomer stores a new customer. ErrDuplicateKey if its ID, Key
	// or (non-empty) Email is taken.
	InsertCustomer(ctx context.Context, c *Customer) error
	// SetCustomerStatus changes a customer's status. ErrNotFound if unknown.
	SetCustomerStatus(ctx context.Context, customerID string, status CustomerStatus) error
	// LockCustomer returns the customer named by ref, as Customer does,
	// and in an Update locks it until the unit of work ends, so that no
	// other unit of work changes it between this one's read and its
	// write: the engine reads the customer it changes with it. ErrNotFound
	// if there is none.
	LockCustomer(ctx context.Context, ref CustomerRef) (*Customer, error)
	// UpdateCustomer stores a customer's Email, Name, Surname, Tags,
	// Status and ReferralURL, found by its ID; its other fields (its
	// attribution among them) are left as they are. ErrNotFound if the ID
	// is unknown; ErrDuplicateKey if the (non-empty) Email is another
	// customer's, and then nothing is changed, so that the unit of work may
	// go on.
	UpdateCustomer(ctx context.Context, c *Customer) error
	// Customers lists customers newest first by (CreatedAt, ID), IDs
	// compared byte by byte, filtered and paged by q.
	Customers(ctx context.Context, q CustomerQuery) ([]*Customer, error)

	// Transaction returns the transaction with key, in any state, deleted
	// included, with its rewards in the order they were stored.
	// ErrNotFound if the key was never used. In an Update, it locks the
	// transaction (and so its rewards) until the unit of work ends.
	Transaction(ctx context.Context, key string) (*Transaction, error)
	// InsertTransaction stores a new transaction with its rewards and sets
	// t.Seq. ErrDuplicateKey if the key was ever used in the program, or a
	// reward ID is taken.
	InsertTransaction(ctx context.Context, t *Transaction) error
	// InsertTransactions stores several new transactions as
	// InsertTransaction does, in as few statements as the store can. On
	// an error (ErrDuplicateKey if a key or reward ID is taken) some of
	// them may be stored: the unit of work must then fail.
	InsertTransactions(ctx context.Context, ts []*Transaction) error
	// AddRewards stores what a stored transaction earned later (a sale
	// made rewardable after it was stored): t is the transaction as the
	// engine now has it; the store appends t.Rewards[from:] after the
	// rewards it holds and stores t.Rewardable and t.Qualified as given.
	// ErrNotFound if t.Key is unknown; ErrDuplicateKey if a reward ID is
	// taken.
	AddRewards(ctx context.Context, t *Transaction, from int) error
	// SetTransactionState sets a transaction's state and deleted_at, and
	// the deleted_at of all its rewards. ErrNotFound if unknown.
	SetTransactionState(ctx context.Context, key string, state TransactionState, deletedAt *time.Time) error
	// Transactions lists transactions newest first by (CreatedAt, Seq),
	// filtered and paged by q.
	Transactions(ctx context.Context, q TransactionQuery) ([]*Transaction, error)
	// Recorded lists transactions in the order they were stored, by Seq
	// (oldest first), those with a Seq above after, at most limit, with
	// their rewards; every state, deleted included. Its cost per page must
	// not grow with the program's history: Engine.Simulate walks the whole
	// history with it.
	Recorded(ctx context.Context, after int64, limit int) ([]*Transaction, error)

	// Reward returns the reward with id. ErrNotFound if unknown. It need
	// not lock: a reward changes only with its transaction, which the
	// engine reads (and a SQL store locks) first.
	Reward(ctx context.Context, id string) (*Reward, error)
	// SetRewardStatus records a decision on a reward in review: its new
	// status, the reason (for rejections) and when it was decided.
	// ErrNotFound if unknown.
	SetRewardStatus(ctx context.Context, id string, status RewardStatus, reason string, at time.Time) error

	// CustomerHistory summarises the customer's qualified transactions
	// (Transaction.Qualified, not deleted or archived) created strictly
	// before the given time. Its cost may grow with the customer's own
	// history, never with the program's: the engine reads it only for a
	// sale backdated among the customer's others, and for a deletion of
	// its first sale.
	CustomerHistory(ctx context.Context, customerID string, before time.Time) (CustomerHistory, error)

	// InsertRefund stores a refund of a stored transaction (its Entries
	// are stored with InsertEntries, not with it) and what it leaves of
	// the transaction, as one change. ErrDuplicateKey if the refund's
	// key was used in the program; ErrNotFound if its transaction is
	// unknown.
	InsertRefund(ctx context.Context, r *Refund, left RefundedSale) error
	// Refund returns the refund with key, with no Entries. ErrNotFound if
	// unknown.
	Refund(ctx context.Context, key string) (*Refund, error)
	// Refunds returns the refunds of a transaction, oldest first, with no
	// Entries.
	Refunds(ctx context.Context, transactionKey string) ([]*Refund, error)

	// InsertEntries stores entries against stored rewards, and adds each
	// entry's amount, negated, to its reward's Reversed. It returns, for
	// each entry in order, where its reward sat as the store changed it,
	// the reward locked: a payout may have taken, paid or released it
	// since the caller read it. ErrNotFound if a reward is unknown;
	// ErrDuplicateKey if an entry id is taken.
	InsertEntries(ctx context.Context, entries []Entry) ([]RewardPlace, error)
	// Entries returns the entries of a transaction's rewards, in the
	// order they were stored.
	Entries(ctx context.Context, transactionKey string) ([]Entry, error)
	// SetEntriesAdjustment sets the Adjustment of entries. ErrNotFound if
	// one is unknown.
	SetEntriesAdjustment(ctx context.Context, ids []string, adjustment bool) error
	// OpenAdjustments returns the adjustments of the earner in units that
	// no payout has netted (Adjustment, PayoutID ""), in the order they
	// were stored.
	OpenAdjustments(ctx context.Context, e Earner, units string) ([]Entry, error)

	// PendingSum sums what the earner's rewards in units that are held in
	// review (stored Status RewardInReview) and released after the given
	// time pay: Amount less Reversed. Its cost grows with those rewards
	// only, never with the earner's history.
	PendingSum(ctx context.Context, e Earner, units string, after time.Time) (decimal.Decimal, error)
	// PayableRewards returns the earner's rewards in units that are in no
	// payout (PayoutID ""), not rejected, released as of asOf (stored
	// Status RewardOK, or RewardInReview with ReviewEndsAt at or before
	// asOf) and pay more than nothing (Amount greater than Reversed),
	// oldest first by (CreatedAt, ID).
	PayableRewards(ctx context.Context, e Earner, units string, asOf time.Time) ([]*Reward, error)
	// Rewards lists rewards newest first by (CreatedAt, ID), filtered and
	// paged by q.
	Rewards(ctx context.Context, q RewardQuery) ([]*Reward, error)

	// InsertPayout stores a new pending payout and puts its rewards
	// (p.RewardIDs) and adjustments (p.EntryIDs) in it: their PayoutID
	// becomes p.ID. ErrInPayout if one of them is in a payout already,
	// which the store checks so that two units of work can never put one
	// reward in two payouts; ErrDuplicateKey if p.ID is taken.
	InsertPayout(ctx context.Context, p *Payout) error
	// UpdatePayout stores a payout's new state, times and reference. When
	// the state is PayoutPaid, its rewards' stored Status becomes
	// RewardPaid; when it is PayoutCanceled, its rewards and adjustments
	// leave it (their PayoutID becomes ""), though the payout keeps their
	// ids. ErrNotFound if unknown.
	UpdatePayout(ctx context.Context, p *Payout) error
	// Payout returns the payout with id. ErrNotFound if unknown.
	Payout(ctx context.Context, id string) (*Payout, error)
	// Payouts lists payouts newest first by (CreatedAt, ID), filtered and
	// paged by q.
	Payouts(ctx context.Context, q PayoutQuery) ([]*Payout, error)

	// Counters returns the current value of each key (zero for a key never
	// added to), in the order of keys. Counters hold the aggregates the
	// rules read on every sale (a partner's signups, customers and revenue
	// per month, rewards per period, goal crossings), so their cost does
	// not grow with the program's history.
	Counters(ctx context.Context, keys []CounterKey) ([]decimal.Decimal, error)
	// AddCounters adds each delta to its counter, creating it at zero.
	AddCounters(ctx context.Context, deltas []CounterDelta) error

	// InsertEvents appends events, with Position 0, to the program's log.
	// They are positioned after their unit of work commits, by
	// PositionEvents. ErrDuplicateKey if an ID is taken.
	InsertEvents(ctx context.Context, events []Event) error
	// PositionEvents gives the next positions of the program's log to
	// every event committed and not positioned yet, in one order, and
	// returns the log's last position then (0 for none). Positions start
	// at 1 and have no gaps. Two units of work never position the same
	// event: one waits for the other. It takes a unit of work that
	// writes.
	PositionEvents(ctx context.Context) (int64, error)
	// Events returns up to limit positioned events of the program with a
	// position above after, in position order.
	Events(ctx context.Context, after int64, limit int) ([]Event, error)

	// InsertEndpoint stores a new webhook endpoint. ErrDuplicateKey if its
	// ID or Key is taken.
	InsertEndpoint(ctx context.Context, ep *Endpoint) error
	// Endpoint returns the endpoint with id. ErrNotFound if unknown.
	Endpoint(ctx context.Context, id string) (*Endpoint, error)
	// Endpoints returns every endpoint, oldest first by (CreatedAt, ID).
	Endpoints(ctx context.Context) ([]*Endpoint, error)
	// UpdateEndpoint stores an endpoint's URL, Secret, Events, Disabled
	// and Cursor. ErrNotFound if unknown.
	UpdateEndpoint(ctx context.Context, ep *Endpoint) error
	// DeleteEndpoint deletes an endpoint with its deliveries. ErrNotFound
	// if unknown.
	DeleteEndpoint(ctx context.Context, id string) error
	// InsertDeliveries stores new deliveries. ErrDuplicateKey if an
	// endpoint has one of the position already; ErrNotFound if the
	// endpoint is unknown.
	InsertDeliveries(ctx context.Context, ds []Delivery) error
	// UpdateDelivery stores a delivery's State, Attempts, NextAttemptAt,
	// LastStatus, LastError and UpdatedAt. ErrNotFound if unknown.
	UpdateDelivery(ctx context.Context, d *Delivery) error
	// Deliveries returns up to q.Limit deliveries of q.EndpointID after
	// q.After in one of q.States (any when empty), by position.
	Deliveries(ctx context.Context, q DeliveryQuery) ([]Delivery, error)
}

// Buyer is a customer with the parties its sales may reward, read in one
// call (StoreTx.Buyer). It is part of the Store contract.
type Buyer struct {
	Customer *Customer
	// Partner is the customer's partner (affiliate), nil if it has none.
	Partner *Partner
	// Referrer is the customer's referring customer (refer-a-friend), nil
	// if it has none.
	Referrer *Customer
	// Counters are the values of the counters StoreTx.Buyer was asked
	// for, in its order, when the store read them with the buyer; nil
	// when it did not.
	Counters []decimal.Decimal
}

// TransactionQuery selects a page of transactions for StoreTx.Transactions.
// It is part of the Store contract; applications list with ListOptions.
type TransactionQuery struct {
	// PartnerID and CustomerID filter when non-empty.
	PartnerID  string
	CustomerID string
	// States keeps the transactions in one of these states; every state
	// when empty.
	States []TransactionState
	// After, when set, starts the page strictly after that position in the
	// newest-first order (cursor paging); Offset is then usually zero.
	After *Position
	// Offset rows are skipped, then at most Limit are returned.
	Offset int
	Limit  int
}

// RewardQuery selects a page of rewards for StoreTx.Rewards. It is part of
// the Store contract; applications list with RewardListOptions.
type RewardQuery struct {
	// Earner is whose rewards: required.
	Earner Earner
	// Units filters when non-empty.
	Units string
	// Statuses keeps the rewards whose status as of Now is one of them:
	// RewardInReview (stored in review, released after Now), RewardOK
	// (stored ok, or in review and released at or before Now),
	// RewardRejected, RewardPaid. Every status when empty.
	Statuses []RewardStatus
	Now      time.Time
	// From and To keep the rewards created in [From, To); zero for open.
	From, To time.Time
	// After, when set, starts the page strictly after that reward in the
	// newest-first order.
	After *RewardPosition
	Limit int
}

// RewardPosition is a reward's place in the newest-first listing order of
// rewards. It is part of the Store contract.
type RewardPosition struct {
	CreatedAt time.Time
	ID        string
}

// PayoutQuery selects a page of payouts for StoreTx.Payouts. It is part of
// the Store contract; applications list with PayoutListOptions.
type PayoutQuery struct {
	// Earner filters when set.
	Earner *Earner
	// States filters when non-empty.
	States []PayoutState
	// After, when set, starts the page strictly after that payout in the
	// newest-first order (by CreatedAt, then ID).
	After *RewardPosition
	Limit int
}

// PartnerQuery selects a page of partners for StoreTx.Partners. It is part
// of the Store contract; applications list with PartnerListOptions.
type PartnerQuery struct {
	// Statuses keeps the partners in one of these statuses; every status
	// when empty.
	Statuses []PartnerStatus
	// Tag, when non-empty, keeps the partners with this tag among their
	// Tags, compared byte by byte.
	Tag string
	// Email, when non-empty, keeps the partner with this Email (as
	// stored: the engine passes it in lower case).
	Email string
	// After, when set, starts the page strictly after that place
	// (CreatedAt, then ID) in the newest-first order (cursor paging);
	// Offset is then zero.
	After *RewardPosition
	// Offset rows are skipped, then at most Limit are returned.
	Offset int
	Limit  int
}

// CustomerQuery selects a page of customers for StoreTx.Customers. It is
// part of the Store contract; applications list with CustomerListOptions.
type CustomerQuery struct {
	// PartnerID, when non-empty, keeps the customers attributed to that
	// partner (Customer.PartnerID).
	PartnerID string
	// Statuses keeps the customers in one of these statuses; every status
	// when empty.
	Statuses []CustomerStatus
	// After, when set, starts the page strictly after that place
	// (CreatedAt, then ID) in the newest-first order (cursor paging);
	// Offset is then zero.
	After *RewardPosition
	// Offset rows are skipped, then at most Limit are returned.
	Offset int
	Limit  int
}

// Position is a transaction's place in the newest-first listing order. It
// is part of the Store contract; applications page with cursors.
type Position struct {
	CreatedAt time.Time
	Seq       int64
}

// Before reports whether p comes before q in the listing order
// (newest first).
func (p Position) Before(q Position) bool {
	if !p.CreatedAt.Equal(q.CreatedAt) {
		return p.CreatedAt.After(q.CreatedAt)
	}
	return p.Seq > q.Seq
}

// RewardPlace is where a reward's money sits (StoreTx.InsertEntries):
// the payout that holds it, "" for none, and its status.
type RewardPlace struct {
	PayoutID string
	Status   RewardStatus
}

// RefundedSale is what a refund leaves of its transaction: how much of
// it was refunded in all (Transaction.Refunded), and whether it still
// counts as qualified (Transaction.Qualified).
type RefundedSale struct {
	Refunded  decimal.Decimal
	Qualified bool
}

// CustomerHistory is what the rules know of a customer's past sales
// (StoreTx.CustomerHistory). It is part of the Store contract.
type CustomerHistory struct {
	// Count is the number of qualified transactions.
	Count int64
	// First is the CreatedAt of the earliest of them; zero when Count is 0.
	First time.Time
}

// CounterKey names one counter (StoreTx.Counters), part of the Store
// contract: an aggregate (Name, e.g.
// "partner.revenue") of one subject (a partner or customer id) in one
// bucket (a period such as "2025-05", or "" for all time). Name and Bucket
// are at most 64 bytes, Subject at most 255.
type CounterKey struct {
	Name    string
	Subject string
	Bucket  string
}

// Compare orders counter keys by Name, then Subject, then Bucket, each by
// bytes: the order in which the engine writes counters and a store that
// locks them should lock them, so that units of work cannot deadlock on
// them.
func (k CounterKey) Compare(o CounterKey) int {
	if c := strings.Compare(k.Name, o.Name); c != 0 {
		return c
	}
	if c := strings.Compare(k.Subject, o.Subject); c != 0 {
		return c
	}
	return strings.Compare(k.Bucket, o.Bucket)
}

// CounterDelta is an amount added to a counter (StoreTx.AddCounters). It is
// part of the Store contract.
type CounterDelta struct {
	Key   CounterKey
	Delta decimal.Decimal
}
