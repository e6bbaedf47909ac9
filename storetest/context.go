package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/commissionkit/commission"
)

// A unit of work asked for with a context that is already done does not
// run, and its error matches the context's.
func contextTests() []subtest {
	return []subtest{
		{"cancelled", func(t *testing.T, h Harness) {
			c, cancel := context.WithCancel(context.Background())
			cancel()
			testDoneContext(t, h, c, context.Canceled)
		}},
		{"expired", func(t *testing.T, h Harness) {
			c, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
			defer cancel()
			testDoneContext(t, h, c, context.DeadlineExceeded)
		}},
	}
}

func testDoneContext(t *testing.T, h Harness, done context.Context, want error) {
	s := h.New(t)
	called := false
	err := s.Update(done, "a", func(tx commission.StoreTx) error {
		called = true
		return tx.InsertPartner(ctx, partnerFixture("p1"))
	})
	require.ErrorIs(t, err, want)
	require.False(t, called, "Update must not call fn")

	err = s.View(done, "a", func(commission.StoreTx) error {
		called = true
		return nil
	})
	require.ErrorIs(t, err, want)
	require.False(t, called, "View must not call fn")

	_, err = getPartner(t, s, "a", commission.PartnerRef{ID: "p1"})
	requireNotFound(t, err, "partner p1")
}
