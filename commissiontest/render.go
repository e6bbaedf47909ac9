package commissiontest

import (
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/commissionkit/commission"
)

// Go source of the inputs a history sends, as the regression test writes
// them: only the fields the generators set.

// Dec returns a pointer to the decimal s, which must be valid: how a
// regression test writes an amount that an input takes by pointer.
func Dec(s string) *decimal.Decimal {
	d := decimal.RequireFromString(s)
	return &d
}

// fields renders a composite literal's non-empty fields.
type fields []string

func (f *fields) add(name, value string) { *f = append(*f, name+": "+value) }

func (f fields) lit(typ string) string { return typ + "{" + strings.Join(f, ", ") + "}" }

func quote(s string) string { return strconv.Quote(s) }

func decLit(d decimal.Decimal) string { return "decimal.RequireFromString(" + quote(d.String()) + ")" }

func decPtrLit(d decimal.Decimal) string { return "commissiontest.Dec(" + quote(d.String()) + ")" }

func stringsLit(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = quote(s)
	}
	return "[]string{" + strings.Join(q, ", ") + "}"
}

func goPartnerInput(in commission.PartnerInput) string {
	var f fields
	f.add("Key", quote(in.Key))
	if len(in.Tags) > 0 {
		f.add("Tags", stringsLit(in.Tags))
	}
	if in.ReferringPartner != nil {
		f.add("ReferringPartner", "&commission.PartnerRef{Key: "+quote(in.ReferringPartner.Key)+"}")
	}
	return f.lit("commission.PartnerInput")
}

func goCustomerInput(in commission.CustomerInput) string {
	var f fields
	f.add("Key", quote(in.Key))
	if in.Partner != nil {
		f.add("Partner", "&commission.PartnerRef{Key: "+quote(in.Partner.Key)+"}")
	}
	if in.ReferringCustomer != nil {
		f.add("ReferringCustomer", "&commission.CustomerRef{Key: "+quote(in.ReferringCustomer.Key)+"}")
	}
	return f.lit("commission.CustomerInput")
}

func goTransactionInput(in commission.TransactionInput) string {
	var f fields
	f.add("Key", quote(in.Key))
	if in.Amount != nil {
		f.add("Amount", decPtrLit(*in.Amount))
	}
	if in.AmountUnits != "" {
		f.add("AmountUnits", quote(in.AmountUnits))
	}
	if in.ProductID != "" {
		f.add("ProductID", quote(in.ProductID))
	}
	if in.ProductType != "" {
		f.add("ProductType", quote(in.ProductType))
	}
	if len(in.Products) > 0 {
		lines := make([]string, len(in.Products))
		for i, l := range in.Products {
			var lf fields
			lf.add("ProductID", quote(l.ProductID))
			if l.ProductType != "" {
				lf.add("ProductType", quote(l.ProductType))
			}
			lf.add("ProductPrice", decLit(l.ProductPrice))
			lines[i] = lf.lit("")
		}
		f.add("Products", "[]commission.ProductLine{"+strings.Join(lines, ", ")+"}")
	}
	f.add("Customer", "commission.CustomerInput{Key: "+quote(in.Customer.Key)+"}")
	return f.lit("commission.TransactionInput")
}

func goRefundInput(in commission.RefundInput) string {
	var f fields
	f.add("Key", quote(in.Key))
	if in.Amount != nil {
		f.add("Amount", decPtrLit(*in.Amount))
	}
	if len(in.Products) > 0 {
		lines := make([]string, len(in.Products))
		for i, l := range in.Products {
			var lf fields
			lf.add("ProductID", quote(l.ProductID))
			if l.Amount != nil {
				lf.add("Amount", decPtrLit(*l.Amount))
			}
			lines[i] = lf.lit("")
		}
		f.add("Products", "[]commission.RefundLine{"+strings.Join(lines, ", ")+"}")
	}
	return f.lit("commission.RefundInput")
}

func goPayoutInput(in commission.PayoutInput) string {
	var f fields
	f.add("Beneficiary", "commission.Beneficiary{Key: "+quote(in.Beneficiary.Key)+"}")
	if in.Units != "" {
		f.add("Units", quote(in.Units))
	}
	return f.lit("commission.PayoutInput")
}

// goDuration writes d in its largest whole unit: "48 * time.Hour".
func goDuration(d time.Duration) string {
	for _, u := range []struct {
		d    time.Duration
		name string
	}{{time.Hour, "time.Hour"}, {time.Minute, "time.Minute"}, {time.Second, "time.Second"}} {
		if d%u.d == 0 {
			return strconv.FormatInt(int64(d/u.d), 10) + " * " + u.name
		}
	}
	return "time.Duration(" + strconv.FormatInt(int64(d), 10) + ")"
}
