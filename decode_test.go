package commission_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/commissionkit/commission"
	"github.com/stretchr/testify/require"
)

// Whatever does not decode is a *ValidationError (ErrInvalid) naming
// each field by its JSON path, every one at once, in a message of
// bounded length.
func TestDecodeErrorsNameTheirFields(t *testing.T) {
	huge := strings.Repeat("9", 10_000)
	for _, c := range []struct {
		body  string
		paths []string
	}{
		{`{"amount":"NaN"}`, []string{"amount"}},
		{`{"amount":"Infinity"}`, []string{"amount"}},
		{`{"amount":true}`, []string{"amount"}},
		{`{"amount":"` + huge + `x"}`, []string{"amount"}},
		{`{"reward":{}}`, []string{"reward"}},
		{`{"products":[{"product_id":"a","product_price":1},{"product_id":"b","product_price":"x"}]}`, []string{"products[1].product_price"}},
		{`{"products":5}`, []string{"products"}},
		{`{"products":[7]}`, []string{"products[0]"}},
		{`{"key":5}`, []string{"key"}},
		{`{"rewardable":"no"}`, []string{"rewardable"}},
		{`{"options":{"create_customer":"yes"}}`, []string{"options.create_customer"}},
		{`{"customer":{"key":1}}`, []string{"customer.key"}},
		{`{"customer":{"created_at":"yesterday"}}`, []string{"customer.created_at"}},
		{`{"customer":{"partner":{"key":[]}}}`, []string{"customer.partner.key"}},
		{`{"created_at":1.5}`, []string{"created_at"}},
		{`{"created_at":"` + huge + `"}`, []string{"created_at"}},
		{`{"amount":"NaN","reward":"-","products":[{"product_price":false}],"customer":{"created_at":{}}}`,
			[]string{"amount", "reward", "products[0].product_price", "customer.created_at"}},
	} {
		var in commission.TransactionInput
		err := json.Unmarshal([]byte(c.body), &in)
		requireDecodeFields(t, err, c.body, c.paths...)
	}
}

// A bulk names its items' fields under transactions[i]; a partner names
// a commission that does not decode.
func TestDecodeErrorsOfBulksAndPartners(t *testing.T) {
	var bulk commission.BulkTransactionsInput
	err := json.Unmarshal([]byte(`{"customer":{"key":1},"transactions":[{"amount":1},{"amount":"NaN","products":[{"product_price":"x"}]}]}`), &bulk)
	requireDecodeFields(t, err, "bulk", "customer.key", "transactions[1].amount", "transactions[1].products[0].product_price")

	require.NoError(t, json.Unmarshal([]byte(`{"customer":{"key":"c"},"options":{"create_customer":true},"transactions":[{"amount":"1.50"}]}`), &bulk))
	ins := bulk.Inputs()
	require.Len(t, ins, 1)
	require.Equal(t, "c", ins[0].Customer.Key)
	require.True(t, ins[0].Options.CreateCustomer)
	requireDecimal(t, "1.5", *ins[0].Amount)

	var p commission.PartnerInput
	err = json.Unmarshal([]byte(`{"key":"p","tags":"x","commission":{"type":"percent","value":"NaN"}}`), &p)
	requireDecodeFields(t, err, "partner", "tags", "commission")
	require.NoError(t, json.Unmarshal([]byte(`{"key":"p","commission":{"type":"percent","value":"12.5"}}`), &p))
	requireDecimal(t, "12.5", p.Commission.Value)
}

// A body that is not JSON is no field's error: encoding/json's
// *json.SyntaxError.
func TestDecodeSyntaxError(t *testing.T) {
	var in commission.TransactionInput
	err := json.Unmarshal([]byte(`{"amount":`), &in)
	var syntax *json.SyntaxError
	require.ErrorAs(t, err, &syntax)
	require.NotErrorIs(t, err, commission.ErrInvalid)
}

func requireDecodeFields(t *testing.T, err error, what string, paths ...string) {
	t.Helper()
	require.ErrorIs(t, err, commission.ErrInvalid, what)
	var verr *commission.ValidationError
	require.ErrorAs(t, err, &verr, what)
	got := make([]string, len(verr.Fields))
	for i, f := range verr.Fields {
		got[i] = f.Path
		require.NotEmpty(t, f.Message, f.Path)
	}
	require.ElementsMatch(t, paths, got, "%s: %v", brief(what), err)
	require.Less(t, len(err.Error()), 600, "the message stays short")
}

func brief(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

// The money lifecycle's bodies name every field that does not decode.
func TestMoneyBodiesNameFieldsThatDoNotDecode(t *testing.T) {
	var refund commission.RefundInput
	err := json.Unmarshal([]byte(`{"key": 7, "amount": "NaN", "products": [{"product_id": "a", "amount": true}, {"product_id": 3}]}`), &refund)
	requireFields(t, err, "key", "amount", "products[0].amount", "products[1].product_id")
	var payout commission.PayoutInput
	err = json.Unmarshal([]byte(`{"beneficiary": {"key": 7}, "rewards": "x", "amount_units": 1}`), &payout)
	requireFields(t, err, "beneficiary.key", "rewards", "amount_units")
	var partner commission.PartnerInput
	err = json.Unmarshal([]byte(`{"key": "p", "payout_minimum": "Infinity"}`), &partner)
	requireFields(t, err, "payout_minimum")

	require.NoError(t, json.Unmarshal([]byte(`{"key": "r1", "products": [{"product_id": "a", "amount": "1.50"}, {"product_id": "b"}]}`), &refund))
	requireDecimal(t, "1.5", *refund.Products[0].Amount)
	require.Nil(t, refund.Products[1].Amount)
	require.Nil(t, refund.Amount)
	require.NoError(t, json.Unmarshal([]byte(`{"key": "p", "payout_minimum": 20}`), &partner))
	requireDecimal(t, "20", *partner.PayoutMinimum)
}
