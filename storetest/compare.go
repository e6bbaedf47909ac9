package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/commissionkit/commission"
)

// The comparisons go field by field (times with Equal, decimals with
// Equal, a nil slice like an empty one), since a store on a database
// returns equal values, not identical ones. Transaction.Kind and
// Reward.Kind are not compared: the Engine sets them on every value it
// returns.

// tb is what the comparisons need of a *testing.T or a *rapid.T.
type tb interface {
	require.TestingT
	Helper()
}

func requireDecimal(t tb, want, got decimal.Decimal, what string) {
	t.Helper()
	require.Truef(t, want.Equal(got), "%s: want %s, got %s", what, want, got)
}

func requireTimePtr(t tb, want, got *time.Time, what string) {
	t.Helper()
	if want == nil {
		require.Nilf(t, got, "%s", what)
		return
	}
	require.NotNilf(t, got, "%s", what)
	require.Truef(t, want.Equal(*got), "%s: want %v, got %v", what, *want, *got)
}

func requireTime(t tb, want, got time.Time, what string) {
	t.Helper()
	require.Truef(t, want.Equal(got), "%s: want %v, got %v", what, want, got)
}

func requireNotFound(t tb, err error, what string) {
	t.Helper()
	require.Errorf(t, err, "%s: want ErrNotFound", what)
	require.Truef(t, errors.Is(err, commission.ErrNotFound), "%s: want ErrNotFound, got %v", what, err)
}

func requireDuplicate(t tb, err error, what string) {
	t.Helper()
	require.Errorf(t, err, "%s: want ErrDuplicateKey", what)
	require.Truef(t, errors.Is(err, commission.ErrDuplicateKey), "%s: want ErrDuplicateKey, got %v", what, err)
}

// requireStrings compares string lists, a nil one equal to an empty one.
func requireStrings(t tb, want, got []string, what string) {
	t.Helper()
	if len(want) == 0 {
		require.Emptyf(t, got, "%s", what)
		return
	}
	require.Equalf(t, want, got, "%s", what)
}

// personFields are the fields a partner and a customer share.
type personFields struct {
	ID, Key, Email, Name, Surname string
	Tags                          []string
	Status                        string
	CreatedAt                     time.Time
}

func partnerFields(p *commission.Partner) personFields {
	return personFields{p.ID, p.Key, p.Email, p.Name, p.Surname, p.Tags, string(p.Status), p.CreatedAt}
}

func customerFields(c *commission.Customer) personFields {
	return personFields{c.ID, c.Key, c.Email, c.Name, c.Surname, c.Tags, string(c.Status), c.CreatedAt}
}

func requireSamePerson(t tb, what string, want, got personFields) {
	t.Helper()
	require.Equal(t, want.ID, got.ID, what)
	require.Equal(t, want.Key, got.Key, what)
	require.Equal(t, want.Email, got.Email, what)
	require.Equal(t, want.Name, got.Name, what)
	require.Equal(t, want.Surname, got.Surname, what)
	requireStrings(t, want.Tags, got.Tags, what+" Tags")
	require.Equal(t, want.Status, got.Status, what)
	requireTime(t, want.CreatedAt, got.CreatedAt, what+" CreatedAt")
}

func requireSamePartner(t tb, want, got *commission.Partner) {
	t.Helper()
	what := "partner " + want.ID
	require.NotNil(t, got, what)
	requireSamePerson(t, what, partnerFields(want), partnerFields(got))
	require.Equal(t, want.ReferringPartnerID, got.ReferringPartnerID, what)
}

func requireSameCustomer(t tb, want, got *commission.Customer) {
	t.Helper()
	what := "customer " + want.ID
	require.NotNil(t, got, what)
	requireSamePerson(t, what, customerFields(want), customerFields(got))
	require.Equal(t, want.PartnerID, got.PartnerID, what)
	require.Equal(t, want.PartnerKey, got.PartnerKey, what)
	require.Equal(t, want.ReferringCustomerID, got.ReferringCustomerID, what)
	require.Equal(t, want.ReferringCustomerKey, got.ReferringCustomerKey, what)
	require.Equal(t, want.ReferralURL, got.ReferralURL, what)
}

func requireSameReward(t tb, want, got *commission.Reward) {
	t.Helper()
	what := "reward " + want.ID
	require.NotNil(t, got, what)
	require.Equal(t, want.ID, got.ID, what)
	require.Equal(t, want.TransactionKey, got.TransactionKey, what)
	require.Equal(t, want.Action, got.Action, what)
	require.Equal(t, want.Status, got.Status, what)
	requireTimePtr(t, want.ReviewEndsAt, got.ReviewEndsAt, what+" ReviewEndsAt")
	requireTimePtr(t, want.DecidedAt, got.DecidedAt, what+" DecidedAt")
	require.Equal(t, want.Reason, got.Reason, what)
	require.Equal(t, want.PartnerID, got.PartnerID, what)
	require.Equal(t, want.PartnerKey, got.PartnerKey, what)
	require.Equal(t, want.CustomerID, got.CustomerID, what)
	require.Equal(t, want.CustomerKey, got.CustomerKey, what)
	require.Equal(t, want.RewardedCustomerID, got.RewardedCustomerID, what)
	require.Equal(t, want.RewardedCustomerKey, got.RewardedCustomerKey, what)
	requireDecimal(t, want.Amount, got.Amount, what+" Amount")
	require.Equal(t, want.AmountUnits, got.AmountUnits, what)
	require.Equal(t, want.IsCurrency, got.IsCurrency, what)
	require.Equal(t, want.Credit, got.Credit, what)
	require.Equal(t, want.ProductID, got.ProductID, what)
	require.Equal(t, want.ProductType, got.ProductType, what)
	requireTime(t, want.CreatedAt, got.CreatedAt, what+" CreatedAt")
	requireTimePtr(t, want.DeletedAt, got.DeletedAt, what+" DeletedAt")
	require.Equal(t, want.Explanation.Rule, got.Explanation.Rule, what)
	require.Equal(t, want.Explanation.RuleVersion, got.Explanation.RuleVersion, what)
	require.Equal(t, want.Explanation.Match, got.Explanation.Match, what)
	require.Equal(t, want.Explanation.Type, got.Explanation.Type, what)
	requireDecimal(t, want.Explanation.Base, got.Explanation.Base, what+" Explanation.Base")
	requireDecimal(t, want.Explanation.Value, got.Explanation.Value, what+" Explanation.Value")
	require.Equal(t, want.Explanation.Rounding, got.Explanation.Rounding, what)
}

// requireSameTx compares every stored field of two transactions (Seq only
// when want has one).
func requireSameTx(t tb, want, got *commission.Transaction) {
	t.Helper()
	what := "transaction " + want.Key
	require.NotNil(t, got, what)
	require.Equal(t, want.Key, got.Key, what)
	if want.Seq != 0 {
		require.Equal(t, want.Seq, got.Seq, what)
	}
	require.Equal(t, want.Action, got.Action, what)
	requireDecimal(t, want.Amount, got.Amount, what+" Amount")
	if want.Rate == nil {
		require.Nil(t, got.Rate, what)
	} else {
		require.NotNil(t, got.Rate, what)
		requireDecimal(t, *want.Rate, *got.Rate, what+" Rate")
	}
	if want.Reward == nil {
		require.Nil(t, got.Reward, what)
	} else {
		require.NotNil(t, got.Reward, what)
		requireDecimal(t, *want.Reward, *got.Reward, what+" Reward")
	}
	require.Equal(t, want.AmountUnits, got.AmountUnits, what)
	require.Equal(t, want.IsCurrency, got.IsCurrency, what)
	require.Equal(t, want.Credit, got.Credit, what)
	require.Equal(t, want.ProductID, got.ProductID, what)
	require.Equal(t, want.ProductType, got.ProductType, what)
	require.Len(t, got.Products, len(want.Products), what)
	for i := range want.Products {
		require.Equal(t, want.Products[i].ProductID, got.Products[i].ProductID, what)
		require.Equal(t, want.Products[i].ProductType, got.Products[i].ProductType, what)
		requireDecimal(t, want.Products[i].ProductPrice, got.Products[i].ProductPrice, what+" ProductPrice")
	}
	require.Equal(t, want.Rewarded, got.Rewarded, what)
	require.Equal(t, want.Rewardable, got.Rewardable, what)
	require.Equal(t, want.Qualified, got.Qualified, what)
	require.Equal(t, want.CustomerID, got.CustomerID, what)
	require.Equal(t, want.CustomerKey, got.CustomerKey, what)
	require.Equal(t, want.PartnerID, got.PartnerID, what)
	require.Equal(t, want.PartnerKey, got.PartnerKey, what)
	require.Equal(t, want.ReferringCustomerID, got.ReferringCustomerID, what)
	require.Equal(t, want.ReferringCustomerKey, got.ReferringCustomerKey, what)
	requireTime(t, want.CreatedAt, got.CreatedAt, what+" CreatedAt")
	require.Equal(t, want.Backdated, got.Backdated, what)
	require.Equal(t, want.State, got.State, what)
	requireTimePtr(t, want.DeletedAt, got.DeletedAt, what+" DeletedAt")
	require.Len(t, got.Rewards, len(want.Rewards), what)
	for i := range want.Rewards {
		requireSameReward(t, &want.Rewards[i], &got.Rewards[i])
	}
}

// requireNewestFirst checks that ts are in the listing order.
func requireNewestFirst(t tb, ts []*commission.Transaction) {
	t.Helper()
	for i := 1; i < len(ts); i++ {
		require.Truef(t, ts[i-1].Position().Before(ts[i].Position()),
			"newest first by (CreatedAt, Seq): %s (%v, %d) before %s (%v, %d)",
			ts[i-1].Key, ts[i-1].CreatedAt, ts[i-1].Seq, ts[i].Key, ts[i].CreatedAt, ts[i].Seq)
	}
}

// requireFixturesStored requires program prog to hold partner partnerID's
// and customer customerID's fixtures (the customer of that partner), and
// the sale tr with each of its rewards, as they were stored.
func requireFixturesStored(t *testing.T, s commission.Store, prog, partnerID, customerID string, tr *commission.Transaction) {
	t.Helper()
	requirePeopleStored(t, s, prog, partnerFixture(partnerID), customerFixture(customerID, partnerID))
	requireSaleStored(t, s, prog, tr)
}

// requirePeopleStored requires program prog to hold wantP and wantC, found
// by each of id, key and email.
func requirePeopleStored(t *testing.T, s commission.Store, prog string, wantP *commission.Partner, wantC *commission.Customer) {
	t.Helper()
	for _, ref := range []commission.PartnerRef{{ID: wantP.ID}, {Key: wantP.Key}, {Email: wantP.Email}} {
		p, err := getPartner(t, s, prog, ref)
		require.NoError(t, err)
		requireSamePartner(t, wantP, p)
	}
	for _, ref := range []commission.CustomerRef{{ID: wantC.ID}, {Key: wantC.Key}, {Email: wantC.Email}} {
		c, err := getCustomer(t, s, prog, ref)
		require.NoError(t, err)
		requireSameCustomer(t, wantC, c)
	}
}

// requireSaleStored requires program prog to hold tr, and each of its
// rewards by id.
func requireSaleStored(t *testing.T, s commission.Store, prog string, tr *commission.Transaction) {
	t.Helper()
	got, err := getTx(t, s, prog, tr.Key)
	require.NoError(t, err)
	requireSameTx(t, tr, got)
	for i := range tr.Rewards {
		r, err := getReward(t, s, prog, tr.Rewards[i].ID)
		require.NoError(t, err)
		requireSameReward(t, &tr.Rewards[i], r)
	}
}
