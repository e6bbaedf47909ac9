package commission_test

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/memstore"
	"github.com/stretchr/testify/require"
)

func TestMultipleProducts(t *testing.T) {
	ctx := context.Background()
	p := percentProgram(commission.Affiliate, "30")
	p.Rules.Version = "v7"
	p.Rules.Products = []commission.ProductRule{
		{ID: "shoes-flat", ProductID: "shoes", Commission: commission.Flat(dec("5"))},
		{ProductType: "digital", Commission: commission.Percent(dec("10"))},
		{ProductID: "ebook", Commission: commission.Percent(dec("50"))},
	}
	eng, _ := newEngine(t, p)
	affiliateSetup(t, eng)
	var in commission.TransactionInput
	require.NoError(t, json.Unmarshal([]byte(`{
		"customer": {"key": "customer_123"}, "key": "order_1",
		"products": [
			{"product_id": "shoes", "product_price": 80},
			{"product_id": "course", "product_type": "digital", "product_price": 19.99},
			{"product_id": "ebook", "product_type": "digital", "product_price": 9.99},
			{"product_id": "mug", "product_price": 12.5}
		]}`), &in))
	tx, err := eng.CreateTransaction(ctx, in)
	require.NoError(t, err)
	requireDecimal(t, "122.48", tx.Amount)
	require.Len(t, tx.Rewards, 4)
	want := []struct{ amount, rule, match, product string }{
		{"5", "shoes-flat", "product_id", "shoes"},
		{"1.999", "product_type:digital", "product_type", "course"},
		{"4.995", "product_id:ebook", "product_id", "ebook"},
		{"3.75", "default", "default", "mug"},
	}
	for i, w := range want {
		r := tx.Rewards[i]
		requireDecimal(t, w.amount, r.Amount, w.product)
		require.Equal(t, w.rule, r.Explanation.Rule)
		require.Equal(t, w.match, r.Explanation.Match)
		require.Equal(t, "v7", r.Explanation.RuleVersion)
		require.Equal(t, w.product, r.ProductID)
	}
	out, err := json.Marshal(tx)
	require.NoError(t, err)
	doc := decodeJSON(t, out).(map[string]any)
	ptd := doc["rewards"].([]any)[1].(map[string]any)["product_type_data"]
	require.Equal(t, map[string]any{"product_id": "course", "product_type": "digital"}, ptd)

	// An amount that disagrees with its lines is rejected.
	in.Key, in.Amount = "order_2", decp("100")
	_, err = eng.CreateTransaction(ctx, in)
	requireFields(t, err, "amount")
}

func TestRewardSetDirectlyAndFlags(t *testing.T) {
	ctx := context.Background()
	eng, _ := newEngine(t, percentProgram(commission.Affiliate, "30"))
	affiliateSetup(t, eng)

	in := sale("manual", "customer_123", "100")
	in.Reward = decp("7.5")
	tx, err := eng.CreateTransaction(ctx, in)
	require.NoError(t, err)
	require.Len(t, tx.Rewards, 1)
	requireDecimal(t, "7.5", tx.Rewards[0].Amount)
	require.Equal(t, "manual", tx.Rewards[0].Explanation.Rule)

	in = commission.TransactionInput{Key: "reward_only", Reward: decp("3"), Customer: commission.CustomerInput{Email: ""}}
	in.Customer.Key = "customer_123"
	tx, err = eng.CreateTransaction(ctx, in)
	require.NoError(t, err)
	requireDecimal(t, "0", tx.Amount)
	requireDecimal(t, "3", tx.Rewards[0].Amount)

	in = sale("imported", "customer_123", "100")
	in.Rewarded = true
	tx, err = eng.CreateTransaction(ctx, in)
	require.NoError(t, err)
	require.Empty(t, tx.Rewards)
	require.True(t, tx.Qualified, "an imported sale counts towards limits")

	no := false
	in = sale("unrewardable", "customer_123", "100")
	in.Rewardable = &no
	tx, err = eng.CreateTransaction(ctx, in)
	require.NoError(t, err)
	require.Empty(t, tx.Rewards)
	require.False(t, tx.Qualified)
	out, err := json.Marshal(tx)
	require.NoError(t, err)
	require.Contains(t, string(out), `"rewards":[]`)
}

func TestSuspendedCustomerAndArchivedPartner(t *testing.T) {
	ctx := context.Background()
	eng, _ := newEngine(t, percentProgram(commission.Affiliate, "30"))
	affiliateSetup(t, eng)
	ref := commission.CustomerRef{Key: "customer_123"}

	_, err := eng.SetCustomerStatus(ctx, ref, commission.CustomerSuspended)
	require.NoError(t, err)
	tx, err := eng.CreateTransaction(ctx, sale("t1", "customer_123", "10"))
	require.NoError(t, err, "a suspended customer's sale is recorded")
	require.Empty(t, tx.Rewards)

	_, err = eng.SetCustomerStatus(ctx, ref, commission.CustomerActive)
	require.NoError(t, err)
	tx, err = eng.CreateTransaction(ctx, sale("t2", "customer_123", "10"))
	require.NoError(t, err)
	require.Len(t, tx.Rewards, 1, "approving the customer resumes rewards")

	_, err = eng.SetPartnerStatus(ctx, commission.PartnerRef{Key: "partner_123"}, commission.PartnerArchived)
	require.NoError(t, err)
	tx, err = eng.CreateTransaction(ctx, sale("t3", "customer_123", "10"))
	require.NoError(t, err)
	require.Empty(t, tx.Rewards, "an archived partner earns nothing")

	_, err = eng.SetCustomerStatus(ctx, commission.CustomerRef{Key: "nobody"}, commission.CustomerSuspended)
	require.ErrorIs(t, err, commission.ErrNotFound)
	_, err = eng.SetPartnerStatus(ctx, commission.PartnerRef{Key: "partner_123"}, "gone")
	require.ErrorIs(t, err, commission.ErrInvalid)
}

// A flat commission of 20.00 pays exactly 20.00 on every sale, whatever its
// amount, and its explanation says flat 20.
func TestFlatTwentyPerSale(t *testing.T) {
	ctx := context.Background()
	p := percentProgram(commission.Affiliate, "0")
	p.Rules.Default = commission.Flat(dec("20.00"))
	eng, _ := newEngine(t, p)
	affiliateSetup(t, eng)
	for i, amount := range []string{"100", "0.01", "0", "19.99", "12345678.9"} {
		key := "flat" + strconv.Itoa(i)
		tx, err := eng.CreateTransaction(ctx, sale(key, "customer_123", amount))
		require.NoError(t, err)
		require.Len(t, tx.Rewards, 1, amount)
		r := tx.Rewards[0]
		requireDecimal(t, "20.00", r.Amount, amount)
		require.Equal(t, "USD", r.AmountUnits)
		require.True(t, r.IsCurrency)
		require.Equal(t, commission.FlatCommission, r.Explanation.Type)
		requireDecimal(t, "20", r.Explanation.Value, amount)
		requireDecimal(t, amount, r.Explanation.Base, amount)
		require.Equal(t, "default", r.Explanation.Rule)

		stored, err := eng.Transaction(ctx, key)
		require.NoError(t, err)
		requireDecimal(t, "20", stored.Rewards[0].Amount, "stored ", amount)
		b, err := json.Marshal(stored.Rewards[0])
		require.NoError(t, err)
		requireJSONSubset(t, decodeJSON(t, []byte(`{"amount":20,"is_currency":true,"explanation":{"type":"flat","value":20}}`)),
			decodeJSON(t, b), "reward")
	}
}

// Five levels of partners above the seller each earn their own level's
// percentage, a partner a sixth level up earns nothing, and a program
// with six levels is refused at New naming rules.levels.
func TestMultiLevelFiveLevels(t *testing.T) {
	ctx := context.Background()
	p := percentProgram(commission.Affiliate, "20")
	pcts := []string{"10", "5", "4", "2.5", "1.25"}
	for _, pct := range pcts {
		p.Rules.Levels = append(p.Rules.Levels, commission.Percent(dec(pct)))
	}
	eng, _ := newEngine(t, p)
	// up6 ← up5 ← up4 ← up3 ← up2 ← up1 ← seller: up6 is beyond the
	// fifth level.
	for i := 6; i >= 0; i-- {
		in := commission.PartnerInput{Key: "up" + strconv.Itoa(i)}
		if i == 0 {
			in.Key = "seller"
		}
		if i < 6 {
			in.ReferringPartner = &commission.PartnerRef{Key: "up" + strconv.Itoa(i+1)}
		}
		_, err := eng.CreatePartner(ctx, in)
		require.NoError(t, err)
	}
	_, err := eng.CreateCustomer(ctx, commission.CustomerInput{Key: "buyer", Partner: &commission.PartnerRef{Key: "seller"}})
	require.NoError(t, err)

	tx, err := eng.CreateTransaction(ctx, sale("t", "buyer", "100.00"))
	require.NoError(t, err)
	require.Len(t, tx.Rewards, 6, "the seller and five levels, not the sixth")
	want := []struct{ partner, amount string }{
		{"seller", "20"}, {"up1", "10"}, {"up2", "5"}, {"up3", "4"}, {"up4", "2.5"}, {"up5", "1.25"},
	}
	total := dec("0")
	for i, w := range want {
		r := tx.Rewards[i]
		require.Equal(t, w.partner, r.PartnerKey, i)
		requireDecimal(t, w.amount, r.Amount, w.partner)
		require.Equal(t, i, r.Explanation.Level, w.partner)
		if i > 0 {
			require.Equal(t, "level:"+strconv.Itoa(i), r.Explanation.Rule)
			require.Equal(t, "level", r.Explanation.Match)
			requireDecimal(t, pcts[i-1], r.Explanation.Value, w.partner)
			requireDecimal(t, "100", r.Explanation.Base, w.partner)
		}
		total = total.Add(r.Amount)
	}
	requireDecimal(t, "42.75", total)
	for _, r := range tx.Rewards {
		require.NotEqual(t, "up6", r.PartnerKey)
	}

	p.Rules.Levels = append(p.Rules.Levels, commission.Percent(dec("1")))
	_, err = commission.New(memstoreNew(), p)
	verr := requireFields(t, err, "rules.levels")
	require.Contains(t, verr.Fields[0].Message, "5")
}

// Changing the rules never changes stored rewards: an engine with new
// rules on the same store reads the old rewards with their old amounts,
// explanations and rule version, and applies the new rules to new sales.
func TestRuleChangeKeepsStoredRewards(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	clock := newClock(t0)
	ids := seqIDs()
	p1 := percentProgram(commission.Affiliate, "30")
	p1.Rules.Version = "v1"
	eng1, err := commission.New(store, p1, commission.WithClock(clock.Now), commission.WithIDGenerator(ids))
	require.NoError(t, err)
	affiliateSetup(t, eng1)
	old, err := eng1.CreateTransaction(ctx, sale("old", "customer_123", "99.99"))
	require.NoError(t, err)
	requireDecimal(t, "29.997", old.Rewards[0].Amount)
	before, err := eng1.Transaction(ctx, "old")
	require.NoError(t, err)
	beforeJSON, err := json.Marshal(before)
	require.NoError(t, err)

	p2 := percentProgram(commission.Affiliate, "10")
	p2.Rules.Version = "v2"
	p2.Rules.Rounding = commission.Rounding{To: commission.RoundToCurrency, Mode: commission.Up}
	p2.Rules.Tiers = []commission.Tier{{ID: "big", When: []commission.Condition{{Metric: commission.MetricSaleAmount, AtLeast: decp("50")}}, Commission: commission.Percent(dec("15"))}}
	eng2, err := commission.New(store, p2, commission.WithClock(clock.Now), commission.WithIDGenerator(ids))
	require.NoError(t, err)
	clock.Advance(time.Hour)

	for name, eng := range map[string]*commission.Engine{"old engine": eng1, "new engine": eng2} {
		got, err := eng.Transaction(ctx, "old")
		require.NoError(t, err, name)
		require.Len(t, got.Rewards, 1, name)
		r := got.Rewards[0]
		requireDecimal(t, "29.997", r.Amount, name)
		require.Equal(t, "v1", r.Explanation.RuleVersion, name)
		require.Equal(t, "default", r.Explanation.Rule, name)
		require.Equal(t, commission.PercentCommission, r.Explanation.Type, name)
		requireDecimal(t, "30", r.Explanation.Value, name)
		requireDecimal(t, "99.99", r.Explanation.Base, name)
		require.Empty(t, r.Explanation.Rounding, name)
		require.Nil(t, r.Explanation.Exact, name)
		gotJSON, err := json.Marshal(got)
		require.NoError(t, err)
		require.JSONEq(t, string(beforeJSON), string(gotJSON), name)
	}
	page, err := eng2.Transactions(ctx, commission.ListOptions{Limit: commission.MaxLimit})
	require.NoError(t, err)
	require.Len(t, page.Transactions, 1)
	requireDecimal(t, "29.997", page.Transactions[0].Rewards[0].Amount, "listed")

	// A preview and a new sale use the new rules: 15% of 99.99 = 14.9985,
	// rounded up to 15.00.
	prev, err := eng2.Preview(ctx, sale("preview", "customer_123", "99.99"))
	require.NoError(t, err)
	requireDecimal(t, "15", prev.Rewards[0].Amount, "preview")
	tx, err := eng2.CreateTransaction(ctx, sale("new", "customer_123", "99.99"))
	require.NoError(t, err)
	r := tx.Rewards[0]
	requireDecimal(t, "15", r.Amount)
	require.Equal(t, "v2", r.Explanation.RuleVersion)
	require.Equal(t, "big", r.Explanation.Rule)
	require.Equal(t, "up:2", r.Explanation.Rounding)
	requireDecimal(t, "14.9985", *r.Explanation.Exact)
	tx, err = eng2.CreateTransaction(ctx, sale("small", "customer_123", "10.01"))
	require.NoError(t, err)
	requireDecimal(t, "1.01", tx.Rewards[0].Amount, "the new default, 10% of 10.01 rounded up")
	require.Equal(t, "default", tx.Rewards[0].Explanation.Rule)

	// The old engine, too, still reads the new sale as the new rules made it.
	got, err := eng1.Transaction(ctx, "new")
	require.NoError(t, err)
	requireDecimal(t, "15", got.Rewards[0].Amount)
	require.Equal(t, "v2", got.Rewards[0].Explanation.RuleVersion)
}

// levelsSetup makes a chain top ← mid ← seller, and a customer of seller's.
func levelsSetup(t *testing.T, eng *commission.Engine) {
	t.Helper()
	ctx := context.Background()
	_, err := eng.CreatePartner(ctx, commission.PartnerInput{Key: "top"})
	require.NoError(t, err)
	_, err = eng.CreatePartner(ctx, commission.PartnerInput{Key: "mid", ReferringPartner: &commission.PartnerRef{Key: "top"}})
	require.NoError(t, err)
	_, err = eng.CreatePartner(ctx, commission.PartnerInput{Key: "seller", ReferringPartner: &commission.PartnerRef{Key: "mid"}})
	require.NoError(t, err)
	_, err = eng.CreateCustomer(ctx, commission.CustomerInput{Key: "buyer", Partner: &commission.PartnerRef{Key: "seller"}})
	require.NoError(t, err)
}

// The documented example: on a 100.00 sale the selling partner earns 20%,
// level 1 10% and level 2 5%: 20.00 + 10.00 + 5.00, 35.00 in all.
func TestMultiLevelDocumentedExample(t *testing.T) {
	ctx := context.Background()
	p := percentProgram(commission.Affiliate, "20")
	p.Rules.Levels = []commission.Commission{commission.Percent(dec("10")), commission.Percent(dec("5"))}
	eng, _ := newEngine(t, p)
	levelsSetup(t, eng)
	tx, err := eng.CreateTransaction(ctx, sale("t", "buyer", "100.00"))
	require.NoError(t, err)
	require.Len(t, tx.Rewards, 3)
	want := []struct {
		partner, amount string
		level           int
	}{{"seller", "20", 0}, {"mid", "10", 1}, {"top", "5", 2}}
	total := dec("0")
	for i, w := range want {
		r := tx.Rewards[i]
		require.Equal(t, w.partner, r.PartnerKey)
		requireDecimal(t, w.amount, r.Amount)
		require.Equal(t, w.level, r.Explanation.Level)
		total = total.Add(r.Amount)
	}
	requireDecimal(t, "35", total)

	// An archived partner's level pays nothing; the one above still earns.
	_, err = eng.SetPartnerStatus(ctx, commission.PartnerRef{Key: "mid"}, commission.PartnerArchived)
	require.NoError(t, err)
	tx, err = eng.CreateTransaction(ctx, sale("t2", "buyer", "100.00"))
	require.NoError(t, err)
	require.Len(t, tx.Rewards, 2)
	require.Equal(t, "top", tx.Rewards[1].PartnerKey)
	requireDecimal(t, "5", tx.Rewards[1].Amount)
}

// Each partner's rewards are capped and rounded on their own.
func TestMultiLevelCapsAndRoundingPerPartner(t *testing.T) {
	ctx := context.Background()
	p := percentProgram(commission.Affiliate, "33.3333")
	p.Rules.Levels = []commission.Commission{commission.Percent(dec("33.3333"))}
	p.Rules.Rounding = commission.Rounding{To: commission.RoundToCurrency}
	p.Rules.Caps = commission.Caps{Partner: []commission.SpendLimit{{Period: commission.CapAllTime, Amount: dec("5")}}}
	eng, _ := newEngine(t, p)
	levelsSetup(t, eng)
	tx, err := eng.CreateTransaction(ctx, sale("t", "buyer", "10"))
	require.NoError(t, err)
	requireDecimal(t, "3.33", tx.Rewards[0].Amount)
	requireDecimal(t, "3.33", tx.Rewards[1].Amount)
	tx, err = eng.CreateTransaction(ctx, sale("t2", "buyer", "10"))
	require.NoError(t, err)
	requireDecimal(t, "1.67", tx.Rewards[0].Amount, "seller's cap: 5 - 3.33")
	requireDecimal(t, "1.67", tx.Rewards[1].Amount, "mid's own cap")
}

// Double-sided refer-a-friend: the referring customer and the referred
// friend are both rewarded, each with its own commission and review
// period.
func TestFriendIsRewardedToo(t *testing.T) {
	ctx := context.Background()
	var p commission.Program
	require.NoError(t, json.Unmarshal([]byte(`{"id":"raf","kind":"refer_a_friend","currency":"USD","rules":{
		"default":{"type":"percent","value":10},
		"friend":{"commission":{"type":"flat","value":5,"for":{"times":1}},"review_period":"14d"}}}`), &p))
	require.Equal(t, 14*24*time.Hour, p.Rules.Friend.ReviewPeriod)
	eng, clock := newEngine(t, p)
	_, err := eng.CreateCustomer(ctx, commission.CustomerInput{ID: "referrer"})
	require.NoError(t, err)
	_, err = eng.CreateCustomer(ctx, commission.CustomerInput{ID: "friend", ReferringCustomer: &commission.CustomerRef{ID: "referrer"}})
	require.NoError(t, err)

	tx, err := eng.CreateTransaction(ctx, commission.TransactionInput{Key: "t1", Amount: decp("80"), Customer: commission.CustomerInput{ID: "friend"}})
	require.NoError(t, err)
	require.Len(t, tx.Rewards, 2)
	referrer, friend := tx.Rewards[0], tx.Rewards[1]
	require.Equal(t, "referrer", referrer.RewardedCustomerKey)
	requireDecimal(t, "8", referrer.Amount)
	require.Equal(t, commission.RewardOK, referrer.Status)
	require.Equal(t, "friend", friend.RewardedCustomerKey)
	requireDecimal(t, "5", friend.Amount)
	require.Equal(t, commission.RewardInReview, friend.Status, "the friend's own review period")
	require.Equal(t, "friend", friend.Explanation.Rule)
	out, err := json.Marshal(tx)
	require.NoError(t, err)
	doc := decodeJSON(t, out).(map[string]any)
	r1 := doc["rewards"].([]any)[1].(map[string]any)
	require.Equal(t, "friend", r1["customer"])
	require.Equal(t, "friend", r1["referred_customer"])

	clock.Advance(time.Hour)
	tx, err = eng.CreateTransaction(ctx, commission.TransactionInput{Key: "t2", Amount: decp("80"), Customer: commission.CustomerInput{ID: "friend"}})
	require.NoError(t, err)
	require.Len(t, tx.Rewards, 1, "the friend's reward was for its first sale only")

	p.Kind = commission.Affiliate
	_, err = commission.New(memstoreNew(), p)
	requireFields(t, err, "rules.friend")
}

// SPEC §4.2: the partner's custom commission, then product_id, then
// product_type, then the default; product rules first when the program
// says so. Percent and flat are never compared by their numbers: the
// order alone decides.
func TestPrecedence(t *testing.T) {
	ctx := context.Background()
	for _, productsFirst := range []bool{false, true} {
		p := percentProgram(commission.Affiliate, "10")
		p.Rules.ProductsOverPartner = productsFirst
		p.Rules.Products = []commission.ProductRule{
			{ProductID: "book", Commission: commission.Flat(dec("1"))},
			{ProductType: "digital", Commission: commission.Percent(dec("50"))},
			{ProductID: "book", PartnerTags: []string{"vip"}, Commission: commission.Flat(dec("7"))},
		}
		eng, _ := newEngine(t, p)
		custom := commission.Percent(dec("25"))
		_, err := eng.CreatePartner(ctx, commission.PartnerInput{Key: "custom", Commission: &custom})
		require.NoError(t, err)
		_, err = eng.CreatePartner(ctx, commission.PartnerInput{Key: "plain"})
		require.NoError(t, err)
		_, err = eng.CreatePartner(ctx, commission.PartnerInput{Key: "vip", Tags: []string{"vip"}})
		require.NoError(t, err)
		for _, k := range []string{"custom", "plain", "vip"} {
			_, err = eng.CreateCustomer(ctx, commission.CustomerInput{Key: "c_" + k, Partner: &commission.PartnerRef{Key: k}})
			require.NoError(t, err)
		}
		earn := func(customer, productID, productType string) (string, string) {
			in := sale("", customer, "100")
			in.ProductID, in.ProductType = productID, productType
			tx, err := eng.CreateTransaction(ctx, in)
			require.NoError(t, err)
			return tx.Rewards[0].Amount.String(), tx.Rewards[0].Explanation.Match
		}
		type want struct{ amount, match string }
		cases := []struct {
			customer, id, typ string
			partnerFirst      want
			productsFirst     want
		}{
			{"c_custom", "book", "digital", want{"25", "partner"}, want{"1", "product_id"}},
			{"c_custom", "mug", "digital", want{"25", "partner"}, want{"50", "product_type"}},
			{"c_custom", "mug", "", want{"25", "partner"}, want{"25", "partner"}},
			{"c_plain", "book", "digital", want{"1", "product_id"}, want{"1", "product_id"}},
			{"c_plain", "mug", "digital", want{"50", "product_type"}, want{"50", "product_type"}},
			{"c_plain", "mug", "", want{"10", "default"}, want{"10", "default"}},
			{"c_vip", "book", "", want{"7", "product_id"}, want{"7", "product_id"}}, // the tagged rule fits
		}
		for _, c := range cases {
			w := c.partnerFirst
			if productsFirst {
				w = c.productsFirst
			}
			amount, match := earn(c.customer, c.id, c.typ)
			require.Equal(t, w, want{amount, match}, "%+v, products first: %v", c, productsFirst)
		}
	}
}
