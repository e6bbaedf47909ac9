package commission_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/commissionkit/commission"
	"github.com/stretchr/testify/require"
)

// Double-sided refer-a-friend: the referring customer and the referred
// friend are both rewarded, each with its own commission and review
// period.
func TestFriendIsRewardedToo(t *testing.T) {
	ctx := context.Background()
	var p commission.Program
	require.NoError(t, json.Unmarshal([]byte(`{"id":"raf","kind":"refer_a_friend","currency":"USD","rules":{
		"default":{"type":"percent","value":10},
		"friend":{"commission":{"type":"flat","value":5,"for":{"times":1}},"review_period":"14d"}}}`), &p))
	require.Equal(t, 14*24*time.Hour, p.Rules.Friend.ReviewPeriod)
	eng, clock := newEngine(t, p)
	_, err := eng.CreateCustomer(ctx, commission.CustomerInput{ID: "referrer"})
	require.NoError(t, err)
	_, err = eng.CreateCustomer(ctx, commission.CustomerInput{ID: "friend", ReferringCustomer: &commission.CustomerRef{ID: "referrer"}})
	require.NoError(t, err)

	tx, err := eng.CreateTransaction(ctx, commission.TransactionInput{Key: "t1", Amount: decp("80"), Customer: commission.CustomerInput{ID: "friend"}})
	require.NoError(t, err)
	require.Len(t, tx.Rewards, 2)
	referrer, friend := tx.Rewards[0], tx.Rewards[1]
	require.Equal(t, "referrer", referrer.RewardedCustomerKey)
	requireDecimal(t, "8", referrer.Amount)
	require.Equal(t, commission.RewardOK, referrer.Status)
	require.Equal(t, "friend", friend.RewardedCustomerKey)
	requireDecimal(t, "5", friend.Amount)
	require.Equal(t, commission.RewardInReview, friend.Status, "the friend's own review period")
	require.Equal(t, "friend", friend.Explanation.Rule)
	out, err := json.Marshal(tx)
	require.NoError(t, err)
	doc := decodeJSON(t, out).(map[string]any)
	r1 := doc["rewards"].([]any)[1].(map[string]any)
	require.Equal(t, "friend", r1["customer"])
	require.Equal(t, "friend", r1["referred_customer"])

	clock.Advance(time.Hour)
	tx, err = eng.CreateTransaction(ctx, commission.TransactionInput{Key: "t2", Amount: decp("80"), Customer: commission.CustomerInput{ID: "friend"}})
	require.NoError(t, err)
	require.Len(t, tx.Rewards, 1, "the friend's reward was for its first sale only")

	p.Kind = commission.Affiliate
	_, err = commission.New(memstoreNew(), p)
	requireFields(t, err, "rules.friend")
}
