package storetest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/commissionkit/commission"
)

// The hostile inputs, by what they attack. Each engine starts with
// partner p (p@x.test), its customer c (c@x.test) and c's sale s0 (see
// hostileEngine); the program is affiliate, in USD, pays 10% and knows
// the custom unit POINTS.

func hostileCases() []hostileCase {
	var all []hostileCase
	for _, group := range [][]hostileCase{
		amountCases(), keyCases(), emailCases(), currencyCases(), timeCases(),
		sizeCases(), bodyCases(), bulkCases(), partnerCases(), customerCases(),
	} {
		all = append(all, group...)
	}
	return all
}

// Long values: a key one byte too long, and a megabyte.
var (
	key255 = strings.Repeat("k", 255)
	key256 = strings.Repeat("k", 256)
	mega   = strings.Repeat("m", 1<<20)
)

// Values whose errors must not quote them whole: 255 control characters,
// each four bytes quoted, in JSON; and an email of 255 bytes that lowers to
// 355 (Ⱥ, U+023A, lowers to ⱥ, U+2C65, a byte longer).
var (
	control255  = strings.Repeat(`\u0001`, 255)
	growingMail = strings.Repeat("Ⱥ", 100) + "@" + strings.Repeat("a", 54)
)

// Amounts that are no decimal, out of range, or in a form to read exactly.
func amountCases() []hostileCase {
	return []hostileCase{
		{name: "amount NaN", body: `{"key":"h","amount":"NaN","customer":{"key":"c"}}`, fields: []string{"amount"}},
		{name: "amount Infinity", body: `{"key":"h","amount":"Infinity","customer":{"key":"c"}}`, fields: []string{"amount"}},
		{name: "amount -Infinity", body: `{"key":"h","amount":"-Infinity","customer":{"key":"c"}}`, fields: []string{"amount"}},
		{name: "amount negative", body: `{"key":"h","amount":-1,"customer":{"key":"c"}}`, fields: []string{"amount"}},
		{name: "amount 1e21", body: `{"key":"h","amount":1e21,"customer":{"key":"c"}}`, fields: []string{"amount"}},
		{name: "amount of 30 places", body: `{"key":"h","amount":0.123456789012345678901234567890,"customer":{"key":"c"}}`, fields: []string{"amount"}},
		{name: "amount true", body: `{"key":"h","amount":true,"customer":{"key":"c"}}`, fields: []string{"amount"}},
		{name: "amount an object", body: `{"key":"h","amount":{},"customer":{"key":"c"}}`, fields: []string{"amount"}},
		{name: "amount missing", body: `{"key":"h","customer":{"key":"c"}}`, fields: []string{"amount"}},
		{name: "reward negative", body: `{"key":"h","amount":1,"reward":-5,"customer":{"key":"c"}}`, fields: []string{"reward"}},
		{name: "reward NaN", body: `{"key":"h","amount":1,"reward":"NaN","customer":{"key":"c"}}`, fields: []string{"reward"}},
		// The amount a sale without one takes from its lines is checked too.
		{name: "product price negative", body: `{"key":"h","customer":{"key":"c"},"products":[{"product_id":"a","product_price":-1}]}`,
			fields: []string{"products[0].product_price"}}, // not the amount the caller never sent
		{name: "product price missing", body: `{"key":"h","customer":{"key":"c"},"products":[{"product_id":"a"}]}`,
			fields: []string{"products[0].product_price"}},
		{name: "amount not the sum of the prices", body: `{"key":"h","amount":5,"customer":{"key":"c"},"products":[{"product_id":"a","product_price":1}]}`,
			fields: []string{"amount"}},
		{name: "amount of 30 places, all zeros after 1", body: `{"key":"h","amount":1.000000000000000000000000000000,"customer":{"key":"c"}}`,
			stored: onSale(func(t *testing.T, _ *commission.Engine, tr *commission.Transaction) {
				requireDecimal(t, dec("1"), tr.Amount, "amount")
				requireDecimal(t, dec("0.1"), tr.Rewards[0].Amount, "reward")
			})},
		{name: "amount the largest storable", body: `{"key":"h","amount":"99999999999999999999.999999999999999999","customer":{"key":"c"}}`,
			stored: onSale(func(t *testing.T, _ *commission.Engine, tr *commission.Transaction) {
				requireDecimal(t, dec("99999999999999999999.999999999999999999"), tr.Amount, "amount")
				// 10% has 19 places: storage keeps 18, rounding half to even.
				requireDecimal(t, dec("10000000000000000000"), tr.Rewards[0].Amount, "reward")
				require.Equal(t, commission.StorageRounding, tr.Rewards[0].Explanation.Rounding)
			})},
		{name: "amount in a string", body: `{"key":"h","amount":"12.50","customer":{"key":"c"}}`,
			stored: onSale(func(t *testing.T, _ *commission.Engine, tr *commission.Transaction) {
				requireDecimal(t, dec("12.5"), tr.Amount, "amount")
				requireDecimal(t, dec("1.25"), tr.Rewards[0].Amount, "reward")
			})},
	}
}

// SQL metacharacters, stored byte for byte and found by exactly
// themselves.
var (
	sqlInjection = `'; DROP TABLE commission_transactions; --`
	sqlQuotes    = `a\b"c'd` + "`e"
)

// Keys, ids, actions and products: empty, too long, not UTF-8, with NUL,
// reserved, and SQL metacharacters.
func keyCases() []hostileCase {
	return []hostileCase{
		{name: "key of 256 bytes", body: `{"key":"` + key256 + `","amount":1,"customer":{"key":"c"}}`, fields: []string{"key"}},
		{name: "key of a megabyte", body: `{"key":"` + mega + `","amount":1,"customer":{"key":"c"}}`, fields: []string{"key"}},
		{name: "key of 255 bytes", body: `{"key":"` + key255 + `","amount":1,"customer":{"key":"c"}}`, stored: saleKeyed(key255)},
		{name: "key not UTF-8", in: &commission.TransactionInput{Key: "a\xffb", Amount: amount("1"),
			Customer: commission.CustomerInput{Key: "c"}}, fields: []string{"key"}},
		// encoding/json reads invalid UTF-8 as U+FFFD, as it documents.
		{name: "key not UTF-8 in JSON", body: "{\"key\":\"a\xffb\",\"amount\":1,\"customer\":{\"key\":\"c\"}}", stored: saleKeyed("a\uFFFDb")},
		{name: "key with NUL", body: `{"key":"a\u0000b","amount":1,"customer":{"key":"c"}}`, fields: []string{"key"}},
		{name: "key reserved for signups", body: `{"key":"signup:x","amount":1,"customer":{"key":"c"}}`, fields: []string{"key"}},
		{name: "key empty", body: `{"key":"","amount":1,"customer":{"key":"c"}}`,
			stored: onSale(func(t *testing.T, _ *commission.Engine, tr *commission.Transaction) {
				require.NotEmpty(t, tr.Key, "a key is generated")
			})},
		{name: "key of SQL", body: `{"key":"'; DROP TABLE commission_transactions; --","amount":1,"customer":{"key":"c"}}`, stored: saleKeyed(sqlInjection)},
		{name: "key of quotes and a backslash", body: `{"key":"a\\b\"c'd` + "`e" + `","amount":1,"customer":{"key":"c"}}`, stored: saleKeyed(sqlQuotes)},
		{name: "key %", body: `{"key":"%","amount":1,"customer":{"key":"c"}}`, stored: saleKeyed("%")},
		{name: "key _", body: `{"key":"_","amount":1,"customer":{"key":"c"}}`, stored: saleKeyed("_")},
		{name: "customer named by nothing", body: `{"key":"h","amount":1,"customer":{}}`, fields: []string{"customer.key"}},
		{name: "customer key of 256 bytes", body: `{"key":"h","amount":1,"customer":{"key":"` + key256 + `"}}`, fields: []string{"customer.key"}},
		{name: "customer key with NUL", body: `{"key":"h","amount":1,"customer":{"key":"c\u0000"}}`, fields: []string{"customer.key"}},
		{name: "customer id not UTF-8", in: &commission.TransactionInput{Key: "h", Amount: amount("1"),
			Customer: commission.CustomerInput{ID: "c\xff"}}, fields: []string{"customer.id"}},
		{name: "customer key of SQL", body: `{"key":"h","amount":1,"customer":{"key":"' OR '1'='1"}}`, want: commission.ErrCustomerNotFound},
		{name: "customer key %", body: `{"key":"h","amount":1,"customer":{"key":"%"}}`, want: commission.ErrCustomerNotFound},
		{name: "customer key of control characters", body: `{"key":"h","amount":1,"customer":{"key":"` + control255 + `"}}`,
			want: commission.ErrCustomerNotFound},
		{name: "action with NUL", body: `{"key":"h","amount":1,"action":"sale\u0000","customer":{"key":"c"}}`, fields: []string{"action"}},
		{name: "product_id of 256 bytes", body: `{"key":"h","amount":1,"product_id":"` + key256 + `","customer":{"key":"c"}}`, fields: []string{"product_id"}},
		{name: "product line without product_id", body: `{"key":"h","customer":{"key":"c"},"products":[{"product_price":1}]}`,
			fields: []string{"products[0].product_id"}},
		{name: "product_id beside products", body: `{"key":"h","product_id":"x","customer":{"key":"c"},"products":[{"product_id":"a","product_price":1}]}`,
			fields: []string{"product_id"}},
		{name: "duplicate key", body: `{"key":"s0","amount":1,"customer":{"key":"c"}}`, want: commission.ErrDuplicateKey},
	}
}

// Emails: without @, too long, and in upper case (kept in lower case and
// found in any case).
func emailCases() []hostileCase {
	return []hostileCase{
		{name: "customer email without @", body: `{"key":"h","amount":1,"customer":{"email":"c.x.test"}}`, fields: []string{"customer.email"}},
		{name: "customer email without local part", body: `{"key":"h","amount":1,"customer":{"email":"@x.test"}}`, fields: []string{"customer.email"}},
		{name: "customer email of 256 bytes", body: `{"key":"h","amount":1,"customer":{"email":"` + key256[:249] + `@x.test"}}`,
			fields: []string{"customer.email"}},
		{name: "sale's customer email in upper case", body: `{"key":"h","amount":1,"customer":{"email":"C@X.TEST"}}`,
			stored: onSale(func(t *testing.T, _ *commission.Engine, tr *commission.Transaction) {
				require.Equal(t, "c", tr.CustomerKey, "the customer is found in any case")
			})},
		{name: "new customer's email in upper case", body: `{"key":"h","amount":1,"customer":{"key":"n","email":"New@X.TEST","partner":{"key":"p"}},"options":{"create_customer":true}}`,
			stored: onSale(func(t *testing.T, eng *commission.Engine, tr *commission.Transaction) {
				requireCustomerEmail(t, eng, "n", "new@x.test", "NEW@x.test")
			})},
		{name: "new customer's email without @", body: `{"key":"h","amount":1,"customer":{"key":"n","email":"n","partner":{"key":"p"}},"options":{"create_customer":true}}`,
			fields: []string{"customer.email"}},
		{name: "new customer's partner email with NUL", body: `{"key":"h","amount":1,"customer":{"key":"n","partner":{"email":"p\u0000@x.test"}},"options":{"create_customer":true}}`,
			fields: []string{"customer.partner.email"}},
	}
}

// Currencies: lower case (read in upper case), unknown, short, a symbol,
// a custom unit in the wrong case, and one with no rate source.
func currencyCases() []hostileCase {
	units := func(u string) string {
		return `{"key":"h","amount":1,"amount_units":"` + u + `","customer":{"key":"c"}}`
	}
	return []hostileCase{
		{name: "currency usd", body: units("usd"), stored: onSale(func(t *testing.T, _ *commission.Engine, tr *commission.Transaction) {
			require.Equal(t, "USD", tr.AmountUnits)
			require.True(t, tr.IsCurrency)
			require.Equal(t, "USD", tr.Rewards[0].AmountUnits)
		})},
		{name: "currency XYZ", body: units("XYZ"), fields: []string{"amount_units"}},
		{name: "currency US", body: units("US"), fields: []string{"amount_units"}},
		{name: "currency €", body: units("€"), fields: []string{"amount_units"}},
		{name: "currency of a megabyte", body: units(mega), fields: []string{"amount_units"}},
		{name: "custom unit in the wrong case", body: units("points"), fields: []string{"amount_units"}},
		{name: "custom unit", body: units("POINTS"), stored: onSale(func(t *testing.T, _ *commission.Engine, tr *commission.Transaction) {
			require.Equal(t, "POINTS", tr.AmountUnits)
			require.False(t, tr.IsCurrency)
		})},
		{name: "currency with no rate source", body: units("EUR"), fields: []string{"amount_units"}},
	}
}

// created_at: before 1970, in the future, not a time, and the edges kept.
func timeCases() []hostileCase {
	at := func(v string) string {
		return `{"key":"h","amount":1,"created_at":` + v + `,"customer":{"key":"c"}}`
	}
	return []hostileCase{
		{name: "created_at before 1970", body: at(`-1`), fields: []string{"created_at"}},
		{name: "created_at in 1900", body: at(`"1900-01-01T00:00:00Z"`), fields: []string{"created_at"}},
		{name: "created_at in 3000", body: at(`32503680000`), fields: []string{"created_at"}},
		{name: "created_at the largest int64", body: at(`9223372036854775807`), fields: []string{"created_at"}},
		{name: "created_at past int64", body: at(`9223372036854775808`), fields: []string{"created_at"}},
		{name: "created_at 1e30", body: at(`1e30`), fields: []string{"created_at"}},
		{name: "created_at not a time", body: at(`"yesterday"`), fields: []string{"created_at"}},
		{name: "created_at true", body: at(`true`), fields: []string{"created_at"}},
		{name: "created_at the epoch", body: at(`0`), stored: onSale(func(t *testing.T, _ *commission.Engine, tr *commission.Transaction) {
			requireTime(t, time.Unix(0, 0), tr.CreatedAt, "created_at")
			require.True(t, tr.Backdated)
		})},
		{name: "created_at in nanoseconds", body: at(`"2025-05-31T23:59:59.123456789Z"`),
			stored: onSale(func(t *testing.T, _ *commission.Engine, tr *commission.Transaction) {
				requireTime(t, time.Date(2025, 5, 31, 23, 59, 59, 123456000, time.UTC), tr.CreatedAt, "created_at, to the microsecond")
			})},
		{name: "new customer's created_at in 1800", body: `{"key":"h","amount":1,"customer":{"key":"n","created_at":"1800-01-01T00:00:00Z","partner":{"key":"p"}},"options":{"create_customer":true}}`,
			fields: []string{"customer.created_at"}},
	}
}

// Oversized lines, tags and names.
func sizeCases() []hostileCase {
	lines := func(n int) string {
		return `{"key":"h","customer":{"key":"c"},"products":` + jsonList(n, `{"product_id":"p%d","product_price":1}`) + `}`
	}
	return []hostileCase{
		{name: "1001 product lines", body: lines(1001), fields: []string{"products"}},
		{name: "1000 product lines", body: lines(1000), stored: onSale(func(t *testing.T, _ *commission.Engine, tr *commission.Transaction) {
			require.Len(t, tr.Products, 1000)
			require.Len(t, tr.Rewards, 1000)
			requireDecimal(t, dec("1000"), tr.Amount, "the amount is the sum of the prices")
		})},
		{name: "new customer with 101 tags", body: `{"key":"h","amount":1,"customer":{"key":"n","tags":` + jsonList(101, `"t%d"`) + `,"partner":{"key":"p"}},"options":{"create_customer":true}}`,
			fields: []string{"customer.tags"}},
		{name: "new customer named by a megabyte", body: `{"key":"h","amount":1,"customer":{"key":"n","name":"` + mega + `","partner":{"key":"p"}},"options":{"create_customer":true}}`,
			fields: []string{"customer.name"}},
	}
}

// Bodies that are deep, repeat members, carry unknown ones, or are no
// object at all.
func bodyCases() []hostileCase {
	deep := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	return []hostileCase{
		{name: "amount nested 10,000 deep", body: `{"key":"h","amount":` + deep(10_000) + `,"customer":{"key":"c"}}`, syntax: true},
		{name: "unknown member nested 10,000 deep", body: `{"key":"h","amount":1,"x":` + deep(10_000) + `,"customer":{"key":"c"}}`, syntax: true},
		{name: "amount nested 1,000 deep", body: `{"key":"h","amount":` + deep(1000) + `,"customer":{"key":"c"}}`, fields: []string{"amount"}},
		// encoding/json ignores unknown members and keeps a repeated
		// member's last value.
		{name: "unknown members", body: `{"key":"h","amount":1,"x":` + deep(1000) + `,"y":{"amount":5},"customer":{"key":"c","z":1}}`,
			stored: onSale(func(t *testing.T, _ *commission.Engine, tr *commission.Transaction) {
				requireDecimal(t, dec("1"), tr.Amount, "amount")
			})},
		{name: "repeated member", body: `{"key":"h","amount":1,"amount":2,"customer":{"key":"c"}}`,
			stored: onSale(func(t *testing.T, _ *commission.Engine, tr *commission.Transaction) {
				requireDecimal(t, dec("2"), tr.Amount, "amount")
			})},
		{name: "body cut short", body: `{"key":"h","amount":`, syntax: true},
		{name: "body empty", body: ``, syntax: true},
		{name: "body null", body: `null`, fields: []string{"amount", "customer.key"}},
		// A body of JSON that is not an object has no field to name: its
		// error's path is empty, the whole body.
		{name: "body an array", body: `[]`, fields: []string{""}},
		{name: "body a string", body: `"sale"`, fields: []string{""}},
	}
}

// Bulks: too many, none, keys repeated, a bad item, and the most allowed.
func bulkCases() []hostileCase {
	bulk := func(items string) string { return `{"customer":{"key":"c"},"transactions":` + items + `}` }
	return []hostileCase{
		{name: "bulk of MaxBulk+1", op: opBulk, body: bulk(jsonList(commission.MaxBulk+1, `{"key":"b%d","amount":1}`)),
			fields: []string{"transactions"}},
		{name: "bulk of MaxBulk", op: opBulk, body: bulk(jsonList(commission.MaxBulk, `{"key":"b%d","amount":1}`)),
			stored: func(t *testing.T, eng *commission.Engine, out any) {
				require.Len(t, out, commission.MaxBulk)
				all := listAll(t, eng, commission.ListOptions{Limit: commission.MaxLimit})
				require.Len(t, all, commission.MaxBulk+1, "the bulk and s0")
			}},
		{name: "bulk empty", op: opBulk, body: bulk(`[]`), fields: []string{"transactions"}},
		{name: "bulk without transactions", op: opBulk, body: `{"customer":{"key":"c"}}`, fields: []string{"transactions"}},
		{name: "bulk repeating a key", op: opBulk, body: bulk(`[{"key":"b","amount":1},{"key":"b","amount":2}]`),
			fields: []string{"transactions[1].key"}},
		{name: "bulk with an amount NaN", op: opBulk, body: bulk(`[{"key":"b1","amount":1},{"key":"b2","amount":"NaN"}]`),
			fields: []string{"transactions[1].amount"}},
		{name: "bulk with an amount negative", op: opBulk, body: bulk(`[{"key":"b1","amount":1},{"key":"b2","amount":1},{"key":"b3","amount":-1}]`),
			fields: []string{"transactions[2].amount"}},
		{name: "bulk for an unknown customer", op: opBulk, body: `{"customer":{"key":"nobody"},"transactions":[{"key":"b1","amount":1}]}`,
			want: commission.ErrCustomerNotFound},
		{name: "bulk reusing a stored key", op: opBulk, body: bulk(`[{"key":"b1","amount":1},{"key":"s0","amount":1}]`),
			want: commission.ErrDuplicateKey},
		{name: "bulk nested 10,000 deep", op: opBulk, body: bulk(strings.Repeat("[", 10_000) + strings.Repeat("]", 10_000)), syntax: true},
	}
}

// Partners: bad keys, emails, tags, statuses, references and commissions,
// and what is accepted as documented.
func partnerCases() []hostileCase {
	return []hostileCase{
		{name: "partner key of 256 bytes", op: opPartner, body: `{"key":"` + key256 + `"}`, fields: []string{"key"}},
		{name: "partner id with NUL", op: opPartner, body: `{"id":"a\u0000"}`, fields: []string{"id"}},
		{name: "partner id not UTF-8", op: opPartner, in: &commission.PartnerInput{ID: "\xff"}, fields: []string{"id"}},
		{name: "partner email without @", op: opPartner, body: `{"key":"q","email":"q"}`, fields: []string{"email"}},
		{name: "partner email ending in @", op: opPartner, body: `{"key":"q","email":"q@"}`, fields: []string{"email"}},
		{name: "partner email of 256 bytes", op: opPartner, body: `{"key":"q","email":"` + key256[:249] + `@x.test"}`, fields: []string{"email"}},
		{name: "partner email in upper case", op: opPartner, body: `{"key":"q","email":"Q@X.Test"}`,
			stored: onPartner(func(t *testing.T, eng *commission.Engine, p *commission.Partner) {
				requirePartnerEmail(t, eng, "q", "q@x.test", "q@X.TEST")
			})},
		{name: "partner email taken in other case", op: opPartner, body: `{"key":"q","email":"P@X.TEST"}`, want: commission.ErrDuplicateKey},
		{name: "partner key taken", op: opPartner, body: `{"key":"p"}`, want: commission.ErrDuplicateKey},
		{name: "partner key taken, by an id of control characters", op: opPartner, body: `{"key":"p","id":"` + control255 + `"}`,
			want: commission.ErrDuplicateKey},
		{name: "partner email in upper case beyond ASCII", op: opPartner, body: `{"key":"q","email":"ȺÉ@X.TEST"}`,
			stored: onPartner(func(t *testing.T, eng *commission.Engine, p *commission.Partner) {
				requirePartnerEmail(t, eng, "q", "ⱥé@x.test", "ⱥÉ@x.Test")
			})},
		{name: "partner email longer than 255 bytes in lower case", op: opPartner, body: `{"key":"q","email":"` + growingMail + `"}`,
			fields: []string{"email"}},
		{name: "partner named by a megabyte", op: opPartner, body: `{"key":"q","name":"` + mega + `"}`, fields: []string{"name"}},
		{name: "partner with 101 tags", op: opPartner, body: `{"key":"q","tags":` + jsonList(101, `"t%d"`) + `}`, fields: []string{"tags"}},
		{name: "partner tags empty and long", op: opPartner, body: `{"key":"q","tags":["a","","b","` + key256 + `"]}`,
			fields: []string{"tags[1]", "tags[3]"}},
		{name: "partner tags nested 10,000 deep", op: opPartner, body: `{"key":"q","tags":` + strings.Repeat("[", 10_000) + strings.Repeat("]", 10_000) + `}`,
			syntax: true},
		{name: "partner status unknown", op: opPartner, body: `{"key":"q","status":"boss"}`, fields: []string{"status"}},
		{name: "partner referred by nobody", op: opPartner, body: `{"key":"q","referring_partner":{}}`, fields: []string{"referring_partner"}},
		{name: "partner referred by an unknown partner", op: opPartner, body: `{"key":"q","referring_partner":{"key":"' OR 1=1 --"}}`,
			want: commission.ErrPartnerNotFound},
		{name: "partner referred by a key with NUL", op: opPartner, body: `{"key":"q","referring_partner":{"key":"p\u0000"}}`,
			fields: []string{"referring_partner.key"}},
		{name: "partner commission NaN", op: opPartner, body: `{"key":"q","commission":{"type":"percent","value":"NaN"}}`, fields: []string{"commission"}},
		{name: "partner commission over 100%", op: opPartner, body: `{"key":"q","commission":{"type":"percent","value":101}}`, fields: []string{"commission.value"}},
		{name: "partner commission of no type", op: opPartner, body: `{"key":"q","commission":{"type":"bribe","value":1}}`, fields: []string{"commission.type"}},
		{name: "partner of SQL", op: opPartner, body: `{"key":"%","id":"_","name":"Robert'); DROP TABLE commission_partners;--","surname":"a\\b\"c'd` + "`e" + `","tags":["%","_","\\"]}`,
			stored: onPartner(func(t *testing.T, eng *commission.Engine, p *commission.Partner) {
				require.Equal(t, "%", p.Key)
				require.Equal(t, "_", p.ID)
				require.Equal(t, "Robert'); DROP TABLE commission_partners;--", p.Name)
				require.Equal(t, sqlQuotes, p.Surname)
				require.Equal(t, []string{"%", "_", `\`}, p.Tags)
				found, err := eng.Partner(ctx, commission.PartnerRef{Key: "%"})
				require.NoError(t, err)
				require.Equal(t, "_", found.ID)
				_, err = eng.Partner(ctx, commission.PartnerRef{ID: "p_"})
				requireNotFound(t, err, "a partner id of _ matches only itself")
			})},
		{name: "partner with no id or key", op: opPartner, body: `{"email":"q@x.test"}`,
			stored: onPartner(func(t *testing.T, _ *commission.Engine, p *commission.Partner) {
				require.NotEmpty(t, p.ID, "an id is generated")
				require.Equal(t, p.ID, p.Key, "the key is the id")
			})},
	}
}

// Customers: bad keys, emails, times and attribution, and what is
// accepted as documented.
func customerCases() []hostileCase {
	return []hostileCase{
		{name: "customer key of 256 bytes", op: opCustomer, body: `{"key":"` + key256 + `","partner":{"key":"p"}}`, fields: []string{"key"}},
		{name: "customer email without @", op: opCustomer, body: `{"key":"n","email":"n","partner":{"key":"p"}}`, fields: []string{"email"}},
		{name: "customer created with an email in upper case", op: opCustomer, body: `{"key":"n","email":"N@X.TEST","partner":{"key":"p"}}`,
			stored: onCustomer(func(t *testing.T, eng *commission.Engine, c *commission.Customer) {
				requireCustomerEmail(t, eng, "n", "n@x.test", "n@X.test")
			})},
		{name: "customer email taken in other case", op: opCustomer, body: `{"key":"n","email":"C@x.test","partner":{"key":"p"}}`,
			want: commission.ErrDuplicateKey},
		{name: "customer of an unknown partner", op: opCustomer, body: `{"key":"n","partner":{"key":"nobody"}}`, want: commission.ErrPartnerNotFound},
		{name: "customer of a partner keyed by control characters", op: opCustomer, body: `{"key":"n","partner":{"key":"` + control255 + `"}}`,
			want: commission.ErrPartnerNotFound},
		{name: "customer of a partner key with NUL", op: opCustomer, body: `{"key":"n","partner":{"key":"p\u0000"}}`, fields: []string{"partner.key"}},
		{name: "customer of a partner id not UTF-8", op: opCustomer, in: &commission.CustomerInput{Key: "n",
			Partner: &commission.PartnerRef{ID: "p\xff"}}, fields: []string{"partner.id"}},
		{name: "customer of a partner key of a megabyte", op: opCustomer, body: `{"key":"n","partner":{"key":"` + mega + `"}}`, fields: []string{"partner.key"}},
		{name: "customer email longer than 255 bytes in lower case", op: opCustomer, body: `{"key":"n","email":"` + growingMail + `","partner":{"key":"p"}}`,
			fields: []string{"email"}},
		{name: "customer of no partner", op: opCustomer, body: `{"key":"n"}`, fields: []string{"partner"}},
		{name: "customer referred by a customer, in an affiliate program", op: opCustomer, body: `{"key":"n","partner":{"key":"p"},"referring_customer":{"key":"c"}}`,
			fields: []string{"referring_customer"}},
		{name: "customer created before 1970", op: opCustomer, body: `{"key":"n","created_at":-86400,"partner":{"key":"p"}}`, fields: []string{"created_at"}},
		{name: "customer created in 3000", op: opCustomer, body: `{"key":"n","created_at":"3000-01-01T00:00:00Z","partner":{"key":"p"}}`, fields: []string{"created_at"}},
		{name: "customer with 101 tags", op: opCustomer, body: `{"key":"n","tags":` + jsonList(101, `"t%d"`) + `,"partner":{"key":"p"}}`, fields: []string{"tags"}},
		{name: "customer surnamed by a megabyte", op: opCustomer, body: `{"key":"n","surname":"` + mega + `","partner":{"key":"p"}}`, fields: []string{"surname"}},
		{name: "referral URL naming no partner", op: opCustomer, body: `{"key":"n","referral_url":"https://shop.test/%zz"}`, fields: []string{"referral_url"}},
		{name: "referral URL naming NUL", op: opCustomer, body: `{"key":"n","referral_url":"https://shop.test/?aff=p%00"}`, fields: []string{"referral_url"}},
		{name: "referral URL naming invalid UTF-8", op: opCustomer, body: `{"key":"n","referral_url":"https://shop.test/aff/p%FF"}`, fields: []string{"referral_url"}},
		{name: "referral URL naming SQL", op: opCustomer, body: `{"key":"n","referral_url":"https://shop.test/?aff=%27%20OR%201%3D1%20--"}`,
			want: commission.ErrPartnerNotFound},
		{name: "referral URL", op: opCustomer, body: `{"key":"n","referral_url":"https://shop.test/pricing?aff=p&x=%00"}`,
			stored: onCustomer(func(t *testing.T, _ *commission.Engine, c *commission.Customer) {
				require.Equal(t, "p", c.PartnerKey)
			})},
	}
}

// jsonList is a JSON array of n items, each format with its index.
func jsonList(n int, format string) string {
	items := make([]string, n)
	for i := range items {
		items[i] = fmt.Sprintf(format, i)
	}
	return "[" + strings.Join(items, ",") + "]"
}

func amount(s string) *decimal.Decimal {
	d := dec(s)
	return &d
}

// onSale, onPartner and onCustomer adapt a check of what one create
// returned to hostileCase.stored.
func onSale(check func(t *testing.T, eng *commission.Engine, tr *commission.Transaction)) func(*testing.T, *commission.Engine, any) {
	return func(t *testing.T, eng *commission.Engine, out any) { check(t, eng, out.(*commission.Transaction)) }
}

func onPartner(check func(t *testing.T, eng *commission.Engine, p *commission.Partner)) func(*testing.T, *commission.Engine, any) {
	return func(t *testing.T, eng *commission.Engine, out any) { check(t, eng, out.(*commission.Partner)) }
}

func onCustomer(check func(t *testing.T, eng *commission.Engine, c *commission.Customer)) func(*testing.T, *commission.Engine, any) {
	return func(t *testing.T, eng *commission.Engine, out any) { check(t, eng, out.(*commission.Customer)) }
}

// saleKeyed checks a sale stored under exactly key, found by it and by no
// other: the wildcards % and _ match only themselves.
func saleKeyed(key string) func(*testing.T, *commission.Engine, any) {
	return onSale(func(t *testing.T, eng *commission.Engine, tr *commission.Transaction) {
		require.Equal(t, key, tr.Key)
		for _, other := range []string{"s_", "s%", "%", "_"} {
			if other == key {
				continue
			}
			_, err := eng.Transaction(ctx, other)
			requireNotFound(t, err, "transaction "+other)
		}
	})
}

// requireCustomerEmail checks that customer key is kept with email (in
// lower case), and found by it in other case.
func requireCustomerEmail(t *testing.T, eng *commission.Engine, key, email, otherCase string) {
	t.Helper()
	c, err := eng.Customer(ctx, commission.CustomerRef{Key: key})
	require.NoError(t, err)
	require.Equal(t, email, c.Email)
	found, err := eng.Customer(ctx, commission.CustomerRef{Email: otherCase})
	require.NoError(t, err)
	require.Equal(t, key, found.Key)
}

// requirePartnerEmail is requireCustomerEmail for a partner.
func requirePartnerEmail(t *testing.T, eng *commission.Engine, key, email, otherCase string) {
	t.Helper()
	p, err := eng.Partner(ctx, commission.PartnerRef{Key: key})
	require.NoError(t, err)
	require.Equal(t, email, p.Email)
	found, err := eng.Partner(ctx, commission.PartnerRef{Email: otherCase})
	require.NoError(t, err)
	require.Equal(t, key, found.Key)
}
