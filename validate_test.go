package commission_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/memstore"
	"github.com/stretchr/testify/require"
)

// Times are kept to the microsecond: a created_at within the clock's
// microsecond is now, not the future, for a customer as for a sale, and
// is stored truncated.
func TestCreatedAtWithinTheClocksMicrosecond(t *testing.T) {
	ctx := context.Background()
	at := t0.Add(700 * time.Nanosecond)
	clock := newClock(at)
	eng, err := commission.New(memstore.New(), percentProgram(commission.Affiliate, "10"), commission.WithClock(clock.Now))
	require.NoError(t, err)
	_, err = eng.CreatePartner(ctx, commission.PartnerInput{Key: "p"})
	require.NoError(t, err)
	sub := at.Add(200 * time.Nanosecond) // same microsecond as the clock, later nanoseconds
	c, err := eng.CreateCustomer(ctx, commission.CustomerInput{Key: "c", Partner: &commission.PartnerRef{Key: "p"}, CreatedAt: &sub})
	require.NoError(t, err)
	require.True(t, c.CreatedAt.Equal(t0), "stored %v", c.CreatedAt)
	tx, err := eng.CreateTransaction(ctx, commission.TransactionInput{Key: "s", Amount: decp("10"), CreatedAt: &sub,
		Customer: commission.CustomerInput{Key: "c2", Partner: &commission.PartnerRef{Key: "p"}, CreatedAt: &sub},
		Options:  commission.TransactionOptions{CreateCustomer: true}})
	require.NoError(t, err)
	require.True(t, tx.CreatedAt.Equal(t0), "stored %v", tx.CreatedAt)

	// The next microsecond is the future.
	next := t0.Add(time.Microsecond)
	_, err = eng.CreateCustomer(ctx, commission.CustomerInput{Key: "c3", Partner: &commission.PartnerRef{Key: "p"}, CreatedAt: &next})
	requireFields(t, err, "created_at")
	_, err = eng.CreateTransaction(ctx, commission.TransactionInput{Key: "s2", Amount: decp("10"), CreatedAt: &next,
		Customer: commission.CustomerInput{Key: "c"}})
	requireFields(t, err, "created_at")
}

// Text that a database would refuse or cut is refused by validation.
func TestValidationRefusesWhatStorageCannotHold(t *testing.T) {
	ctx := context.Background()
	p := percentProgram(commission.Affiliate, "30")
	p.Rules.ReviewPeriod = time.Hour
	eng, _ := newEngine(t, p)
	affiliateSetup(t, eng)
	_, err := eng.CreateTransaction(ctx, sale("inv\x00", "customer_123", "1"))
	requireFields(t, err, "key")
	tags := make([]string, 101)
	for i := range tags {
		tags[i] = "t"
	}
	_, err = eng.CreatePartner(ctx, commission.PartnerInput{Key: "many", Tags: tags})
	requireFields(t, err, "tags")
	old := time.Unix(-1, 0)
	in := sale("ancient", "customer_123", "1")
	in.CreatedAt = &old
	_, err = eng.CreateTransaction(ctx, in)
	requireFields(t, err, "created_at")
	_, err = eng.Transactions(ctx, commission.ListOptions{Page: commission.MaxPage + 1})
	requireFields(t, err, "page")

	tx, err := eng.CreateTransaction(ctx, sale("t", "customer_123", "1"))
	require.NoError(t, err)
	id := tx.Rewards[0].ID
	for _, reason := range []string{"\xff", "a\x00b", strings.Repeat("r", 4097)} {
		requireFields(t, eng.RejectReward(ctx, id, reason), "reason")
	}
	require.NoError(t, eng.RejectReward(ctx, id, "fraud: ü"))
}
