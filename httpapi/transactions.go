package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/commissionkit/commission"
)

// createTransactions records one sale (the documented body, with or
// without products), or, when the body has "transactions", a bulk.
func (h *Handler) createTransactions(r *http.Request) (any, error) {
	raw, err := h.body(r)
	if err != nil {
		return nil, err
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		return nil, errMalformed
	}
	if _, bulk := top["transactions"]; bulk {
		var in commission.BulkTransactionsInput
		if err := unmarshal(raw, &in); err != nil {
			return nil, err
		}
		ts, err := h.eng.CreateTransactions(r.Context(), in.Inputs())
		var item *commission.ItemError
		if errors.As(err, &item) && !errors.Is(err, commission.ErrCommitUnknown) {
			if deleted := deletedBuyer(item.Err); deleted != item.Err {
				return nil, &commission.ItemError{Index: item.Index, Err: deleted}
			}
		}
		if err != nil {
			return nil, err
		}
		return ts, nil
	}
	var in commission.TransactionInput
	if err := unmarshal(raw, &in); err != nil {
		return nil, err
	}
	t, err := h.eng.CreateTransaction(r.Context(), in)
	if err != nil {
		return nil, deletedBuyer(err)
	}
	return t, nil
}

// deletedBuyer answers the ErrAlreadyDeleted of a new sale, which is the
// refusal of a deleted customer's sale (409 already_deleted, naming
// customer); other errors pass through.
func deletedBuyer(err error) error {
	if !errors.Is(err, commission.ErrAlreadyDeleted) || errors.Is(err, commission.ErrCommitUnknown) {
		return err
	}
	return &apiError{status: http.StatusConflict, code: "already_deleted", message: "Customer deleted",
		fields: map[string][]string{"customer": {"is deleted; its sales are refused"}}}
}

func (h *Handler) getTransaction(r *http.Request) (any, error) {
	return h.eng.Transaction(r.Context(), r.PathValue("key"))
}

// readTransaction answers a change of the transaction with it as read
// after.
func (h *Handler) readTransaction(r *http.Request, change func(context.Context, string) error) (any, error) {
	key := r.PathValue("key")
	if err := change(r.Context(), key); err != nil {
		return nil, err
	}
	return after(h, r, func(ctx context.Context) (*commission.Transaction, error) { return h.eng.Transaction(ctx, key) })
}

func (h *Handler) deleteTransaction(r *http.Request) (any, error) {
	return h.readTransaction(r, h.eng.DeleteTransaction)
}

func (h *Handler) archiveTransaction(r *http.Request) (any, error) {
	return h.readTransaction(r, h.eng.ArchiveTransaction)
}

func (h *Handler) restoreTransaction(r *http.Request) (any, error) {
	return h.readTransaction(r, h.eng.RestoreTransaction)
}

func (h *Handler) makeRewardable(r *http.Request) (any, error) {
	return h.eng.MakeRewardable(r.Context(), r.PathValue("key"))
}

func (h *Handler) refundTransaction(r *http.Request) (any, error) {
	var in commission.RefundInput
	if err := h.decode(r, &in); err != nil {
		return nil, err
	}
	return h.eng.RefundTransaction(r.Context(), r.PathValue("key"), in)
}

// listEnvelope is a list answer: its data, the links to its neighbours
// and what is known of the listing.
type listEnvelope struct {
	Data   any   `json:"data"`
	Links  links `json:"links"`
	Meta   any   `json:"meta"`
	Status int   `json:"status"`
}

// links are Laravel's paginator links; null where there is none or it is
// not known.
type links struct {
	First *string `json:"first"`
	Last  *string `json:"last"`
	Prev  *string `json:"prev"`
	Next  *string `json:"next"`
}

// pageMeta is Laravel's paginator meta, with the engine's cursor added.
// Total and LastPage are known (not null) only on the last page.
type pageMeta struct {
	CurrentPage *int    `json:"current_page"`
	From        *int    `json:"from"`
	LastPage    *int    `json:"last_page"`
	Path        string  `json:"path"`
	PerPage     int     `json:"per_page"`
	To          *int    `json:"to"`
	Total       *int    `json:"total"`
	NextCursor  *string `json:"next_cursor"`
}

// cursorMeta is the meta of a listing walked by cursor only.
type cursorMeta struct {
	Path       string  `json:"path"`
	PerPage    int     `json:"per_page"`
	NextCursor *string `json:"next_cursor"`
}

// listTransactions answers GET /v1/transactions: limit and page (or
// cursor), filtered by partner, customer and states.
func (h *Handler) listTransactions(r *http.Request) (any, error) {
	q := newQuery(r)
	opts := commission.ListOptions{
		Limit: q.positive("limit", commission.MaxLimit), Page: q.positive("page", commission.MaxPage),
		Cursor: q.str("cursor"), PartnerKey: q.str("partner"), CustomerKey: q.str("customer"),
	}
	for _, s := range q.list("states") {
		opts.States = append(opts.States, commission.TransactionState(s))
	}
	page, err := h.eng.Transactions(r.Context(), opts)
	if err := q.also(err); err != nil {
		return nil, err
	}
	return h.numberedList(r, page.Transactions, len(page.Transactions), page.Limit, page.Page, opts.Cursor != "", page.NextCursor), nil
}

// numberedList answers a page of a listing walked by page number or
// cursor in Laravel's paginator shape: data (n items), the page's limit
// and number as the engine returns them, whether it was read by cursor,
// and the cursor of the next page ("" on the last).
func (h *Handler) numberedList(r *http.Request, data any, n, limit, pageNo int, byCursor bool, next string) *listEnvelope {
	meta := &pageMeta{Path: h.path(r), PerPage: limit, NextCursor: ptrUnlessEmpty(next)}
	l := links{First: ptr(h.link(r, "page", "1"))}
	if next != "" {
		if !byCursor && pageNo < commission.MaxPage {
			l.Next = ptr(h.link(r, "page", strconv.Itoa(pageNo+1)))
		} else {
			l.Next = ptr(h.link(r, "cursor", next))
		}
	}
	if !byCursor {
		offset := (pageNo - 1) * limit
		meta.CurrentPage = ptr(pageNo)
		if n > 0 {
			meta.From, meta.To = ptr(offset+1), ptr(offset+n)
		}
		if pageNo > 1 {
			l.Prev = ptr(h.link(r, "page", strconv.Itoa(pageNo-1)))
		}
		// The engine counts nothing: the total is known once the last
		// page is read (a page past the end only bounds it).
		if next == "" && (n > 0 || pageNo == 1) {
			meta.Total, meta.LastPage = ptr(offset+n), ptr(pageNo)
			l.Last = ptr(h.link(r, "page", strconv.Itoa(pageNo)))
		}
	}
	return &listEnvelope{Data: data, Links: l, Meta: meta}
}

// cursorList answers a listing walked by cursor: its next link and meta.
func (h *Handler) cursorList(r *http.Request, data any, limit int, next string) *listEnvelope {
	l := links{First: ptr(h.link(r, "cursor", ""))}
	if next != "" {
		l.Next = ptr(h.link(r, "cursor", next))
	}
	return &listEnvelope{Data: data, Links: l, Meta: &cursorMeta{Path: h.path(r), PerPage: limit, NextCursor: ptrUnlessEmpty(next)}}
}

// path is the absolute URL of the request's path, without its query.
func (h *Handler) path(r *http.Request) string {
	base := h.base
	if base == "" {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		base = scheme + "://" + r.Host
	}
	return base + r.URL.EscapedPath()
}

// link is the request's URL with the paging parameters (page, cursor)
// replaced by name=value (none when value is empty), other parameters
// kept.
func (h *Handler) link(r *http.Request, name, value string) string {
	v := url.Values{}
	for k, vs := range r.URL.Query() {
		if k != "page" && k != "cursor" {
			v[k] = vs
		}
	}
	if value != "" {
		v.Set(name, value)
	}
	if len(v) == 0 {
		return h.path(r)
	}
	return h.path(r) + "?" + v.Encode()
}

func ptr[T any](v T) *T { return &v }

func ptrUnlessEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
