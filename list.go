package commission

import (
	"context"
	"encoding/base64"
	"strconv"
	"strings"
	"time"
)

// Reads: a transaction or reward by its identifier, and transactions
// listed page by page, by page number or by cursor.

// Transaction returns the transaction with key, in any state: a deleted
// or archived one has its DeletedAt set and its State says which.
// ErrNotFound if the key was never used.
func (e *Engine) Transaction(ctx context.Context, key string) (*Transaction, error) {
	if err := checkKey("key", key); err != nil {
		return nil, err
	}
	now := e.clock()
	t, err := readCopy(ctx, e, func(tx StoreTx) (*Transaction, error) { return tx.Transaction(ctx, key) })
	if err != nil {
		return nil, err
	}
	return e.present(t, now), nil
}

// Reward returns the reward with id, its status as of the engine's clock.
func (e *Engine) Reward(ctx context.Context, id string) (*Reward, error) {
	if err := checkKey("id", id); err != nil {
		return nil, err
	}
	now := e.clock()
	r, err := readCopy(ctx, e, func(tx StoreTx) (*Reward, error) { return tx.Reward(ctx, id) })
	if err != nil {
		return nil, err
	}
	e.presentReward(r, now)
	return r, nil
}

// present prepares a transaction for the caller: the program kind for its
// JSON, and each reward's status as of now. It changes t, so a value read
// from the store (read-only) is cloned first.
func (e *Engine) present(t *Transaction, now time.Time) *Transaction {
	t.Kind = e.prog.Kind
	for i := range t.Rewards {
		e.presentReward(&t.Rewards[i], now)
	}
	return t
}

func (e *Engine) presentReward(r *Reward, now time.Time) {
	r.Kind = e.prog.Kind
	r.Status = r.statusAt(now)
}

// Paging limits of Transactions.
const (
	DefaultLimit = 15
	MaxLimit     = 250
	// MaxPage bounds Page: a page by number skips the rows before it,
	// at a cost that grows with them. Walk further with Cursor, which
	// costs the same at any depth.
	MaxPage = 1_000
)

// ListOptions selects a page of transactions.
type ListOptions struct {
	// Limit is the page size, 1 to MaxLimit; DefaultLimit when zero.
	Limit int `json:"limit,omitempty"`
	// Page is the 1-based page number; 1 when zero. Deep pages cost more
	// than early ones; use Cursor to walk a large program.
	Page int `json:"page,omitempty"`
	// Cursor continues after the page that returned it as NextCursor.
	Cursor string `json:"cursor,omitempty"`
	// PartnerKey and CustomerKey filter by the attributed partner and by
	// the buyer.
	PartnerKey  string `json:"partner,omitempty"`
	CustomerKey string `json:"customer,omitempty"`
	// States lists the transactions in these states; only active ones
	// when empty. Deleted and archived transactions are kept, for audit,
	// with their DeletedAt.
	States []TransactionState `json:"states,omitempty"`
}

// TransactionPage is one page of transactions, newest first.
type TransactionPage struct {
	Transactions []*Transaction `json:"data"`
	Limit        int            `json:"limit"`
	Page         int            `json:"page"`
	// NextCursor continues the listing after this page; empty on the last.
	NextCursor string `json:"next_cursor,omitempty"`
}

// Transactions lists transactions newest first: the active ones, or
// those in opts.States.
func (e *Engine) Transactions(ctx context.Context, opts ListOptions) (*TransactionPage, error) {
	now := e.clock()
	q, err := opts.query()
	if err != nil {
		return nil, err
	}
	list, err := viewValue(ctx, e, func(tx StoreTx) ([]*Transaction, error) {
		if err := e.filter(ctx, tx, &q, opts); err != nil {
			return nil, err
		}
		return tx.Transactions(ctx, q)
	})
	if err != nil {
		return nil, err
	}
	page := &TransactionPage{Limit: q.Limit - 1, Page: max(opts.Page, 1)}
	if len(list) > page.Limit {
		list = list[:page.Limit]
		page.NextCursor = encodeCursor(list[len(list)-1].Position())
	}
	page.Transactions = make([]*Transaction, len(list))
	for i, t := range list {
		page.Transactions[i] = e.present(t.Clone(), now)
	}
	return page, nil
}

// query validates o and returns the store query it asks for, with one
// row more than the page, to tell whether another follows.
func (o ListOptions) query() (TransactionQuery, error) {
	v := &validator{}
	if o.Limit == 0 {
		o.Limit = DefaultLimit
	} else if o.Limit < 1 || o.Limit > MaxLimit {
		v.addf("limit", "must be between 1 and %d", MaxLimit)
	}
	if o.Page == 0 {
		o.Page = 1
	} else if o.Page < 1 || o.Page > MaxPage {
		v.addf("page", "must be between 1 and %d", MaxPage)
	}
	validateKey(v, "partner", o.PartnerKey, false)
	validateKey(v, "customer", o.CustomerKey, false)
	q := TransactionQuery{Limit: o.Limit + 1, Offset: (o.Page - 1) * o.Limit, States: []TransactionState{TransactionActive}}
	if len(o.States) > 0 {
		q.States = o.States
		for i, s := range o.States {
			if !s.valid() {
				v.addf("states["+itoa(i)+"]", "must be %q, %q or %q", TransactionActive, TransactionArchived, TransactionDeleted)
			}
		}
	}
	if o.Cursor != "" {
		pos, ok := decodeCursor(o.Cursor)
		if !ok {
			v.add("cursor", "is not a cursor this engine returned")
		}
		if o.Page > 1 {
			v.add("page", "cannot be combined with cursor")
		}
		q.After, q.Offset = &pos, 0
	}
	return q, v.err()
}

// filter resolves the partner and customer keys o filters by into q.
func (e *Engine) filter(ctx context.Context, tx StoreTx, q *TransactionQuery, o ListOptions) error {
	if o.PartnerKey != "" {
		ref := PartnerRef{Key: o.PartnerKey}
		p, err := tx.Partner(ctx, ref)
		if err != nil {
			return partnerErr(err, ref)
		}
		q.PartnerID = p.ID
	}
	if o.CustomerKey != "" {
		ref := CustomerRef{Key: o.CustomerKey}
		c, err := tx.Customer(ctx, ref)
		if err != nil {
			return customerErr(err, "customer", ref)
		}
		q.CustomerID = c.ID
	}
	return nil
}

func encodeCursor(p Position) string {
	s := strconv.FormatInt(p.CreatedAt.UnixMicro(), 10) + "." + strconv.FormatInt(p.Seq, 10)
	return base64.RawURLEncoding.EncodeToString([]byte(s))
}

func decodeCursor(c string) (Position, bool) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return Position{}, false
	}
	at, seq, ok := strings.Cut(string(b), ".")
	if !ok {
		return Position{}, false
	}
	us, err1 := strconv.ParseInt(at, 10, 64)
	n, err2 := strconv.ParseInt(seq, 10, 64)
	if err1 != nil || err2 != nil {
		return Position{}, false
	}
	return Position{CreatedAt: time.UnixMicro(us).UTC(), Seq: n}, true
}
