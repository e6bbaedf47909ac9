package commission_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/memstore"
)

// Fuzzing: request bodies and programs as any caller may send them, and
// what must hold whatever the bytes. `go test` runs the seeds added here
// and those in testdata/fuzz/Fuzz*/ as ordinary tests; `go test -run '^$'
// -fuzz FuzzTransaction .` searches for more.

// fuzzProgram uses most rules at once: a step-down schedule, product
// rules (one paying in a custom unit), tiers on the sale, the customer's
// first sale and the partner's signups, a recurring goal, two levels,
// rounding, caps, a review period and fraud checks.
const fuzzProgram = `{
  "id": "fuzz", "kind": "affiliate", "currency": "USD", "custom_units": ["POINTS"],
  "rules": {
    "version": "v1",
    "default": {"type": "percent", "value": 30, "for": {"months": 3}, "then": {"type": "percent", "value": 10}},
    "products": [
      {"product_type": "ebook", "commission": {"type": "flat", "value": 2.5, "units": "POINTS"}},
      {"product_id": "course", "partner_tags": ["vip"], "commission": {"type": "percent", "value": 50}}],
    "tiers": [
      {"id": "first", "when": [{"metric": "first_sale"}], "commission": {"type": "flat", "value": 5}},
      {"id": "big", "when": [{"metric": "sale_amount", "at_least": 1000}], "commission": {"type": "percent", "value": 40}},
      {"id": "popular", "when": [{"metric": "signups", "at_least": 5}], "commission": {"type": "percent", "value": 35}}],
    "goals": [{"id": "revenue", "metric": "revenue", "target": 100, "bonus": 10, "every": true}],
    "levels": [{"type": "percent", "value": 5}, {"type": "percent", "value": 2.5}],
    "rounding": {"to": "currency", "mode": "half_even"},
    "caps": {"per_reward": 100000, "partner": [{"period": "month", "amount": 1000000}]},
    "review_period": "30d",
    "fraud": {"repeat_window": "60s"}
  }
}`

// fuzzRates converts EUR only: any other currency has no rate.
type fuzzRates struct{}

func (fuzzRates) Rate(_ context.Context, from, _ string, _ time.Time) (decimal.Decimal, error) {
	if from == "EUR" {
		return dec("1.1"), nil
	}
	return decimal.Decimal{}, commission.ErrNoRate
}

// A request body decodes, or fails as a *ValidationError or a
// *json.SyntaxError; a decoded sale's Preview and create agree, and what
// create returns is what the store then holds. A refused sale stores
// nothing.
func FuzzTransaction(f *testing.F) {
	for _, body := range transactionSeeds(f) {
		f.Add(body)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var in commission.TransactionInput
		if err := json.Unmarshal(body, &in); err != nil {
			requireDecodeError(t, err)
			return
		}
		ctx := context.Background()
		eng := fuzzEngine(t)
		_, before := eng.Customer(ctx, in.Customer.Ref())
		preview, perr := eng.Preview(ctx, in)
		tx, err := eng.CreateTransaction(ctx, in)
		if err != nil {
			requireRefusal(t, err)
			requireNoTransactions(t, eng)
			_, after := eng.Customer(ctx, in.Customer.Ref())
			require.Equal(t, before == nil, after == nil, "a refused sale creates no customer")
			return
		}
		require.NoError(t, perr, "Preview refuses what create accepts")
		named := in.Customer.Key != "" || in.Customer.ID != ""
		require.Equal(t, rewardsJSON(t, preview, named), rewardsJSON(t, tx, named), "Preview's rewards are create's")
		requireStoredAsReturned(t, eng, tx)
	})
}

// A program decodes and validates, or fails naming its fields; a valid
// one runs a fixed sale without a panic, and pays nothing negative or
// beyond what storage holds.
func FuzzRules(f *testing.F) {
	for _, prog := range ruleSeeds(f) {
		f.Add(prog)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var prog commission.Program
		if err := json.Unmarshal(data, &prog); err != nil {
			return // encoding/json's or a duration's error: no rule to run
		}
		eng, err := commission.New(memstore.New(), prog, commission.WithClock(func() time.Time { return t0 }))
		if err != nil {
			requireFieldErrors(t, err)
			return
		}
		sale := runFixedSale(t, eng, prog.Kind)
		for _, tx := range allTransactions(t, eng) {
			requireStorableRewards(t, tx)
		}
		if sale != nil {
			// Periods count from a customer's first rewarded sale, so
			// that sale is in the first step of every schedule.
			for _, r := range sale.Rewards {
				require.LessOrEqual(t, r.Explanation.Step, 1, "%s: the first sale pays step %d", r.Explanation.Rule, r.Explanation.Step)
			}
		}
	})
}

// fuzzEngine is an engine of fuzzProgram on a new memory store, with
// partners top, mid (referred by top) and seller (referred by mid, tagged
// vip), and seller's customers bob, c1, customer_123 and the one of id
// customer_456, as the seeds name them.
func fuzzEngine(t *testing.T) *commission.Engine {
	t.Helper()
	var prog commission.Program
	require.NoError(t, json.Unmarshal([]byte(fuzzProgram), &prog))
	eng, err := commission.New(memstore.New(), prog, commission.WithClock(func() time.Time { return t0 }),
		commission.WithRates(fuzzRates{}))
	require.NoError(t, err)
	ctx := context.Background()
	referrer := ""
	for _, key := range []string{"top", "mid", "seller"} {
		in := commission.PartnerInput{Key: key, Email: key + "@partners.test"}
		if referrer != "" {
			in.ReferringPartner = &commission.PartnerRef{Key: referrer}
		}
		if key == "seller" {
			in.Tags = []string{"vip"}
		}
		_, err := eng.CreatePartner(ctx, in)
		require.NoError(t, err)
		referrer = key
	}
	for _, c := range []commission.CustomerInput{{Key: "bob", Email: "bob@x.test"}, {Key: "c1"}, {Key: "customer_123"}, {ID: "customer_456"}} {
		c.Partner = &commission.PartnerRef{Key: "seller"}
		_, err := eng.CreateCustomer(ctx, c)
		require.NoError(t, err)
	}
	return eng
}

// requireDecodeError checks an error of json.Unmarshal into an input:
// encoding/json's *json.SyntaxError, or a *ValidationError.
func requireDecodeError(t *testing.T, err error) {
	t.Helper()
	var syntax *json.SyntaxError
	if errors.As(err, &syntax) {
		return
	}
	requireFieldErrors(t, err)
}

// requireFieldErrors checks that err is a *ValidationError each of whose
// fields has a message of bounded length.
func requireFieldErrors(t *testing.T, err error) {
	t.Helper()
	var verr *commission.ValidationError
	require.True(t, errors.As(err, &verr), "want a *ValidationError, got %T: %v", err, err)
	require.NotEmpty(t, verr.Fields)
	for _, f := range verr.Fields {
		require.NotEmpty(t, f.Message, "%s has a message", f.Path)
		require.Less(t, len(f.Message), 1024, "%s: the message stays short", f.Path)
	}
}

// requireRefusal checks that a create's error is one the documentation
// gives.
func requireRefusal(t *testing.T, err error) {
	t.Helper()
	for _, documented := range []error{commission.ErrCustomerNotFound, commission.ErrPartnerNotFound,
		commission.ErrDuplicateKey, commission.ErrNoRate} {
		if errors.Is(err, documented) {
			return
		}
	}
	requireFieldErrors(t, err)
}

// rewardsJSON is a transaction's rewards as JSON, numbers as written,
// without what a stored sale and its preview cannot share: the ids of the
// rewards, a generated transaction key, and the buyer unless named (a new
// customer named by email only gets a generated key).
func rewardsJSON(t *testing.T, tx *commission.Transaction, named bool) []map[string]any {
	t.Helper()
	out := make([]map[string]any, len(tx.Rewards))
	for i, r := range tx.Rewards {
		b, err := json.Marshal(r)
		require.NoError(t, err)
		d := json.NewDecoder(bytes.NewReader(b))
		d.UseNumber()
		require.NoError(t, d.Decode(&out[i]))
		delete(out[i], "id")
		delete(out[i], "key")
		if !named {
			delete(out[i], "customer")
		}
	}
	return out
}

// requireStoredAsReturned checks that the store reads tx back as create
// returned it, that its rewards are storable, and that its JSON decodes
// to the same key and exact amounts.
func requireStoredAsReturned(t *testing.T, eng *commission.Engine, tx *commission.Transaction) {
	t.Helper()
	got, err := eng.Transaction(context.Background(), tx.Key)
	require.NoError(t, err)
	want, err := json.Marshal(tx)
	require.NoError(t, err)
	have, err := json.Marshal(got)
	require.NoError(t, err)
	require.JSONEq(t, string(want), string(have))
	requireStorableRewards(t, tx)

	var decoded struct {
		Key     string          `json:"key"`
		Amount  decimal.Decimal `json:"amount"`
		Rewards []struct {
			Amount decimal.Decimal `json:"amount"`
		} `json:"rewards"`
	}
	d := json.NewDecoder(bytes.NewReader(want))
	require.NoError(t, d.Decode(&decoded), "%s", want)
	require.Equal(t, tx.Key, decoded.Key)
	requireDecimal(t, tx.Amount.String(), decoded.Amount, "amount")
	require.Len(t, decoded.Rewards, len(tx.Rewards))
	for i, r := range decoded.Rewards {
		requireDecimal(t, tx.Rewards[i].Amount.String(), r.Amount, "rewards[", i, "].amount")
	}
}

// requireStorableRewards checks that every reward of tx is not negative
// and fits NUMERIC(38,18): 20 digits before the point, 18 after.
func requireStorableRewards(t *testing.T, tx *commission.Transaction) {
	t.Helper()
	for i, r := range tx.Rewards {
		a := r.Amount
		require.GreaterOrEqual(t, a.Sign(), 0, "%s reward %d: %s", tx.Key, i, a)
		require.True(t, a.Equal(a.Truncate(18)), "%s reward %d: %s has more than 18 places", tx.Key, i, a)
		require.LessOrEqual(t, a.NumDigits()+int(a.Exponent()), 20, "%s reward %d: %s has more than 20 digits before the point", tx.Key, i, a)
	}
}

// runFixedSale records one sale of two lines on an engine of any valid
// program: a customer c attributed to partner p, or referred by customer
// a in refer-a-friend. Only a *ValidationError may refuse it; then it
// returns nil.
func runFixedSale(t *testing.T, eng *commission.Engine, kind commission.ProgramKind) *commission.Transaction {
	t.Helper()
	ctx := context.Background()
	buyer := commission.CustomerInput{Key: "c"}
	if kind == commission.ReferAFriend {
		_, err := eng.CreateCustomer(ctx, commission.CustomerInput{Key: "a"})
		require.NoError(t, err)
		buyer.ReferringCustomer = &commission.CustomerRef{Key: "a"}
	} else {
		_, err := eng.CreatePartner(ctx, commission.PartnerInput{Key: "p", Tags: []string{"vip"}})
		require.NoError(t, err)
		buyer.Partner = &commission.PartnerRef{Key: "p"}
	}
	_, err := eng.CreateCustomer(ctx, buyer)
	require.NoError(t, err)
	sale, err := eng.CreateTransaction(ctx, commission.TransactionInput{Key: "s", ProductType: "ebook",
		Customer: commission.CustomerInput{Key: "c"},
		Products: []commission.ProductLine{
			{ProductID: "course", ProductPrice: dec("99.99")},
			{ProductID: "mug", ProductType: "gift", ProductPrice: dec("0.05")},
		}})
	if err != nil {
		// Rules may earn more than a reward holds: the sale is refused.
		requireFieldErrors(t, err)
		_, err := eng.Transaction(ctx, "s")
		require.ErrorIs(t, err, commission.ErrNotFound, "a refused sale is not stored")
	}
	return sale
}

// allTransactions is every transaction of eng, in every state.
func allTransactions(t *testing.T, eng *commission.Engine) []*commission.Transaction {
	t.Helper()
	page, err := eng.Transactions(context.Background(), commission.ListOptions{Limit: commission.MaxLimit,
		States: []commission.TransactionState{commission.TransactionActive, commission.TransactionArchived, commission.TransactionDeleted}})
	require.NoError(t, err)
	require.Empty(t, page.NextCursor, "one page holds them")
	return page.Transactions
}

// docExamples returns the examples of docs/rules.md.
func docExamples(f *testing.F) []docExample {
	f.Helper()
	page, err := os.ReadFile("docs/rules.md")
	require.NoError(f, err)
	var out []docExample
	for _, block := range strings.Split(string(page), "```json\n")[1:] {
		var ex docExample
		require.NoError(f, json.Unmarshal([]byte(strings.SplitN(block, "```", 2)[0]), &ex))
		out = append(out, ex)
	}
	require.NotEmpty(f, out)
	return out
}

// transactionSeeds are the documented request bodies (the published
// API's and every sale of docs/rules.md) and hostile ones.
func transactionSeeds(f *testing.F) [][]byte {
	files, err := filepath.Glob("testdata/seeds/*_request.json")
	require.NoError(f, err)
	require.NotEmpty(f, files)
	var seeds [][]byte
	for _, name := range files {
		b, err := os.ReadFile(name)
		require.NoError(f, err)
		seeds = append(seeds, b)
	}
	for _, ex := range docExamples(f) {
		for _, sale := range ex.Sales {
			seeds = append(seeds, sale)
		}
	}
	for _, body := range hostileBodies {
		seeds = append(seeds, []byte(body))
	}
	return seeds
}

// hostileBodies are request bodies a careless or malicious caller may
// send (storetest's hostile group runs the same kinds on every store).
var hostileBodies = []string{
	`{"key":"h","amount":"NaN","customer":{"key":"bob"}}`,
	`{"key":"h","amount":"Infinity","customer":{"key":"bob"}}`,
	`{"key":"h","amount":-1,"customer":{"key":"bob"}}`,
	`{"key":"h","amount":1e21,"customer":{"key":"bob"}}`,
	`{"key":"h","amount":0.123456789012345678901234567890,"customer":{"key":"bob"}}`,
	`{"key":"h","amount":"99999999999999999999.999999999999999999","customer":{"key":"bob"}}`,
	`{"key":"h","amount":true,"reward":{},"customer":{"key":"bob"}}`,
	`{"key":"h","amount":1,"reward":"1e-30","customer":{"key":"bob"}}`,
	`{"key":"'; DROP TABLE x; --","amount":1,"customer":{"key":"bob"}}`,
	`{"key":"a\u0000b","amount":1,"customer":{"key":"b\u0000ob"}}`,
	"{\"key\":\"a\xffb\",\"amount\":1,\"customer\":{\"key\":\"bob\"}}",
	`{"key":"signup:bob","amount":1,"customer":{"key":"bob"}}`,
	`{"key":"h","amount":1,"amount_units":"usd","customer":{"email":"BOB@X.TEST"}}`,
	`{"key":"h","amount":100,"amount_units":"EUR","customer":{"key":"bob"}}`,
	`{"key":"h","amount":100,"amount_units":"GBP","customer":{"key":"bob"}}`,
	`{"key":"h","amount":100,"amount_units":"points","customer":{"key":"bob"}}`,
	`{"key":"h","amount":100,"amount_units":"POINTS","customer":{"key":"bob"}}`,
	`{"key":"h","amount":1,"created_at":-1,"customer":{"key":"bob"}}`,
	`{"key":"h","amount":1,"created_at":1e30,"customer":{"key":"bob"}}`,
	`{"key":"h","amount":1,"created_at":"2025-05-01T00:00:00.123456789Z","customer":{"key":"bob"}}`,
	`{"key":"h","amount":1,"created_at":32503680000,"customer":{"key":"bob"}}`,
	`{"key":"h","customer":{"key":"bob"},"product_type":"ebook","products":[{"product_id":"course","product_price":"0.015"},{"product_id":"b","product_price":1000}]}`,
	`{"key":"h","amount":2000,"product_id":"course","customer":{"key":"new","email":"New@X.test","tags":["%","_"],"partner":{"key":"seller"}},"options":{"create_customer":true}}`,
	`{"key":"h","amount":2000,"customer":{"key":"new"},"options":{"create_customer":true,"referral_url":"https://x.test/aff/mid"}}`,
	`{"key":"h","amount":1,"customer":{"key":"new","partner":{"key":"nobody"}},"options":{"create_customer":true}}`,
	`{"key":"h","amount":1,"customer":{"key":"new","email":"bob@x.test","partner":{"key":"seller"}},"options":{"create_customer":true}}`,
	`{"key":"h","amount":1,"rewardable":false,"rewarded":true,"customer":{"key":"bob"}}`,
	`{"key":"h","amount":1,"amount":2,"x":[[[[]]]],"customer":{"key":"bob","z":1}}`,
	`{"key":"h","amount":` + strings.Repeat("[", 10_001) + `}`,
	`{"key":"h","amount":`,
	`[]`,
	`null`,
}

// ruleSeeds are the documented programs (fuzzProgram and every one of
// docs/rules.md) and hostile ones.
func ruleSeeds(f *testing.F) [][]byte {
	seeds := [][]byte{[]byte(fuzzProgram)}
	for _, ex := range docExamples(f) {
		seeds = append(seeds, ex.Program)
	}
	for _, prog := range hostilePrograms {
		seeds = append(seeds, []byte(prog))
	}
	return seeds
}

// hostilePrograms are programs at the edges of what validation allows.
var hostilePrograms = []string{
	`{"id":"h","kind":"affiliate","currency":"USD","rules":{"default":{"type":"percent","value":"NaN"}}}`,
	`{"id":"h","kind":"affiliate","currency":"USD","rules":{"default":{"type":"percent","value":100},"levels":[{"type":"percent","value":100},{"type":"percent","value":100},{"type":"percent","value":100},{"type":"percent","value":100},{"type":"percent","value":100}]}}`,
	`{"id":"h","kind":"affiliate","currency":"USD","rules":{"default":{"type":"flat","value":"99999999999999999999.999999999999999999"}}}`,
	`{"id":"h","kind":"affiliate","currency":"USD","rules":{"default":{"type":"percent","value":10},"review_period":"9999999999999999d"}}`,
	`{"id":"h","kind":"affiliate","currency":"USD","rules":{"default":{"type":"percent","value":10,"for":{"times":9223372036854775807},"then":{"type":"flat","value":1}}}}`,
	`{"id":"h","kind":"affiliate","currency":"USD","rules":{"default":{"type":"percent","value":10},"goals":[{"id":"g","metric":"revenue","target":"0.000000000000000001","bonus":"99999999999999999999","every":true}]}}`,
	`{"id":"h","kind":"refer_a_friend","currency":"JPY","rules":{"default":{"type":"percent","value":33.333},"rounding":{"to":"currency","mode":"up"},"friend":{"commission":{"type":"percent","value":100,"for":{"times":1}}},"caps":{"per_reward":"0.000000000000000001"}}}`,
	`{"id":"h","kind":"affiliate","currency":"BHD","rules":{"default":{"type":"percent","value":10},"rounding":{"to":"places","places":18,"mode":"half_even"},"tiers":[{"when":[{"metric":"revenue","months":36,"above":-1}],"commission":{"type":"percent","value":99}}]}}`,
	`{"id":"h","kind":"affiliate","currency":"USD","rules":{"default":{"type":"percent","value":10},"fraud":{"repeat_window":"-1s"},"trigger":"signup"}}`,
	`{"id":"","kind":"neither","currency":"usd","custom_units":["USD","points","` + strings.Repeat("U", 17) + `"],"rules":{}}`,
}
