package commission

import (
	"bytes"
)

// The JSON of the money lifecycle's outputs, written member by member as
// the transaction's is (json.go), so that amounts are exact JSON numbers.

func (w *jsonWriter) earner(k string, e Earner) {
	w.key(k)
	w.buf.WriteByte('{')
	ew := jsonWriter{buf: w.buf}
	ew.str("kind", string(e.Kind))
	ew.str("id", e.ID)
	w.buf.WriteByte('}')
}

// MarshalJSON writes the amounts as exact JSON numbers.
func (en Entry) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	en.writeJSON(&b)
	return b.Bytes(), nil
}

func (en *Entry) writeJSON(b *bytes.Buffer) {
	b.WriteByte('{')
	w := jsonWriter{buf: b}
	w.str("id", en.ID)
	w.str("reward", en.RewardID)
	w.str("key", en.TransactionKey)
	w.str("reason", string(en.Reason))
	if en.RefundKey != "" {
		w.str("refund", en.RefundKey)
	}
	w.earner("earner", en.Earner)
	w.num("amount", en.Amount)
	w.str("amount_units", en.Units)
	w.time("created_at", en.CreatedAt)
	w.boolean("adjustment", en.Adjustment)
	if en.PayoutID != "" {
		w.str("payout", en.PayoutID)
	}
	b.WriteByte('}')
}

// MarshalJSON writes the amounts as exact JSON numbers.
func (r Refund) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	w := jsonWriter{buf: &b}
	w.str("key", r.Key)
	w.str("transaction", r.TransactionKey)
	w.num("amount", r.Amount)
	if len(r.Lines) > 0 {
		w.key("products")
		b.WriteByte('[')
		for i, l := range r.Lines {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('{')
			lw := jsonWriter{buf: &b}
			lw.str("product_id", l.ProductID)
			if l.Amount != nil {
				lw.num("amount", *l.Amount)
			}
			b.WriteByte('}')
		}
		b.WriteByte(']')
	}
	w.time("created_at", r.CreatedAt)
	w.key("entries")
	b.WriteByte('[')
	for i := range r.Entries {
		if i > 0 {
			b.WriteByte(',')
		}
		r.Entries[i].writeJSON(&b)
	}
	b.WriteString("]}")
	return b.Bytes(), nil
}

// MarshalJSON writes the amounts as exact JSON numbers.
func (p Payout) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	w := jsonWriter{buf: &b}
	w.str("id", p.ID)
	w.earner("earner", p.Earner)
	w.str("earner_key", p.EarnerKey)
	w.num("amount", p.Amount)
	w.str("amount_units", p.Units)
	w.str("state", string(p.State))
	w.key("rewards")
	w.array(p.RewardIDs)
	w.key("entries")
	w.array(p.EntryIDs)
	w.time("created_at", p.CreatedAt)
	w.timeOrNull("paid_at", p.PaidAt)
	w.timeOrNull("canceled_at", p.CanceledAt)
	w.strOrNull("reference", p.Reference)
	b.WriteByte('}')
	return b.Bytes(), nil
}

// MarshalJSON writes the amounts as exact JSON numbers.
func (b Balance) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	w := jsonWriter{buf: &buf}
	w.earner("earner", b.Earner)
	w.str("earner_key", b.EarnerKey)
	w.str("amount_units", b.Units)
	w.time("as_of", b.AsOf)
	w.num("pending", b.Pending)
	w.num("not_paid", b.NotPaid)
	w.num("in_payout", b.InPayout)
	w.num("paid", b.Paid)
	w.num("clawback", b.Clawback)
	w.num("payable", b.Payable)
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// MarshalJSON writes the amounts as exact JSON numbers.
func (p EarningsPeriod) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	w := jsonWriter{buf: &b}
	w.time("start", p.Start)
	w.key("rewards")
	b.WriteString(itoa(p.Rewards))
	w.num("earned", p.Earned)
	w.num("reversed", p.Reversed)
	w.num("net", p.Net)
	b.WriteByte('}')
	return b.Bytes(), nil
}
