package commission_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/commissionkit/commission"
)

// newEvents reads every event after cursor and returns the new cursor.
func newEvents(t *testing.T, eng *commission.Engine, cursor *int64) []commission.Event {
	t.Helper()
	events, err := eng.Events(context.Background(), *cursor, 0)
	require.NoError(t, err)
	if n := len(events); n > 0 {
		*cursor = events[n-1].Position
	}
	return events
}

func eventTypes(events []commission.Event) []commission.EventType {
	var out []commission.EventType
	for _, e := range events {
		out = append(out, e.Type)
	}
	return out
}

// Each operation writes exactly its documented events, in the order of
// its changes, with the changed resource's JSON; an operation that fails
// writes none.
func TestEachOperationWritesItsEvents(t *testing.T) {
	ctx := context.Background()
	p := percentProgram(commission.Affiliate, "30")
	p.Rules.ReviewPeriod = 24 * time.Hour
	eng, clock := newEngine(t, p)
	var cursor int64
	partner := commission.PartnerRef{Key: "partner_123"}
	who := commission.Beneficiary{Key: "partner_123"}
	var payoutID string
	steps := []struct {
		name string
		run  func() error
		want []commission.EventType
	}{
		{"create partner", func() error {
			_, err := eng.CreatePartner(ctx, commission.PartnerInput{Key: "partner_123"})
			return err
		}, []commission.EventType{commission.EventPartnerCreated}},
		{"create customer", func() error {
			_, err := eng.CreateCustomer(ctx, commission.CustomerInput{Key: "customer_123", Partner: &partner})
			return err
		}, []commission.EventType{commission.EventCustomerCreated}},
		{"a sale creating its customer", func() error {
			in := sale("s1", "customer_new", "100")
			in.Options.CreateCustomer = true
			in.Customer.Partner = &partner
			_, err := eng.CreateTransaction(ctx, in)
			return err
		}, []commission.EventType{commission.EventCustomerCreated, commission.EventTransactionCreated, commission.EventRewardCreated}},
		{"a bulk", func() error {
			_, err := eng.CreateTransactions(ctx, []commission.TransactionInput{sale("s2", "customer_123", "10"), sale("s3", "customer_123", "20")})
			return err
		}, []commission.EventType{commission.EventTransactionCreated, commission.EventRewardCreated, commission.EventTransactionCreated, commission.EventRewardCreated}},
		{"a duplicate sale", func() error {
			_, err := eng.CreateTransaction(ctx, sale("s1", "customer_123", "100"))
			return err
		}, nil},
		{"a refund", func() error {
			_, err := eng.RefundTransaction(ctx, "s1", commission.RefundInput{Key: "rf1", Amount: decp("40")})
			return err
		}, []commission.EventType{commission.EventTransactionUpdated}},
		{"approve", func() error { return eng.ApproveReward(ctx, firstRewardID(t, eng, "s1")) }, []commission.EventType{commission.EventRewardApproved}},
		{"reject", func() error { return eng.RejectReward(ctx, firstRewardID(t, eng, "s2"), "fraud") }, []commission.EventType{commission.EventRewardRejected}},
		{"approve again", func() error { return eng.ApproveReward(ctx, firstRewardID(t, eng, "s1")) }, nil},
		{"archive", func() error { return eng.ArchiveTransaction(ctx, "s3") }, []commission.EventType{commission.EventTransactionArchived, commission.EventRewardReversed}},
		{"restore", func() error { return eng.RestoreTransaction(ctx, "s3") }, []commission.EventType{commission.EventTransactionRestored}},
		{"delete", func() error { return eng.DeleteTransaction(ctx, "s3") }, []commission.EventType{commission.EventTransactionDeleted, commission.EventRewardReversed}},
		{"delete again", func() error { return eng.DeleteTransaction(ctx, "s3") }, nil},
		{"payout", func() error {
			clock.Advance(48 * time.Hour)
			po, err := eng.CreatePayout(ctx, commission.PayoutInput{Beneficiary: who})
			if err == nil {
				payoutID = po.ID
			}
			return err
		}, []commission.EventType{commission.EventPayoutCreated}},
		{"payout paid", func() error {
			_, err := eng.MarkPayoutPaid(ctx, payoutID, "wire-1")
			return err
		}, []commission.EventType{commission.EventPayoutPaid}},
		{"payout below threshold", func() error {
			_, err := eng.CreatePayout(ctx, commission.PayoutInput{Beneficiary: who})
			return err
		}, nil},
		{"partner commission", func() error {
			c := commission.Percent(dec("40"))
			_, err := eng.SetPartnerCommission(ctx, partner, &c)
			return err
		}, []commission.EventType{commission.EventPartnerUpdated}},
		{"partner archived", func() error {
			_, err := eng.SetPartnerStatus(ctx, partner, commission.PartnerArchived)
			return err
		}, []commission.EventType{commission.EventPartnerArchived}},
		{"customer suspended", func() error {
			_, err := eng.SetCustomerStatus(ctx, commission.CustomerRef{Key: "customer_123"}, commission.CustomerSuspended)
			return err
		}, []commission.EventType{commission.EventCustomerSuspended}},
		{"customer active again", func() error {
			_, err := eng.SetCustomerStatus(ctx, commission.CustomerRef{Key: "customer_123"}, commission.CustomerActive)
			return err
		}, []commission.EventType{commission.EventCustomerUpdated}},
		{"partner restored", func() error {
			_, err := eng.SetPartnerStatus(ctx, partner, commission.PartnerActive)
			return err
		}, []commission.EventType{commission.EventPartnerUpdated}},
		{"partner updated", func() error {
			_, err := eng.UpdatePartner(ctx, partner, commission.PartnerUpdate{Name: strp("Ana")})
			return err
		}, []commission.EventType{commission.EventPartnerUpdated}},
		{"partner update refused", func() error {
			_, err := eng.UpdatePartner(ctx, partner, commission.PartnerUpdate{Email: strp("bad")})
			return err
		}, nil},
		{"customer updated", func() error {
			_, err := eng.UpdateCustomer(ctx, commission.CustomerRef{Key: "customer_123"}, commission.CustomerUpdate{Name: strp("Bob")})
			return err
		}, []commission.EventType{commission.EventCustomerUpdated}},
		{"customer deleted", func() error {
			_, err := eng.DeleteCustomer(ctx, commission.CustomerRef{Key: "customer_123"})
			return err
		}, []commission.EventType{commission.EventCustomerDeleted}},
		{"customer deleted again", func() error {
			_, err := eng.DeleteCustomer(ctx, commission.CustomerRef{Key: "customer_123"})
			return err
		}, nil},
		{"partner deleted", func() error {
			_, err := eng.DeletePartner(ctx, partner)
			return err
		}, []commission.EventType{commission.EventPartnerDeleted}},
		{"partner deleted again", func() error {
			_, err := eng.DeletePartner(ctx, partner)
			return err
		}, nil},
	}
	for _, st := range steps {
		err := st.run()
		if st.want == nil {
			require.Error(t, err, st.name)
		} else {
			require.NoError(t, err, st.name)
		}
		got := newEvents(t, eng, &cursor)
		require.Equal(t, st.want, eventTypes(got), st.name)
		require.Len(t, got, len(st.want), st.name)
		for _, e := range got {
			require.True(t, json.Valid(e.Data), "%s: %s", st.name, e.Data)
			require.Equal(t, clock.Now().UTC(), e.CreatedAt.UTC(), st.name)
		}
	}
}

// firstRewardID is the id of the first reward of the sale with key.
func firstRewardID(t *testing.T, eng *commission.Engine, key string) string {
	tx, err := eng.Transaction(context.Background(), key)
	require.NoError(t, err)
	require.NotEmpty(t, tx.Rewards)
	return tx.Rewards[0].ID
}

// An event's data is the resource as the operation left it, as the
// engine answers it.
func TestEventDataIsTheResource(t *testing.T) {
	ctx := context.Background()
	eng, _ := newEngine(t, percentProgram(commission.Affiliate, "30"))
	affiliateSetup(t, eng)
	var cursor int64
	newEvents(t, eng, &cursor)
	tx, err := eng.CreateTransaction(ctx, sale("s1", "customer_123", "100"))
	require.NoError(t, err)
	_, err = eng.RefundTransaction(ctx, "s1", commission.RefundInput{Key: "rf1", Amount: decp("40")})
	require.NoError(t, err)
	events := newEvents(t, eng, &cursor)
	require.Len(t, events, 3)
	answered, err := json.Marshal(tx)
	require.NoError(t, err)
	require.JSONEq(t, string(answered), string(events[0].Data), "transaction.created")
	var reward, refunded map[string]any
	require.NoError(t, json.Unmarshal(events[1].Data, &reward))
	require.Equal(t, tx.Rewards[0].ID, reward["id"])
	require.NoError(t, json.Unmarshal(events[2].Data, &refunded))
	require.Equal(t, "s1", refunded["key"])
	require.EqualValues(t, 40, refunded["refunded"], "transaction.updated shows the refund")
}

// An engine WithoutEvents writes none; its changes are stored as ever.
func TestWithoutEvents(t *testing.T) {
	ctx := context.Background()
	store := memstoreNew()
	eng, err := commission.New(store, percentProgram(commission.Affiliate, "30"), commission.WithoutEvents())
	require.NoError(t, err)
	affiliateSetup(t, eng)
	_, err = eng.CreateTransaction(ctx, sale("s1", "customer_123", "100"))
	require.NoError(t, err)
	events, err := eng.Events(ctx, 0, 0)
	require.NoError(t, err)
	require.Empty(t, events)
	_, err = eng.Events(ctx, -1, 0)
	requireFields(t, err, "after")
}

// An update that changes nothing writes nothing; one that changes
// something writes the resource after it, as the engine answers it.
func TestPeopleUpdateEvents(t *testing.T) {
	ctx := context.Background()
	eng, _ := newEngine(t, percentProgram(commission.Affiliate, "30"))
	affiliateSetup(t, eng)
	var cursor int64
	newEvents(t, eng, &cursor)
	partner := commission.PartnerRef{Key: "partner_123"}
	_, err := eng.UpdatePartner(ctx, partner, commission.PartnerUpdate{})
	require.NoError(t, err)
	_, err = eng.UpdatePartner(ctx, partner, commission.PartnerUpdate{Email: strp("PARTNER@example.com")})
	require.NoError(t, err, "its own email, in another case")
	_, err = eng.UpdateCustomer(ctx, commission.CustomerRef{Key: "customer_123"}, commission.CustomerUpdate{Tags: &[]string{}})
	require.NoError(t, err)
	require.Empty(t, newEvents(t, eng, &cursor), "nothing changed")

	p, err := eng.UpdatePartner(ctx, partner, commission.PartnerUpdate{Tags: &[]string{"gold"}})
	require.NoError(t, err)
	c, err := eng.UpdateCustomer(ctx, commission.CustomerRef{Key: "customer_123"}, commission.CustomerUpdate{Surname: strp("Doe")})
	require.NoError(t, err)
	events := newEvents(t, eng, &cursor)
	require.Equal(t, []commission.EventType{commission.EventPartnerUpdated, commission.EventCustomerUpdated}, eventTypes(events))
	answered, err := json.Marshal(p)
	require.NoError(t, err)
	require.JSONEq(t, string(answered), string(events[0].Data))
	answered, err = json.Marshal(c)
	require.NoError(t, err)
	require.JSONEq(t, string(answered), string(events[1].Data))
}

// A signup that earns writes its transaction's and rewards' events, after
// its customer's, alone or in a bulk, where they come in turn with the
// bulk's sales.
func TestSignupRewardsWriteEvents(t *testing.T) {
	ctx := context.Background()
	eng, _ := newEngine(t, rafProgram(commission.RuleSet{
		Trigger: commission.TriggerSignup,
		Default: commission.Flat(dec("10")),
		Friend:  &commission.FriendReward{Commission: commission.Flat(dec("5"))},
	}))
	_, err := eng.CreateCustomer(ctx, commission.CustomerInput{Key: "referrer"})
	require.NoError(t, err)
	var cursor int64
	newEvents(t, eng, &cursor)
	referrer := &commission.CustomerRef{Key: "referrer"}

	_, err = eng.CreateCustomer(ctx, commission.CustomerInput{Key: "f1", ReferringCustomer: referrer})
	require.NoError(t, err)
	events := newEvents(t, eng, &cursor)
	require.Equal(t, []commission.EventType{commission.EventCustomerCreated, commission.EventTransactionCreated,
		commission.EventRewardCreated, commission.EventRewardCreated}, eventTypes(events))
	signup, err := eng.Transaction(ctx, "signup:"+eventResourceID(t, events[0]))
	require.NoError(t, err)
	require.Equal(t, signup.Rewards[0].ID, eventResourceID(t, events[2]))

	friend := sale("s2", "f2", "20")
	friend.Options.CreateCustomer = true
	friend.Customer.ReferringCustomer = referrer
	_, err = eng.CreateTransactions(ctx, []commission.TransactionInput{sale("s1", "f1", "10"), friend})
	require.NoError(t, err)
	// f2's customer, s1, f2's signup and its two rewards, s2.
	require.Equal(t, []commission.EventType{commission.EventCustomerCreated, commission.EventTransactionCreated,
		commission.EventTransactionCreated, commission.EventRewardCreated, commission.EventRewardCreated,
		commission.EventTransactionCreated}, eventTypes(newEvents(t, eng, &cursor)))
}

// eventResourceID is the id in an event's data.
func eventResourceID(t *testing.T, e commission.Event) string {
	t.Helper()
	var data struct{ ID string }
	require.NoError(t, json.Unmarshal(e.Data, &data))
	return data.ID
}
