package sqlstore

import (
	"encoding/json"
	"strconv"

	"github.com/shopspring/decimal"

	"github.com/commissionkit/commission"
)

// decodeExplanation reads a reward's stored explanation into e. The
// store writes it with Explanation.MarshalJSON: a flat object of known
// keys, ASCII strings without escapes and plain numbers, which
// explanationReader reads without reflection (encoding/json took a fifth
// of the time of reading a page of rewards). Anything else (an escape,
// a null, another key, a row written by hand) is decoded by
// encoding/json, so the result, or the error, is always what
// json.Unmarshal gives.
func decodeExplanation(s string, e *commission.Explanation) error {
	r := explanationReader{s: s}
	if r.read(e) {
		return nil
	}
	*e = commission.Explanation{}
	return json.Unmarshal([]byte(s), e)
}

// explanationReader reads the common form of a stored explanation; its
// methods report false at the first thing outside it.
type explanationReader struct {
	s string
	i int
}

func (r *explanationReader) read(e *commission.Explanation) bool {
	*e = commission.Explanation{}
	if !r.byte('{') {
		return false
	}
	if r.peek() == '}' {
		r.i++
		return r.end()
	}
	for {
		key, ok := r.str()
		if !ok || !r.byte(':') || !r.field(key, e) {
			return false
		}
		switch r.next() {
		case ',':
		case '}':
			return r.end()
		default:
			return false
		}
	}
}

// field reads the value of key into its field of e.
func (r *explanationReader) field(key string, e *commission.Explanation) bool {
	var ok bool
	switch key {
	case "rule":
		e.Rule, ok = r.str()
	case "rule_version":
		e.RuleVersion, ok = r.str()
	case "match":
		e.Match, ok = r.str()
	case "type":
		var t string
		t, ok = r.str()
		e.Type = commission.CommissionType(t)
	case "from":
		e.From, ok = r.str()
	case "rounding":
		e.Rounding, ok = r.str()
	case "base":
		e.Base, ok = r.num()
	case "value":
		e.Value, ok = r.num()
	case "rate":
		e.Rate, ok = r.numPtr()
	case "exact":
		e.Exact, ok = r.numPtr()
	case "uncapped":
		e.Uncapped, ok = r.numPtr()
	case "threshold":
		e.Threshold, ok = r.numPtr()
	case "level":
		e.Level, ok = r.int()
	case "step":
		e.Step, ok = r.int()
	case "thresholds":
		e.Thresholds, ok = r.int()
	case "occurrence":
		e.Occurrence, ok = r.int()
	case "caps":
		e.Caps, ok = r.strs()
	case "counted":
		e.Counted, ok = r.strs()
	}
	return ok
}

// skip passes over JSON white space.
func (r *explanationReader) skip() {
	for r.i < len(r.s) {
		switch r.s[r.i] {
		case ' ', '\t', '\n', '\r':
			r.i++
		default:
			return
		}
	}
}

// peek is the next byte after white space, 0 at the end.
func (r *explanationReader) peek() byte {
	r.skip()
	if r.i == len(r.s) {
		return 0
	}
	return r.s[r.i]
}

// next reads the next byte after white space, 0 at the end.
func (r *explanationReader) next() byte {
	c := r.peek()
	if c != 0 {
		r.i++
	}
	return c
}

func (r *explanationReader) byte(c byte) bool { return r.next() == c }

// end reports that nothing but white space is left.
func (r *explanationReader) end() bool { return r.peek() == 0 && r.i == len(r.s) }

// str reads a string of printable ASCII without escapes.
func (r *explanationReader) str() (string, bool) {
	if !r.byte('"') {
		return "", false
	}
	start := r.i
	for ; r.i < len(r.s); r.i++ {
		switch c := r.s[r.i]; {
		case c == '"':
			r.i++
			return r.s[start : r.i-1], true
		case c == '\\' || c < 0x20 || c >= 0x80:
			return "", false
		}
	}
	return "", false
}

// strs reads an array of str, nil when it is empty, as encoding/json
// would not: an empty array goes to encoding/json.
func (r *explanationReader) strs() ([]string, bool) {
	if !r.byte('[') {
		return nil, false
	}
	var out []string
	for {
		s, ok := r.str()
		if !ok {
			return nil, false
		}
		out = append(out, s)
		switch r.next() {
		case ',':
		case ']':
			return out, true
		default:
			return nil, false
		}
	}
}

// token reads a JSON number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
func (r *explanationReader) token() (string, bool) {
	r.skip()
	start := r.i
	r.accept("-")
	if !r.accept("0") && !r.digits() {
		return "", false
	}
	if r.accept(".") && !r.digits() {
		return "", false
	}
	if r.accept("eE") {
		r.accept("+-")
		if !r.digits() {
			return "", false
		}
	}
	return r.s[start:r.i], true
}

// accept passes over the next byte if it is one of set.
func (r *explanationReader) accept(set string) bool {
	if r.i < len(r.s) {
		for j := range len(set) {
			if r.s[r.i] == set[j] {
				r.i++
				return true
			}
		}
	}
	return false
}

// digits passes over one or more decimal digits.
func (r *explanationReader) digits() bool {
	start := r.i
	for r.i < len(r.s) && r.s[r.i] >= '0' && r.s[r.i] <= '9' {
		r.i++
	}
	return r.i > start
}

// num reads a number as decimal.Decimal's UnmarshalJSON does.
func (r *explanationReader) num() (decimal.Decimal, bool) {
	t, ok := r.token()
	if !ok {
		return decimal.Decimal{}, false
	}
	d, err := decimal.NewFromString(t)
	return d, err == nil
}

func (r *explanationReader) numPtr() (*decimal.Decimal, bool) {
	d, ok := r.num()
	if !ok {
		return nil, false
	}
	return &d, true
}

// int reads a number as encoding/json reads it into an int.
func (r *explanationReader) int() (int, bool) {
	t, ok := r.token()
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(t, 10, strconv.IntSize)
	return int(n), err == nil
}
