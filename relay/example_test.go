package relay_test

import (
	"context"
	"log"
	"log/slog"
	"os"
	"os/signal"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/shopspring/decimal"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/memstore"
	"github.com/commissionkit/commission/relay"
)

// An application publishes its program's events on
// commission.events.<type> to the stream COMMISSION until it is
// interrupted.
func Example() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	eng, err := commission.New(memstore.New(), commission.Program{
		ID: "prog_1", Kind: commission.Affiliate, Currency: "USD",
		Rules: commission.RuleSet{Default: commission.Percent(decimal.RequireFromString("30"))},
	})
	if err != nil {
		log.Fatal(err)
	}

	nc, err := nats.Connect(nats.DefaultURL)
	if err != nil {
		log.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		log.Fatal(err)
	}
	_, err = js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:       "COMMISSION",
		Subjects:   []string{"commission.events.>"},
		Storage:    jetstream.FileStorage,
		Duplicates: 10 * time.Minute, // longer than a restart of the relay
	})
	if err != nil {
		log.Fatal(err)
	}

	err = relay.Run(ctx, relay.Config{
		Engine:  eng,
		JS:      js,
		Subject: "commission.events",
		Stream:  "COMMISSION",
		Logger:  slog.Default(),
	})
	if err != nil && ctx.Err() == nil {
		log.Fatal(err)
	}
}
