package commission

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"
	"golang.org/x/text/currency"
)

// The validator, and the checks of fields that every input shares. Each
// input's own validation sits with its type (TransactionInput.normalize,
// PartnerInput.validate, Program.compile, ...).

const (
	maxKeyLen = 255
	// maxLines bounds the product lines of one sale.
	maxLines = 1000
	// maxReasonLen bounds a rejection's reason, in bytes.
	maxReasonLen = 4096
	// maxURLLen bounds a referral URL, in bytes.
	maxURLLen = 2048
	// Amounts must fit NUMERIC(38,18): 18 places after the point, 20 before.
	maxScale         = 18
	maxIntegerDigits = 20
)

// maxTags bounds the tags of one partner or customer.
const maxTags = 100

// validator collects field errors under a path prefix.
type validator struct {
	prefix string
	fields []FieldError
}

func (v *validator) add(path, msg string) {
	v.fields = append(v.fields, FieldError{Path: v.prefix + path, Message: msg})
}

func (v *validator) addf(path, format string, args ...any) {
	v.add(path, fmt.Sprintf(format, args...))
}

func (v *validator) err() error {
	if len(v.fields) == 0 {
		return nil
	}
	return &ValidationError{Fields: v.fields}
}

// fieldError is a validation error of one field.
func fieldError(path, msg string) *ValidationError {
	return &ValidationError{Fields: []FieldError{{Path: path, Message: msg}}}
}

// validateKey checks a key, id or other short text: at most maxKeyLen
// bytes of UTF-8 with no NUL.
func validateKey(v *validator, path, key string, required bool) {
	if key == "" {
		if required {
			v.add(path, "is required")
		}
		return
	}
	validateText(v, path, key, maxKeyLen)
}

// validateText checks a text of at most maxLen bytes of UTF-8 with no NUL.
func validateText(v *validator, path, s string, maxLen int) {
	switch {
	case len(s) > maxLen:
		v.addf(path, "longer than %d bytes", maxLen)
	case !validUTF8(s):
		v.add(path, "is not valid UTF-8")
	case strings.IndexByte(s, 0) >= 0:
		v.add(path, "contains a NUL byte")
	}
}

func validateEmail(v *validator, path, email string) {
	if email == "" {
		return
	}
	validateKey(v, path, email, false)
	at := strings.IndexByte(email, '@')
	if at <= 0 || at == len(email)-1 {
		v.add(path, "is not an email address")
	}
}

func validateTags(v *validator, path string, tags []string) {
	if len(tags) > maxTags {
		v.addf(path, "has more than %d tags", maxTags)
	}
	for i, t := range tags {
		validateKey(v, path+"["+itoa(i)+"]", t, true)
	}
}

// validateTime accepts a backdated time between the Unix epoch and now.
// Times are kept to the microsecond, so at is compared as it will be
// stored: a time within the clock's microsecond is not in the future.
func validateTime(v *validator, path string, at, now time.Time) {
	at = at.UTC().Truncate(time.Microsecond)
	switch {
	case at.After(now):
		v.add(path, "is in the future")
	case at.Before(time.Unix(0, 0)):
		v.add(path, "is before 1970")
	}
}

func validateAmount(v *validator, path string, d decimal.Decimal) {
	if d.Sign() < 0 {
		v.add(path, "must not be negative")
	}
	if d.Exponent() < -maxScale && !d.Equal(d.Truncate(maxScale)) {
		v.addf(path, "has more than %d digits after the decimal point", maxScale)
	}
	if tooLarge(d) {
		v.addf(path, "has more than %d digits before the decimal point", maxIntegerDigits)
	}
}

// isCurrency reports whether s is an ISO 4217 currency code, in upper
// case, from the maintained table of golang.org/x/text/currency.
// tooLarge reports an amount with more digits before the point than
// storage holds (NUMERIC(38,18)).
func tooLarge(d decimal.Decimal) bool {
	return d.NumDigits()+int(d.Exponent()) > maxIntegerDigits && !d.IsZero()
}

func isCurrency(s string) bool {
	if len(s) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	_, err := currency.ParseISO(s)
	return err == nil
}

func validUTF8(s string) bool { return utf8.ValidString(s) }

func itoa(i int) string { return strconv.Itoa(i) }

// maxEcho bounds how much of a value an error message repeats: a value a
// caller sent may be kilobytes long.
const maxEcho = 40

// brief is s as an error message repeats it: whole when short, else cut
// at a character boundary, with an ellipsis.
func brief(s string) string {
	if len(s) <= maxEcho {
		return s
	}
	cut := maxEcho
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
