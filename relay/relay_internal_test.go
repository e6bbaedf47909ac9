package relay

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/commissionkit/commission"
)

// What a retry may fix is retried; what it cannot is returned.
func TestIsPermanent(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{nats.ErrTimeout, false},
		{context.DeadlineExceeded, false},
		{jetstream.ErrNoStreamResponse, false},
		{errors.New("database is locked"), false},
		{fmt.Errorf("nats: %w", &jetstream.APIError{Code: 503, ErrorCode: 10077, Description: "maximum messages exceeded"}), false},
		{fmt.Errorf("relay: publishing event 3: %w", nats.ErrConnectionClosed), true},
		{nats.ErrMaxPayload, true},
		{fmt.Errorf("nats: %w", &jetstream.APIError{Code: 400, ErrorCode: 10060, Description: "expected stream does not match"}), true},
		{fmt.Errorf("relay: stream S: %w", jetstream.ErrStreamNotFound), true},
		{&commission.ValidationError{}, true},
		{permanent(errors.New("no")), true},
	} {
		require.Equal(t, c.want, isPermanent(c.err), "%v", c.err)
	}
}

func TestBackoff(t *testing.T) {
	prev := time.Duration(0)
	for n := 1; n <= 100; n++ {
		d := backoff(n)
		require.Greater(t, d, minBackoff*8/10-1, "retry %d", n)
		require.LessOrEqual(t, d, maxBackoff, "retry %d", n)
		if n < 5 {
			require.Greater(t, d, prev, "retry %d", n)
		}
		prev = d
	}
	require.Greater(t, backoff(100), maxBackoff*8/10-1)
}
