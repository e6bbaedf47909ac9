package commission_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/commissionkit/commission"
)

// brokenStore fails every Update, as a database that went away.
type brokenStore struct{ commission.Store }

func (brokenStore) Update(context.Context, string, func(commission.StoreTx) error) error {
	return errors.New("database is gone")
}

func TestWithLogger(t *testing.T) {
	ctx := context.Background()
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	store := memstoreNew()
	eng, err := commission.New(store, percentProgram(commission.Affiliate, "30"), commission.WithLogger(logger))
	require.NoError(t, err)
	affiliateSetup(t, eng)
	_, err = eng.CreateTransaction(ctx, sale("s1", "customer_123", "100"))
	require.NoError(t, err)
	require.Contains(t, buf.String(), `level=DEBUG msg="commission: CreateTransaction" key=s1`)

	buf.Reset()
	_, err = eng.CreateTransaction(ctx, sale("s1", "customer_123", "100"))
	require.ErrorIs(t, err, commission.ErrDuplicateKey)
	require.Contains(t, buf.String(), `level=DEBUG msg="commission: CreateTransaction refused" key=s1 error=`)

	buf.Reset()
	broken, err := commission.New(brokenStore{store}, percentProgram(commission.Affiliate, "30"), commission.WithLogger(logger))
	require.NoError(t, err)
	require.Error(t, broken.DeleteTransaction(ctx, "s1"))
	require.Contains(t, buf.String(), `level=ERROR msg="commission: DeleteTransaction failed" key=s1 error="database is gone"`)

	// Without a logger, nothing is logged (and nothing fails).
	buf.Reset()
	quiet, err := commission.New(store, percentProgram(commission.Affiliate, "30"))
	require.NoError(t, err)
	require.NoError(t, quiet.DeleteTransaction(ctx, "s1"))
	require.Empty(t, buf.String())
}
