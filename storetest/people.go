package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/commissionkit/commission"
)

// Changing and listing partners and customers: a locked read finds what
// the plain one does; an update stores the personal fields and the
// status, and nothing else, with emails kept unique and found by their
// new value; listings are newest first by (CreatedAt, ID), filtered by
// status, tag, email and partner, paged by cursor and by offset; a unit
// of work that fails leaves none of its writes, and programs are
// isolated.
func peopleTests() []subtest {
	return []subtest{
		{"a locked read finds what a read does", testLockedReads},
		{"an update stores the personal fields and the status only", testPeopleUpdate},
		{"an email is unique through updates, and a taken one changes nothing", testPeopleUpdateEmail},
		{"an update of an unknown id is not found", testPeopleUpdateNotFound},
		{"partners are listed newest first, by status, tag and email", testPartnerListing},
		{"customers are listed newest first, by partner and status", testCustomerListing},
		{"listings page by cursor and by offset", testPeoplePaging},
		{"a failed unit of work leaves none of its writes", testPeopleRollback},
		{"programs are isolated", testPeoplePrograms},
		{"values passed are not kept by the store", testPeopleValuesNotKept},
		{"a locked partner or customer changes only after its unit of work", testLockedPeopleTakeTurns},
	}
}

// listedPartner is partner id created at at, in status, with tags.
func listedPartner(id string, at time.Time, status commission.PartnerStatus, tags ...string) *commission.Partner {
	p := partnerFixture(id)
	p.CreatedAt, p.Status, p.Tags = at, status, tags
	return p
}

// listedCustomer is customer id of partner created at at, in status.
func listedCustomer(id, partner string, at time.Time, status commission.CustomerStatus) *commission.Customer {
	c := customerFixture(id, partner)
	c.CreatedAt, c.Status = at, status
	return c
}

func insertPartners(t *testing.T, s commission.Store, prog string, ps ...*commission.Partner) {
	t.Helper()
	update(t, s, prog, func(tx commission.StoreTx) {
		for _, p := range ps {
			require.NoError(t, tx.InsertPartner(ctx, p))
		}
	})
}

func insertCustomers(t *testing.T, s commission.Store, prog string, cs ...*commission.Customer) {
	t.Helper()
	update(t, s, prog, func(tx commission.StoreTx) {
		for _, c := range cs {
			require.NoError(t, tx.InsertCustomer(ctx, c))
		}
	})
}

func listPartners(t *testing.T, s commission.Store, prog string, q commission.PartnerQuery) []*commission.Partner {
	t.Helper()
	out, err := read(t, s, prog, func(tx commission.StoreTx) ([]*commission.Partner, error) { return tx.Partners(ctx, q) })
	require.NoError(t, err)
	return out
}

func listCustomers(t *testing.T, s commission.Store, prog string, q commission.CustomerQuery) []*commission.Customer {
	t.Helper()
	out, err := read(t, s, prog, func(tx commission.StoreTx) ([]*commission.Customer, error) { return tx.Customers(ctx, q) })
	require.NoError(t, err)
	return out
}

func partnerIDs(ps []*commission.Partner) []string {
	ids := []string{}
	for _, p := range ps {
		ids = append(ids, p.ID)
	}
	return ids
}

func customerIDs(cs []*commission.Customer) []string {
	ids := []string{}
	for _, c := range cs {
		ids = append(ids, c.ID)
	}
	return ids
}

func partnerIDsOf(t *testing.T, s commission.Store, prog string, q commission.PartnerQuery) []string {
	t.Helper()
	return partnerIDs(listPartners(t, s, prog, q))
}

func customerIDsOf(t *testing.T, s commission.Store, prog string, q commission.CustomerQuery) []string {
	t.Helper()
	return customerIDs(listCustomers(t, s, prog, q))
}

func lockPartner(t *testing.T, s commission.Store, prog string, ref commission.PartnerRef) (*commission.Partner, error) {
	t.Helper()
	var p *commission.Partner
	var err error
	update(t, s, prog, func(tx commission.StoreTx) { p, err = tx.LockPartner(ctx, ref) })
	return p, err
}

func lockCustomer(t *testing.T, s commission.Store, prog string, ref commission.CustomerRef) (*commission.Customer, error) {
	t.Helper()
	var c *commission.Customer
	var err error
	update(t, s, prog, func(tx commission.StoreTx) { c, err = tx.LockCustomer(ctx, ref) })
	return c, err
}

func testLockedReads(t *testing.T, h Harness) {
	s := h.New(t)
	p := partnerFixture("p1")
	c := customerFixture("c1", "p1")
	insertPartners(t, s, "a", p)
	insertCustomers(t, s, "a", c)
	for _, ref := range []commission.PartnerRef{{ID: "p1"}, {Key: "key-p1"}, {Email: p.Email}, {ID: "p1", Key: "other"}} {
		got, err := lockPartner(t, s, "a", ref)
		require.NoError(t, err, "%+v", ref)
		requireSamePartner(t, p, got)
		got, err = read(t, s, "a", func(tx commission.StoreTx) (*commission.Partner, error) { return tx.LockPartner(ctx, ref) })
		require.NoError(t, err, "%+v in a View", ref)
		requireSamePartner(t, p, got)
	}
	for _, ref := range []commission.CustomerRef{{ID: "c1"}, {Key: "key-c1"}, {Email: c.Email}, {ID: "c1", Key: "other"}} {
		got, err := lockCustomer(t, s, "a", ref)
		require.NoError(t, err, "%+v", ref)
		requireSameCustomer(t, c, got)
		got, err = read(t, s, "a", func(tx commission.StoreTx) (*commission.Customer, error) { return tx.LockCustomer(ctx, ref) })
		require.NoError(t, err, "%+v in a View", ref)
		requireSameCustomer(t, c, got)
	}
	for _, ref := range []commission.PartnerRef{{ID: "p2"}, {Key: "p1"}, {Email: "nobody@partners.test"}, {}} {
		_, err := lockPartner(t, s, "a", ref)
		requireNotFound(t, err, fmt.Sprintf("partner %+v", ref))
	}
	for _, ref := range []commission.CustomerRef{{ID: "c2"}, {Key: "c1"}, {Email: "nobody@customers.test"}, {}} {
		_, err := lockCustomer(t, s, "a", ref)
		requireNotFound(t, err, fmt.Sprintf("customer %+v", ref))
	}
}

func testPeopleUpdate(t *testing.T, h Harness) {
	s := h.New(t)
	p := partnerFixture("p1")
	p.ReferringPartnerID = "p0"
	c30 := commission.Percent(dec("30"))
	p.Commission, p.PayoutMinimum = &c30, decp("25.5")
	c := customerFixture("c1", "p1")
	c.Surname, c.ReferralURL = "Surname c1", "https://shop.test/?aff=key-p1"
	c.ReferringCustomerID, c.ReferringCustomerKey = "c0", "key-c0"
	insertPartners(t, s, "a", partnerFixture("p0"), p, partnerFixture("p2"))
	insertCustomers(t, s, "a", customerFixture("c0", ""), c, customerFixture("c2", "p1"))

	changedP := *p
	changedP.Email, changedP.Name, changedP.Surname = "new.p1@partners.test", "Ana é", "O'Brien \"quoted\""
	changedP.Tags, changedP.Status = []string{"gold", "Ключ", `a,"b"`}, commission.PartnerArchived
	changedC := *c
	changedC.Email, changedC.Name, changedC.Surname = "new.c1@customers.test", "Bob", ""
	changedC.Tags, changedC.Status, changedC.ReferralURL = []string{"x"}, commission.CustomerSuspended, ""
	// What an update does not store: the key, the creation time, the
	// attribution, the commission and the payout minimum.
	passedP := changedP
	passedP.Key, passedP.CreatedAt, passedP.ReferringPartnerID = "key-other", t0.Add(time.Hour), "p2"
	passedP.Commission, passedP.PayoutMinimum = nil, nil
	passedC := changedC
	passedC.Key, passedC.CreatedAt, passedC.PartnerID, passedC.PartnerKey = "key-other", t0.Add(time.Hour), "p2", "key-p2"
	passedC.ReferringCustomerID, passedC.ReferringCustomerKey = "c2", "key-c2"
	update(t, s, "a", func(tx commission.StoreTx) {
		require.NoError(t, tx.UpdatePartner(ctx, &passedP))
		require.NoError(t, tx.UpdateCustomer(ctx, &passedC))
		got, err := tx.Partner(ctx, commission.PartnerRef{Email: changedP.Email})
		require.NoError(t, err, "the partner by its new email, in the unit of work")
		requireSamePartner(t, &changedP, got)
		gotC, err := tx.Customer(ctx, commission.CustomerRef{Email: changedC.Email})
		require.NoError(t, err, "the customer by its new email, in the unit of work")
		requireSameCustomer(t, &changedC, gotC)
	})
	requirePeopleStored(t, s, "a", &changedP, &changedC)
	got, err := getPartner(t, s, "a", commission.PartnerRef{ID: "p1"})
	require.NoError(t, err)
	require.NotNil(t, got.Commission, "the commission is kept")
	requireDecimal(t, dec("30"), got.Commission.Value, "commission")
	require.NotNil(t, got.PayoutMinimum, "the payout minimum is kept")
	requireDecimal(t, dec("25.5"), *got.PayoutMinimum, "payout minimum")
	for _, ref := range []commission.PartnerRef{{Email: p.Email}, {Key: "key-other"}} {
		_, err := getPartner(t, s, "a", ref)
		requireNotFound(t, err, fmt.Sprintf("partner %+v", ref))
	}
	for _, ref := range []commission.CustomerRef{{Email: c.Email}, {Key: "key-other"}} {
		_, err := getCustomer(t, s, "a", ref)
		requireNotFound(t, err, fmt.Sprintf("customer %+v", ref))
	}
	requireSamePartner(t, partnerFixture("p2"), listPartners(t, s, "a", commission.PartnerQuery{Email: "p2@partners.test", Limit: 10})[0])
	require.Equal(t, []string{"c2", "c1"}, customerIDsOf(t, s, "a", commission.CustomerQuery{PartnerID: "p1", Limit: 10}), "the customer's partner is kept")

	// Erased: no email, name, surname, tags or referral URL, as a
	// deletion leaves them; the old email is free.
	erasedP := changedP
	erasedP.Email, erasedP.Name, erasedP.Surname, erasedP.Tags, erasedP.Status = "", "", "", nil, commission.PartnerDeleted
	erasedC := changedC
	erasedC.Email, erasedC.Name, erasedC.Surname, erasedC.Tags, erasedC.ReferralURL, erasedC.Status = "", "", "", nil, "", commission.CustomerDeleted
	update(t, s, "a", func(tx commission.StoreTx) {
		require.NoError(t, tx.UpdatePartner(ctx, &erasedP))
		require.NoError(t, tx.UpdateCustomer(ctx, &erasedC))
	})
	gotP, err := getPartner(t, s, "a", commission.PartnerRef{Key: "key-p1"})
	require.NoError(t, err)
	requireSamePartner(t, &erasedP, gotP)
	gotC, err := getCustomer(t, s, "a", commission.CustomerRef{Key: "key-c1"})
	require.NoError(t, err)
	requireSameCustomer(t, &erasedC, gotC)
	_, err = getPartner(t, s, "a", commission.PartnerRef{Email: changedP.Email})
	requireNotFound(t, err, "the erased email")
	insertPartners(t, s, "a", listedPartner("p3", t0, commission.PartnerActive))
	update(t, s, "a", func(tx commission.StoreTx) {
		p3 := partnerFixture("p3")
		p3.Email = changedP.Email
		require.NoError(t, tx.UpdatePartner(ctx, p3), "another partner takes the erased email")
		c2 := customerFixture("c2", "p1")
		c2.Email = changedC.Email
		require.NoError(t, tx.UpdateCustomer(ctx, c2), "another customer takes the erased email")
	})

	// The same values again change nothing, and are no error.
	for range 2 {
		update(t, s, "a", func(tx commission.StoreTx) {
			require.NoError(t, tx.UpdatePartner(ctx, &erasedP))
			require.NoError(t, tx.UpdateCustomer(ctx, &erasedC))
		})
	}
	gotP, err = getPartner(t, s, "a", commission.PartnerRef{ID: "p1"})
	require.NoError(t, err)
	requireSamePartner(t, &erasedP, gotP)
}

func testPeopleUpdateEmail(t *testing.T, h Harness) {
	s := h.New(t)
	p1, p2 := partnerFixture("p1"), partnerFixture("p2")
	c1, c2 := customerFixture("c1", "p1"), customerFixture("c2", "p1")
	insertPartners(t, s, "a", p1, p2)
	insertCustomers(t, s, "a", c1, c2)

	err := s.Update(ctx, "a", func(tx commission.StoreTx) error {
		taken := *p2
		taken.Email, taken.Name = p1.Email, "changed"
		requireDuplicate(t, tx.UpdatePartner(ctx, &taken), "partner email taken")
		takenC := *c2
		takenC.Email, takenC.Name = c1.Email, "changed"
		requireDuplicate(t, tx.UpdateCustomer(ctx, &takenC), "customer email taken")
		// A partner's email may be a customer's, and the unit of work goes
		// on after a duplicate.
		crossed := *p2
		crossed.Email = c1.Email
		if err := tx.UpdatePartner(ctx, &crossed); err != nil {
			return err
		}
		_, err := tx.Partner(ctx, commission.PartnerRef{Email: p2.Email})
		requireNotFound(t, err, "p2's old email")
		got, err := tx.Partner(ctx, commission.PartnerRef{Email: c1.Email})
		if err != nil {
			return err
		}
		require.Equal(t, "p2", got.ID)
		return nil
	})
	require.NoError(t, err)
	p2.Email = c1.Email
	requirePeopleStored(t, s, "a", p2, c2)
	requirePeopleStored(t, s, "a", p1, c1)

	// An email freed in a unit of work may be taken in it; a partner keeps
	// its own email through an update.
	update(t, s, "a", func(tx commission.StoreTx) {
		freed := *p1
		freed.Email = "moved@partners.test"
		require.NoError(t, tx.UpdatePartner(ctx, &freed))
		took := *p2
		took.Email = p1.Email
		require.NoError(t, tx.UpdatePartner(ctx, &took))
		same := took
		same.Name = "same email"
		require.NoError(t, tx.UpdatePartner(ctx, &same))
		freedC := *c1
		freedC.Email = ""
		require.NoError(t, tx.UpdateCustomer(ctx, &freedC))
		tookC := *c2
		tookC.Email = c1.Email
		require.NoError(t, tx.UpdateCustomer(ctx, &tookC))
	})
	got, err := getPartner(t, s, "a", commission.PartnerRef{Email: p1.Email})
	require.NoError(t, err)
	require.Equal(t, "p2", got.ID)
	require.Equal(t, "same email", got.Name)
	got, err = getPartner(t, s, "a", commission.PartnerRef{Email: "moved@partners.test"})
	require.NoError(t, err)
	require.Equal(t, "p1", got.ID)
	gotC, err := getCustomer(t, s, "a", commission.CustomerRef{Email: c1.Email})
	require.NoError(t, err)
	require.Equal(t, "c2", gotC.ID)
	gotC, err = getCustomer(t, s, "a", commission.CustomerRef{ID: "c1"})
	require.NoError(t, err)
	require.Empty(t, gotC.Email)

	// Two without an email do not clash.
	update(t, s, "a", func(tx commission.StoreTx) {
		none := *p1
		none.Email = ""
		require.NoError(t, tx.UpdatePartner(ctx, &none))
		none2 := *p2
		none2.Email = ""
		require.NoError(t, tx.UpdatePartner(ctx, &none2))
	})
	require.Equal(t, []string{"p2"}, partnerIDsOf(t, s, "a", commission.PartnerQuery{Email: "", Tag: "tag1", Limit: 1}))
}

func testPeopleUpdateNotFound(t *testing.T, h Harness) {
	s := h.New(t)
	insertPartners(t, s, "a", partnerFixture("p1"))
	insertCustomers(t, s, "a", customerFixture("c1", "p1"))
	// The key names nothing in an update: the id does.
	p := partnerFixture("p2")
	p.Key = "key-p1"
	err := s.Update(ctx, "a", func(tx commission.StoreTx) error { return tx.UpdatePartner(ctx, p) })
	requireNotFound(t, err, "update of partner p2")
	c := customerFixture("c2", "p1")
	c.Key = "key-c1"
	err = s.Update(ctx, "a", func(tx commission.StoreTx) error { return tx.UpdateCustomer(ctx, c) })
	requireNotFound(t, err, "update of customer c2")
	_, err = getPartner(t, s, "a", commission.PartnerRef{ID: "p2"})
	requireNotFound(t, err, "partner p2 after its update")
	_, err = getCustomer(t, s, "a", commission.CustomerRef{ID: "c2"})
	requireNotFound(t, err, "customer c2 after its update")
	partners.requireFixture(t, s, "p1")
	got, err := getCustomer(t, s, "a", commission.CustomerRef{ID: "c1"})
	require.NoError(t, err)
	requireSameCustomer(t, customerFixture("c1", "p1"), got)

	// A View changes nothing.
	_ = s.View(ctx, "a", func(tx commission.StoreTx) error {
		changed := partnerFixture("p1")
		changed.Name = "in a view"
		require.Error(t, tx.UpdatePartner(ctx, changed), "UpdatePartner in a View")
		changedC := customerFixture("c1", "p1")
		changedC.Name = "in a view"
		require.Error(t, tx.UpdateCustomer(ctx, changedC), "UpdateCustomer in a View")
		return nil
	})
	partners.requireFixture(t, s, "p1")
	got, err = getCustomer(t, s, "a", commission.CustomerRef{ID: "c1"})
	require.NoError(t, err)
	requireSameCustomer(t, customerFixture("c1", "p1"), got)
}

func testPeopleRollback(t *testing.T, h Harness) {
	s := h.New(t)
	p1, c1 := partnerFixture("p1"), customerFixture("c1", "p1")
	insertPartners(t, s, "a", p1)
	insertCustomers(t, s, "a", c1)
	var rows map[string]int
	if h.Rows != nil {
		rows = h.Rows(t, s)
	}
	for _, panics := range []bool{false, true} {
		err := updateRecovering(t, s, panics, func(tx commission.StoreTx) error {
			changed := listedPartner("p1", t0, commission.PartnerDeleted)
			changed.Email = "new@partners.test"
			require.NoError(t, tx.UpdatePartner(ctx, changed))
			changedC := listedCustomer("c1", "p1", t0, commission.CustomerDeleted)
			changedC.Email, changedC.Tags = "", nil
			require.NoError(t, tx.UpdateCustomer(ctx, changedC))
			require.NoError(t, tx.InsertPartner(ctx, partnerFixture("p2")))
			require.NoError(t, tx.InsertCustomer(ctx, customerFixture("c2", "p1")))
			moved := partnerFixture("p2")
			moved.Email = p1.Email // p1's old email, freed in this unit of work
			require.NoError(t, tx.UpdatePartner(ctx, moved))
			ids := []string{}
			list, err := tx.Partners(ctx, commission.PartnerQuery{Limit: 10})
			require.NoError(t, err)
			require.Len(t, list, 2, "the unit of work lists its own writes")
			for _, c := range mustCustomers(t, tx, commission.CustomerQuery{PartnerID: "p1", Limit: 10}) {
				ids = append(ids, c.ID)
			}
			require.ElementsMatch(t, []string{"c1", "c2"}, ids)
			if panics {
				panic("boom")
			}
			return errBoom
		})
		if !panics {
			require.ErrorIs(t, err, errBoom)
		}
	}
	if rows != nil {
		require.Equal(t, rows, h.Rows(t, s), "rows in each table")
	}
	requirePeopleStored(t, s, "a", p1, c1)
	_, err := getPartner(t, s, "a", commission.PartnerRef{Email: "new@partners.test"})
	requireNotFound(t, err, "the rolled back email")
	require.Equal(t, []string{"p1"}, partnerIDsOf(t, s, "a", commission.PartnerQuery{Limit: 10}))
	require.Equal(t, []string{"c1"}, customerIDsOf(t, s, "a", commission.CustomerQuery{PartnerID: "p1", Limit: 10}))
	require.Equal(t, []string{"c1"}, customerIDsOf(t, s, "a", commission.CustomerQuery{Limit: 10}))

	// What was rolled back is free.
	insertPartners(t, s, "a", listedPartner("p2", t0, commission.PartnerActive))
	insertCustomers(t, s, "a", customerFixture("c2", "p1"))
	update(t, s, "a", func(tx commission.StoreTx) {
		moved := partnerFixture("p2")
		moved.Email = "new@partners.test"
		require.NoError(t, tx.UpdatePartner(ctx, moved))
	})
	require.Equal(t, []string{"p2", "p1"}, partnerIDsOf(t, s, "a", commission.PartnerQuery{Limit: 10}))
}

func mustCustomers(t *testing.T, tx commission.StoreTx, q commission.CustomerQuery) []*commission.Customer {
	t.Helper()
	out, err := tx.Customers(ctx, q)
	require.NoError(t, err)
	return out
}

func testPeoplePrograms(t *testing.T, h Harness) {
	s := h.New(t)
	p1, c1 := partnerFixture("p1"), customerFixture("c1", "p1")
	insertPartners(t, s, "a", p1)
	insertCustomers(t, s, "a", c1)

	require.Empty(t, listPartners(t, s, "b", commission.PartnerQuery{Limit: 10}))
	require.Empty(t, listPartners(t, s, "b", commission.PartnerQuery{Email: p1.Email, Limit: 10}))
	require.Empty(t, listCustomers(t, s, "b", commission.CustomerQuery{Limit: 10}))
	require.Empty(t, listCustomers(t, s, "b", commission.CustomerQuery{PartnerID: "p1", Limit: 10}))
	_, err := lockPartner(t, s, "b", commission.PartnerRef{ID: "p1"})
	requireNotFound(t, err, "a's partner locked in b")
	_, err = lockCustomer(t, s, "b", commission.CustomerRef{Email: c1.Email})
	requireNotFound(t, err, "a's customer locked in b")
	for what, write := range map[string]func(tx commission.StoreTx) error{
		"update partner":  func(tx commission.StoreTx) error { return tx.UpdatePartner(ctx, p1) },
		"update customer": func(tx commission.StoreTx) error { return tx.UpdateCustomer(ctx, c1) },
	} {
		requireNotFound(t, s.Update(ctx, "b", write), what+" of a's in b")
	}

	// b takes the same ids and emails, and an email a gives up stays
	// taken in b only by b's.
	pb, cb := partnerFixture("p1"), customerFixture("c1", "p1")
	pb.Name, cb.Name = "in b", "in b"
	insertPartners(t, s, "b", pb, partnerFixture("p2"))
	insertCustomers(t, s, "b", cb)
	update(t, s, "a", func(tx commission.StoreTx) {
		moved := partnerFixture("p1")
		moved.Email = "p2@partners.test" // b's p2 has it; a's is free
		require.NoError(t, tx.UpdatePartner(ctx, moved))
	})
	err = s.Update(ctx, "b", func(tx commission.StoreTx) error {
		moved := partnerFixture("p1")
		moved.Email = "p2@partners.test"
		return tx.UpdatePartner(ctx, moved)
	})
	requireDuplicate(t, err, "b's own p2 has the email")
	got, err := getPartner(t, s, "a", commission.PartnerRef{Email: "p2@partners.test"})
	require.NoError(t, err)
	require.Equal(t, "Name p1", got.Name)
	got, err = getPartner(t, s, "b", commission.PartnerRef{Email: p1.Email})
	require.NoError(t, err)
	require.Equal(t, "in b", got.Name)
	require.Equal(t, []string{"p1"}, partnerIDsOf(t, s, "a", commission.PartnerQuery{Limit: 10}))
	require.Equal(t, []string{"p2", "p1"}, partnerIDsOf(t, s, "b", commission.PartnerQuery{Limit: 10}))
	listed := listCustomers(t, s, "b", commission.CustomerQuery{PartnerID: "p1", Limit: 10})
	require.Len(t, listed, 1)
	require.Equal(t, "in b", listed[0].Name)
}

func testPeopleValuesNotKept(t *testing.T, h Harness) {
	s := h.New(t)
	insertPartners(t, s, "a", partnerFixture("p1"))
	insertCustomers(t, s, "a", customerFixture("c1", "p1"))
	p := partnerFixture("p1")
	p.Tags = []string{"one", "two"}
	c := customerFixture("c1", "p1")
	c.Tags = []string{"three"}
	update(t, s, "a", func(tx commission.StoreTx) {
		require.NoError(t, tx.UpdatePartner(ctx, p))
		require.NoError(t, tx.UpdateCustomer(ctx, c))
		p.Tags[0], p.Name = "changed", "changed"
		c.Tags[0], c.Name = "changed", "changed"
	})
	got, err := getPartner(t, s, "a", commission.PartnerRef{ID: "p1"})
	require.NoError(t, err)
	require.Equal(t, []string{"one", "two"}, got.Tags)
	require.Equal(t, "Name p1", got.Name)
	gotC, err := getCustomer(t, s, "a", commission.CustomerRef{ID: "c1"})
	require.NoError(t, err)
	require.Equal(t, []string{"three"}, gotC.Tags)
	require.Equal(t, "Name c1", gotC.Name)
}

// A unit of work that reads a partner (or customer) with LockPartner
// holds it: another that reads it the same way, from another connection,
// sees it only once the first commits, so that neither loses the other's
// change.
func testLockedPeopleTakeTurns(t *testing.T, h Harness) {
	s := h.New(t)
	insertPartners(t, s, "a", partnerFixture("p1"))
	insertCustomers(t, s, "a", customerFixture("c1", "p1"))
	ss := stores(t, h, s, 2)
	const writers = 4
	var wg sync.WaitGroup
	errs := make(chan error, 2*writers)
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- ss[i%2].Update(ctx, "a", func(tx commission.StoreTx) error {
				p, err := tx.LockPartner(ctx, commission.PartnerRef{ID: "p1"})
				if err != nil {
					return err
				}
				c, err := tx.LockCustomer(ctx, commission.CustomerRef{Key: "key-c1"})
				if err != nil {
					return err
				}
				time.Sleep(20 * time.Millisecond) // time for another to read, were it not locked
				np, nc := p.Clone(), c.Clone()
				np.Name += "+"
				nc.Name += "+"
				if err := tx.UpdatePartner(ctx, np); err != nil {
					return err
				}
				return tx.UpdateCustomer(ctx, nc)
			})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	p, err := getPartner(t, s, "a", commission.PartnerRef{ID: "p1"})
	require.NoError(t, err)
	require.Equal(t, "Name p1++++", p.Name, "no change was lost")
	c, err := getCustomer(t, s, "a", commission.CustomerRef{ID: "c1"})
	require.NoError(t, err)
	require.Equal(t, "Name c1++++", c.Name, "no change was lost")
}
