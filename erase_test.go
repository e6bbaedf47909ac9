package commission_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/commissionkit/commission"
)

// personal are values of personal fields that no read of a deleted
// partner or customer may show.
var personal = []string{"ana@example.com", "Ana", "Ortega", "vip-tag", "bob@example.com", "Bobby", "Builder", "shop.test"}

// requireErased requires the JSON of v to hold none of the personal
// values.
func requireErased(t *testing.T, v any, what string) {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	for _, s := range personal {
		require.NotContains(t, string(b), s, "%s: %s", what, b)
	}
}

// A deleted partner's personal fields are gone from every read and from
// its event, its money stays as it was, its key and id stay taken, and it
// earns nothing more, as an archived partner.
func TestDeletePartner(t *testing.T) {
	ctx := context.Background()
	p := percentProgram(commission.Affiliate, "30")
	p.Rules.Levels = []commission.Commission{commission.Percent(dec("10")), commission.Percent(dec("5"))}
	eng, _ := newEngine(t, p)
	_, err := eng.CreatePartner(ctx, commission.PartnerInput{Key: "top"})
	require.NoError(t, err)
	_, err = eng.CreatePartner(ctx, commission.PartnerInput{ID: "pid", Key: "ana", Email: "Ana@Example.com", Name: "Ana",
		Surname: "Ortega", Tags: []string{"vip-tag"}, ReferringPartner: &commission.PartnerRef{Key: "top"}})
	require.NoError(t, err)
	_, err = eng.CreatePartner(ctx, commission.PartnerInput{Key: "seller", ReferringPartner: &commission.PartnerRef{Key: "ana"}})
	require.NoError(t, err)
	_, err = eng.CreateCustomer(ctx, commission.CustomerInput{Key: "buyer", Partner: &commission.PartnerRef{Key: "ana"}})
	require.NoError(t, err)
	_, err = eng.CreateCustomer(ctx, commission.CustomerInput{Key: "buyer2", Partner: &commission.PartnerRef{Key: "seller"}})
	require.NoError(t, err)
	_, err = eng.CreateTransaction(ctx, sale("s1", "buyer", "100"))
	require.NoError(t, err)
	s2, err := eng.CreateTransaction(ctx, sale("s2", "buyer2", "100"))
	require.NoError(t, err)
	require.Len(t, s2.Rewards, 3, "ana earns as the seller's level 1, top as level 2")
	who := commission.Beneficiary{Key: "ana"}
	before, err := eng.Balance(ctx, who, "")
	require.NoError(t, err)
	requireDecimal(t, "40", before.Payable)
	rewardsBefore, err := eng.Rewards(ctx, commission.RewardListOptions{Beneficiary: who})
	require.NoError(t, err)
	var cursor int64
	newEvents(t, eng, &cursor)

	deleted, err := eng.DeletePartner(ctx, commission.PartnerRef{Email: "ANA@example.com"})
	require.NoError(t, err)
	require.Equal(t, commission.PartnerDeleted, deleted.Status)
	require.Equal(t, "pid", deleted.ID)
	require.Equal(t, "ana", deleted.Key)
	require.Equal(t, "top", deleted.ReferringPartnerID, "not personal: kept")
	requireErased(t, deleted, "the returned partner")
	events := newEvents(t, eng, &cursor)
	require.Equal(t, []commission.EventType{commission.EventPartnerDeleted}, eventTypes(events))
	requireErased(t, json.RawMessage(events[0].Data), "the partner.deleted event")
	var data map[string]any
	require.NoError(t, json.Unmarshal(events[0].Data, &data))
	require.Equal(t, "deleted", data["status"])
	require.Equal(t, "ana", data["key"])
	for _, field := range []string{"email", "name", "surname", "tags"} {
		require.NotContains(t, data, field, "erased fields are omitted")
	}

	// Every read shows it erased.
	for _, ref := range []commission.PartnerRef{{ID: "pid"}, {Key: "ana"}} {
		got, err := eng.Partner(ctx, ref)
		require.NoError(t, err)
		require.Equal(t, commission.PartnerDeleted, got.Status)
		requireErased(t, got, "Partner")
	}
	_, err = eng.Partner(ctx, commission.PartnerRef{Email: "ana@example.com"})
	require.ErrorIs(t, err, commission.ErrNotFound, "the email names nobody now")
	page, err := eng.Partners(ctx, commission.PartnerListOptions{})
	require.NoError(t, err)
	require.Equal(t, []string{"top", "seller"}, pagePartnerKeys(page), "deleted partners are not listed unless asked for (one time: by id, descending)")
	page, err = eng.Partners(ctx, commission.PartnerListOptions{Statuses: []commission.PartnerStatus{commission.PartnerDeleted}})
	require.NoError(t, err)
	require.Equal(t, []string{"ana"}, pagePartnerKeys(page))
	requireErased(t, page, "Partners")
	for _, opts := range []commission.PartnerListOptions{{Tag: "vip-tag"}, {Email: "ana@example.com"}} {
		opts.Statuses = []commission.PartnerStatus{commission.PartnerDeleted, commission.PartnerActive}
		page, err = eng.Partners(ctx, opts)
		require.NoError(t, err)
		require.Empty(t, page.Partners, "%+v", opts)
	}

	// Its money reads and sums as before.
	after, err := eng.Balance(ctx, who, "")
	require.NoError(t, err)
	requireDecimal(t, before.Payable.String(), after.Payable)
	rewardsAfter, err := eng.Rewards(ctx, commission.RewardListOptions{Beneficiary: commission.Beneficiary{ID: "pid"}})
	require.NoError(t, err)
	require.Equal(t, rewardKeys(rewardsBefore.Rewards), rewardKeys(rewardsAfter.Rewards))
	txs, err := eng.Transactions(ctx, commission.ListOptions{PartnerKey: "ana"})
	require.NoError(t, err)
	require.Len(t, txs.Transactions, 1)
	got, err := eng.Transaction(ctx, "s1")
	require.NoError(t, err)
	require.Equal(t, "ana", got.PartnerKey)
	requireDecimal(t, "30", got.Rewards[0].Amount)
	customers, err := eng.Customers(ctx, commission.CustomerListOptions{Partner: &commission.PartnerRef{Key: "ana"}})
	require.NoError(t, err)
	require.Len(t, customers.Customers, 1, "its customers stay attributed to it")

	// It earns nothing more: not as the seller's partner, nor as a level;
	// the level above it still earns.
	tx, err := eng.CreateTransaction(ctx, sale("s3", "buyer", "100"))
	require.NoError(t, err, "a sale by its customer is recorded")
	require.Empty(t, tx.Rewards)
	tx, err = eng.CreateTransaction(ctx, sale("s4", "buyer2", "100"))
	require.NoError(t, err)
	require.Len(t, tx.Rewards, 2)
	require.Equal(t, "seller", tx.Rewards[0].PartnerKey)
	require.Equal(t, "top", tx.Rewards[1].PartnerKey)
	require.Equal(t, 2, tx.Rewards[1].Explanation.Level)
	in := sale("s5", "new-buyer", "100")
	in.Options.CreateCustomer = true
	in.Options.ReferralURL = "https://shop.test/?aff=ana"
	tx, err = eng.CreateTransaction(ctx, in)
	require.NoError(t, err, "a new customer is still attributed by its key")
	require.Empty(t, tx.Rewards)
	require.Equal(t, "ana", tx.PartnerKey)

	// What it is owed can still be paid.
	po, err := eng.CreatePayout(ctx, commission.PayoutInput{Beneficiary: who})
	require.NoError(t, err)
	requireDecimal(t, "40", po.Amount)

	// Its key and id stay taken; its email is free.
	_, err = eng.CreatePartner(ctx, commission.PartnerInput{Key: "ana"})
	require.ErrorIs(t, err, commission.ErrDuplicateKey)
	_, err = eng.CreatePartner(ctx, commission.PartnerInput{ID: "pid", Key: "other"})
	require.ErrorIs(t, err, commission.ErrDuplicateKey)
	_, err = eng.CreatePartner(ctx, commission.PartnerInput{Key: "new-ana", Email: "ana@example.com"})
	require.NoError(t, err)

	// It never changes again; a partner that never was is not found.
	newEvents(t, eng, &cursor)
	ref := commission.PartnerRef{Key: "ana"}
	c := commission.Percent(dec("50"))
	for what, change := range map[string]func() error{
		"delete again": func() error { _, err := eng.DeletePartner(ctx, ref); return err },
		"update": func() error {
			_, err := eng.UpdatePartner(ctx, ref, commission.PartnerUpdate{Name: strp("Ana")})
			return err
		},
		"restore":        func() error { _, err := eng.SetPartnerStatus(ctx, ref, commission.PartnerActive); return err },
		"archive":        func() error { _, err := eng.SetPartnerStatus(ctx, ref, commission.PartnerArchived); return err },
		"commission":     func() error { _, err := eng.SetPartnerCommission(ctx, ref, &c); return err },
		"payout minimum": func() error { _, err := eng.SetPartnerPayoutMinimum(ctx, ref, decp("10")); return err },
	} {
		err := change()
		require.ErrorIs(t, err, commission.ErrAlreadyDeleted, what)
		require.Contains(t, err.Error(), `partner key "ana"`, what)
	}
	require.Empty(t, newEvents(t, eng, &cursor), "refused changes write nothing")
	got2, err := eng.Partner(ctx, ref)
	require.NoError(t, err)
	require.Equal(t, deleted, got2)
	_, err = eng.DeletePartner(ctx, commission.PartnerRef{Key: "nobody"})
	require.ErrorIs(t, err, commission.ErrNotFound)
	_, err = eng.DeletePartner(ctx, commission.PartnerRef{Key: strings.Repeat("k", 256)})
	requireFields(t, err, "key")
}

// A deleted customer's personal fields are gone from every read and from
// its event; its sales keep their money, refunds and deletions; a new sale
// by it is refused.
func TestDeleteCustomer(t *testing.T) {
	ctx := context.Background()
	eng, _ := newEngine(t, percentProgram(commission.Affiliate, "30"))
	affiliateSetup(t, eng)
	_, err := eng.CreateCustomer(ctx, commission.CustomerInput{ID: "cid", Key: "bob", Email: "Bob@Example.com", Name: "Bobby",
		Surname: "Builder", Tags: []string{"vip-tag"}, ReferralURL: "https://shop.test/?aff=partner_123"})
	require.NoError(t, err)
	_, err = eng.CreateTransaction(ctx, sale("s1", "bob", "100"))
	require.NoError(t, err)
	_, err = eng.CreateTransaction(ctx, sale("s2", "bob", "50"))
	require.NoError(t, err)
	who := commission.Beneficiary{Key: "partner_123"}
	before, err := eng.Balance(ctx, who, "")
	require.NoError(t, err)
	requireDecimal(t, "45", before.Payable)
	var cursor int64
	newEvents(t, eng, &cursor)

	deleted, err := eng.DeleteCustomer(ctx, commission.CustomerRef{Key: "bob"})
	require.NoError(t, err)
	require.Equal(t, commission.CustomerDeleted, deleted.Status)
	require.Equal(t, "partner_123", deleted.PartnerKey, "its attribution stays")
	requireErased(t, deleted, "the returned customer")
	events := newEvents(t, eng, &cursor)
	require.Equal(t, []commission.EventType{commission.EventCustomerDeleted}, eventTypes(events))
	requireErased(t, json.RawMessage(events[0].Data), "the customer.deleted event")
	var data map[string]any
	require.NoError(t, json.Unmarshal(events[0].Data, &data))
	require.Equal(t, "deleted", data["status"])
	for _, field := range []string{"email", "name", "surname", "tags", "referral_url"} {
		require.NotContains(t, data, field, "erased fields are omitted")
	}
	for _, ref := range []commission.CustomerRef{{ID: "cid"}, {Key: "bob"}} {
		got, err := eng.Customer(ctx, ref)
		require.NoError(t, err)
		require.Equal(t, deleted, got)
	}
	_, err = eng.Customer(ctx, commission.CustomerRef{Email: "bob@example.com"})
	require.ErrorIs(t, err, commission.ErrNotFound)
	page, err := eng.Customers(ctx, commission.CustomerListOptions{Partner: &commission.PartnerRef{Key: "partner_123"}})
	require.NoError(t, err)
	require.Equal(t, []string{"customer_123"}, pageCustomerKeys(page), "deleted customers are not listed unless asked for")
	page, err = eng.Customers(ctx, commission.CustomerListOptions{Statuses: []commission.CustomerStatus{commission.CustomerDeleted}})
	require.NoError(t, err)
	require.Equal(t, []string{"bob"}, pageCustomerKeys(page))
	requireErased(t, page, "Customers")

	// Its sales keep their money, and refunds and deletions work.
	after, err := eng.Balance(ctx, who, "")
	require.NoError(t, err)
	requireDecimal(t, before.Payable.String(), after.Payable)
	txs, err := eng.Transactions(ctx, commission.ListOptions{CustomerKey: "bob"})
	require.NoError(t, err)
	require.Len(t, txs.Transactions, 2)
	requireErased(t, txs, "Transactions")
	_, err = eng.RefundTransaction(ctx, "s1", commission.RefundInput{Key: "rf1", Amount: decp("50")})
	require.NoError(t, err)
	require.NoError(t, eng.DeleteTransaction(ctx, "s2"))
	after, err = eng.Balance(ctx, who, "")
	require.NoError(t, err)
	requireDecimal(t, "15", after.Payable)

	// A new sale by it is refused, however it comes.
	for what, create := range map[string]func() error{
		"a sale": func() error { _, err := eng.CreateTransaction(ctx, sale("s3", "bob", "10")); return err },
		"a sale by its id": func() error {
			_, err := eng.CreateTransaction(ctx, commission.TransactionInput{Key: "s3", Amount: decp("10"), Customer: commission.CustomerInput{ID: "cid"}})
			return err
		},
		"a sale creating its customer": func() error {
			in := sale("s3", "bob", "10")
			in.Options.CreateCustomer = true
			in.Customer.Partner = &commission.PartnerRef{Key: "partner_123"}
			_, err := eng.CreateTransaction(ctx, in)
			return err
		},
		"a bulk": func() error {
			_, err := eng.CreateTransactions(ctx, []commission.TransactionInput{sale("s3", "customer_123", "10"), sale("s4", "bob", "10")})
			var item *commission.ItemError
			require.ErrorAs(t, err, &item)
			require.Equal(t, 1, item.Index)
			return err
		},
		"a preview": func() error { _, err := eng.Preview(ctx, sale("s3", "bob", "10")); return err },
	} {
		err := create()
		require.ErrorIs(t, err, commission.ErrAlreadyDeleted, what)
		require.Contains(t, err.Error(), `customer "bob" is deleted`, what)
	}
	_, err = eng.Transaction(ctx, "s3")
	require.ErrorIs(t, err, commission.ErrNotFound, "nothing was stored")

	// Its key and id stay taken; its email is free.
	_, err = eng.CreateCustomer(ctx, commission.CustomerInput{Key: "bob", Partner: &commission.PartnerRef{Key: "partner_123"}})
	require.ErrorIs(t, err, commission.ErrDuplicateKey)
	in := sale("s5", "bob-again", "10")
	in.Customer.Email = "bob@example.com"
	in.Options.CreateCustomer = true
	in.Customer.Partner = &commission.PartnerRef{Key: "partner_123"}
	tx, err := eng.CreateTransaction(ctx, in)
	require.NoError(t, err, "a new customer with its email")
	require.Len(t, tx.Rewards, 1)

	// It never changes again.
	ref := commission.CustomerRef{ID: "cid"}
	for what, change := range map[string]func() error{
		"delete again": func() error { _, err := eng.DeleteCustomer(ctx, ref); return err },
		"update": func() error {
			_, err := eng.UpdateCustomer(ctx, ref, commission.CustomerUpdate{Name: strp("Bobby")})
			return err
		},
		"approve": func() error { _, err := eng.SetCustomerStatus(ctx, ref, commission.CustomerActive); return err },
		"suspend": func() error { _, err := eng.SetCustomerStatus(ctx, ref, commission.CustomerSuspended); return err },
	} {
		require.ErrorIs(t, change(), commission.ErrAlreadyDeleted, what)
	}
	got, err := eng.Customer(ctx, ref)
	require.NoError(t, err)
	require.Equal(t, deleted, got)
	_, err = eng.DeleteCustomer(ctx, commission.CustomerRef{Key: "nobody"})
	require.ErrorIs(t, err, commission.ErrNotFound)
}

// In a refer-a-friend program a deleted referrer earns nothing more, as
// a suspended one; the friends it referred stay referred by it.
func TestDeletedReferrerEarnsNothing(t *testing.T) {
	ctx := context.Background()
	eng, _ := newEngine(t, percentProgram(commission.ReferAFriend, "10"))
	_, err := eng.CreateCustomer(ctx, commission.CustomerInput{Key: "referrer", Email: "ana@example.com"})
	require.NoError(t, err)
	_, err = eng.CreateCustomer(ctx, commission.CustomerInput{Key: "friend", ReferringCustomer: &commission.CustomerRef{Key: "referrer"}})
	require.NoError(t, err)
	tx, err := eng.CreateTransaction(ctx, sale("s1", "friend", "100"))
	require.NoError(t, err)
	require.Len(t, tx.Rewards, 1)
	_, err = eng.DeleteCustomer(ctx, commission.CustomerRef{Key: "referrer"})
	require.NoError(t, err)
	tx, err = eng.CreateTransaction(ctx, sale("s2", "friend", "100"))
	require.NoError(t, err, "the friend's sales are recorded")
	require.Empty(t, tx.Rewards)
	require.Equal(t, "referrer", tx.ReferringCustomerKey)
	b, err := eng.Balance(ctx, commission.Beneficiary{Key: "referrer"}, "")
	require.NoError(t, err)
	requireDecimal(t, "10", b.Payable, "what it earned stays")
}

func pagePartnerKeys(p *commission.PartnerPage) []string {
	out := []string{}
	for _, x := range p.Partners {
		out = append(out, x.Key)
	}
	return out
}

func pageCustomerKeys(p *commission.CustomerPage) []string {
	out := []string{}
	for _, x := range p.Customers {
		out = append(out, x.Key)
	}
	return out
}

func rewardKeys(rs []*commission.Reward) []string {
	out := []string{}
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return out
}
