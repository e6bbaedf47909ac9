package sqlstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/sqlstore"
)

// SQLite writes prepare their statements outside their transaction: on a
// pool of one connection, writes that succeed and writes that fail, and
// reads between them, neither wait for a second connection nor fail.
func TestSQLiteWritesOnOneConnection(t *testing.T) {
	store := newDatabase(t, sqlstore.SQLite).open(t)
	store.DB().SetMaxOpenConns(1)
	eng := benchEngine(t, store)
	benchSetup(t, eng)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i := range 3 {
		require.NoError(t, engineSale(ctx, eng, "s"+string(rune('a'+i))))
		_, err := eng.CreateTransaction(ctx, benchInput("sa")) // a key taken: refused, rolled back
		require.ErrorIs(t, err, commission.ErrDuplicateKey)
		page, err := eng.Transactions(ctx, commission.ListOptions{})
		require.NoError(t, err)
		require.Len(t, page.Transactions, i+1)
	}
}
