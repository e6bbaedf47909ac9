package sqlstore_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/sqlstore"
	"github.com/stretchr/testify/require"
)

// reapply forgets that migration version was applied, so that Migrate
// applies it again to rows written since.
func reapply(t *testing.T, s *sqlstore.Store, version int) error {
	t.Helper()
	ctx := context.Background()
	_, err := s.DB().ExecContext(ctx, "DELETE FROM commission_schema_migrations WHERE version = "+strconv.Itoa(version))
	require.NoError(t, err)
	return s.Migrate(ctx)
}

// Migration 4 lowers the emails earlier versions stored in other case, so
// that the engine, which compares emails in lower case, finds them; where
// two emails differ only in case it fails and changes nothing.
func TestMigrationLowersEmails(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d sqlstore.Dialect) {
		ctx := context.Background()
		s := newDatabase(t, d).open(t)
		mixed := &commission.Partner{ID: "p1", Key: "p1", Email: "Up@Example.com", Status: commission.PartnerActive}
		require.NoError(t, s.Update(ctx, "prog", func(tx commission.StoreTx) error { return tx.InsertPartner(ctx, mixed) }))
		require.NoError(t, s.Update(ctx, "prog", func(tx commission.StoreTx) error {
			return tx.InsertCustomer(ctx, &commission.Customer{ID: "c1", Key: "c1", Email: "Bob@X.com", PartnerID: "p1", Status: commission.CustomerActive})
		}))
		require.NoError(t, reapply(t, s, 4))
		eng, err := commission.New(s, commission.Program{ID: "prog", Kind: commission.Affiliate, Currency: "USD"})
		require.NoError(t, err)
		p, err := eng.Partner(ctx, commission.PartnerRef{Email: "UP@example.com"})
		require.NoError(t, err)
		require.Equal(t, "up@example.com", p.Email)
		c, err := eng.Customer(ctx, commission.CustomerRef{Email: "bob@x.com"})
		require.NoError(t, err)
		require.Equal(t, "bob@x.com", c.Email)

		twin := &commission.Partner{ID: "p2", Key: "p2", Email: "UP@example.com", Status: commission.PartnerActive}
		require.NoError(t, s.Update(ctx, "prog", func(tx commission.StoreTx) error { return tx.InsertPartner(ctx, twin) }))
		require.Error(t, reapply(t, s, 4), "two emails that differ only in case")
		p, err = eng.Partner(ctx, commission.PartnerRef{ID: "p2"})
		require.NoError(t, err)
		require.Equal(t, "UP@example.com", p.Email, "the failed migration changed nothing")
	})
}
