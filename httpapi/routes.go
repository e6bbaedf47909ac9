package httpapi

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/commissionkit/commission"
)

// routes registers every route; the package documentation lists them.
func (h *Handler) routes() {
	h.mux.HandleFunc("GET /healthz", h.healthz)

	// Transactions.
	h.handle("POST /v1/transactions", h.createTransactions)
	h.handle("GET /v1/transactions", h.listTransactions)
	h.handle("GET /v1/transactions/{key}", h.getTransaction)
	h.handle("DELETE /v1/transactions/{key}", h.deleteTransaction)
	h.handle("POST /v1/transactions/{key}/archive", h.archiveTransaction)
	h.handle("POST /v1/transactions/{key}/revoke-archive", h.restoreTransaction)
	h.handle("POST /v1/transactions/{key}/rewardable", h.makeRewardable)
	h.handle("POST /v1/transactions/{key}/refunds", h.refundTransaction)

	// Rewards, balances, earnings and payouts.
	h.handle("GET /v1/rewards", h.listRewards)
	h.handle("GET /v1/rewards/{id}", h.getReward)
	h.handle("POST /v1/rewards/{id}/approve", h.approveReward)
	h.handle("POST /v1/rewards/{id}/reject", h.rejectReward)
	h.handle("GET /v1/balances", h.balance)
	h.handle("GET /v1/earnings", h.earnings)
	h.handle("POST /v1/payouts", h.createPayout)
	h.handle("GET /v1/payouts", h.listPayouts)
	h.handle("GET /v1/payouts/{id}", h.getPayout)
	h.handle("POST /v1/payouts/{id}/paid", h.markPayoutPaid)
	h.handle("POST /v1/payouts/{id}/cancel", h.cancelPayout)

	// Partners and customers.
	h.handle("POST /v1/partners", h.createPartner)
	h.handle("GET /v1/partners", h.listPartners)
	h.handle("GET /v1/partners/{key}", h.getPartner)
	h.handle("PUT /v1/partners/{key}", h.updatePartner)
	h.handle("PATCH /v1/partners/{key}", h.updatePartner)
	h.handle("DELETE /v1/partners/{key}", h.deletePartner)
	h.handle("POST /v1/partners/{key}/archive", h.partnerStatus(commission.PartnerArchived))
	h.handle("POST /v1/partners/{key}/restore", h.partnerStatus(commission.PartnerActive))
	h.handle("POST /v1/customers", h.createCustomer)
	h.handle("GET /v1/customers", h.listCustomers)
	h.handle("GET /v1/customers/{key}", h.getCustomer)
	h.handle("PUT /v1/customers/{key}", h.updateCustomer)
	h.handle("PATCH /v1/customers/{key}", h.updateCustomer)
	h.handle("DELETE /v1/customers/{key}", h.deleteCustomer)
	h.handle("POST /v1/customers/{key}/suspend", h.customerStatus(commission.CustomerSuspended))
	h.handle("POST /v1/customers/{key}/approve", h.customerStatus(commission.CustomerActive))

	// Webhook endpoints and their deliveries.
	h.handle("POST /v1/webhooks", h.createEndpoint)
	h.handle("GET /v1/webhooks", h.listEndpoints)
	h.handle("GET /v1/webhooks/{id}", h.getEndpoint)
	h.handle("PUT /v1/webhooks/{id}", h.updateEndpoint)
	h.handle("DELETE /v1/webhooks/{id}", h.deleteEndpoint)
	h.handle("GET /v1/webhooks/{id}/deliveries", h.listDeliveries)
	h.handle("POST /v1/webhooks/{id}/deliveries/{position}/retry", h.retryDelivery)
}

// healthTimeout bounds the engine read GET /healthz makes.
const healthTimeout = 2 * time.Second

// healthz answers {"status":"ok"} when the store answers a read: the
// lookup of a transaction key, found or not.
func (h *Handler) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), healthTimeout)
	defer cancel()
	_, err := h.eng.Transaction(ctx, "healthz")
	if err != nil && !errors.Is(err, commission.ErrNotFound) {
		h.logError(r, "health check failed", err)
		w.Header().Set("Retry-After", "1")
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// after answers a change the engine returns nothing of with what read
// reads after it; the change is done, so a failed read is logged and
// answered with null data rather than an error.
func after[T any](h *Handler, r *http.Request, read func(context.Context) (T, error)) (any, error) {
	v, err := read(r.Context())
	if err != nil {
		h.logError(r, "reading after a change failed", err)
		return nil, nil
	}
	return v, nil
}
