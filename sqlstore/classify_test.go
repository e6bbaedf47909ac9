package sqlstore

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/commissionkit/commission"
	"github.com/stretchr/testify/require"
)

type pgErr string

func (e pgErr) Error() string    { return "pg " + string(e) }
func (e pgErr) SQLState() string { return string(e) }

type sqliteErr int

func (e sqliteErr) Error() string { return fmt.Sprintf("sqlite %d", int(e)) }
func (e sqliteErr) Code() int     { return int(e) }

// The driver errors the store acts on, told apart without importing a
// driver, also when wrapped.
func TestClassify(t *testing.T) {
	cases := []struct {
		err  error
		want errorKind
	}{
		{pgErr("23505"), uniqueViolation},
		{pgErr("40001"), retryable},
		{pgErr("40P01"), retryable},
		{pgErr("23503"), otherError},
		{sqliteErr(2067), uniqueViolation},
		{sqliteErr(1555), uniqueViolation},
		{sqliteErr(787), otherError}, // SQLITE_CONSTRAINT_FOREIGNKEY
		{sqliteErr(5), retryable},
		{sqliteErr(517), retryable}, // SQLITE_BUSY_SNAPSHOT
		{sqliteErr(6), retryable},
		{errors.New("Error 1062 (23000): Duplicate entry 'x' for key 'PRIMARY'"), uniqueViolation},
		{errors.New("Error 1213 (40001): Deadlock found when trying to get lock"), retryable},
		{errors.New("Error 1205 (HY000): Lock wait timeout exceeded"), retryable},
		{errors.New("Error 1146 (42S02): Table 'x' doesn't exist"), otherError},
		{errors.New("connection refused"), otherError},
	}
	for _, c := range cases {
		require.Equal(t, c.want, classify(c.err), "%v", c.err)
		require.Equal(t, c.want, classify(fmt.Errorf("context: %w", c.err)), "wrapped %v", c.err)
	}
}

// A COMMIT that fails with an error the database sent rolled back; one
// that fails otherwise (a lost connection) may have committed, and says
// so.
func TestCommitFailed(t *testing.T) {
	for _, c := range []struct {
		err     error
		unknown bool
	}{
		{pgErr("40001"), false},
		{sqliteErr(5), false},
		{sqliteErr(10), true},  // SQLITE_IOERR
		{sqliteErr(778), true}, // SQLITE_IOERR_WRITE
		{errors.New("Error 1213: Deadlock found"), false},
		{driver.ErrBadConn, true},
		{io.ErrUnexpectedEOF, true},
		{errors.New("invalid connection"), true},
		{context.Canceled, true},
	} {
		err := commitFailed(c.err)
		require.Equal(t, c.unknown, errors.Is(err, commission.ErrCommitUnknown), "%v", c.err)
		require.ErrorIs(t, err, c.err, "the driver's error is kept")
		if c.unknown {
			require.NotEqual(t, retryable, classify(err), "an unknown commit is never retried")
		}
	}
}
