package commission_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/memstore"
	"github.com/shopspring/decimal"
)

// The README's example: a 30% program, a partner, an attributed customer,
// and a sale decoded from the documented request body.
func Example() {
	ctx := context.Background()
	eng, err := commission.New(memstore.New(), commission.Program{
		ID: "prog_1", Kind: commission.Affiliate, Currency: "USD",
		Rules: commission.RuleSet{Default: commission.Percent(decimal.RequireFromString("30"))},
	})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := eng.CreatePartner(ctx, commission.PartnerInput{Key: "partner_123"}); err != nil {
		log.Fatal(err)
	}
	if _, err := eng.CreateCustomer(ctx, commission.CustomerInput{Key: "customer_123",
		Partner: &commission.PartnerRef{Key: "partner_123"}}); err != nil {
		log.Fatal(err)
	}
	var in commission.TransactionInput
	if err := json.Unmarshal([]byte(`{"key": "transaction_123", "amount": 99.99,
		"customer": {"key": "customer_123"}}`), &in); err != nil {
		log.Fatal(err)
	}
	tx, err := eng.CreateTransaction(ctx, in)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(tx.PartnerKey, tx.Rewards[0].Amount, tx.Rewards[0].Status)

	// The same key again is refused, and told apart from a conflict.
	_, err = eng.CreateTransaction(ctx, in)
	var dup *commission.DuplicateError
	fmt.Println(errors.As(err, &dup), dup.Identical)
	// Output:
	// partner_123 29.997 ok
	// true true
}

// A refund reverses the sale's rewards; the key stays reserved.
func ExampleEngine_DeleteTransaction() {
	ctx := context.Background()
	eng, _ := commission.New(memstore.New(), commission.Program{
		ID: "prog_1", Kind: commission.Affiliate, Currency: "EUR",
		Rules: commission.RuleSet{Default: commission.Flat(decimal.RequireFromString("5"))},
	})
	eng.CreatePartner(ctx, commission.PartnerInput{Key: "p"})
	eng.CreateCustomer(ctx, commission.CustomerInput{Key: "c", Partner: &commission.PartnerRef{Key: "p"}})
	amount := decimal.RequireFromString("20")
	in := commission.TransactionInput{Key: "inv_1", Amount: &amount, Customer: commission.CustomerInput{Key: "c"}}
	tx, _ := eng.CreateTransaction(ctx, in)

	fmt.Println(eng.DeleteTransaction(ctx, "inv_1"))
	deleted, _ := eng.Transaction(ctx, "inv_1") // kept, for audit
	fmt.Println(deleted.State, deleted.DeletedAt != nil)
	r, _ := eng.Reward(ctx, tx.Rewards[0].ID)
	fmt.Println(r.Amount, r.DeletedAt != nil)
	_, err := eng.CreateTransaction(ctx, in)
	fmt.Println(errors.Is(err, commission.ErrDuplicateKey))
	fmt.Println(errors.Is(eng.DeleteTransaction(ctx, "inv_1"), commission.ErrAlreadyDeleted))
	// Output:
	// <nil>
	// deleted true
	// 5 true
	// true
	// true
}

// Rules load from JSON as they are written in Go, durations as "30d";
// New validates them and names every bad setting by its JSON path.
func ExampleProgram() {
	var p commission.Program
	err := json.Unmarshal([]byte(`{
		"id": "saas", "kind": "affiliate", "currency": "USD",
		"rules": {
			"default": {"type": "percent", "value": 40, "for": {"months": 3}, "then": {"type": "percent", "value": 20}},
			"products": [{"product_id": "setup", "commission": {"type": "flat", "value": "50.00"}}],
			"review_period": "30d"
		}}`), &p)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(p.Rules.ReviewPeriod, p.Rules.Default.Period.Months, p.Rules.Default.Next.Value, p.Rules.Products[0].Commission.Value)
	if _, err := commission.New(memstore.New(), p); err != nil {
		log.Fatal(err)
	}

	p.Rules.Default.Next.Type = "percentage"
	p.Rules.Products[0].Commission.Value = decimal.RequireFromString("-1")
	_, err = commission.New(memstore.New(), p)
	var invalid *commission.ValidationError
	if errors.As(err, &invalid) {
		for _, f := range invalid.Fields {
			fmt.Println(f.Path)
		}
	}
	// Output:
	// 720h0m0s 3 20 50
	// rules.default.then.type
	// rules.products[0].commission.value
}

// "40% for the first 3 months, then 20%": each step counts from the
// customer's first rewarded sale, and the explanation names the step.
func ExampleCommission_Then() {
	ctx := context.Background()
	now := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	eng, err := commission.New(memstore.New(), commission.Program{
		ID: "saas", Kind: commission.Affiliate, Currency: "USD",
		Rules: commission.RuleSet{Default: commission.Percent(decimal.NewFromInt(40)).
			For(commission.Months(3)).
			Then(commission.Percent(decimal.NewFromInt(20)))},
	}, commission.WithClock(func() time.Time { return now }))
	if err != nil {
		log.Fatal(err)
	}
	eng.CreatePartner(ctx, commission.PartnerInput{Key: "alice"})
	eng.CreateCustomer(ctx, commission.CustomerInput{Key: "bob", Partner: &commission.PartnerRef{Key: "alice"}})
	for _, day := range []string{"2025-01-15", "2025-04-14", "2025-04-15"} {
		at, _ := time.Parse(time.DateOnly, day)
		amount := decimal.NewFromInt(100)
		tx, err := eng.CreateTransaction(ctx, commission.TransactionInput{
			Key: day, Amount: &amount, CreatedAt: &at, Customer: commission.CustomerInput{Key: "bob"}})
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(day, tx.Rewards[0].Amount, "step", tx.Rewards[0].Explanation.Step)
	}
	// Output:
	// 2025-01-15 40 step 1
	// 2025-04-14 40 step 1
	// 2025-04-15 20 step 2
}

// A bulk create decodes the documented body, in which one customer and
// its options serve every item. It is atomic: when an item is invalid,
// nothing is stored and the error names the item.
func ExampleEngine_CreateTransactions() {
	ctx := context.Background()
	eng, err := commission.New(memstore.New(), commission.Program{
		ID: "shop", Kind: commission.Affiliate, Currency: "USD",
		Rules: commission.RuleSet{Default: commission.Percent(decimal.NewFromInt(10))},
	})
	if err != nil {
		log.Fatal(err)
	}
	eng.CreatePartner(ctx, commission.PartnerInput{Key: "alice"})

	var bulk commission.BulkTransactionsInput
	if err := json.Unmarshal([]byte(`{
		"customer": {"key": "bob", "partner": {"key": "alice"}},
		"options": {"create_customer": true},
		"transactions": [
			{"key": "order-1", "amount": 120},
			{"key": "order-2", "amount": 35.5}
		]}`), &bulk); err != nil {
		log.Fatal(err)
	}
	txs, err := eng.CreateTransactions(ctx, bulk.Inputs())
	if err != nil {
		log.Fatal(err)
	}
	for _, tx := range txs {
		fmt.Println(tx.Key, tx.CustomerKey, tx.Rewards[0].Amount)
	}

	bad := []commission.TransactionInput{bulk.Inputs()[0], bulk.Inputs()[1]}
	bad[0].Key, bad[1].Key, bad[1].Amount = "order-3", "order-4", nil
	_, err = eng.CreateTransactions(ctx, bad)
	var invalid *commission.ValidationError
	fmt.Println(errors.As(err, &invalid), invalid.Fields[0].Path)
	_, err = eng.Transaction(ctx, "order-3")
	fmt.Println(errors.Is(err, commission.ErrNotFound))
	// Output:
	// order-1 bob 12
	// order-2 bob 3.55
	// true transactions[1].amount
	// true
}

// A reward held in its review period is released early with
// ApproveReward; a reward no longer held cannot be decided again.
func ExampleEngine_ApproveReward() {
	ctx := context.Background()
	now := time.Date(2025, 5, 1, 12, 0, 0, 0, time.UTC)
	eng, _ := commission.New(memstore.New(), commission.Program{
		ID: "shop", Kind: commission.Affiliate, Currency: "USD",
		Rules: commission.RuleSet{Default: commission.Percent(decimal.NewFromInt(10)), ReviewPeriod: 30 * 24 * time.Hour},
	}, commission.WithClock(func() time.Time { return now }))
	eng.CreatePartner(ctx, commission.PartnerInput{Key: "alice"})
	eng.CreateCustomer(ctx, commission.CustomerInput{Key: "bob", Partner: &commission.PartnerRef{Key: "alice"}})
	amount := decimal.NewFromInt(100)
	tx, _ := eng.CreateTransaction(ctx, commission.TransactionInput{Key: "order-1", Amount: &amount,
		Customer: commission.CustomerInput{Key: "bob"}})
	r := tx.Rewards[0]
	fmt.Println(r.Amount, r.Status, r.ReviewEndsAt.Format(time.DateOnly))

	fmt.Println(eng.ApproveReward(ctx, r.ID))
	got, _ := eng.Reward(ctx, r.ID)
	fmt.Println(got.Status)
	err := eng.ApproveReward(ctx, r.ID)
	fmt.Println(errors.Is(err, commission.ErrNotInReview))
	// Output:
	// 10 review_period 2025-05-31
	// <nil>
	// ok
	// true
}

// A held reward is rejected with a reason; it pays nothing and no longer
// counts towards spend limits.
func ExampleEngine_RejectReward() {
	ctx := context.Background()
	now := time.Date(2025, 5, 1, 12, 0, 0, 0, time.UTC)
	eng, _ := commission.New(memstore.New(), commission.Program{
		ID: "shop", Kind: commission.Affiliate, Currency: "USD",
		Rules: commission.RuleSet{Default: commission.Percent(decimal.NewFromInt(10)), ReviewPeriod: 30 * 24 * time.Hour},
	}, commission.WithClock(func() time.Time { return now }))
	eng.CreatePartner(ctx, commission.PartnerInput{Key: "alice"})
	eng.CreateCustomer(ctx, commission.CustomerInput{Key: "bob", Partner: &commission.PartnerRef{Key: "alice"}})
	amount := decimal.NewFromInt(100)
	tx, _ := eng.CreateTransaction(ctx, commission.TransactionInput{Key: "order-1", Amount: &amount,
		Customer: commission.CustomerInput{Key: "bob"}})

	fmt.Println(eng.RejectReward(ctx, tx.Rewards[0].ID, "order cancelled"))
	got, _ := eng.Reward(ctx, tx.Rewards[0].ID)
	fmt.Println(got.Status, got.Reason)
	// Output:
	// <nil>
	// rejected order cancelled
}

// At most 40.00 a reward and 100.00 a month per partner: each reward is
// lowered to what every cap has left, and its explanation says which
// caps lowered it and from what.
func ExampleCaps() {
	ctx := context.Background()
	perReward := decimal.NewFromInt(40)
	eng, _ := commission.New(memstore.New(), commission.Program{
		ID: "shop", Kind: commission.Affiliate, Currency: "USD",
		Rules: commission.RuleSet{
			Default: commission.Percent(decimal.NewFromInt(50)),
			Caps: commission.Caps{
				PerReward: &perReward,
				Partner:   []commission.SpendLimit{{Period: commission.CapMonth, Amount: decimal.NewFromInt(100)}},
			},
		},
	}, commission.WithClock(func() time.Time { return time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC) }))
	eng.CreatePartner(ctx, commission.PartnerInput{Key: "alice"})
	eng.CreateCustomer(ctx, commission.CustomerInput{Key: "bob", Partner: &commission.PartnerRef{Key: "alice"}})
	for _, day := range []string{"2025-01-05", "2025-01-20", "2025-01-25", "2025-02-01"} {
		at, _ := time.Parse(time.DateOnly, day)
		amount := decimal.NewFromInt(100)
		tx, _ := eng.CreateTransaction(ctx, commission.TransactionInput{Key: day, Amount: &amount, CreatedAt: &at,
			Customer: commission.CustomerInput{Key: "bob"}})
		r := tx.Rewards[0]
		fmt.Println(day, r.Amount, r.Explanation.Caps)
	}
	// Output:
	// 2025-01-05 40 [per_reward]
	// 2025-01-20 40 [per_reward]
	// 2025-01-25 20 [per_reward partner.month]
	// 2025-02-01 40 [per_reward]
}

// A partner's sales earn 20% from its second customer on, 30% from its
// third: the last tier listed that the sale qualifies for pays.
func ExampleTier() {
	ctx := context.Background()
	two, three := decimal.NewFromInt(2), decimal.NewFromInt(3)
	eng, _ := commission.New(memstore.New(), commission.Program{
		ID: "shop", Kind: commission.Affiliate, Currency: "USD",
		Rules: commission.RuleSet{
			Default: commission.Percent(decimal.NewFromInt(10)),
			Tiers: []commission.Tier{
				{ID: "silver", When: []commission.Condition{{Metric: commission.MetricCustomers, AtLeast: &two}},
					Commission: commission.Percent(decimal.NewFromInt(20))},
				{ID: "gold", When: []commission.Condition{{Metric: commission.MetricCustomers, AtLeast: &three}},
					Commission: commission.Percent(decimal.NewFromInt(30))},
			},
		},
	})
	eng.CreatePartner(ctx, commission.PartnerInput{Key: "alice"})
	for _, c := range []string{"c1", "c2", "c3", "c4"} {
		amount := decimal.NewFromInt(100)
		tx, _ := eng.CreateTransaction(ctx, commission.TransactionInput{Key: "order-" + c, Amount: &amount,
			Customer: commission.CustomerInput{Key: c, Partner: &commission.PartnerRef{Key: "alice"}},
			Options:  commission.TransactionOptions{CreateCustomer: true}})
		fmt.Println(c, tx.Rewards[0].Amount, tx.Rewards[0].Explanation.Rule)
	}
	// Output:
	// c1 10 default
	// c2 10 default
	// c3 20 silver
	// c4 30 gold
}

// fixedRates is a RateSource with one rate per currency into the
// program's, whatever the time; an application would ask its bank or a
// rates service, and keep the history.
type fixedRates map[string]decimal.Decimal

func (r fixedRates) Rate(_ context.Context, from, _ string, _ time.Time) (decimal.Decimal, error) {
	rate, ok := r[from]
	if !ok {
		return decimal.Zero, fmt.Errorf("no rate for %s", from)
	}
	return rate, nil
}

// With a rate source, a sale in another currency is rewarded in the
// program's, at the rate of the sale's time, which the transaction
// keeps. A currency with no rate is an error, and nothing is stored.
func ExampleWithRates() {
	ctx := context.Background()
	eng, _ := commission.New(memstore.New(), commission.Program{
		ID: "shop", Kind: commission.Affiliate, Currency: "USD",
		Rules: commission.RuleSet{Default: commission.Percent(decimal.NewFromInt(10))},
	}, commission.WithRates(fixedRates{"EUR": decimal.RequireFromString("1.1")}))
	eng.CreatePartner(ctx, commission.PartnerInput{Key: "alice"})
	eng.CreateCustomer(ctx, commission.CustomerInput{Key: "bob", Partner: &commission.PartnerRef{Key: "alice"}})

	amount := decimal.NewFromInt(100)
	tx, _ := eng.CreateTransaction(ctx, commission.TransactionInput{Key: "order-1", Amount: &amount, AmountUnits: "EUR",
		Customer: commission.CustomerInput{Key: "bob"}})
	fmt.Println(tx.Amount, tx.AmountUnits, "at", tx.Rate, "earns", tx.Rewards[0].Amount, tx.Rewards[0].AmountUnits)

	_, err := eng.CreateTransaction(ctx, commission.TransactionInput{Key: "order-2", Amount: &amount, AmountUnits: "GBP",
		Customer: commission.CustomerInput{Key: "bob"}})
	fmt.Println(errors.Is(err, commission.ErrNoRate))
	// Output:
	// 100 EUR at 1.1 earns 11 USD
	// true
}

// Double-sided refer-a-friend: the referring customer earns 10.00 on
// every sale of its friend, and the friend 10% of its own first sale,
// held for 14 days.
func ExampleFriendReward() {
	ctx := context.Background()
	eng, _ := commission.New(memstore.New(), commission.Program{
		ID: "raf", Kind: commission.ReferAFriend, Currency: "USD",
		Rules: commission.RuleSet{
			Default: commission.Flat(decimal.NewFromInt(10)),
			Friend: &commission.FriendReward{
				Commission:   commission.Percent(decimal.NewFromInt(10)).For(commission.Times(1)),
				ReviewPeriod: 14 * 24 * time.Hour,
			},
		},
	})
	eng.CreateCustomer(ctx, commission.CustomerInput{Key: "ann"})
	eng.CreateCustomer(ctx, commission.CustomerInput{Key: "ben", ReferringCustomer: &commission.CustomerRef{Key: "ann"}})
	for _, key := range []string{"order-1", "order-2"} {
		amount := decimal.NewFromInt(80)
		tx, _ := eng.CreateTransaction(ctx, commission.TransactionInput{Key: key, Amount: &amount,
			Customer: commission.CustomerInput{Key: "ben"}})
		for _, r := range tx.Rewards {
			fmt.Println(key, r.RewardedCustomerKey, r.Amount, r.Status)
		}
	}
	// Output:
	// order-1 ann 10 ok
	// order-1 ben 8 review_period
	// order-2 ann 10 ok
}

// The fraud protection rejects the reward of a partner buying through
// its own link; MakeRewardable overturns the decision and creates the
// rewards, keeping the rejected one for audit.
func ExampleEngine_MakeRewardable() {
	ctx := context.Background()
	eng, _ := commission.New(memstore.New(), commission.Program{
		ID: "shop", Kind: commission.Affiliate, Currency: "USD",
		Rules: commission.RuleSet{Default: commission.Percent(decimal.NewFromInt(10))},
	})
	eng.CreatePartner(ctx, commission.PartnerInput{Key: "alice", Email: "alice@example.com"})
	eng.CreateCustomer(ctx, commission.CustomerInput{Key: "alice-shopping", Email: "alice@example.com",
		Partner: &commission.PartnerRef{Key: "alice"}})
	amount := decimal.NewFromInt(100)
	tx, _ := eng.CreateTransaction(ctx, commission.TransactionInput{Key: "order-1", Amount: &amount,
		Customer: commission.CustomerInput{Key: "alice-shopping"}})
	fmt.Println(tx.Rewards[0].Status, tx.Rewards[0].Reason)

	tx, err := eng.MakeRewardable(ctx, "order-1")
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range tx.Rewards {
		fmt.Println(r.Amount, r.Status)
	}
	_, err = eng.MakeRewardable(ctx, "order-1")
	fmt.Println(errors.Is(err, commission.ErrRewarded))
	// Output:
	// rejected self_referral
	// 10 rejected
	// 10 ok
	// true
}

// A partial refund reverses each of the sale's rewards in proportion: a
// 100.00 sale at 30% refunded 40.00 pays 18.00, and the refund's entry
// takes back 12.00.
func ExampleEngine_RefundTransaction() {
	ctx := context.Background()
	eng, _ := commission.New(memstore.New(), commission.Program{
		ID: "prog_1", Kind: commission.Affiliate, Currency: "USD",
		Rules: commission.RuleSet{Default: commission.Percent(decimal.RequireFromString("30"))},
	})
	eng.CreatePartner(ctx, commission.PartnerInput{Key: "p"})
	eng.CreateCustomer(ctx, commission.CustomerInput{Key: "c", Partner: &commission.PartnerRef{Key: "p"}})
	amount := decimal.RequireFromString("100")
	eng.CreateTransaction(ctx, commission.TransactionInput{Key: "order_1", Amount: &amount,
		Customer: commission.CustomerInput{Key: "c"}})

	part := decimal.RequireFromString("40")
	refund, err := eng.RefundTransaction(ctx, "order_1", commission.RefundInput{Key: "re_1", Amount: &part})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(refund.Amount, refund.Entries[0].Reason, refund.Entries[0].Amount)
	b, _ := eng.Balance(ctx, commission.Beneficiary{Key: "p"}, "")
	fmt.Println(b.Payable)

	// The same refund again (a retried webhook) changes nothing.
	again, _ := eng.RefundTransaction(ctx, "order_1", commission.RefundInput{Key: "re_1", Amount: &part})
	fmt.Println(again.Entries[0].ID == refund.Entries[0].ID)
	// Output:
	// 40 refund -12
	// 18
	// true
}

// A refund after payout is a clawback: the paid payout is never edited,
// the balance goes negative, and the next payout nets it.
func ExampleEngine_CreatePayout() {
	ctx := context.Background()
	eng, _ := commission.New(memstore.New(), commission.Program{
		ID: "prog_1", Kind: commission.Affiliate, Currency: "USD",
		Rules: commission.RuleSet{Default: commission.Percent(decimal.RequireFromString("20"))},
	})
	eng.CreatePartner(ctx, commission.PartnerInput{Key: "p"})
	eng.CreateCustomer(ctx, commission.CustomerInput{Key: "c", Partner: &commission.PartnerRef{Key: "p"}})
	sell := func(key, amount string) {
		a := decimal.RequireFromString(amount)
		if _, err := eng.CreateTransaction(ctx, commission.TransactionInput{Key: key, Amount: &a,
			Customer: commission.CustomerInput{Key: "c"}}); err != nil {
			log.Fatal(err)
		}
	}
	payout := func() (*commission.Payout, error) {
		return eng.CreatePayout(ctx, commission.PayoutInput{Beneficiary: commission.Beneficiary{Key: "p"}})
	}
	payable := func() decimal.Decimal {
		b, _ := eng.Balance(ctx, commission.Beneficiary{Key: "p"}, "")
		return b.Payable
	}

	sell("order_1", "150") // earns 30.00
	first, _ := payout()
	eng.MarkPayoutPaid(ctx, first.ID, "wire_001")
	all := decimal.RequireFromString("150")
	eng.RefundTransaction(ctx, "order_1", commission.RefundInput{Key: "re_1", Amount: &all})
	fmt.Println(first.Amount, payable())

	sell("order_2", "100") // earns 20.00
	_, err := payout()
	fmt.Println(payable(), errors.Is(err, commission.ErrBelowThreshold))

	sell("order_3", "250") // earns 50.00
	second, _ := payout()
	fmt.Println(second.Amount, payable())
	// Output:
	// 30 -30
	// -10 true
	// 40 0
}
