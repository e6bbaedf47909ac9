package httpapi

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/commissionkit/commission"
)

// Partners and customers. The {key} of their routes is a key, or, with
// ?by=id or ?by=email, an id or an email. Their lists are pages by number
// or cursor, answered in Laravel's paginator shape as transactions are.

// ref reads {key} and ?by into an id, key or email.
func ref(r *http.Request) (id, key, email string, err error) {
	v := r.PathValue("key")
	switch by := r.URL.Query().Get("by"); by {
	case "", "key":
		return "", v, "", nil
	case "id":
		return v, "", "", nil
	case "email":
		return "", "", v, nil
	}
	return "", "", "", &commission.ValidationError{Fields: []commission.FieldError{{Path: "by", Message: `must be "key", "id" or "email"`}}}
}

// The messages of ErrAlreadyDeleted where it is not a transaction's.
const (
	msgPartnerDeleted  = "Partner already deleted"
	msgCustomerDeleted = "Customer already deleted"
)

// deletedAs answers ErrAlreadyDeleted (409 already_deleted) with message,
// naming what was deleted; other errors, and a commit whose outcome is
// unknown, pass through.
func deletedAs(err error, message string) error {
	if err == nil || !errors.Is(err, commission.ErrAlreadyDeleted) || errors.Is(err, commission.ErrCommitUnknown) {
		return err
	}
	return &apiError{status: http.StatusConflict, code: "already_deleted", message: message}
}

// partnerDone and customerDone answer a change of a partner or customer.
func partnerDone(p *commission.Partner, err error) (any, error) {
	if err != nil {
		return nil, deletedAs(err, msgPartnerDeleted)
	}
	return p, nil
}

func customerDone(c *commission.Customer, err error) (any, error) {
	if err != nil {
		return nil, deletedAs(err, msgCustomerDeleted)
	}
	return c, nil
}

// renamed is err with the field paths of its *ValidationError named as
// the query parameters they come from: name returns the parameter and
// whether to prefix the message with the path's value (an item of a
// list parameter); other errors pass through.
func renamed(err error, name func(path string) (string, string)) error {
	var verr *commission.ValidationError
	if !errors.As(err, &verr) {
		return err
	}
	out := &commission.ValidationError{Fields: make([]commission.FieldError, len(verr.Fields))}
	for i, f := range verr.Fields {
		p, value := name(f.Path)
		if value != "" {
			f.Message = strconv.Quote(value) + ": " + f.Message
		}
		f.Path = p
		out.Fields[i] = f
	}
	return out
}

// statusParam names an engine's statuses[i] as the status parameter,
// with the value at i.
func statusParam(statuses []string) func(string) (string, string) {
	return func(path string) (string, string) {
		rest, ok := strings.CutPrefix(path, "statuses[")
		if !ok {
			return path, ""
		}
		i, err := strconv.Atoi(strings.TrimSuffix(rest, "]"))
		if err != nil || i < 0 || i >= len(statuses) {
			return "status", ""
		}
		return "status", statuses[i]
	}
}

func partnerRef(r *http.Request) (commission.PartnerRef, error) {
	id, key, email, err := ref(r)
	return commission.PartnerRef{ID: id, Key: key, Email: email}, err
}

func customerRef(r *http.Request) (commission.CustomerRef, error) {
	id, key, email, err := ref(r)
	return commission.CustomerRef{ID: id, Key: key, Email: email}, err
}

func (h *Handler) createPartner(r *http.Request) (any, error) {
	var in commission.PartnerInput
	if err := h.decode(r, &in); err != nil {
		return nil, err
	}
	return h.eng.CreatePartner(r.Context(), in)
}

func (h *Handler) getPartner(r *http.Request) (any, error) {
	ref, err := partnerRef(r)
	if err != nil {
		return nil, err
	}
	return h.eng.Partner(r.Context(), ref)
}

// partnerStatus serves archive (archived) and restore (active).
func (h *Handler) partnerStatus(status commission.PartnerStatus) apiFunc {
	return func(r *http.Request) (any, error) {
		ref, err := partnerRef(r)
		if err != nil {
			return nil, err
		}
		return partnerDone(h.eng.SetPartnerStatus(r.Context(), ref, status))
	}
}

func (h *Handler) createCustomer(r *http.Request) (any, error) {
	var in commission.CustomerInput
	if err := h.decode(r, &in); err != nil {
		return nil, err
	}
	return h.eng.CreateCustomer(r.Context(), in)
}

func (h *Handler) getCustomer(r *http.Request) (any, error) {
	ref, err := customerRef(r)
	if err != nil {
		return nil, err
	}
	return h.eng.Customer(r.Context(), ref)
}

// customerStatus serves suspend (suspended) and approve (active).
func (h *Handler) customerStatus(status commission.CustomerStatus) apiFunc {
	return func(r *http.Request) (any, error) {
		ref, err := customerRef(r)
		if err != nil {
			return nil, err
		}
		return customerDone(h.eng.SetCustomerStatus(r.Context(), ref, status))
	}
}

// listPartners answers GET /v1/partners: limit and page (or cursor),
// filtered by status (repeated or comma-separated), tag and email.
func (h *Handler) listPartners(r *http.Request) (any, error) {
	q := newQuery(r)
	opts := commission.PartnerListOptions{
		Limit: q.positive("limit", commission.MaxLimit), Page: q.positive("page", commission.MaxPage),
		Cursor: q.str("cursor"), Tag: q.str("tag"), Email: q.str("email"),
	}
	statuses := q.list("status")
	for _, s := range statuses {
		opts.Statuses = append(opts.Statuses, commission.PartnerStatus(s))
	}
	page, err := h.eng.Partners(r.Context(), opts)
	if err := q.also(renamed(err, statusParam(statuses))); err != nil {
		return nil, err
	}
	return h.numberedList(r, page.Partners, len(page.Partners), page.Limit, page.Page, opts.Cursor != "", page.NextCursor), nil
}

// updatePartner serves PUT and PATCH /v1/partners/{key}: the members
// given change, the others stay.
func (h *Handler) updatePartner(r *http.Request) (any, error) {
	ref, err := partnerRef(r)
	if err != nil {
		return nil, err
	}
	var in commission.PartnerUpdate
	if err := h.decode(r, &in); err != nil {
		return nil, err
	}
	return partnerDone(h.eng.UpdatePartner(r.Context(), ref, in))
}

// deletePartner serves DELETE /v1/partners/{key}: the erased partner.
func (h *Handler) deletePartner(r *http.Request) (any, error) {
	ref, err := partnerRef(r)
	if err != nil {
		return nil, err
	}
	return partnerDone(h.eng.DeletePartner(r.Context(), ref))
}

// listCustomers answers GET /v1/customers: limit and page (or cursor),
// filtered by partner (a key, or with partner_by=id or email an id or an
// email) and status.
func (h *Handler) listCustomers(r *http.Request) (any, error) {
	q := newQuery(r)
	opts := commission.CustomerListOptions{
		Limit: q.positive("limit", commission.MaxLimit), Page: q.positive("page", commission.MaxPage),
		Cursor: q.str("cursor"),
	}
	statuses := q.list("status")
	for _, s := range statuses {
		opts.Statuses = append(opts.Statuses, commission.CustomerStatus(s))
	}
	partner, by := q.str("partner"), q.str("partner_by")
	var ref commission.PartnerRef
	switch by {
	case "", "key":
		ref.Key = partner
	case "id":
		ref.ID = partner
	case "email":
		ref.Email = partner
	default:
		q.add("partner_by", `must be "key", "id" or "email"`)
	}
	if _, given := r.URL.Query()["partner"]; given {
		opts.Partner = &ref
	} else if by != "" {
		q.add("partner_by", "requires partner")
	}
	page, err := h.eng.Customers(r.Context(), opts)
	if errors.Is(err, commission.ErrNotFound) {
		// The one thing a listing looks up is its partner: answered as a
		// transaction list's unknown partner is.
		err = commission.ErrPartnerNotFound
	}
	err = renamed(err, func(path string) (string, string) {
		if path == "partner" || strings.HasPrefix(path, "partner.") {
			return "partner", ""
		}
		return statusParam(statuses)(path)
	})
	if err := q.also(err); err != nil {
		return nil, err
	}
	return h.numberedList(r, page.Customers, len(page.Customers), page.Limit, page.Page, opts.Cursor != "", page.NextCursor), nil
}

// updateCustomer serves PUT and PATCH /v1/customers/{key}: the members
// given change, the others (its attribution among them) stay.
func (h *Handler) updateCustomer(r *http.Request) (any, error) {
	ref, err := customerRef(r)
	if err != nil {
		return nil, err
	}
	var in commission.CustomerUpdate
	if err := h.decode(r, &in); err != nil {
		return nil, err
	}
	return customerDone(h.eng.UpdateCustomer(r.Context(), ref, in))
}

// deleteCustomer serves DELETE /v1/customers/{key}: the erased customer.
func (h *Handler) deleteCustomer(r *http.Request) (any, error) {
	ref, err := customerRef(r)
	if err != nil {
		return nil, err
	}
	return customerDone(h.eng.DeleteCustomer(r.Context(), ref))
}
