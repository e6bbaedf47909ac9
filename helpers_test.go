package commission_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/memstore"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// testClock is a clock a test moves by hand.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(at time.Time) *testClock { return &testClock{t: at} }

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// seqIDs makes predictable ids: id_1, id_2, ...
func seqIDs() func() string {
	var n atomic.Int64
	return func() string { return "id_" + strconv.FormatInt(n.Add(1), 10) }
}

var t0 = time.Date(2025, 5, 7, 5, 32, 48, 0, time.UTC)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func decp(s string) *decimal.Decimal {
	d := dec(s)
	return &d
}

func percentProgram(kind commission.ProgramKind, pct string) commission.Program {
	return commission.Program{
		ID: "prog_1", Kind: kind, Currency: "USD",
		Rules: commission.RuleSet{Default: commission.Percent(dec(pct))},
	}
}

// newEngine returns an engine on a fresh memory store, with a test clock at
// t0 and sequential ids.
func newEngine(t testing.TB, p commission.Program) (*commission.Engine, *testClock) {
	t.Helper()
	clock := newClock(t0)
	eng, err := commission.New(memstore.New(), p, commission.WithClock(clock.Now), commission.WithIDGenerator(seqIDs()))
	require.NoError(t, err)
	return eng, clock
}

// affiliateSetup creates partner_123 and customer_123 attributed to it.
func affiliateSetup(t testing.TB, eng *commission.Engine) {
	t.Helper()
	ctx := context.Background()
	_, err := eng.CreatePartner(ctx, commission.PartnerInput{Key: "partner_123", Email: "partner@example.com"})
	require.NoError(t, err)
	_, err = eng.CreateCustomer(ctx, commission.CustomerInput{Key: "customer_123", Partner: &commission.PartnerRef{Key: "partner_123"}})
	require.NoError(t, err)
}

func sale(key, customer, amount string) commission.TransactionInput {
	return commission.TransactionInput{Key: key, Amount: decp(amount), Customer: commission.CustomerInput{Key: customer}}
}

func requireDecimal(t testing.TB, want string, got decimal.Decimal, msgAndArgs ...any) {
	t.Helper()
	if !got.Equal(dec(want)) {
		require.Failf(t, "decimal mismatch", "want %s, got %s %s", want, got.String(), fmt.Sprint(msgAndArgs...))
	}
}

func decodeJSON(t testing.TB, b []byte) any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	require.NoError(t, d.Decode(&v), "%s", b)
	return v
}

// requireJSONSubset checks that every field of want is in got with the same
// value: numbers compared as exact decimals, arrays element by element.
func requireJSONSubset(t testing.TB, want, got any, path string) {
	t.Helper()
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		require.Truef(t, ok, "%s: want an object, got %v", path, got)
		keys := make([]string, 0, len(w))
		for k := range w {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			gv, ok := g[k]
			require.Truef(t, ok, "%s.%s: missing", path, k)
			requireJSONSubset(t, w[k], gv, path+"."+k)
		}
	case []any:
		g, ok := got.([]any)
		require.Truef(t, ok, "%s: want an array, got %v", path, got)
		require.Lenf(t, g, len(w), "%s: array length", path)
		for i := range w {
			requireJSONSubset(t, w[i], g[i], fmt.Sprintf("%s[%d]", path, i))
		}
	case json.Number:
		g, ok := got.(json.Number)
		require.Truef(t, ok, "%s: want number %s, got %v (%T)", path, w, got, got)
		requireDecimal(t, w.String(), dec(g.String()), path)
		require.Equalf(t, w.String(), g.String(), "%s: printed form", path)
	default:
		require.Equalf(t, want, got, "%s", path)
	}
}

func memstoreNew() commission.Store { return memstore.New() }

func requireFields(t *testing.T, err error, paths ...string) *commission.ValidationError {
	t.Helper()
	require.ErrorIs(t, err, commission.ErrInvalid)
	var verr *commission.ValidationError
	require.True(t, errors.As(err, &verr), "%v", err)
	got := make([]string, len(verr.Fields))
	for i, f := range verr.Fields {
		got[i] = f.Path
		require.NotEmpty(t, f.Message, f.Path)
	}
	require.ElementsMatch(t, paths, got, "%v", err)
	return verr
}

func requireNoTransactions(t *testing.T, eng *commission.Engine) {
	t.Helper()
	page, err := eng.Transactions(context.Background(), commission.ListOptions{Limit: commission.MaxLimit})
	require.NoError(t, err)
	require.Empty(t, page.Transactions)
}

// backdated is a sale of amount by customer at a past time.
func backdated(key, customer, amount string, at time.Time) commission.TransactionInput {
	in := sale(key, customer, amount)
	in.CreatedAt = &at
	return in
}

func propRequireRat(t *rapid.T, what string, want *big.Rat, got decimal.Decimal) {
	t.Helper()
	if got.Rat().Cmp(want) != 0 {
		t.Fatalf("%s: want exactly %s, got %s", what, want.FloatString(30), got.String())
	}
}

func propRequireDec(t *rapid.T, what string, want, got decimal.Decimal) {
	t.Helper()
	if !got.Equal(want) {
		t.Fatalf("%s: want %s, got %s", what, want.String(), got.String())
	}
}

func propTimeEqual(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Equal(*b)
}

// propListAll walks every page of the listing through NextCursor.
func propListAll(t *rapid.T, eng *commission.Engine, limit int) []*commission.Transaction {
	t.Helper()
	ctx := context.Background()
	var all []*commission.Transaction
	opts := commission.ListOptions{Limit: limit}
	for pages := 0; ; pages++ {
		require.Less(t, pages, 1000, "listing does not end")
		page, err := eng.Transactions(ctx, opts)
		require.NoError(t, err)
		require.LessOrEqual(t, len(page.Transactions), limit)
		all = append(all, page.Transactions...)
		if page.NextCursor == "" {
			return all
		}
		require.NotEmpty(t, page.Transactions, "a page with a next cursor is not empty")
		opts.Cursor = page.NextCursor
	}
}
