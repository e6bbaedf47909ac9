// Command quickstart records a few sales on a 30% affiliate program and
// prints the rewards the engine computed, as the API's JSON.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"os"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/memstore"
	"github.com/shopspring/decimal"
)

func main() {
	if err := run(context.Background()); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context) error {
	eng, err := commission.New(memstore.New(), commission.Program{
		ID: "quickstart", Kind: commission.Affiliate, Currency: "USD",
		Rules: commission.RuleSet{
			Default:  commission.Percent(decimal.RequireFromString("30")),
			Products: []commission.ProductRule{{ProductType: "annual", Commission: commission.Flat(decimal.RequireFromString("50"))}},
		},
	})
	if err != nil {
		return err
	}
	if _, err := eng.CreatePartner(ctx, commission.PartnerInput{Key: "partner_123", Email: "partner@example.com"}); err != nil {
		return err
	}
	// The documented request body: a customer created with the sale,
	// attributed to the partner through its referral link.
	body := `{
		"key": "transaction_123", "amount": 99.99, "amount_units": "USD",
		"product_id": "prod_123", "product_type": "monthly", "action": "sale",
		"customer": {"key": "customer_123", "name": "Ada"},
		"options": {"create_customer": true, "referral_url": "https://example.com/?aff=partner_123"}
	}`
	var in commission.TransactionInput
	if err := json.Unmarshal([]byte(body), &in); err != nil {
		return err
	}
	tx, err := eng.CreateTransaction(ctx, in)
	if err != nil {
		return err
	}
	annual := commission.TransactionInput{
		Key: "transaction_124", Amount: ptr(decimal.RequireFromString("240")), ProductType: "annual",
		Customer: commission.CustomerInput{Key: "customer_123"},
	}
	tx2, err := eng.CreateTransaction(ctx, annual)
	if err != nil {
		return err
	}
	// A retried webhook is told apart from a new sale.
	if _, err := eng.CreateTransaction(ctx, in); err != nil {
		var dup *commission.DuplicateError
		if !errors.As(err, &dup) {
			return err
		}
		fmt.Fprintf(os.Stderr, "retry of %s refused (identical: %v)\n", dup.Key, dup.Identical)
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	for _, t := range []*commission.Transaction{tx, tx2} {
		for _, r := range t.Rewards {
			fmt.Printf("%s: %s earned %s %s (%s)\n", t.Key, r.PartnerKey, r.Amount, r.AmountUnits, r.Explanation.Rule)
		}
	}
	return enc.Encode(map[string]any{"data": tx, "status": 1})
}

func ptr[T any](v T) *T { return &v }
