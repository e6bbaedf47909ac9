package commission

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Decoding request bodies. The input types decode the documented bodies
// with encoding/json as they are (created_at as a Unix timestamp or an
// RFC 3339 string), and whatever does not decode (a decimal that is NaN,
// Infinity or true, a string where a number belongs, a bad time) is a
// *ValidationError naming each field by its JSON path, as validation
// names the fields that decode but are invalid. A body that is not JSON
// at all is encoding/json's *json.SyntaxError.

// UnmarshalJSON decodes the documented request body.
func (in *TransactionInput) UnmarshalJSON(b []byte) error {
	type plain TransactionInput
	aux := struct {
		*plain
		Amount    json.RawMessage   `json:"amount"`
		Reward    json.RawMessage   `json:"reward"`
		CreatedAt json.RawMessage   `json:"created_at"`
		Products  []json.RawMessage `json:"products"`
		Customer  json.RawMessage   `json:"customer"`
	}{plain: (*plain)(in)}
	d := &fieldDecoder{}
	if err := d.unmarshal("", b, &aux); err != nil {
		return err
	}
	in.Amount = d.decimal("amount", aux.Amount)
	in.Reward = d.decimal("reward", aux.Reward)
	in.CreatedAt = d.time("created_at", aux.CreatedAt)
	in.Products = nil
	if aux.Products != nil {
		in.Products = make([]ProductLine, len(aux.Products))
	}
	for i, raw := range aux.Products {
		d.unmarshal("products["+itoa(i)+"].", raw, &in.Products[i])
	}
	in.Customer = CustomerInput{}
	d.unmarshal("customer.", aux.Customer, &in.Customer)
	return d.err()
}

// UnmarshalJSON remembers a missing product_price, so that validation
// reports it rather than reading it as zero.
func (l *ProductLine) UnmarshalJSON(b []byte) error {
	type plain ProductLine
	aux := struct {
		*plain
		Price json.RawMessage `json:"product_price"`
	}{plain: (*plain)(l)}
	d := &fieldDecoder{}
	if err := d.unmarshal("", b, &aux); err != nil {
		return err
	}
	price := d.decimal("product_price", aux.Price)
	l.noPrice = price == nil
	if price != nil {
		l.ProductPrice = *price
	}
	return d.err()
}

// UnmarshalJSON decodes the documented customer object.
func (in *CustomerInput) UnmarshalJSON(b []byte) error {
	type plain CustomerInput
	aux := struct {
		*plain
		CreatedAt json.RawMessage `json:"created_at"`
	}{plain: (*plain)(in)}
	d := &fieldDecoder{}
	if err := d.unmarshal("", b, &aux); err != nil {
		return err
	}
	in.CreatedAt = d.time("created_at", aux.CreatedAt)
	return d.err()
}

// UnmarshalJSON decodes a partner's body, naming a commission that does
// not decode.
func (in *PartnerInput) UnmarshalJSON(b []byte) error {
	type plain PartnerInput
	aux := struct {
		*plain
		Commission    json.RawMessage `json:"commission"`
		PayoutMinimum json.RawMessage `json:"payout_minimum"`
	}{plain: (*plain)(in)}
	d := &fieldDecoder{}
	if err := d.unmarshal("", b, &aux); err != nil {
		return err
	}
	in.PayoutMinimum = d.decimal("payout_minimum", aux.PayoutMinimum)
	in.Commission = nil
	if present(aux.Commission) {
		in.Commission = new(Commission)
		d.unmarshal("commission.", aux.Commission, in.Commission)
	}
	return d.err()
}

// UnmarshalJSON decodes a refund's body, naming the fields that do not
// decode.
func (in *RefundInput) UnmarshalJSON(b []byte) error {
	type plain RefundInput
	aux := struct {
		*plain
		Amount   json.RawMessage   `json:"amount"`
		Products []json.RawMessage `json:"products"`
	}{plain: (*plain)(in)}
	d := &fieldDecoder{}
	if err := d.unmarshal("", b, &aux); err != nil {
		return err
	}
	in.Amount = d.decimal("amount", aux.Amount)
	in.Products = nil
	if aux.Products != nil {
		in.Products = make([]RefundLine, len(aux.Products))
	}
	for i, raw := range aux.Products {
		d.unmarshal("products["+itoa(i)+"].", raw, &in.Products[i])
	}
	return d.err()
}

// UnmarshalJSON decodes one refunded line, naming an amount that does
// not decode.
func (l *RefundLine) UnmarshalJSON(b []byte) error {
	type plain RefundLine
	aux := struct {
		*plain
		Amount json.RawMessage `json:"amount"`
	}{plain: (*plain)(l)}
	d := &fieldDecoder{}
	if err := d.unmarshal("", b, &aux); err != nil {
		return err
	}
	l.Amount = d.decimal("amount", aux.Amount)
	return d.err()
}

// UnmarshalJSON decodes a payout's body, naming the fields that do not
// decode.
func (in *PayoutInput) UnmarshalJSON(b []byte) error {
	type plain PayoutInput
	aux := struct {
		*plain
		Beneficiary json.RawMessage `json:"beneficiary"`
		Units       json.RawMessage `json:"amount_units"`
		RewardIDs   json.RawMessage `json:"rewards"`
	}{plain: (*plain)(in)}
	d := &fieldDecoder{}
	if err := d.unmarshal("", b, &aux); err != nil {
		return err
	}
	*in = PayoutInput{}
	// Each member apart: encoding/json names only the first that does
	// not decode.
	d.unmarshal("beneficiary.", aux.Beneficiary, &in.Beneficiary)
	d.unmarshal("amount_units", aux.Units, &in.Units)
	d.unmarshal("rewards", aux.RewardIDs, &in.RewardIDs)
	return d.err()
}

// UnmarshalJSON decodes the documented bulk body, naming a bad item's
// fields under transactions[i].
func (in *BulkTransactionsInput) UnmarshalJSON(b []byte) error {
	aux := struct {
		Customer     json.RawMessage   `json:"customer"`
		Options      json.RawMessage   `json:"options"`
		Transactions []json.RawMessage `json:"transactions"`
	}{}
	d := &fieldDecoder{}
	if err := d.unmarshal("", b, &aux); err != nil {
		return err
	}
	*in = BulkTransactionsInput{}
	d.unmarshal("customer.", aux.Customer, &in.Customer)
	d.unmarshal("options.", aux.Options, &in.Options)
	if aux.Transactions != nil {
		in.Transactions = make([]TransactionInput, len(aux.Transactions))
	}
	for i, raw := range aux.Transactions {
		d.unmarshal("transactions["+itoa(i)+"].", raw, &in.Transactions[i])
	}
	return d.err()
}

// fieldDecoder decodes the members of a body that need more than
// encoding/json, and collects what does not decode as field errors.
type fieldDecoder struct{ v validator }

func (d *fieldDecoder) err() error { return d.v.err() }

// present reports whether a member was given, and not as null.
func present(raw json.RawMessage) bool { return len(raw) > 0 && string(raw) != "null" }

// unmarshal decodes raw (absent or null: nothing) into v, collecting its
// errors under prefix; it returns only an error that is no field's, a
// body that is not JSON.
func (d *fieldDecoder) unmarshal(prefix string, raw json.RawMessage, v any) error {
	if !present(raw) {
		return nil
	}
	err := json.Unmarshal(raw, v)
	var syntax *json.SyntaxError
	var verr *ValidationError
	var typ *json.UnmarshalTypeError
	switch {
	case err == nil:
	case errors.As(err, &syntax):
		return err
	case errors.As(err, &verr):
		d.v.fields = append(d.v.fields, verr.under(prefix).Fields...)
	case errors.As(err, &typ):
		// The decoders embed their type as "plain", which encoding/json
		// names in the path.
		field := strings.ReplaceAll(typ.Field, "plain.", "")
		d.v.add(joinPath(prefix, field), "must be "+jsonKind(typ.Type.String())+", not a JSON "+typ.Value)
	default:
		d.v.add(joinPath(prefix, ""), "does not decode: "+brief(err.Error()))
	}
	return nil
}

// jsonKind names a Go type as what it is in JSON.
func jsonKind(goType string) string {
	switch {
	case goType == "string":
		return "a string"
	case goType == "bool", goType == "*bool":
		return "true or false"
	case strings.HasPrefix(goType, "[]"):
		return "an array"
	case strings.HasPrefix(goType, "int"):
		return "an integer"
	}
	return "an object"
}

// decimal decodes an exact decimal given as a JSON number or a string;
// nil when it is absent or null.
func (d *fieldDecoder) decimal(path string, raw json.RawMessage) *decimal.Decimal {
	if !present(raw) {
		return nil
	}
	var v decimal.Decimal
	if err := v.UnmarshalJSON(raw); err != nil {
		d.v.add(path, "is not a decimal number (a JSON number or a string holding one; not NaN or Infinity)")
		return nil
	}
	return &v
}

// time decodes a Unix timestamp in seconds, or an RFC 3339 string; nil
// when it is absent or null.
func (d *fieldDecoder) time(path string, raw json.RawMessage) *time.Time {
	if !present(raw) {
		return nil
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err == nil {
			if n, err := strconv.ParseInt(s, 10, 64); err == nil {
				return unixTime(n)
			}
			if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
				t = t.UTC()
				return &t
			}
		}
		d.v.add(path, "is neither a Unix timestamp nor an RFC 3339 time")
		return nil
	}
	n, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil {
		d.v.add(path, "is not a Unix timestamp in seconds")
		return nil
	}
	return unixTime(n)
}

func unixTime(seconds int64) *time.Time {
	t := time.Unix(seconds, 0).UTC()
	return &t
}
