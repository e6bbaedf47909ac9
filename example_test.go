package commission_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"

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
	_, err := eng.Transaction(ctx, "inv_1")
	fmt.Println(errors.Is(err, commission.ErrNotFound))
	r, _ := eng.Reward(ctx, tx.Rewards[0].ID)
	fmt.Println(r.Amount, r.DeletedAt != nil)
	_, err = eng.CreateTransaction(ctx, in)
	fmt.Println(errors.Is(err, commission.ErrDuplicateKey))
	// Output:
	// <nil>
	// true
	// 5 true
	// true
}
