package commission

import (
	"time"

	"github.com/shopspring/decimal"
)

// RefundInput refunds part or all of a sale: an amount of the whole sale,
// or amounts of some of its product lines. It decodes the request body
// {"key": ..., "amount": ...} or {"key": ..., "products": [...]}.
type RefundInput struct {
	// Key is the refund's own unique key (a payment provider's refund
	// id): the same key and body again return the stored refund.
	Key string `json:"key"`
	// Amount is how much of the sale's amount is refunded; set it or
	// Products, not both.
	Amount *decimal.Decimal `json:"amount,omitempty"`
	// Products refunds product lines of a multi-product sale.
	Products []RefundLine `json:"products,omitempty"`
}

// RefundLine is how much of one product line a refund takes back.
type RefundLine struct {
	// ProductID names the line; it must name exactly one line of the sale.
	ProductID string `json:"product_id"`
	// Amount is how much of the line's price is refunded; nil for all
	// that is left of it.
	Amount *decimal.Decimal `json:"amount,omitempty"`
}

// Refund is a stored refund of part or all of a sale.
type Refund struct {
	Key            string `json:"key"`
	TransactionKey string `json:"transaction"`
	// Amount is how much of the sale's amount this refund took back.
	Amount decimal.Decimal `json:"amount"`
	// Lines are the product lines it refunded, each with the amount it
	// took from the line, when it refunded by line.
	Lines     []RefundLine `json:"products,omitempty"`
	CreatedAt time.Time    `json:"created_at"`
	// Entries are what it took back from each reward of the sale. A store
	// does not keep them on the refund; the engine gathers them.
	Entries []Entry `json:"entries"`
}
