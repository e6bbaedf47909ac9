package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/commissionkit/commission"
)

// The store-level tests work through commission.Store and
// commission.StoreTx only, with no Engine in between. Their fixtures keep
// to what the Engine stores: times in UTC to the microsecond, amounts within
// NUMERIC(38,18).

var (
	t0      = time.Date(2025, 5, 1, 12, 0, 0, 0, time.UTC)
	errBoom = errors.New("boom")
)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// rate30 multiplies an amount into its 30% commission.
var rate30 = dec("0.3")

func partnerFixture(id string) *commission.Partner {
	return &commission.Partner{
		ID:        id,
		Key:       "key-" + id,
		Email:     id + "@partners.test",
		Name:      "Name " + id,
		Surname:   "Surname " + id,
		Tags:      []string{"tag1", "tag2"},
		Status:    commission.PartnerActive,
		CreatedAt: t0,
	}
}

func customerFixture(id, partnerID string) *commission.Customer {
	c := &commission.Customer{
		ID:        id,
		Key:       "key-" + id,
		Email:     id + "@customers.test",
		Name:      "Name " + id,
		Tags:      []string{"vip", "eu"},
		PartnerID: partnerID,
		Status:    commission.CustomerActive,
		CreatedAt: t0,
	}
	if partnerID != "" {
		c.PartnerKey = "key-" + partnerID
	}
	return c
}

// saleFixture builds a qualified, active transaction with one reward per id.
func saleFixture(key, customerID, partnerID string, at time.Time, rewardIDs ...string) *commission.Transaction {
	set := dec("100.10")
	tr := &commission.Transaction{
		Key:         key,
		Action:      "sale",
		Amount:      dec("100.10"),
		Reward:      &set,
		AmountUnits: "USD",
		IsCurrency:  true,
		ProductType: "books",
		Products: []commission.ProductLine{
			{ProductID: "p1", ProductType: "books", ProductPrice: dec("60.05")},
			{ProductID: "p2", ProductType: "books", ProductPrice: dec("40.05")},
		},
		Rewardable:  true,
		Qualified:   true,
		CustomerID:  customerID,
		CustomerKey: "key-" + customerID,
		PartnerID:   partnerID,
		CreatedAt:   at,
		State:       commission.TransactionActive,
		Kind:        commission.Affiliate,
	}
	if partnerID != "" {
		tr.PartnerKey = "key-" + partnerID
	}
	for i, id := range rewardIDs {
		ends := at.Add(30 * 24 * time.Hour)
		tr.Rewards = append(tr.Rewards, commission.Reward{
			ID:             id,
			TransactionKey: key,
			Action:         "sale",
			Status:         commission.RewardInReview,
			ReviewEndsAt:   &ends,
			PartnerID:      tr.PartnerID,
			PartnerKey:     tr.PartnerKey,
			CustomerID:     customerID,
			CustomerKey:    tr.CustomerKey,
			Amount:         dec("10.01").Add(decimal.NewFromInt(int64(i))),
			AmountUnits:    "USD",
			IsCurrency:     true,
			ProductID:      "p1",
			ProductType:    "books",
			CreatedAt:      at,
			Explanation: commission.Explanation{
				Rule:        "default",
				RuleVersion: "v1",
				Match:       "default",
				Base:        dec("100.10"),
				Type:        commission.PercentCommission,
				Value:       dec("10"),
			},
		})
	}
	return tr
}

// person is what the tests that hold for partners and customers alike need
// of either: both have an id, a key and an email, each unique within a
// program. Their fixtures' ids start with letter.
type person struct {
	kind   string // "partner" or "customer"
	letter string
	domain string // of the fixtures' emails
	// insert stores the fixture of id (a customer of no partner); edit, if
	// non-nil, then changes the caller's value's id, key and email.
	insert func(tx commission.StoreTx, id string, edit func(id, key, email *string)) error
	// insertBare stores a record of only an id, a key and an email, active
	// and created at t0.
	insertBare func(tx commission.StoreTx, r personRef) error
	// get reads the record r names.
	get func(t *testing.T, s commission.Store, r personRef) (personFields, error)
	// requireFixture requires the record of id to read back as its fixture.
	requireFixture func(t *testing.T, s commission.Store, id string)
}

// personRef names a partner or a customer, as PartnerRef and CustomerRef do.
type personRef struct{ ID, Key, Email string }

// fixtureRef names the fixture of id by field: "id", "key" or "email".
func (p person) fixtureRef(id, field string) personRef {
	return map[string]personRef{
		"id": {ID: id}, "key": {Key: "key-" + id}, "email": {Email: id + "@" + p.domain},
	}[field]
}

var partners = person{
	kind: "partner", letter: "p", domain: "partners.test",
	insert: func(tx commission.StoreTx, id string, edit func(id, key, email *string)) error {
		p := partnerFixture(id)
		if err := tx.InsertPartner(ctx, p); err != nil || edit == nil {
			return err
		}
		edit(&p.ID, &p.Key, &p.Email)
		return nil
	},
	insertBare: func(tx commission.StoreTx, r personRef) error {
		return tx.InsertPartner(ctx, &commission.Partner{ID: r.ID, Key: r.Key, Email: r.Email,
			Status: commission.PartnerActive, CreatedAt: t0})
	},
	get: func(t *testing.T, s commission.Store, r personRef) (personFields, error) {
		p, err := getPartner(t, s, "a", commission.PartnerRef(r))
		if err != nil {
			return personFields{}, err
		}
		return partnerFields(p), nil
	},
	requireFixture: func(t *testing.T, s commission.Store, id string) {
		t.Helper()
		got, err := getPartner(t, s, "a", commission.PartnerRef{ID: id})
		require.NoError(t, err)
		requireSamePartner(t, partnerFixture(id), got)
	},
}

var customers = person{
	kind: "customer", letter: "c", domain: "customers.test",
	insert: func(tx commission.StoreTx, id string, edit func(id, key, email *string)) error {
		c := customerFixture(id, "")
		if err := tx.InsertCustomer(ctx, c); err != nil || edit == nil {
			return err
		}
		edit(&c.ID, &c.Key, &c.Email)
		return nil
	},
	insertBare: func(tx commission.StoreTx, r personRef) error {
		return tx.InsertCustomer(ctx, &commission.Customer{ID: r.ID, Key: r.Key, Email: r.Email,
			Status: commission.CustomerActive, CreatedAt: t0})
	},
	get: func(t *testing.T, s commission.Store, r personRef) (personFields, error) {
		c, err := getCustomer(t, s, "a", commission.CustomerRef(r))
		if err != nil {
			return personFields{}, err
		}
		return customerFields(c), nil
	},
	requireFixture: func(t *testing.T, s commission.Store, id string) {
		t.Helper()
		got, err := getCustomer(t, s, "a", commission.CustomerRef{ID: id})
		require.NoError(t, err)
		requireSameCustomer(t, customerFixture(id, ""), got)
	},
}
