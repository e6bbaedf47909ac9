package sqlstore_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/memstore"
	"github.com/commissionkit/commission/sqlstore"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
)

// scenario runs every engine operation on store, with a fixed clock and
// ids, and returns what a caller sees: each result's JSON or error text.
func scenario(t *testing.T, store commission.Store) []string {
	ctx := context.Background()
	now := time.Date(2025, 5, 7, 5, 32, 48, 0, time.UTC)
	var n atomic.Int64
	p := commission.Program{ID: "prog", Kind: commission.Affiliate, Currency: "USD", Rules: commission.RuleSet{
		Version: "v1", Default: commission.Percent(decimal.RequireFromString("30")), ReviewPeriod: 48 * time.Hour,
		Products: []commission.ProductRule{{ProductType: "annual", Commission: commission.Flat(decimal.RequireFromString("50"))}},
	}}
	eng, err := commission.New(store, p,
		commission.WithClock(func() time.Time { return now }),
		commission.WithIDGenerator(func() string { return "id_" + strconv.FormatInt(n.Add(1), 10) }))
	require.NoError(t, err)

	var seen []string
	record := func(what string, v any, err error) {
		if err != nil {
			seen = append(seen, what+": error: "+err.Error())
			return
		}
		b, jerr := json.Marshal(v)
		require.NoError(t, jerr)
		seen = append(seen, what+": "+string(b))
	}
	decode := func(body string) commission.TransactionInput {
		var in commission.TransactionInput
		require.NoError(t, json.Unmarshal([]byte(body), &in))
		return in
	}

	v, err := eng.CreatePartner(ctx, commission.PartnerInput{Key: "partner_123", Email: "p@example.com", Tags: []string{"gold"}})
	record("partner", v, err)
	_, err = eng.CreatePartner(ctx, commission.PartnerInput{Key: "partner_123"})
	record("partner again", nil, err)
	tx, err := eng.CreateTransaction(ctx, decode(`{"key":"t1","amount":99.99,"product_id":"prod_123","product_type":"monthly",
		"customer":{"key":"customer_123","name":"Ada","partner":{"key":"partner_123"}},"options":{"create_customer":true}}`))
	record("sale", tx, err)
	_, err = eng.CreateTransaction(ctx, decode(`{"key":"t1","amount":99.99,"customer":{"key":"customer_123"}}`))
	record("retry", nil, err)
	_, err = eng.CreateTransaction(ctx, decode(`{"key":"t2","amount":-1,"customer":{}}`))
	record("invalid", nil, err)
	_, err = eng.CreateTransaction(ctx, decode(`{"key":"t2","amount":1,"customer":{"key":"nobody"}}`))
	record("unknown customer", nil, err)
	now = now.Add(time.Hour)
	txs, err := eng.CreateTransactions(ctx, []commission.TransactionInput{
		decode(`{"key":"b1","products":[{"product_id":"a","product_price":10},{"product_id":"b","product_type":"annual","product_price":240}],"customer":{"key":"customer_123"}}`),
		decode(`{"key":"b2","amount":5,"reward":1.25,"customer":{"key":"customer_123"},"created_at":1746500000}`),
	})
	record("bulk", txs, err)
	_, err = eng.CreateTransactions(ctx, []commission.TransactionInput{
		decode(`{"key":"b3","amount":1,"customer":{"key":"customer_123"}}`),
		decode(`{"key":"b1","amount":1,"customer":{"key":"customer_123"}}`),
	})
	record("bulk with a used key", nil, err)
	require.NoError(t, eng.ApproveReward(ctx, txs[0].Rewards[0].ID))
	require.NoError(t, eng.RejectReward(ctx, txs[0].Rewards[1].ID, "fraud"))
	require.NoError(t, eng.ArchiveTransaction(ctx, "b2"))
	require.NoError(t, eng.DeleteTransaction(ctx, "t1"))
	record("archive again", nil, eng.ArchiveTransaction(ctx, "b2"))
	now = now.Add(72 * time.Hour)
	every := []commission.TransactionState{commission.TransactionActive, commission.TransactionArchived, commission.TransactionDeleted}
	for _, opts := range []commission.ListOptions{{}, {Limit: 1}, {Limit: 1, Page: 2}, {PartnerKey: "partner_123"}, {CustomerKey: "customer_123"},
		{States: every}, {States: every[1:], Limit: 1, Page: 2}} {
		page, err := eng.Transactions(ctx, opts)
		if err == nil && page.NextCursor != "" {
			page.NextCursor = "more" // opaque, and made of store-assigned sequence numbers
		}
		record(fmt.Sprintf("list %+v", opts), page, err)
	}
	got, err := eng.Transaction(ctx, "t1")
	record("deleted", got, err)
	record("delete again", nil, eng.DeleteTransaction(ctx, "t1"))
	r, err := eng.Reward(ctx, tx.Rewards[0].ID)
	record("reversed reward", r, err)
	prev, err := eng.Preview(ctx, decode(`{"amount":10,"customer":{"key":"customer_123"}}`))
	record("preview", prev, err)
	c, err := eng.SetCustomerStatus(ctx, commission.CustomerRef{Key: "customer_123"}, commission.CustomerSuspended)
	record("suspend", c, err)
	return seen
}

// Every store gives the caller the same results, errors and JSON, to the
// byte: SQL stores are checked against the memory store.
func TestSameResultsAsMemstore(t *testing.T) {
	want := scenario(t, memstore.New())
	var failed []string
	for _, line := range want {
		if what, _, ok := strings.Cut(line, ": error: "); ok {
			failed = append(failed, what)
		}
	}
	require.Equal(t, []string{"partner again", "retry", "invalid", "unknown customer", "bulk with a used key", "archive again", "delete again"}, failed,
		"the scenario fails where it means to, and only there")
	forEachDialect(t, func(t *testing.T, d sqlstore.Dialect) {
		got := scenario(t, newDatabase(t, d).open(t))
		require.Equal(t, len(want), len(got))
		for i := range want {
			require.Equal(t, want[i], got[i])
		}
	})
}
