package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/commissionkit/commission"
)

// envelope is a successful answer: {"data": ..., "status": 1}.
type envelope struct {
	Data   any `json:"data"`
	Status int `json:"status"`
}

// errorBody is an error answer. Errors names each bad field by its JSON
// path (or query parameter) with its messages; Index is the bulk item
// that failed; Key, Identical and Existing describe a duplicate
// transaction key.
type errorBody struct {
	Status    int                 `json:"status"`
	Message   string              `json:"message"`
	Code      string              `json:"code"`
	Errors    map[string][]string `json:"errors,omitempty"`
	Index     *int                `json:"index,omitempty"`
	Key       string              `json:"key,omitempty"`
	Identical *bool               `json:"identical,omitempty"`
	Existing  any                 `json:"existing,omitempty"`
}

// apiError is an error the HTTP layer answers with a status of its own.
type apiError struct {
	status  int
	code    string
	message string
	fields  map[string][]string
}

func (e *apiError) Error() string { return e.message }

const msgInternal = "Internal server error"

var (
	errUnauthenticated = &apiError{status: http.StatusUnauthorized, code: "unauthenticated", message: "Unauthenticated"}
	errRouteNotFound   = &apiError{status: http.StatusNotFound, code: "not_found", message: "Not found"}
	errMalformed       = &apiError{status: http.StatusBadRequest, code: "malformed_json", message: "Malformed JSON"}
	errNotObject       = &apiError{status: http.StatusBadRequest, code: "not_an_object", message: "The request body must be a JSON object"}
	errUnreadable      = &apiError{status: http.StatusBadRequest, code: "unreadable_body", message: "The request body could not be read"}
)

func (h *Handler) tooLarge() *apiError {
	return &apiError{status: http.StatusRequestEntityTooLarge, code: "too_large",
		message: "Request body too large: the limit is " + strconv.FormatInt(h.maxBody, 10) + " bytes"}
}

// A sentinel error of the engine and how it is answered.
type mapping struct {
	err     error
	status  int
	code    string
	message string
}

// mappings are tried in order, with errors.Is, after the typed errors.
var mappings = []mapping{
	{commission.ErrCustomerNotFound, http.StatusBadRequest, "customer_not_found", "Customer not found"},
	{commission.ErrPartnerNotFound, http.StatusBadRequest, "invalid_partner", "Invalid partner key"},
	{commission.ErrDuplicateKey, http.StatusBadRequest, "duplicate_key", "Duplicate key"},
	{commission.ErrNotFound, http.StatusNotFound, "not_found", "Not found"},
	{commission.ErrAlreadyDeleted, http.StatusConflict, "already_deleted", "Transaction already deleted"},
	{commission.ErrAlreadyArchived, http.StatusConflict, "already_archived", "Transaction already archived"},
	{commission.ErrNotArchived, http.StatusConflict, "not_archived", "Transaction not archived"},
	{commission.ErrRefunded, http.StatusConflict, "refunded", "Transaction refunded"},
	{commission.ErrRewarded, http.StatusConflict, "already_rewarded", "Transaction already rewarded"},
	{commission.ErrNotInReview, http.StatusConflict, "not_in_review", "Reward not in review"},
	{commission.ErrInPayout, http.StatusConflict, "in_payout", "Already in a payout"},
	{commission.ErrBelowThreshold, http.StatusConflict, "below_threshold", "Payout below threshold"},
	{commission.ErrPayoutSettled, http.StatusConflict, "payout_settled", "Payout already settled"},
	{commission.ErrNotFailed, http.StatusConflict, "not_failed", "Delivery not failed"},
}

const msgCommitUnknown = "Commit outcome unknown: the change may or may not have been stored. " +
	"Repeat the same request: a transaction or refund with the same key is never stored twice " +
	"(a transaction answers 400 Duplicate key with \"identical\": true if the first attempt was stored), " +
	"a delete, archive or payout repeated answers 409 if it was done."

// describe returns the error body and status err is answered with, and
// whether it is a failure (logged) rather than a refusal.
func describe(err error) (errorBody, int, bool) {
	b := errorBody{Status: 0}
	var (
		api  *apiError
		verr *commission.ValidationError
		item *commission.ItemError
		dup  *commission.DuplicateError
	)
	switch {
	case errors.Is(err, commission.ErrCommitUnknown):
		b.Code, b.Message = "commit_unknown", msgCommitUnknown
		return b, http.StatusServiceUnavailable, true
	case errors.As(err, &item):
		b, status, failed := describe(item.Err)
		i := item.Index
		b.Index = &i
		if status < 500 {
			prefix := "transactions[" + strconv.Itoa(i) + "]"
			fields := map[string][]string{prefix: {b.Message}}
			if len(b.Errors) > 0 {
				fields = make(map[string][]string, len(b.Errors))
				for path, msgs := range b.Errors {
					fields[prefix+"."+path] = msgs
				}
			}
			b.Errors = fields
		}
		return b, status, failed
	case errors.As(err, &api):
		// After an *ItemError, which may carry one and adds its index.
		b.Code, b.Message, b.Errors = api.code, api.message, api.fields
		return b, api.status, api.status >= 500
	case errors.As(err, &verr):
		b.Code, b.Message, b.Errors = "validation_error", "Validation error", fieldMap(verr.Fields)
		return b, http.StatusUnprocessableEntity, false
	case errors.Is(err, commission.ErrInvalid):
		b.Code, b.Message = "validation_error", "Validation error"
		return b, http.StatusUnprocessableEntity, false
	case errors.Is(err, commission.ErrNoRate):
		b.Code, b.Message = "no_rate", "No exchange rate"
		b.Errors = map[string][]string{"amount_units": {"has no exchange rate into the program currency"}}
		return b, http.StatusUnprocessableEntity, false
	case errors.As(err, &dup):
		b.Code, b.Message, b.Key = "duplicate_key", "Duplicate key", dup.Key
		identical := dup.Identical
		b.Identical = &identical
		if dup.Existing != nil {
			b.Existing = dup.Existing
		}
		b.Errors = map[string][]string{"key": {"has already been taken"}}
		return b, http.StatusBadRequest, false
	case errors.Is(err, context.DeadlineExceeded):
		b.Code, b.Message = "timeout", "The request timed out; nothing is known to be stored"
		return b, http.StatusServiceUnavailable, true
	case errors.Is(err, context.Canceled):
		b.Code, b.Message = "canceled", "The request was canceled"
		return b, http.StatusServiceUnavailable, true
	}
	for _, m := range mappings {
		if errors.Is(err, m.err) {
			b.Code, b.Message = m.code, m.message
			return b, m.status, false
		}
	}
	b.Code, b.Message = "internal", msgInternal
	return b, http.StatusInternalServerError, true
}

// fieldMap groups field errors by path; a path naming the whole body is
// "body".
func fieldMap(fields []commission.FieldError) map[string][]string {
	m := make(map[string][]string, len(fields))
	for _, f := range fields {
		p := f.Path
		if p == "" {
			p = "body"
		}
		m[p] = append(m[p], f.Message)
	}
	return m
}

// fail answers err, logging it when it is a failure rather than a
// refusal.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	b, status, failed := describe(err)
	if failed {
		h.logError(r, "http request failed", err)
	}
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	writeJSON(w, status, b)
}

// writeError answers an error that needs no logging.
func writeError(w http.ResponseWriter, err error) {
	b, status, _ := describe(err)
	writeJSON(w, status, b)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		body, _ = json.Marshal(errorBody{Code: "internal", Message: msgInternal})
	}
	hd := w.Header()
	hd.Set("Content-Type", "application/json")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Content-Length", strconv.Itoa(len(body)+1))
	w.WriteHeader(status)
	w.Write(append(body, '\n'))
}

// apiFunc serves a route: the data it returns is answered in the
// envelope (a *listEnvelope as it is), its error as describe says.
type apiFunc func(r *http.Request) (any, error)

func (h *Handler) handle(pattern string, f apiFunc) {
	h.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		v, err := f(r)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		if l, ok := v.(*listEnvelope); ok {
			l.Status = 1
			writeJSON(w, http.StatusOK, l)
			return
		}
		writeJSON(w, http.StatusOK, envelope{Data: v, Status: 1})
	})
}

// body reads the request body: a JSON object, or nothing (read as {}).
func (h *Handler) body(r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return []byte("{}"), nil
	}
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, h.tooLarge()
		}
		return nil, errUnreadable
	}
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0:
		return []byte("{}"), nil
	case !json.Valid(raw):
		return nil, errMalformed
	case raw[0] != '{':
		return nil, errNotObject
	}
	return raw, nil
}

// decode reads the body into v. What does not decode is a
// *commission.ValidationError naming each field (the engine's input
// types name them themselves; others by encoding/json's field path).
func (h *Handler) decode(r *http.Request, v any) error {
	raw, err := h.body(r)
	if err != nil {
		return err
	}
	return unmarshal(raw, v)
}

func unmarshal(raw []byte, v any) error {
	err := json.Unmarshal(raw, v)
	var (
		verr *commission.ValidationError
		typ  *json.UnmarshalTypeError
	)
	switch {
	case err == nil:
		return nil
	case errors.As(err, &verr):
		return verr
	case errors.As(err, &typ):
		t := typ.Type
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		return &commission.ValidationError{Fields: []commission.FieldError{{Path: typ.Field, Message: "must be " + jsonKind(t.Kind().String()) + ", not a JSON " + typ.Value}}}
	}
	return errMalformed
}

func jsonKind(kind string) string {
	switch {
	case kind == "string":
		return "a string"
	case kind == "bool":
		return "true or false"
	case kind == "slice" || kind == "array":
		return "an array"
	case strings.HasPrefix(kind, "int") || strings.HasPrefix(kind, "uint"):
		return "an integer"
	case strings.HasPrefix(kind, "float"):
		return "a number"
	}
	return "an object"
}

// query reads query parameters, collecting what does not parse as field
// errors named by the parameter.
type query struct {
	r      *http.Request
	fields []commission.FieldError
}

func newQuery(r *http.Request) *query { return &query{r: r} }

func (q *query) add(name, msg string) {
	q.fields = append(q.fields, commission.FieldError{Path: name, Message: msg})
}

func (q *query) err() error {
	if len(q.fields) == 0 {
		return nil
	}
	return &commission.ValidationError{Fields: q.fields}
}

// also is the error of a read made with the parameters that parsed
// (those that did not left zero): q's errors, when there are any,
// joined by the engine's validation errors of the other parameters, so
// that every bad parameter is named at once; else the read's own err.
func (q *query) also(err error) error {
	if len(q.fields) == 0 {
		return err
	}
	var verr *commission.ValidationError
	if errors.As(err, &verr) {
		seen := make(map[string]bool, len(q.fields))
		for _, f := range q.fields {
			seen[f.Path] = true
		}
		for _, f := range verr.Fields {
			if !seen[f.Path] {
				q.fields = append(q.fields, f)
			}
		}
	}
	return q.err()
}

func (q *query) str(name string) string { return q.r.URL.Query().Get(name) }

// positive is an integer parameter of at least 1 (at most max when max
// is positive); 0 when absent.
func (q *query) positive(name string, limit int) int {
	s := q.str(name)
	if s == "" {
		return 0
	}
	n, err := strconv.Atoi(s)
	switch {
	case err != nil:
		q.add(name, "must be an integer")
	case n < 1 || (limit > 0 && n > limit):
		q.add(name, "must be between 1 and "+strconv.Itoa(limit))
	default:
		return n
	}
	return 0
}

// list is a repeated parameter, each value also split at commas.
func (q *query) list(name string) []string {
	var out []string
	for _, v := range q.r.URL.Query()[name] {
		for p := range strings.SplitSeq(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// time is an RFC 3339 time or a date (YYYY-MM-DD, midnight UTC); zero
// when absent.
func (q *query) time(name string) time.Time {
	s := q.str(name)
	if s == "" {
		return time.Time{}
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC()
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t
	}
	q.add(name, "is neither an RFC 3339 time nor a date (YYYY-MM-DD)")
	return time.Time{}
}

// beneficiary is the beneficiary named by beneficiary.id, .key and
// .email; nil when none is given.
func (q *query) beneficiary() *commission.Beneficiary {
	b := commission.Beneficiary{ID: q.str("beneficiary.id"), Key: q.str("beneficiary.key"), Email: q.str("beneficiary.email")}
	if b == (commission.Beneficiary{}) {
		return nil
	}
	return &b
}
