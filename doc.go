// Package commission is an embeddable engine for affiliate and
// refer-a-friend programs: it records the sales that referred customers
// make and computes, holds, releases and reverses the rewards their
// referrers earn, with exact decimal arithmetic and no network service.
//
// # Using it
//
// An application needs five names to start:
//
//   - Engine, made by New from a Store and a Program, does everything;
//     every operation takes a context and is one atomic unit of work.
//   - Program is one set of settings and a RuleSet: how rewards are
//     computed (the reference of every setting, with an example each, is
//     docs/rules.md in the repository).
//   - PartnerInput and CustomerInput create the people (Engine.CreatePartner,
//     Engine.CreateCustomer); Partners and Customers list them,
//     UpdatePartner and UpdateCustomer change them, and DeletePartner and
//     DeleteCustomer erase them for privacy, keeping their money;
//     TransactionInput is a sale to record
//     (Engine.CreateTransaction, CreateTransactions for a bulk, Preview for
//     a dry run). The inputs decode the published API's request bodies with
//     encoding/json as they are.
//   - Transaction is a stored sale with its Rewards; each Reward carries an
//     Explanation of the rule that produced it, so that a later change of
//     rules never alters what was earned.
//   - The errors: sentinel errors matched with errors.Is (ErrNotFound,
//     ErrCustomerNotFound, ErrPartnerNotFound, ErrDuplicateKey, ...);
//     *ValidationError lists every invalid field by its JSON path, and
//     *DuplicateError carries the stored transaction whose key a create
//     reused, with whether the new input was identical (a retry). A
//     failed operation stores nothing, with one exception a store
//     reports as ErrCommitUnknown: the connection to the database was
//     lost while it committed, and repeating the operation tells whether
//     it did.
//
// After a sale: MakeRewardable, DeleteTransaction (a full reversal; the
// key stays reserved), ArchiveTransaction and RestoreTransaction,
// ApproveReward and RejectReward for rewards in review; reads:
// Transaction, Transactions (pages, by number or cursor) and Reward.
//
// # From earned to paid
//
// RefundTransaction refunds part or all of a sale: each of its rewards
// then pays its rounded share of what is left, and the difference is
// stored as an Entry beside the reward, which never changes; a sale
// refunded in full, in any number of parts, pays exactly nothing. A
// reversal of a reward already in a payout or paid is a clawback, netted
// by the next payout. Balance tells what the program owes a Beneficiary
// in one unit and where it sits (pending, not paid, in payout, paid,
// clawback, payable), from totals kept with every change, so that it
// costs the same whatever the history. CreatePayout pays what is payable,
// above the thresholds of RuleSet.Payouts; MarkPayoutPaid and
// CancelPayout settle it. Rewards, Payouts and Earnings list money by
// beneficiary.
//
// # Events
//
// Every change writes its events (an Event of an EventType, such as
// transaction.created or payout.paid, with the changed resource's JSON)
// in the same unit of work as the change, so that an event exists if and
// only if its change committed. Events reads them in one order, by
// position: a reader that passes the last position it read sees each
// event once, in order, even when many engines write and one commits
// late. WithoutEvents turns them off.
//
// # Model
//
// In an affiliate program partners refer customers, and a customer is
// attributed to one partner for good; in a refer-a-friend program
// customers refer customers. A Transaction is a sale (or another action)
// by a customer; the Engine applies the program's rules to it and stores
// it with its Rewards in one atomic step.
//
// Money is decimal.Decimal everywhere (github.com/shopspring/decimal):
// 30% of 99.99 is exactly 29.997. The engine never sets shopspring's
// package-level settings; they belong to the application.
//
// # Rules
//
// Each line of a sale earns one base reward, by the first rule that
// applies, in this order: the partner's custom commission, a product rule
// by product_id, then by product_type, the highest Tier the sale
// qualifies for, the RuleSet's Default (RuleSet.ProductsOverPartner puts
// product rules first). Multi-level rewards, the referred friend's reward
// and Goal bonuses are added on top; rounding and then caps apply last. A
// refer-a-friend program may instead list several named rewards
// (RuleSet.Referral), each with its trigger, its sides and its steps by
// the referrer's number of referrals.
// The engine keeps each beneficiary's signups, customers and revenue as
// counters, whatever the rules, so that tiers and goals read the whole
// history at a cost that does not grow with it.
//
// # JSON
//
// json.Marshal of a Transaction gives the documented response's "data"
// object, not its envelope ({"data": ..., "status": 1}), which belongs to
// the HTTP layer: amounts as exact JSON numbers and timestamps in UTC
// with microseconds (TimeFormat).
//
// # Implementing a Store
//
// The Engine persists through a Store: the memstore package keeps
// everything in memory, and the sqlstore package keeps it in SQLite,
// PostgreSQL or MySQL. Stores only persist and query; every decision is
// the Engine's, so every store behaves the same, and the storetest package
// proves it. Only a store's author needs the rest of the contract: Store
// and StoreTx, and the values they exchange with the engine, Buyer,
// TransactionQuery, Position, PartnerQuery and CustomerQuery (listing),
// CustomerHistory, CounterKey and CounterDelta (the counters that keep
// the rules' aggregates), and Event (the log).
package commission
