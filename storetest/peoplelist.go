package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/commissionkit/commission"
)

// Listing partners and customers (StoreTx.Partners, StoreTx.Customers):
// filters, the newest-first order and paging by cursor or offset.

func testPartnerListing(t *testing.T, h Harness) {
	s := h.New(t)
	active, pending, archived, deleted := commission.PartnerActive, commission.PartnerPending, commission.PartnerArchived, commission.PartnerDeleted
	// Ids that share a time are newest first in byte order ("a" before
	// "B"); inserted out of order, in two units of work.
	insertPartners(t, s, "a",
		listedPartner("late", t0.Add(time.Hour), active, "vip", "eu"),
		listedPartner("b", t0, archived, "VIP"),
		listedPartner("early", t0.Add(-time.Hour), pending, `a,"b"`, "x]"),
	)
	insertPartners(t, s, "a",
		listedPartner("B", t0, active, "<&>", "vip"),
		listedPartner("a", t0, deleted),
		listedPartner("next", t0.Add(time.Microsecond), active, "é", ","),
	)
	all := []string{"late", "next", "b", "a", "B", "early"}
	for _, c := range []struct {
		q    commission.PartnerQuery
		want []string
	}{
		{commission.PartnerQuery{Limit: 100}, all},
		{commission.PartnerQuery{Limit: 2}, all[:2]},
		{commission.PartnerQuery{Statuses: []commission.PartnerStatus{active}, Limit: 100}, []string{"late", "next", "B"}},
		{commission.PartnerQuery{Statuses: []commission.PartnerStatus{pending, archived, deleted}, Limit: 100}, []string{"b", "a", "early"}},
		{commission.PartnerQuery{Statuses: []commission.PartnerStatus{"unknown"}, Limit: 100}, []string{}},
		{commission.PartnerQuery{Tag: "vip", Limit: 100}, []string{"late", "B"}},
		{commission.PartnerQuery{Tag: "VIP", Limit: 100}, []string{"b"}},
		{commission.PartnerQuery{Tag: "vi", Limit: 100}, []string{}},
		{commission.PartnerQuery{Tag: "vip\", \"eu", Limit: 100}, []string{}},
		{commission.PartnerQuery{Tag: "eu", Limit: 100}, []string{"late"}},
		{commission.PartnerQuery{Tag: `a,"b"`, Limit: 100}, []string{"early"}},
		{commission.PartnerQuery{Tag: "a", Limit: 100}, []string{}},
		{commission.PartnerQuery{Tag: "b", Limit: 100}, []string{}},
		{commission.PartnerQuery{Tag: "x]", Limit: 100}, []string{"early"}},
		{commission.PartnerQuery{Tag: "<&>", Limit: 100}, []string{"B"}},
		{commission.PartnerQuery{Tag: "é", Limit: 100}, []string{"next"}},
		{commission.PartnerQuery{Tag: ",", Limit: 100}, []string{"next"}},
		{commission.PartnerQuery{Tag: "%", Limit: 100}, []string{}},
		{commission.PartnerQuery{Tag: "vip", Statuses: []commission.PartnerStatus{archived, pending}, Limit: 100}, []string{}},
		{commission.PartnerQuery{Email: "b@partners.test", Limit: 100}, []string{"b"}},
		{commission.PartnerQuery{Email: "B@partners.test", Limit: 100}, []string{"B"}},
		{commission.PartnerQuery{Email: "b@partners.test", Statuses: []commission.PartnerStatus{active}, Limit: 100}, []string{}},
		{commission.PartnerQuery{Email: "b@partners.test", Tag: "VIP", Limit: 100}, []string{"b"}},
		{commission.PartnerQuery{Email: "b@partners.test", Tag: "vip", Limit: 100}, []string{}},
		{commission.PartnerQuery{Email: "nobody@partners.test", Limit: 100}, []string{}},
		{commission.PartnerQuery{Limit: 0}, []string{}},
		{commission.PartnerQuery{Limit: -1}, []string{}},
	} {
		require.Equal(t, c.want, partnerIDsOf(t, s, "a", c.q), "%+v", c.q)
	}
	listed := listPartners(t, s, "a", commission.PartnerQuery{Limit: 100})
	for _, p := range listed {
		var want *commission.Partner
		switch p.ID {
		case "late":
			want = listedPartner("late", t0.Add(time.Hour), active, "vip", "eu")
		case "early":
			want = listedPartner("early", t0.Add(-time.Hour), pending, `a,"b"`, "x]")
		default:
			continue
		}
		requireSamePartner(t, want, p)
	}

	// A partner whose tags or status change is listed by its new ones.
	update(t, s, "a", func(tx commission.StoreTx) {
		p := listedPartner("late", t0.Add(time.Hour), archived, "eu")
		require.NoError(t, tx.UpdatePartner(ctx, p))
		require.NoError(t, tx.SetPartnerStatus(ctx, "b", active))
	})
	require.Equal(t, []string{"B"}, partnerIDsOf(t, s, "a", commission.PartnerQuery{Tag: "vip", Limit: 100}))
	require.Equal(t, []string{"next", "b", "B"}, partnerIDsOf(t, s, "a", commission.PartnerQuery{Statuses: []commission.PartnerStatus{active}, Limit: 100}))
	require.Empty(t, partnerIDsOf(t, s, "b", commission.PartnerQuery{Limit: 100}), "another program")
}

func testCustomerListing(t *testing.T, h Harness) {
	s := h.New(t)
	active, suspended, deleted := commission.CustomerActive, commission.CustomerSuspended, commission.CustomerDeleted
	insertPartners(t, s, "a", partnerFixture("p1"), partnerFixture("p2"))
	insertCustomers(t, s, "a",
		listedCustomer("late", "p1", t0.Add(time.Hour), active),
		listedCustomer("b", "p2", t0, suspended),
		listedCustomer("early", "p1", t0.Add(-time.Hour), active),
		listedCustomer("none", "", t0.Add(time.Minute), active),
	)
	insertCustomers(t, s, "a",
		listedCustomer("B", "p1", t0, deleted),
		listedCustomer("a", "p1", t0, suspended),
		listedCustomer("next", "p2", t0.Add(time.Microsecond), active),
	)
	for _, c := range []struct {
		q    commission.CustomerQuery
		want []string
	}{
		{commission.CustomerQuery{Limit: 100}, []string{"late", "none", "next", "b", "a", "B", "early"}},
		{commission.CustomerQuery{Limit: 3}, []string{"late", "none", "next"}},
		{commission.CustomerQuery{PartnerID: "p1", Limit: 100}, []string{"late", "a", "B", "early"}},
		{commission.CustomerQuery{PartnerID: "p2", Limit: 100}, []string{"next", "b"}},
		{commission.CustomerQuery{PartnerID: "p3", Limit: 100}, []string{}},
		{commission.CustomerQuery{PartnerID: "p1", Statuses: []commission.CustomerStatus{suspended, deleted}, Limit: 100}, []string{"a", "B"}},
		{commission.CustomerQuery{PartnerID: "p1", Statuses: []commission.CustomerStatus{active}, Limit: 1}, []string{"late"}},
		{commission.CustomerQuery{Statuses: []commission.CustomerStatus{active}, Limit: 100}, []string{"late", "none", "next", "early"}},
		{commission.CustomerQuery{Statuses: []commission.CustomerStatus{"unknown"}, Limit: 100}, []string{}},
		{commission.CustomerQuery{Limit: 0}, []string{}},
		{commission.CustomerQuery{PartnerID: "p1", Limit: -1}, []string{}},
	} {
		require.Equal(t, c.want, customerIDsOf(t, s, "a", c.q), "%+v", c.q)
	}
	listed := listCustomers(t, s, "a", commission.CustomerQuery{PartnerID: "p2", Limit: 100})
	requireSameCustomer(t, listedCustomer("next", "p2", t0.Add(time.Microsecond), active), listed[0])
	requireSameCustomer(t, listedCustomer("b", "p2", t0, suspended), listed[1])

	// A customer whose status changes is listed by its new one.
	update(t, s, "a", func(tx commission.StoreTx) {
		require.NoError(t, tx.UpdateCustomer(ctx, listedCustomer("late", "p1", t0.Add(time.Hour), deleted)))
		require.NoError(t, tx.SetCustomerStatus(ctx, "a", active))
	})
	require.Equal(t, []string{"a", "early"}, customerIDsOf(t, s, "a",
		commission.CustomerQuery{PartnerID: "p1", Statuses: []commission.CustomerStatus{active}, Limit: 100}))
	require.Empty(t, customerIDsOf(t, s, "b", commission.CustomerQuery{Limit: 100}), "another program")
	require.Empty(t, customerIDsOf(t, s, "b", commission.CustomerQuery{PartnerID: "p1", Limit: 100}), "another program")
}

func testPeoplePaging(t *testing.T, h Harness) {
	s := h.New(t)
	// 23 partners and customers, some sharing a time: a cursor between two
	// that share one is continued by id.
	var ps []*commission.Partner
	var cs []*commission.Customer
	for i := range 23 {
		at := t0.Add(time.Duration(i/3) * time.Second)
		id := fmt.Sprintf("x%02d", (i*7)%23)
		status := commission.PartnerActive
		if i%4 == 0 {
			status = commission.PartnerArchived
		}
		ps = append(ps, listedPartner(id, at, status, "t"))
		partner := "p1"
		if i%5 == 0 {
			partner = "p2"
		}
		cs = append(cs, listedCustomer(id, partner, at, commission.CustomerActive))
	}
	insertPartners(t, s, "a", ps...)
	insertPartners(t, s, "a", partnerFixture("p1"), partnerFixture("p2"))
	insertCustomers(t, s, "a", cs...)

	for _, q := range []commission.PartnerQuery{
		{Limit: 100},
		{Statuses: []commission.PartnerStatus{commission.PartnerActive}, Limit: 100},
		{Tag: "t", Statuses: []commission.PartnerStatus{commission.PartnerArchived}, Limit: 100},
	} {
		requirePaged(t, fmt.Sprintf("partners %+v", q), partnerIDs(listPartners(t, s, "a", q)),
			func(after *commission.RewardPosition, offset, limit int) ([]string, *commission.RewardPosition) {
				page := q
				page.After, page.Offset, page.Limit = after, offset, limit
				ps := listPartners(t, s, "a", page)
				if len(ps) == 0 {
					return nil, nil
				}
				last := ps[len(ps)-1]
				return partnerIDs(ps), &commission.RewardPosition{CreatedAt: last.CreatedAt, ID: last.ID}
			})
	}
	for _, q := range []commission.CustomerQuery{
		{Limit: 100},
		{PartnerID: "p1", Limit: 100},
		{PartnerID: "p2", Statuses: []commission.CustomerStatus{commission.CustomerActive}, Limit: 100},
	} {
		requirePaged(t, fmt.Sprintf("customers %+v", q), customerIDs(listCustomers(t, s, "a", q)),
			func(after *commission.RewardPosition, offset, limit int) ([]string, *commission.RewardPosition) {
				page := q
				page.After, page.Offset, page.Limit = after, offset, limit
				cs := listCustomers(t, s, "a", page)
				if len(cs) == 0 {
					return nil, nil
				}
				last := cs[len(cs)-1]
				return customerIDs(cs), &commission.RewardPosition{CreatedAt: last.CreatedAt, ID: last.ID}
			})
	}

	// A cursor at a place no row holds continues after it; one past the
	// oldest row lists nothing.
	between := &commission.RewardPosition{CreatedAt: t0.Add(time.Second), ID: "x"}
	got := partnerIDsOf(t, s, "a", commission.PartnerQuery{After: between, Limit: 100})
	var want []string
	for _, p := range listPartners(t, s, "a", commission.PartnerQuery{Limit: 100}) {
		if p.CreatedAt.Before(between.CreatedAt) || (p.CreatedAt.Equal(between.CreatedAt) && p.ID < between.ID) {
			want = append(want, p.ID)
		}
	}
	require.NotEmpty(t, want)
	require.Equal(t, want, got)
	require.Empty(t, partnerIDsOf(t, s, "a", commission.PartnerQuery{After: &commission.RewardPosition{CreatedAt: t0.Add(-time.Hour), ID: "z"}, Limit: 100}))
	require.Empty(t, customerIDsOf(t, s, "a", commission.CustomerQuery{PartnerID: "p1", After: &commission.RewardPosition{CreatedAt: t0, ID: ""}, Limit: 100}))
}

// requirePaged walks a listing by cursor and by offset, pages of 1, 4 and
// 7, with read (a page after a cursor, or at an offset, and its last
// row's place), and requires both walks to give whole.
func requirePaged(t *testing.T, what string, whole []string,
	read func(after *commission.RewardPosition, offset, limit int) ([]string, *commission.RewardPosition)) {
	t.Helper()
	for _, size := range []int{1, 4, 7} {
		var walked, byOffset []string
		var after *commission.RewardPosition
		for {
			ids, last := read(after, 0, size)
			walked = append(walked, ids...)
			if len(ids) < size {
				break
			}
			after = last
		}
		for offset := 0; ; offset += size {
			ids, _ := read(nil, offset, size)
			byOffset = append(byOffset, ids...)
			if len(ids) < size {
				break
			}
		}
		require.Equal(t, whole, walked, "%s by cursor, %d a page", what, size)
		require.Equal(t, whole, byOffset, "%s by offset, %d a page", what, size)
	}
}
