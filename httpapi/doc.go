// Package httpapi serves the published commission API over HTTP: an
// http.Handler that decodes the documented request bodies into the
// engine's input types, calls a *commission.Engine, and answers in the
// published envelope.
//
//	h, err := httpapi.New(eng, httpapi.Options{APIKeys: []string{key}, Logger: logger})
//	if err != nil {
//		return err
//	}
//	srv := &http.Server{Addr: ":8080", Handler: h, ReadHeaderTimeout: 10 * time.Second}
//
// It uses the standard library only (net/http's method and path
// patterns); the server around it (timeouts, TLS, shutdown) is the
// application's.
//
// # Authentication
//
// Every route but GET /healthz requires "Authorization: Bearer <key>"
// with one of Options.APIKeys (the scheme in any case); the key is
// compared in constant time with every configured key. Without it, or
// with another key, the answer is 401 (with a WWW-Authenticate
// challenge), before the body is read and before routing, so that unknown
// paths are 401 too. New refuses to build a handler without keys unless
// Options.AllowNoAuth says so (tests, a loopback-only server).
//
// # Envelope
//
// A success is 200 with
//
//	{"data": ..., "status": 1}
//
// where data is the resource's JSON as the engine writes it (a
// transaction is the documented response's data object; a bulk create's
// data is the list of transactions; a DELETE of a webhook answers null).
// The changes the engine returns nothing of (delete, archive and restore
// of a transaction; approve and reject of a reward) answer the resource
// as read after the change. Lists add links and meta (below).
//
// An error is
//
//	{"status": 0, "message": "Customer not found", "code": "customer_not_found"}
//
// with a message (the documented wording where the API documents one)
// and a stable machine-readable code, and, when fields are at fault,
// "errors": each field's JSON path (or query parameter) with its
// messages, every bad field at once:
//
//	{"status": 0, "message": "Validation error", "code": "validation_error",
//	 "errors": {"amount": ["amount or reward is required"], "customer.key": ["a customer key, email or id is required"]}}
//
// A failed bulk item adds "index" and names its fields under
// transactions[i]; a duplicate transaction key adds "key", "identical"
// (the rejected input describes the same sale: a retry) and "existing"
// (the stored transaction). Internal details are never in an answer;
// they go to Options.Logger.
//
// # Errors
//
//	Status  Code                 Message / cause
//	400     malformed_json       the body is not JSON (or has data after it)
//	400     not_an_object        the body is JSON but not an object (an empty body reads as {})
//	400     customer_not_found   "Customer not found" (ErrCustomerNotFound)
//	400     invalid_partner      "Invalid partner key" (ErrPartnerNotFound)
//	400     duplicate_key        "Duplicate key" (ErrDuplicateKey, *DuplicateError)
//	401     unauthenticated      no key, or not one of Options.APIKeys
//	404     not_found            no such route, transaction, reward, payout, partner, customer,
//	                             webhook or delivery (ErrNotFound)
//	405     method_not_allowed   the path exists for other methods, listed in the Allow header
//	409     already_deleted      ErrAlreadyDeleted: a repeated DELETE whose first attempt was done, a change
//	                             of a deleted partner or customer ("Partner already deleted", "Customer
//	                             already deleted"), a sale by a deleted customer ("Customer deleted",
//	                             naming customer)
//	409     already_archived     ErrAlreadyArchived
//	409     not_archived         ErrNotArchived
//	409     refunded             ErrRefunded
//	409     already_rewarded     ErrRewarded
//	409     not_in_review        ErrNotInReview
//	409     in_payout            ErrInPayout
//	409     below_threshold      ErrBelowThreshold
//	409     payout_settled       ErrPayoutSettled
//	409     not_failed           ErrNotFailed
//	413     too_large            the body is longer than Options.MaxBodyBytes
//	422     validation_error     *ValidationError, a field that does not decode, a bad query parameter
//	422     no_rate              ErrNoRate (names amount_units)
//	500     internal             anything else; the message says nothing more
//	503     commit_unknown       ErrCommitUnknown: repeat the same request (see below)
//	503     timeout, canceled    the request's context ended
//
// The 409s are states that forbid the operation, told apart from a bad
// request (400) and a bad field (422). An *ItemError of a bulk is
// answered with the status of the error it carries, and its index.
//
// A 503 carries Retry-After. After commit_unknown the change may or may
// not be stored; repeating the request is safe and tells which: a
// transaction or refund with the same key is never stored twice (a
// transaction answers 400 duplicate_key with "identical": true when the
// first attempt was stored; a refund answers the stored refund), and a
// repeated delete, archive or payout answers 409. Send a key with every
// transaction: a keyless one repeated is a second sale.
//
// # Routes
//
//	GET    /healthz                                    {"status":"ok"} (no key; 503 {"status":"unavailable"} when the store fails a read)
//	POST   /v1/transactions                            a sale (TransactionInput; products for several lines), or with
//	                                                   "transactions" a bulk (BulkTransactionsInput, up to commission.MaxBulk)
//	GET    /v1/transactions                            list: limit (1-250, 15), page (1-1000) or cursor; partner, customer, states
//	GET    /v1/transactions/{key}                      one, in any state (deleted_at set when deleted or archived)
//	DELETE /v1/transactions/{key}                      delete (reverses its rewards; the key stays taken)
//	POST   /v1/transactions/{key}/archive              archive
//	POST   /v1/transactions/{key}/revoke-archive       restore an archived one
//	POST   /v1/transactions/{key}/rewardable           MakeRewardable
//	POST   /v1/transactions/{key}/refunds              refund (RefundInput: key, amount or products)
//	GET    /v1/rewards                                 a beneficiary's rewards: beneficiary.*, amount_units, statuses, from, to, limit, cursor
//	GET    /v1/rewards/{id}                            one
//	POST   /v1/rewards/{id}/approve                    approve one in review
//	POST   /v1/rewards/{id}/reject                     reject one in review ({"reason": "..."})
//	GET    /v1/balances                                a beneficiary's balance: beneficiary.*, amount_units
//	GET    /v1/earnings                                per period: beneficiary.*, amount_units, by (day, month), from, to
//	POST   /v1/payouts                                 create (PayoutInput: beneficiary, amount_units, rewards)
//	GET    /v1/payouts                                 list: beneficiary.*, states, limit, cursor
//	GET    /v1/payouts/{id}                            one
//	POST   /v1/payouts/{id}/paid                       mark paid ({"reference": "..."}, required)
//	POST   /v1/payouts/{id}/cancel                     cancel a pending one
//	POST   /v1/partners                                create (PartnerInput)
//	GET    /v1/partners                                list: limit (1-250, 15), page (1-1000) or cursor; status, tag, email
//	GET    /v1/partners/{key}                          one (?by=id or ?by=email to name it otherwise)
//	PUT    /v1/partners/{key}                          change email, name, surname, tags (PartnerUpdate: a member
//	                                                   absent stays; "" or [] removes); PATCH the same
//	DELETE /v1/partners/{key}                          delete for privacy: the partner, its personal fields erased
//	POST   /v1/partners/{key}/archive                  status archived (?by as above)
//	POST   /v1/partners/{key}/restore                  status active
//	POST   /v1/customers                               create (CustomerInput)
//	GET    /v1/customers                               list: limit (1-250, 15), page (1-1000) or cursor; partner
//	                                                   (a key, or an id or email with partner_by=id|email), status
//	GET    /v1/customers/{key}                         one (?by=id or ?by=email)
//	PUT    /v1/customers/{key}                         change email, name, surname, tags (CustomerUpdate); PATCH the same
//	DELETE /v1/customers/{key}                         delete for privacy: the customer, its personal fields erased
//	POST   /v1/customers/{key}/suspend                 status suspended
//	POST   /v1/customers/{key}/approve                 status active
//	POST   /v1/webhooks                                create an endpoint (EndpointInput); the answer has its
//	                                                   "secret", which no other answer shows
//	GET    /v1/webhooks                                every endpoint
//	GET    /v1/webhooks/{id}                           one
//	PUT    /v1/webhooks/{id}                           change url, events, disabled (and secret, when given)
//	DELETE /v1/webhooks/{id}                           delete it and its deliveries (data null)
//	GET    /v1/webhooks/{id}/deliveries                by position: after, limit (1-250, 250), states
//	POST   /v1/webhooks/{id}/deliveries/{position}/retry   send a failed delivery again
//
// A beneficiary (whom money is owed: a partner in an affiliate program,
// a customer in a refer-a-friend program) is named by the query
// parameters beneficiary.id, beneficiary.key or beneficiary.email, the
// paths the engine's validation errors name. Times in queries are RFC
// 3339 or dates (YYYY-MM-DD, UTC). List parameters (states, statuses, status)
// repeat or are comma-separated. A GET route also answers HEAD.
//
// The partner and customer lists give every status but deleted unless
// status names some (status=deleted lists the deleted, their personal
// fields erased). A bad status is named "status", with the value at
// fault; an unknown partner filter is 400 invalid_partner, as a
// transaction list's. A deleted partner or customer still answers GET
// (status "deleted", without email, name, surname or tags); changing or
// deleting it again is 409 already_deleted, and a sale by a deleted
// customer is refused with 409 already_deleted.
//
// # Lists
//
// GET /v1/transactions, /v1/partners and /v1/customers answer Laravel's
// paginator shape (newest first):
//
//	{"data": [...],
//	 "links": {"first": ".../v1/transactions?page=1", "last": null, "prev": null, "next": ".../v1/transactions?page=2"},
//	 "meta": {"current_page": 1, "from": 1, "last_page": null, "path": ".../v1/transactions",
//	          "per_page": 15, "to": 15, "total": null, "next_cursor": "..."},
//	 "status": 1}
//
// The engine does not count a listing, so total, last_page and the last
// link are known, and given, only on the last page (the one with no
// next); before it they are null. from and to are null on an empty page.
// Links keep the request's other parameters (limit, filters). Past page
// 1000 (commission.MaxPage) the next link continues by cursor, and
// ?cursor=<next_cursor> walks any listing at the same cost per page; a
// page read by cursor has null current_page, from, to, prev and last.
// The rewards and payouts lists are walked by cursor only: links.first
// and links.next, and meta {path, per_page, next_cursor}. Deliveries are
// walked by position: meta.next_after is the after of the next page,
// null when the page is not full.
//
// # Limits
//
// A body longer than Options.MaxBodyBytes (DefaultMaxBodyBytes, 2 MiB,
// when zero: a bulk of 1,000 sales fits) is answered 413 without being
// stored, as soon as its Content-Length (or what was read) says so.
// Unknown body members are ignored. Bodies are not checked for a
// Content-Type.
package httpapi
