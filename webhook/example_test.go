package webhook_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/shopspring/decimal"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/memstore"
	"github.com/commissionkit/commission/webhook"
)

// A receiver checks each delivery's signature and decodes its envelope;
// the dispatcher sends it the program's events, in order. An application
// runs the dispatcher with Run, in a goroutine, until it stops; RunOnce
// makes a single pass.
func Example() {
	ctx := context.Background()
	eng, _ := commission.New(memstore.New(), commission.Program{ID: "prog_1", Kind: commission.Affiliate,
		Currency: "USD", Rules: commission.RuleSet{Default: commission.Percent(decimal.RequireFromString("30"))}})

	const secret = "a secret of 16 bytes or more"
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := webhook.VerifyRequest(secret, r)
		if err != nil {
			http.Error(w, "invalid signature", http.StatusUnauthorized)
			return
		}
		var env webhook.Envelope
		if err := json.Unmarshal(body, &env); err != nil {
			http.Error(w, "invalid body", http.StatusBadRequest)
			return
		}
		fmt.Println(r.Header.Get(webhook.HeaderPosition), env.Event, env.WebhookKey, string(env.Data) != "")
	}))
	defer receiver.Close()

	_, err := eng.CreateEndpoint(ctx, commission.EndpointInput{Key: "crm", URL: receiver.URL, Secret: secret})
	if err != nil {
		panic(err)
	}
	eng.CreatePartner(ctx, commission.PartnerInput{Key: "partner_123"})
	eng.CreateCustomer(ctx, commission.CustomerInput{Key: "customer_123",
		Partner: &commission.PartnerRef{Key: "partner_123"}})

	d := &webhook.Dispatcher{Engine: eng}
	n, err := d.RunOnce(ctx)
	fmt.Println("attempts:", n, err)
	// Output:
	// 1 partner.created crm true
	// 2 customer.created crm true
	// attempts: 2 <nil>
}

// Verify checks a body against its Signature header.
func ExampleVerify() {
	body := []byte(`{"event":"partner.created","url":"https://example.com/hooks","webhook_key":"crm","created_at":"2025-05-07T05:32:48.000000Z","data":{}}`)
	sig := webhook.Sign("a secret of 16 bytes or more", body)
	fmt.Println(webhook.Verify("a secret of 16 bytes or more", body, sig))
	fmt.Println(webhook.Verify("another secret", body, sig))
	// Output:
	// true
	// false
}
