package commission_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/memstore"
	"github.com/stretchr/testify/require"
)

func TestSelfReferralIsRejected(t *testing.T) {
	ctx := context.Background()
	for _, allow := range []bool{false, true} {
		p := percentProgram(commission.Affiliate, "30")
		p.Rules.Fraud.AllowSelfReferral = allow
		eng, _ := newEngine(t, p)
		_, err := eng.CreatePartner(ctx, commission.PartnerInput{Key: "partner", Email: "Me@Example.com"})
		require.NoError(t, err)
		_, err = eng.CreateCustomer(ctx, commission.CustomerInput{Key: "self", Email: "me@example.com", Partner: &commission.PartnerRef{Key: "partner"}})
		require.NoError(t, err)
		tx, err := eng.CreateTransaction(ctx, sale("t", "self", "100"))
		require.NoError(t, err, "the sale is recorded")
		r := tx.Rewards[0]
		if allow {
			require.Equal(t, commission.RewardOK, r.Status)
			continue
		}
		require.Equal(t, commission.RewardRejected, r.Status)
		require.Equal(t, commission.ReasonSelfReferral, r.Reason)
		require.False(t, tx.Qualified, "a rejected sale counts towards no period")
	}
}

func TestRapidRepeatsAreRejected(t *testing.T) {
	ctx := context.Background()
	p := percentProgram(commission.Affiliate, "30")
	p.Rules.Fraud.RepeatWindow = time.Minute
	p.Rules.Caps.Partner = []commission.SpendLimit{{Period: commission.CapAllTime, Amount: dec("45")}}
	eng, clock := newEngine(t, p)
	affiliateSetup(t, eng)
	status := func(key string) string {
		tx, err := eng.CreateTransaction(ctx, sale(key, "customer_123", "100"))
		require.NoError(t, err)
		return string(tx.Rewards[0].Status) + ":" + tx.Rewards[0].Reason
	}
	require.Equal(t, "ok:", status("a"))
	clock.Advance(59 * time.Second)
	require.Equal(t, "rejected:too_frequent", status("b"))
	clock.Advance(61 * time.Second)
	require.Equal(t, "ok:", status("c"), "the rejected sale paid nothing: the cap still has 15 left")

	// Within one bulk too.
	clock.Advance(time.Hour)
	txs, err := eng.CreateTransactions(ctx, []commission.TransactionInput{sale("d", "customer_123", "1"), sale("e", "customer_123", "1")})
	require.NoError(t, err)
	require.Equal(t, commission.RewardRejected, txs[1].Rewards[0].Status)
	require.Equal(t, commission.ReasonTooFrequent, txs[1].Rewards[0].Reason)

	p.Rules.Fraud.RepeatWindow = -time.Second
	_, err = commission.New(memstoreNew(), p)
	requireFields(t, err, "rules.fraud.repeat_window")
}

// A backdated sale is compared with the customer's sales around its own
// created_at, before and after it, in a bulk too; not with the latest.
func TestRapidRepeatsAsOfCreatedAt(t *testing.T) {
	ctx := context.Background()
	p := percentProgram(commission.Affiliate, "30")
	p.Rules.Fraud.RepeatWindow = time.Minute
	eng, _ := newEngine(t, p)
	affiliateSetup(t, eng)
	status := func(ins ...commission.TransactionInput) []string {
		txs, err := eng.CreateTransactions(ctx, ins)
		require.NoError(t, err)
		var out []string
		for _, tx := range txs {
			out = append(out, string(tx.Rewards[0].Status)+":"+tx.Rewards[0].Reason)
		}
		return out
	}
	at := func(key string, ago time.Duration) commission.TransactionInput {
		in := sale(key, "customer_123", "100")
		when := t0.Add(-ago)
		in.CreatedAt = &when
		return in
	}
	require.Equal(t, []string{"ok:", "ok:"}, status(at("now", 0), at("hour_ago", time.Hour)))
	require.Equal(t, []string{"rejected:too_frequent"}, status(at("after_hour_ago", time.Hour-30*time.Second)), "30 s after an older sale")
	require.Equal(t, []string{"rejected:too_frequent"}, status(at("before_hour_ago", time.Hour+59*time.Second)), "59 s before an older sale")
	require.Equal(t, []string{"ok:"}, status(at("between", 30*time.Minute)), "far from both")
	require.Equal(t, []string{"ok:"}, status(at("window_apart", time.Hour+59*time.Second+time.Minute)), "exactly a window before the last: not less than it")
	require.Equal(t, []string{"ok:", "rejected:too_frequent"}, status(at("b1", 2*time.Hour), at("b2", 2*time.Hour+10*time.Second)), "within the bulk, backdated before")
}

// A window that is not a whole number of microseconds still covers a sale
// at its last microsecond: times are kept to the microsecond.
func TestRapidRepeatsWindowOfNanoseconds(t *testing.T) {
	ctx := context.Background()
	p := percentProgram(commission.Affiliate, "30")
	p.Rules.Fraud.RepeatWindow = time.Minute + 500*time.Nanosecond
	eng, _ := newEngine(t, p)
	affiliateSetup(t, eng)
	_, err := eng.CreateTransaction(ctx, sale("now", "customer_123", "100"))
	require.NoError(t, err)
	in := sale("minute_before", "customer_123", "100")
	at := t0.Add(-time.Minute)
	in.CreatedAt = &at
	tx, err := eng.CreateTransaction(ctx, in)
	require.NoError(t, err)
	require.Equal(t, commission.ReasonTooFrequent, tx.Rewards[0].Reason, "a minute apart, less than the window")
}

// In a refer-a-friend program the buyer is compared with its referring
// customer too: a referrer buying through a friend account with its own
// email (in other case, as an earlier version could store it) earns
// nothing.
func TestSelfReferralReferAFriend(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	p := percentProgram(commission.ReferAFriend, "10")
	eng, err := commission.New(store, p, commission.WithClock(newClock(t0).Now), commission.WithIDGenerator(seqIDs()))
	require.NoError(t, err)
	require.NoError(t, store.Update(ctx, p.ID, func(tx commission.StoreTx) error {
		if err := tx.InsertCustomer(ctx, &commission.Customer{ID: "r", Key: "r", Email: "Me@X.com", Status: commission.CustomerActive, CreatedAt: t0}); err != nil {
			return err
		}
		return tx.InsertCustomer(ctx, &commission.Customer{ID: "f", Key: "f", Email: "me@x.com", ReferringCustomerID: "r",
			ReferringCustomerKey: "r", Status: commission.CustomerActive, CreatedAt: t0})
	}))
	tx, err := eng.CreateTransaction(ctx, sale("t", "f", "100"))
	require.NoError(t, err)
	require.Len(t, tx.Rewards, 1)
	require.Equal(t, commission.RewardRejected, tx.Rewards[0].Status)
	require.Equal(t, commission.ReasonSelfReferral, tx.Rewards[0].Reason)
}

// With PaidAds on, the rewards of referrals through paid ads are
// rejected (paid_ads): the sales of a customer whose referral URL carries
// a marker, and a sale whose own referral URL does. MakeRewardable
// overturns it, as the other reasons.
func TestPaidAdsAreRejected(t *testing.T) {
	ctx := context.Background()
	p := percentProgram(commission.Affiliate, "10")
	p.Rules.Fraud.PaidAds = &commission.PaidAds{}
	eng, _ := newEngine(t, p)
	affiliateSetup(t, eng)
	_, err := eng.CreateCustomer(ctx, commission.CustomerInput{Key: "ad",
		ReferralURL: "https://shop.example/?aff=partner_123&gclid=Cj0KCQ"})
	require.NoError(t, err)
	c, err := eng.Customer(ctx, commission.CustomerRef{Key: "ad"})
	require.NoError(t, err)
	require.Equal(t, "https://shop.example/?aff=partner_123&gclid=Cj0KCQ", c.ReferralURL, "kept for audit")

	cases := []struct {
		in     commission.TransactionInput
		reason string
	}{
		{sale("ad-1", "ad", "100"), commission.ReasonPaidAds},
		{sale("clean", "customer_123", "100"), ""},
		{withURL(sale("clean-fb", "customer_123", "100"), "https://shop.example/landing?fbclid=x1"), commission.ReasonPaidAds},
		{withURL(sale("clean-mail", "customer_123", "100"), "https://shop.example/?utm_medium=email"), ""},
		{withURL(sale("clean-cpc", "customer_123", "100"), "https://shop.example/?UTM_MEDIUM=CPC"), commission.ReasonPaidAds},
	}
	created := sale("new-ppc", "new", "100")
	created.Customer.Partner = &commission.PartnerRef{Key: "partner_123"}
	created.Options = commission.TransactionOptions{CreateCustomer: true, ReferralURL: "https://shop.example/?utm_medium=ppc"}
	cases = append(cases, struct {
		in     commission.TransactionInput
		reason string
	}{created, commission.ReasonPaidAds})
	for _, c := range cases {
		tx, err := eng.CreateTransaction(ctx, c.in)
		require.NoError(t, err, c.in.Key)
		require.Len(t, tx.Rewards, 1, c.in.Key)
		require.Equal(t, c.reason, tx.Rewards[0].Reason, c.in.Key)
	}
	tx, err := eng.MakeRewardable(ctx, "ad-1")
	require.NoError(t, err)
	require.Equal(t, commission.RewardOK, tx.Rewards[1].Status, "overturned")
}

// The markers are configurable: with its own, a program ignores the
// default ones; with PaidAds off, nothing is rejected for them; a marker
// must name something.
func TestPaidAdsMarkers(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		ads        *commission.PaidAds
		url, rejct string
	}{
		{&commission.PaidAds{Params: []string{"utm_source=adwords"}}, "https://s.example/?utm_source=AdWords", commission.ReasonPaidAds},
		{&commission.PaidAds{Params: []string{"utm_source=adwords"}}, "https://s.example/?gclid=1", ""},
		{nil, "https://s.example/?gclid=1", ""},
	} {
		p := percentProgram(commission.Affiliate, "10")
		p.Rules.Fraud.PaidAds = c.ads
		eng, _ := newEngine(t, p)
		affiliateSetup(t, eng)
		tx, err := eng.CreateTransaction(ctx, withURL(sale("s", "customer_123", "100"), c.url))
		require.NoError(t, err)
		require.Equal(t, c.rejct, tx.Rewards[0].Reason, "%v %s", c.ads, c.url)
	}
	p := percentProgram(commission.Affiliate, "10")
	p.Rules.Fraud.PaidAds = &commission.PaidAds{Params: []string{"gclid", ""}}
	_, err := commission.New(memstoreNew(), p)
	requireFields(t, err, "rules.fraud.paid_ads.params[1]")
	var loaded commission.Program
	require.NoError(t, json.Unmarshal([]byte(`{"id":"p","kind":"affiliate","currency":"USD","rules":{"fraud":{"paid_ads":{"params":["gclid"]}}}}`), &loaded))
	require.Equal(t, []string{"gclid"}, loaded.Rules.Fraud.PaidAds.Params)
}

func withURL(in commission.TransactionInput, url string) commission.TransactionInput {
	in.Options.ReferralURL = url
	return in
}
