package commission_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/commissionkit/commission"
	"github.com/stretchr/testify/require"
)

const programJSON = `{
  "id": "partners", "kind": "affiliate", "currency": "USD",
  "rules": {
    "version": "2025-05",
    "default": {"type": "percent", "value": 40, "for": {"months": 3}, "then": {"type": "percent", "value": "20"}},
    "products": [
      {"product_type": "annual", "commission": {"type": "flat", "value": 50}},
      {"product_id": "book", "partner_tags": ["vip"], "commission": {"type": "percent", "value": 50}}
    ],
    "levels": [{"type": "percent", "value": 10}, {"type": "percent", "value": 5}],
    "review_period": "30d",
    "rounding": {"to": "currency", "mode": "half_even"},
    "caps": {"per_reward": 100, "partner": [{"period": "month", "amount": "1000.00"}]},
    "fraud": {"repeat_window": "60s"},
    "products_over_partner": true
  }
}`

// Rules load from JSON (decimals as numbers or strings, durations as
// "30d"), round-trip through it, and are validated at New.
func TestRulesLoadFromJSON(t *testing.T) {
	var p commission.Program
	require.NoError(t, json.Unmarshal([]byte(programJSON), &p))
	require.Equal(t, 30*24*time.Hour, p.Rules.ReviewPeriod)
	require.Equal(t, time.Minute, p.Rules.Fraud.RepeatWindow)
	require.Equal(t, 3, p.Rules.Default.Period.Months)
	requireDecimal(t, "20", p.Rules.Default.Next.Value)
	require.Equal(t, []string{"vip"}, p.Rules.Products[1].PartnerTags)
	eng, err := commission.New(memstoreNew(), p)
	require.NoError(t, err)

	out, err := json.Marshal(eng.Program())
	require.NoError(t, err)
	require.Contains(t, string(out), `"review_period":"30d"`)
	require.Contains(t, string(out), `"repeat_window":"1m0s"`)
	var again commission.Program
	require.NoError(t, json.Unmarshal(out, &again))
	require.Equal(t, p.Rules.ReviewPeriod, again.Rules.ReviewPeriod)
	require.Equal(t, p.Rules.Fraud.RepeatWindow, again.Rules.Fraud.RepeatWindow)
	require.True(t, again.Rules.Caps.Partner[0].Amount.Equal(p.Rules.Caps.Partner[0].Amount))

	// A bad rule is named by its path.
	var bad commission.Program
	require.NoError(t, json.Unmarshal([]byte(`{"id":"p","kind":"affiliate","currency":"USD","rules":{
		"products":[{"product_id":"a","commission":{"type":"percent","value":10}},{"product_id":"b","commission":{"type":"percentage","value":10}}]}}`), &bad))
	_, err = commission.New(memstoreNew(), bad)
	requireFields(t, err, "rules.products[1].commission.type")

	var wrong commission.Program
	require.Error(t, json.Unmarshal([]byte(`{"rules":{"review_period":720}}`), &wrong), "a bare number is not a duration")
}

// A number of days too large for a duration is an error, not a duration
// that wrapped around (213505 days were 24h25m).
func TestRulesJSONDaysOutOfRange(t *testing.T) {
	for _, body := range []string{`{"review_period":"213505d"}`, `{"review_period":"-106753d"}`, `{"fraud":{"repeat_window":"999999999999d"}}`} {
		var rs commission.RuleSet
		require.Error(t, json.Unmarshal([]byte(body), &rs), body)
	}
	var rs commission.RuleSet
	require.NoError(t, json.Unmarshal([]byte(`{"review_period":"106751d"}`), &rs))
	require.Equal(t, 106751*24*time.Hour, rs.ReviewPeriod)
}
