package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/commissionkit/commission"
)

// AddRewards adds rewards to a stored transaction and records the flags
// the engine gives it: the store decides nothing.
func rewardTests() []subtest {
	return []subtest{
		{"rewards added to a stored transaction", testAddRewards},
	}
}

func testAddRewards(t *testing.T, h Harness) {
	s := h.New(t)
	in := saleFixture("s1", "c1", "p1", t0, "r1")
	in.Qualified, in.Rewardable = false, false
	insert(t, s, "a", in)
	// The engine decides the flags; the store records them as given.
	later := in.Clone()
	later.Rewards = append(later.Rewards, saleFixture("x", "c1", "p1", t0, "r2", "r3").Rewards...)
	later.Rewardable, later.Qualified = true, false
	err := s.Update(ctx, "a", func(tx commission.StoreTx) error {
		require.NoError(t, tx.AddRewards(ctx, later, 1))
		return errBoom
	})
	require.ErrorIs(t, err, errBoom)
	got, err := getTx(t, s, "a", "s1")
	require.NoError(t, err)
	require.Len(t, got.Rewards, 1, "rolled back")
	require.False(t, got.Rewardable)

	update(t, s, "a", func(tx commission.StoreTx) { require.NoError(t, tx.AddRewards(ctx, later, 1)) })
	got, err = getTx(t, s, "a", "s1")
	require.NoError(t, err)
	require.Len(t, got.Rewards, 3)
	require.Equal(t, []string{"r1", "r2", "r3"}, []string{got.Rewards[0].ID, got.Rewards[1].ID, got.Rewards[2].ID})
	require.True(t, got.Rewardable)
	require.False(t, got.Qualified, "the store keeps the flag it was given")
	r, err := getReward(t, s, "a", "r3")
	require.NoError(t, err)
	require.Equal(t, "r3", r.ID)
	require.Equal(t, int64(0), history(t, s, "a", "c1", t0.Add(time.Hour)).Count, "not qualified: it does not count")

	qualified := got.Clone()
	qualified.Rewards = append(qualified.Rewards, saleFixture("y", "c1", "p1", t0, "r4").Rewards...)
	qualified.Qualified = true
	update(t, s, "a", func(tx commission.StoreTx) { require.NoError(t, tx.AddRewards(ctx, qualified, 3)) })
	got, err = getTx(t, s, "a", "s1")
	require.NoError(t, err)
	require.Len(t, got.Rewards, 4)
	require.True(t, got.Qualified)
	require.Equal(t, int64(1), history(t, s, "a", "c1", t0.Add(time.Hour)).Count, "it counts now")

	err = s.Update(ctx, "a", func(tx commission.StoreTx) error { return tx.AddRewards(ctx, later, 2) })
	requireDuplicate(t, err, "a taken reward id")
	err = s.Update(ctx, "a", func(tx commission.StoreTx) error {
		return tx.AddRewards(ctx, &commission.Transaction{Key: "nope"}, 0)
	})
	requireNotFound(t, err, "unknown transaction")
}
