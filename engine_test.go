package commission_test

import (
	"context"
	"testing"
	"time"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/memstore"
	"github.com/stretchr/testify/require"
)

// New refuses a nil store; Program returns the program with its defaults
// filled in, as a copy the caller may change.
func TestNewAndProgram(t *testing.T) {
	_, err := commission.New(nil, percentProgram(commission.Affiliate, "30"))
	require.Error(t, err)

	p := percentProgram(commission.Affiliate, "30")
	p.Rules.Products = []commission.ProductRule{{ProductID: "a", Commission: commission.Percent(dec("10"))}}
	eng, err := commission.New(memstore.New(), p)
	require.NoError(t, err)
	p.Rules.Products[0].ProductID = "changed by the caller"

	got := eng.Program()
	require.Equal(t, commission.DefaultReferralParam, got.ReferralParam)
	require.Equal(t, "a", got.Rules.Products[0].ProductID, "New keeps its own copy")
	got.Rules.Products[0].ProductID = "changed again"
	require.Equal(t, "a", eng.Program().Rules.Products[0].ProductID, "Program returns a copy")
}

// The clock and id generator given as options are what the engine
// records, to the microsecond in UTC.
func TestOptionsClockAndIDs(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2025, 5, 7, 5, 32, 48, 123456789, time.FixedZone("X", 3600))
	eng, err := commission.New(memstore.New(), percentProgram(commission.Affiliate, "30"),
		commission.WithClock(func() time.Time { return at }), commission.WithIDGenerator(seqIDs()))
	require.NoError(t, err)
	p, err := eng.CreatePartner(ctx, commission.PartnerInput{})
	require.NoError(t, err)
	require.Equal(t, "id_1", p.ID)
	require.Equal(t, "id_1", p.Key, "a partner with neither id nor key gets the new id as both")
	require.True(t, p.CreatedAt.Equal(at.Truncate(time.Microsecond)), "%s", p.CreatedAt)
	require.Equal(t, time.UTC, p.CreatedAt.Location())
}
