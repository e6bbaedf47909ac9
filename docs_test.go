package commission_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/memstore"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
)

// docExample is one example of docs/rules.md: a ```json block that the
// page's "How to read the examples" section describes.
type docExample struct {
	Program   json.RawMessage            `json:"program"`
	Rates     map[string]decimal.Decimal `json:"rates"`
	Partners  []json.RawMessage          `json:"partners"`
	Customers []json.RawMessage          `json:"customers"`
	Sales     []json.RawMessage          `json:"sales"`
	Rewards   map[string]json.RawMessage `json:"rewards"`
	Refunds   []docRefund                `json:"refunds"`
	Payouts   []json.RawMessage          `json:"payouts"`
	Balances  map[string]json.RawMessage `json:"balances"`
}

// docRefund is one refund of an example: the sale it refunds, the
// request body, and some fields of the entries it stores, in order.
type docRefund struct {
	Transaction string          `json:"transaction"`
	Refund      json.RawMessage `json:"refund"`
	Entries     json.RawMessage `json:"entries"`
}

// docStart is when every example starts, as docs/rules.md says.
var docStart = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// docBlock is a ```json block of a page, under its nearest heading.
type docBlock struct {
	heading string
	line    int
	text    string
}

// Every example of docs/rules.md holds: its program loads and validates,
// and each sale earns the rewards the page states.
func TestDocsRulesExamples(t *testing.T) {
	blocks := docJSONBlocks(t, "docs/rules.md")
	require.NotEmpty(t, blocks)
	for _, b := range blocks {
		t.Run(fmt.Sprintf("line_%d_%s", b.line, b.heading), func(t *testing.T) {
			runDocExample(t, b.text)
		})
	}
}

// docJSONBlocks returns the page's ```json blocks. Every fence must name
// its language, so that an example cannot hide in a block the test skips.
func docJSONBlocks(t *testing.T, path string) []docBlock {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var out []docBlock
	var cur *docBlock
	heading := ""
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case cur != nil && line == "```":
			out, cur = append(out, *cur), nil
		case cur != nil:
			cur.text += line + "\n"
		case line == "```json":
			cur = &docBlock{heading: heading, line: n}
		case strings.HasPrefix(line, "```"):
			require.Failf(t, "unexpected fence", "%s:%d: %q; examples are ```json blocks, and no other block is needed", path, n, line)
		case strings.HasPrefix(line, "#"):
			heading = strings.ReplaceAll(strings.TrimSpace(strings.TrimLeft(line, "#")), " ", "_")
		}
	}
	require.NoError(t, sc.Err())
	require.Nil(t, cur, "%s: a ```json block is not closed", path)
	return out
}

func runDocExample(t *testing.T, text string) {
	var ex docExample
	dec := json.NewDecoder(strings.NewReader(text))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&ex))
	require.NotEmpty(t, ex.Sales, "an example records at least one sale")
	eng, clock := newDocEngine(t, &ex)
	requireDocRewards(t, eng, ex.Rewards, recordDocSales(t, eng, clock, &ex))
	recordDocRefunds(t, eng, ex.Refunds)
	recordDocPayouts(t, eng, ex.Payouts)
	requireDocBalances(t, eng, ex.Balances)
}

// recordDocRefunds records the example's refunds, after its sales, and
// checks the entries each one stores.
func recordDocRefunds(t *testing.T, eng *commission.Engine, refunds []docRefund) {
	t.Helper()
	for _, r := range refunds {
		var in commission.RefundInput
		decodeDocValue(t, r.Refund, &in)
		got, err := eng.RefundTransaction(context.Background(), r.Transaction, in)
		require.NoError(t, err, "%s", r.Refund)
		require.NotEmpty(t, r.Entries, "the example states no entries for refund %q", in.Key)
		out, err := json.Marshal(got)
		require.NoError(t, err)
		doc := decodeJSON(t, out).(map[string]any)
		requireJSONSubset(t, decodeJSON(t, r.Entries), doc["entries"], in.Key+".entries")
	}
}

// recordDocPayouts creates the example's payouts, after its refunds.
func recordDocPayouts(t *testing.T, eng *commission.Engine, payouts []json.RawMessage) {
	t.Helper()
	for _, raw := range payouts {
		var in commission.PayoutInput
		decodeDocValue(t, raw, &in)
		_, err := eng.CreatePayout(context.Background(), in)
		require.NoError(t, err, "%s", raw)
	}
}

// requireDocBalances checks, after everything else, the balances the
// example states, by partner (or, in refer-a-friend, customer) key.
func requireDocBalances(t *testing.T, eng *commission.Engine, want map[string]json.RawMessage) {
	t.Helper()
	for key, fields := range want {
		b, err := eng.Balance(context.Background(), commission.Beneficiary{Key: key}, "")
		require.NoError(t, err, "balance of %q", key)
		out, err := json.Marshal(b)
		require.NoError(t, err)
		requireJSONSubset(t, decodeJSON(t, fields), decodeJSON(t, out), key+".balance")
	}
}

// newDocEngine returns an engine for the example's program, on a memory
// store, with its partners and customers created at docStart.
func newDocEngine(t *testing.T, ex *docExample) (*commission.Engine, *testClock) {
	t.Helper()
	ctx := context.Background()
	var p commission.Program
	decodeDocValue(t, ex.Program, &p)
	clock := newClock(docStart)
	opts := []commission.Option{commission.WithClock(clock.Now), commission.WithIDGenerator(seqIDs())}
	if ex.Rates != nil {
		opts = append(opts, commission.WithRates(fixedRates(ex.Rates)))
	}
	eng, err := commission.New(memstore.New(), p, opts...)
	require.NoError(t, err)
	for _, raw := range ex.Partners {
		var in commission.PartnerInput
		decodeDocValue(t, raw, &in)
		_, err := eng.CreatePartner(ctx, in)
		require.NoError(t, err, "%s", raw)
	}
	for _, raw := range ex.Customers {
		var in commission.CustomerInput
		decodeDocValue(t, raw, &in)
		_, err := eng.CreateCustomer(ctx, in)
		require.NoError(t, err, "%s", raw)
	}
	return eng, clock
}

// recordDocSales records the example's sales in order, each at its
// created_at when it has one, and returns them by key.
func recordDocSales(t *testing.T, eng *commission.Engine, clock *testClock, ex *docExample) map[string]*commission.Transaction {
	t.Helper()
	got := make(map[string]*commission.Transaction)
	for _, raw := range ex.Sales {
		var in commission.TransactionInput
		decodeDocValue(t, raw, &in)
		if in.CreatedAt != nil {
			clock.Advance(in.CreatedAt.Sub(clock.Now()))
		}
		tx, err := eng.CreateTransaction(context.Background(), in)
		require.NoError(t, err, "%s", raw)
		_, stated := ex.Rewards[tx.Key]
		require.Truef(t, stated, "the example states no rewards for sale %q", tx.Key)
		got[tx.Key] = tx
	}
	return got
}

// requireDocRewards checks that each transaction the example names has
// the rewards it states, in order and no others: a sale as its create
// call returned it, another (a signup the engine recorded) as read now.
func requireDocRewards(t *testing.T, eng *commission.Engine, want map[string]json.RawMessage, got map[string]*commission.Transaction) {
	t.Helper()
	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, key := range keys {
		tx, ok := got[key]
		if !ok {
			var err error
			tx, err = eng.Transaction(context.Background(), key)
			require.NoError(t, err, "transaction %q", key)
		}
		out, err := json.Marshal(tx)
		require.NoError(t, err)
		doc := decodeJSON(t, out).(map[string]any)
		requireJSONSubset(t, decodeJSON(t, want[key]), doc["rewards"], key+".rewards")
	}
}

// decodeDocValue decodes raw into v and checks that every field raw names
// is one of v's: a misspelt setting would otherwise be ignored, and the
// example would show a rule the engine never saw.
func decodeDocValue(t *testing.T, raw json.RawMessage, v any) {
	t.Helper()
	require.NoError(t, json.Unmarshal(raw, v), "%s", raw)
	out, err := json.Marshal(v)
	require.NoError(t, err)
	requireKnownFields(t, decodeJSON(t, raw), decodeJSON(t, out), "")
}

// requireKnownFields checks that every object key of doc is in back, the
// value doc decoded into, encoded again.
func requireKnownFields(t *testing.T, doc, back any, path string) {
	t.Helper()
	switch d := doc.(type) {
	case map[string]any:
		b, ok := back.(map[string]any)
		require.Truef(t, ok, "%s: an object in the example, %v once decoded", path, back)
		for k, v := range d {
			bv, ok := b[k]
			require.Truef(t, ok, "%s.%s: not a field (misspelt, or a zero value left out?)", path, k)
			requireKnownFields(t, v, bv, path+"."+k)
		}
	case []any:
		b, ok := back.([]any)
		require.Truef(t, ok && len(b) == len(d), "%s: an array of %d in the example, %v once decoded", path, len(d), back)
		for i := range d {
			requireKnownFields(t, d[i], b[i], fmt.Sprintf("%s[%d]", path, i))
		}
	}
}
