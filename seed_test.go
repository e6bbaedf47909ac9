package commission_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/commissionkit/commission"
	"github.com/stretchr/testify/require"
)

func readSeed(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "seeds", name))
	require.NoError(t, err)
	return b
}

// The documented request of "Create transaction", run on a program whose
// default commission is 30%, answers the documented response.
func TestSeedAffiliateCreate(t *testing.T) {
	ctx := context.Background()
	eng, _ := newEngine(t, percentProgram(commission.Affiliate, "30"))
	affiliateSetup(t, eng)

	var in commission.TransactionInput
	require.NoError(t, json.Unmarshal(readSeed(t, "affiliate_create_request.json"), &in))
	tx, err := eng.CreateTransaction(ctx, in)
	require.NoError(t, err)
	requireDecimal(t, "29.997", tx.Rewards[0].Amount)

	got, err := json.Marshal(tx)
	require.NoError(t, err)
	want := decodeJSON(t, readSeed(t, "affiliate_create_response.json")).(map[string]any)["data"]
	requireJSONSubset(t, want, decodeJSON(t, got), "data")

	// Reading it back gives the same document.
	again, err := eng.Transaction(ctx, "transaction_123")
	require.NoError(t, err)
	gotAgain, err := json.Marshal(again)
	require.NoError(t, err)
	require.JSONEq(t, string(got), string(gotAgain))
}

// The refer-a-friend document: customer is the referring customer,
// referred_customer the buyer, no partner; with no reward rule, rewards: [].
func TestSeedReferAFriendCreate(t *testing.T) {
	ctx := context.Background()
	p := commission.Program{ID: "raf", Kind: commission.ReferAFriend, Currency: "USD"}
	eng, clock := newEngine(t, p)
	clock.Advance(time.Date(2025, 5, 12, 15, 43, 55, 0, time.UTC).Sub(t0))
	_, err := eng.CreateCustomer(ctx, commission.CustomerInput{ID: "customer_123", Email: "referrer@example.com"})
	require.NoError(t, err)
	_, err = eng.CreateCustomer(ctx, commission.CustomerInput{ID: "customer_456", ReferringCustomer: &commission.CustomerRef{ID: "customer_123"}})
	require.NoError(t, err)

	var in commission.TransactionInput
	require.NoError(t, json.Unmarshal(readSeed(t, "raf_create_request.json"), &in))
	tx, err := eng.CreateTransaction(ctx, in)
	require.NoError(t, err)
	got, err := json.Marshal(tx)
	require.NoError(t, err)
	want := decodeJSON(t, readSeed(t, "raf_create_response.json")).(map[string]any)["data"]
	requireJSONSubset(t, want, decodeJSON(t, got), "data")
	require.NotContains(t, decodeJSON(t, got).(map[string]any), "partner")
}

// With a 30% rule, the same refer-a-friend sale rewards the referring
// customer, and the reward names both customers.
func TestSeedReferAFriendRewardsReferrer(t *testing.T) {
	ctx := context.Background()
	eng, _ := newEngine(t, percentProgram(commission.ReferAFriend, "30"))
	_, err := eng.CreateCustomer(ctx, commission.CustomerInput{ID: "customer_123"})
	require.NoError(t, err)
	_, err = eng.CreateCustomer(ctx, commission.CustomerInput{ID: "customer_456", ReferringCustomer: &commission.CustomerRef{ID: "customer_123"}})
	require.NoError(t, err)

	var in commission.TransactionInput
	require.NoError(t, json.Unmarshal(readSeed(t, "raf_create_request.json"), &in))
	tx, err := eng.CreateTransaction(ctx, in)
	require.NoError(t, err)
	require.Len(t, tx.Rewards, 1)
	requireDecimal(t, "29.997", tx.Rewards[0].Amount)
	require.Equal(t, "customer_123", tx.Rewards[0].RewardedCustomerKey)

	got, err := json.Marshal(tx)
	require.NoError(t, err)
	doc := decodeJSON(t, got).(map[string]any)
	reward := doc["rewards"].([]any)[0].(map[string]any)
	require.Equal(t, "customer_123", reward["customer"])
	require.Equal(t, "customer_456", reward["referred_customer"])
	require.NotContains(t, reward, "partner")
	require.Equal(t, json.Number("29.997"), reward["amount"])
}

// The other operations of the refer-a-friend document: list with
// limit/page, get, and delete, after which the transaction is not found.
func TestSeedReferAFriendListGetDelete(t *testing.T) {
	ctx := context.Background()
	eng, clock := newEngine(t, percentProgram(commission.ReferAFriend, "30"))
	_, err := eng.CreateCustomer(ctx, commission.CustomerInput{ID: "customer_123"})
	require.NoError(t, err)
	_, err = eng.CreateCustomer(ctx, commission.CustomerInput{ID: "customer_456", ReferringCustomer: &commission.CustomerRef{ID: "customer_123"}})
	require.NoError(t, err)
	for _, k := range []string{"transaction_121", "transaction_122", "transaction_123"} {
		in := commission.TransactionInput{Key: k, Amount: decp("99.99"), Customer: commission.CustomerInput{ID: "customer_456"}}
		_, err := eng.CreateTransaction(ctx, in)
		require.NoError(t, err)
		clock.Advance(time.Second)
	}

	page, err := eng.Transactions(ctx, commission.ListOptions{})
	require.NoError(t, err)
	require.Equal(t, 15, page.Limit)
	require.Equal(t, 1, page.Page)
	require.Equal(t, []string{"transaction_123", "transaction_122", "transaction_121"}, keys(page.Transactions))

	page, err = eng.Transactions(ctx, commission.ListOptions{Limit: 2, Page: 2})
	require.NoError(t, err)
	require.Equal(t, []string{"transaction_121"}, keys(page.Transactions))

	tx, err := eng.Transaction(ctx, "transaction_123")
	require.NoError(t, err)
	require.Equal(t, "customer_123", tx.ReferringCustomerKey)

	require.NoError(t, eng.DeleteTransaction(ctx, "transaction_123"))
	tx, err = eng.Transaction(ctx, "transaction_123")
	require.NoError(t, err, "kept for audit")
	require.NotNil(t, tx.DeletedAt)
	page, err = eng.Transactions(ctx, commission.ListOptions{})
	require.NoError(t, err)
	require.Equal(t, []string{"transaction_122", "transaction_121"}, keys(page.Transactions))
}

func keys(ts []*commission.Transaction) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.Key
	}
	return out
}

// The testdata copies are the JSON bodies published in ../shared/seeds, so
// the acceptance tests above test the documents themselves.
func TestSeedCopiesMatchDocuments(t *testing.T) {
	docs, err := filepath.Glob(filepath.Join("..", "shared", "seeds", "*.txt"))
	require.NoError(t, err)
	if len(docs) == 0 {
		t.Skip("../shared/seeds is not beside this checkout")
	}
	var all strings.Builder
	for _, d := range docs {
		b, err := os.ReadFile(d)
		require.NoError(t, err)
		all.Write(b)
	}
	space := regexp.MustCompile(`\s+`)
	published := space.ReplaceAllString(all.String(), "")
	copies, err := filepath.Glob(filepath.Join("testdata", "seeds", "*.json"))
	require.NoError(t, err)
	require.Len(t, copies, 4)
	for _, c := range copies {
		b, err := os.ReadFile(c)
		require.NoError(t, err)
		require.Contains(t, published, space.ReplaceAllString(string(b), ""), c)
	}
}
