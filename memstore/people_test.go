package memstore

import (
	"context"
	"errors"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/commissionkit/commission"
)

// requirePeopleIndexed requires x's indexes (by key, by email, the
// listing order and the groups) to be what its values give, and no more.
func requirePeopleIndexed[T any](t *testing.T, x *people[T], key func(*T) string) {
	t.Helper()
	keys, emails := map[string]string{}, map[string]string{}
	var all ordered[orderKey]
	groups := map[string]ordered[orderKey]{}
	for id, v := range x.byID {
		at, email, group := x.fields(v)
		require.Equal(t, id, at.id)
		keys[key(v)] = id
		if email != "" {
			emails[email] = id
		}
		all.insert(at)
		if group != "" {
			g := groups[group]
			g.insert(at)
			groups[group] = g
		}
	}
	require.Equal(t, keys, x.byKey)
	require.Equal(t, emails, x.byEmail)
	require.Equal(t, []orderKey(all), []orderKey(x.all))
	require.Equal(t, slices.Sorted(maps.Keys(groups)), slices.Sorted(maps.Keys(x.groups)))
	for g, l := range groups {
		require.Equal(t, []orderKey(l), []orderKey(x.groups[g]), "group %s", g)
	}
}

// Inserts, email changes and their rollbacks leave the people's indexes
// what their values give.
func TestPeopleIndexesFollowWrites(t *testing.T) {
	ctx := context.Background()
	s := New()
	t0 := time.Date(2025, 5, 1, 12, 0, 0, 0, time.UTC)
	boom := errors.New("boom")
	check := func() {
		t.Helper()
		p := s.program("a")
		requirePeopleIndexed(t, &p.partners, func(p *commission.Partner) string { return p.Key })
		requirePeopleIndexed(t, &p.customers, func(c *commission.Customer) string { return c.Key })
	}
	partner := func(id, email string, at time.Time) *commission.Partner {
		return &commission.Partner{ID: id, Key: "k" + id, Email: email, Status: commission.PartnerActive, CreatedAt: at}
	}
	customer := func(id, email, partnerID string, at time.Time) *commission.Customer {
		return &commission.Customer{ID: id, Key: "k" + id, Email: email, PartnerID: partnerID, Status: commission.CustomerActive, CreatedAt: at}
	}
	require.NoError(t, s.Update(ctx, "a", func(tx commission.StoreTx) error {
		require.NoError(t, tx.InsertPartner(ctx, partner("p2", "a@x.test", t0)))
		require.NoError(t, tx.InsertPartner(ctx, partner("p1", "", t0.Add(-time.Hour))))
		require.NoError(t, tx.InsertCustomer(ctx, customer("c1", "c@x.test", "p1", t0)))
		return tx.InsertCustomer(ctx, customer("c0", "", "", t0.Add(-time.Hour)))
	}))
	check()
	for _, fail := range []bool{true, false} {
		err := s.Update(ctx, "a", func(tx commission.StoreTx) error {
			require.NoError(t, tx.InsertPartner(ctx, partner("p3", "b@x.test", t0.Add(-2*time.Hour))))
			require.NoError(t, tx.UpdatePartner(ctx, partner("p2", "", t0)))
			require.NoError(t, tx.UpdatePartner(ctx, partner("p1", "a@x.test", t0)))
			require.NoError(t, tx.UpdatePartner(ctx, partner("p3", "d@x.test", t0)))
			require.ErrorIs(t, tx.UpdatePartner(ctx, partner("p2", "d@x.test", t0)), commission.ErrDuplicateKey)
			require.NoError(t, tx.InsertCustomer(ctx, customer("c2", "e@x.test", "p3", t0.Add(time.Hour))))
			require.NoError(t, tx.UpdateCustomer(ctx, customer("c1", "", "p1", t0)))
			require.NoError(t, tx.UpdateCustomer(ctx, customer("c0", "c@x.test", "", t0)))
			if fail {
				return boom
			}
			return nil
		})
		if fail {
			require.ErrorIs(t, err, boom)
		} else {
			require.NoError(t, err)
		}
		check()
	}
	p := s.program("a")
	require.Equal(t, "p1", p.partners.byEmail["a@x.test"])
	require.Equal(t, "c0", p.customers.byEmail["c@x.test"])
	require.Len(t, p.customers.groups["p3"], 1)
}
