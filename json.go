package commission

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// The published JSON shapes of the outputs (the inputs' are in
// decode.go), written by hand, member by member, so that amounts are exact
// JSON numbers (29.997, never 29.996999...) whatever the application set
// in shopspring's package globals, and timestamps carry microseconds.

// MarshalJSON writes the documented response object. In refer-a-friend
// programs "customer" is the referring customer and "referred_customer" the
// buyer, and there is no "partner". A converted sale also has "rate".
func (t Transaction) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	w := jsonWriter{buf: &b}
	w.str("key", t.Key)
	w.str("action", t.Action)
	w.num("amount", t.Amount)
	if !t.Refunded.IsZero() {
		w.num("refunded", t.Refunded)
	}
	if t.Kind == ReferAFriend {
		w.strOrNull("customer", t.ReferringCustomerKey)
		w.str("referred_customer", t.CustomerKey)
	} else {
		w.strOrNull("partner", t.PartnerKey)
		w.str("customer", t.CustomerKey)
	}
	w.boolean("credit", t.Credit)
	w.boolean("is_currency", t.IsCurrency)
	w.str("amount_units", t.AmountUnits)
	if t.Rate != nil {
		w.num("rate", *t.Rate)
	}
	w.time("created_at", t.CreatedAt)
	w.timeOrNull("deleted_at", t.DeletedAt)
	w.key("rewards")
	b.WriteByte('[')
	for i := range t.Rewards {
		if i > 0 {
			b.WriteByte(',')
		}
		t.Rewards[i].writeJSON(&b, t.Kind)
	}
	b.WriteString("]}")
	return b.Bytes(), nil
}

// MarshalJSON writes the amounts as exact JSON numbers.
func (e Explanation) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	e.writeJSON(&b)
	return b.Bytes(), nil
}

func (e *Explanation) writeJSON(b *bytes.Buffer) {
	b.WriteByte('{')
	w := jsonWriter{buf: b}
	w.str("rule", e.Rule)
	if e.RuleVersion != "" {
		w.str("rule_version", e.RuleVersion)
	}
	w.str("match", e.Match)
	w.num("base", e.Base)
	if e.Type != "" {
		w.str("type", string(e.Type))
	}
	w.num("value", e.Value)
	if e.Rate != nil {
		w.num("rate", *e.Rate)
		w.str("from", e.From)
	}
	if e.Level != 0 {
		w.key("level")
		b.WriteString(itoa(e.Level))
	}
	if e.Step != 0 {
		w.key("step")
		b.WriteString(itoa(e.Step))
	}
	if e.Rounding != "" {
		w.str("rounding", e.Rounding)
	}
	if e.Exact != nil {
		w.num("exact", *e.Exact)
	}
	w.strs("caps", e.Caps)
	if e.Uncapped != nil {
		w.num("uncapped", *e.Uncapped)
	}
	w.strs("counted", e.Counted)
	if e.Threshold != nil {
		w.num("threshold", *e.Threshold)
	}
	if e.Thresholds != 0 {
		w.key("thresholds")
		b.WriteString(itoa(e.Thresholds))
	}
	if e.Occurrence != 0 {
		w.key("occurrence")
		b.WriteString(itoa(e.Occurrence))
	}
	b.WriteByte('}')
}

// MarshalJSON writes the documented reward object.
func (r Reward) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	r.writeJSON(&b, r.Kind)
	return b.Bytes(), nil
}

// writeJSON writes the reward object with the field names of kind.
func (r *Reward) writeJSON(b *bytes.Buffer, kind ProgramKind) {
	b.WriteByte('{')
	w := jsonWriter{buf: b}
	w.str("id", r.ID)
	w.str("key", r.TransactionKey)
	w.str("action", r.Action)
	w.str("status", string(r.Status))
	if kind == ReferAFriend {
		w.str("customer", r.RewardedCustomerKey)
		w.str("referred_customer", r.CustomerKey)
	} else {
		w.str("customer", r.CustomerKey)
		w.str("partner", r.PartnerKey)
	}
	w.num("amount", r.Amount)
	if !r.Reversed.IsZero() {
		w.num("reversed", r.Reversed)
	}
	w.str("amount_units", r.AmountUnits)
	w.boolean("is_currency", r.IsCurrency)
	w.boolean("credit", r.Credit)
	w.time("created_at", r.CreatedAt)
	w.timeOrNull("deleted_at", r.DeletedAt)
	if r.ReviewEndsAt != nil {
		w.time("review_ends_at", *r.ReviewEndsAt)
	}
	if r.Reason != "" {
		w.str("reason", r.Reason)
	}
	if r.PayoutID != "" {
		w.str("payout", r.PayoutID)
	}
	if r.Line != 0 {
		w.key("line")
		b.WriteString(itoa(r.Line))
	}
	if r.ProductID != "" || r.ProductType != "" {
		w.key("product_type_data")
		b.WriteByte('{')
		pw := jsonWriter{buf: b}
		pw.str("product_id", r.ProductID)
		pw.str("product_type", r.ProductType)
		b.WriteByte('}')
	}
	w.key("explanation")
	r.Explanation.writeJSON(b)
	b.WriteByte('}')
}

// TimeFormat is the layout of every timestamp the engine writes to JSON:
// ISO 8601 in UTC with microseconds.
const TimeFormat = "2006-01-02T15:04:05.000000Z"

// formatDecimal writes d in plain notation with no trailing zeros, whatever
// the application set in shopspring's package globals.
func formatDecimal(d decimal.Decimal) string {
	exp := d.Exponent()
	if exp >= 0 {
		return d.StringFixed(0)
	}
	s := d.StringFixed(-exp)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// jsonWriter writes the members of a JSON object in a fixed order.
type jsonWriter struct {
	buf *bytes.Buffer
	n   int
}

func (w *jsonWriter) key(k string) {
	if w.n > 0 {
		w.buf.WriteByte(',')
	}
	w.n++
	w.buf.WriteByte('"')
	w.buf.WriteString(k)
	w.buf.WriteString(`":`)
}

func (w *jsonWriter) str(k, v string) {
	w.key(k)
	if plainASCII(v) {
		w.buf.WriteByte('"')
		w.buf.WriteString(v)
		w.buf.WriteByte('"')
		return
	}
	b, _ := json.Marshal(v) // a string always marshals
	w.buf.Write(b)
}

// plainASCII reports whether s needs no escaping in JSON (encoding/json
// would also escape <, > and &, which the engine's keys and codes rarely
// hold).
func plainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x80 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}

func (w *jsonWriter) strOrNull(k, v string) {
	if v == "" {
		w.key(k)
		w.buf.WriteString("null")
		return
	}
	w.str(k, v)
}

// strs writes a list of strings, and nothing when it is empty.
func (w *jsonWriter) strs(k string, v []string) {
	if len(v) == 0 {
		return
	}
	w.key(k)
	w.array(v)
}

// array writes a list of strings as a value: [] when it is empty.
func (w *jsonWriter) array(v []string) {
	w.buf.WriteByte('[')
	for i, s := range v {
		if i > 0 {
			w.buf.WriteByte(',')
		}
		b, _ := json.Marshal(s) // a string always marshals
		w.buf.Write(b)
	}
	w.buf.WriteByte(']')
}

func (w *jsonWriter) num(k string, d decimal.Decimal) {
	w.key(k)
	w.buf.WriteString(formatDecimal(d))
}

func (w *jsonWriter) boolean(k string, v bool) {
	w.key(k)
	w.buf.WriteString(strconv.FormatBool(v))
}

func (w *jsonWriter) time(k string, t time.Time) {
	w.key(k)
	w.buf.WriteByte('"')
	w.buf.WriteString(t.UTC().Format(TimeFormat))
	w.buf.WriteByte('"')
}

func (w *jsonWriter) timeOrNull(k string, t *time.Time) {
	if t == nil {
		w.key(k)
		w.buf.WriteString("null")
		return
	}
	w.time(k, *t)
}
