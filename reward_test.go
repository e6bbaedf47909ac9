package commission_test

import (
	"testing"

	"github.com/commissionkit/commission"
	"github.com/stretchr/testify/require"
)

// Clone copies everything a reward points to, so that a caller changing
// its copy changes nothing else.
func TestRewardCloneIsDeep(t *testing.T) {
	ends, decided := t0, t0
	exact, rate, uncapped, threshold := dec("1.5"), dec("2"), dec("3"), dec("4")
	r := &commission.Reward{
		ID: "r", Amount: dec("1"), ReviewEndsAt: &ends, DecidedAt: &decided, DeletedAt: &ends,
		Explanation: commission.Explanation{
			Exact: &exact, Rate: &rate, Uncapped: &uncapped, Threshold: &threshold,
			Caps: []string{"per_reward"}, Counted: []string{"month"},
		},
	}
	c := r.Clone()
	*c.ReviewEndsAt = t0.AddDate(1, 0, 0)
	*c.DecidedAt = t0.AddDate(1, 0, 0)
	*c.DeletedAt = t0.AddDate(1, 0, 0)
	*c.Explanation.Exact, *c.Explanation.Rate = dec("9"), dec("9")
	*c.Explanation.Uncapped, *c.Explanation.Threshold = dec("9"), dec("9")
	c.Explanation.Caps[0], c.Explanation.Counted[0] = "x", "x"
	require.True(t, r.ReviewEndsAt.Equal(t0) && r.DecidedAt.Equal(t0) && r.DeletedAt.Equal(t0))
	for _, d := range []struct{ want, got string }{
		{"1.5", r.Explanation.Exact.String()}, {"2", r.Explanation.Rate.String()},
		{"3", r.Explanation.Uncapped.String()}, {"4", r.Explanation.Threshold.String()},
	} {
		require.Equal(t, d.want, d.got)
	}
	require.Equal(t, []string{"per_reward"}, r.Explanation.Caps)
	require.Equal(t, []string{"month"}, r.Explanation.Counted)
}
