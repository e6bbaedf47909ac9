// Package commission is an embeddable engine for affiliate and
// refer-a-friend programs: it records the sales that referred customers
// make and computes, holds, releases and reverses the rewards their
// referrers earn, with exact decimal arithmetic and no network service.
//
// # Model
//
// A Program is one set of settings and rules (a RuleSet) with its own
// partners, customers, transactions and rewards. In an affiliate program
// partners refer customers, and a customer is attributed to one partner for
// good; in a refer-a-friend program customers refer customers. A
// Transaction is a sale (or another action) by a customer; the Engine
// applies the program's rules to it and stores it with its Rewards in one
// atomic step. Each reward carries an Explanation of the rule that produced
// it, so that a later change of rules never alters what was earned.
//
// Money is decimal.Decimal everywhere (github.com/shopspring/decimal):
// 30% of 99.99 is exactly 29.997. The engine never sets shopspring's
// package-level settings; they belong to the application.
//
// # Rules
//
// Each line of a sale earns one base reward, by the first rule that
// applies, in this order: the partner's custom commission, a product rule
// by product_id, then by product_type, the highest Tier the sale qualifies
// for, the RuleSet's Default (RuleSet.ProductsOverPartner puts product
// rules first). Multi-level rewards, the referred friend's reward and Goal
// bonuses are added on top; rounding and then caps apply last. The
// engine keeps each beneficiary's signups, customers and revenue as
// counters, whatever the rules, so that tiers and goals read the whole
// history at a cost that does not grow with it.
//
// # Persistence
//
// The Engine persists through a Store. Stores only persist and query; every
// decision is the Engine's, so every store behaves the same. The memstore
// package is an in-memory Store. Each operation is one unit of work
// (Store.Update or Store.View), so a failure part-way stores nothing.
//
// # JSON
//
// The input types decode the request bodies of the published REST API
// with encoding/json as they are, and json.Marshal of a Transaction gives
// the documented response object: amounts as exact JSON numbers and
// timestamps in UTC with microseconds (TimeFormat).
//
// # Errors
//
// Expected conditions are sentinel errors (ErrNotFound,
// ErrCustomerNotFound, ErrPartnerNotFound, ErrDuplicateKey, ...) matched
// with errors.Is; *ValidationError lists every invalid field by its JSON
// path, and *DuplicateError carries the stored transaction whose key a
// create reused.
package commission
