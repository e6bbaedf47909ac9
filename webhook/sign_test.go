package webhook_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/commissionkit/commission/webhook"
)

// Sign is HMAC-SHA256 in lower-case hex (RFC 4231's test case 2, and
// the well-known "quick brown fox" value).
func TestSign(t *testing.T) {
	require.Equal(t, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
		webhook.Sign("Jefe", []byte("what do ya want for nothing?")))
	require.Equal(t, "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8",
		webhook.Sign("key", []byte("The quick brown fox jumps over the lazy dog")))
}

func TestVerify(t *testing.T) {
	body := []byte(`{"event":"partner.created"}`)
	sig := webhook.Sign(testSecret, body)
	require.True(t, webhook.Verify(testSecret, body, sig))
	require.True(t, webhook.Verify(testSecret, body, strings.ToUpper(sig)), "upper-case hex")
	for name, bad := range map[string]string{
		"empty":       "",
		"truncated":   sig[:62],
		"longer":      sig + "00",
		"not hex":     "zz" + sig[2:],
		"other":       webhook.Sign(testSecret, []byte("{}")),
		"with prefix": "sha256=" + sig,
		"spaces":      " " + sig,
	} {
		require.False(t, webhook.Verify(testSecret, body, bad), name)
	}
	require.False(t, webhook.Verify(testSecret+"x", body, sig), "another secret")
	require.False(t, webhook.Verify(testSecret, append(body, ' '), sig), "another body")
}

func TestVerifyRequest(t *testing.T) {
	t.Parallel() // reading MaxBodySize bytes takes seconds under -race
	body := []byte(`{"event":"partner.created","data":{}}`)
	newReq := func(sig string, body io.Reader) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/hooks", body)
		if sig != "" {
			r.Header.Set(webhook.SignatureHeader, sig)
		}
		return r
	}
	got, err := webhook.VerifyRequest(testSecret, newReq(webhook.Sign(testSecret, body), bytes.NewReader(body)))
	require.NoError(t, err)
	require.Equal(t, body, got)

	_, err = webhook.VerifyRequest(testSecret, newReq("", bytes.NewReader(body)))
	require.ErrorIs(t, err, webhook.ErrInvalidSignature)
	_, err = webhook.VerifyRequest(testSecret, newReq(webhook.Sign("another secret", body), bytes.NewReader(body)))
	require.ErrorIs(t, err, webhook.ErrInvalidSignature)

	// A body larger than MaxBodySize, streamed, or declared.
	streamed := newReq(webhook.Sign(testSecret, body), io.LimitReader(junk{}, webhook.MaxBodySize+1))
	declared := newReq(webhook.Sign(testSecret, body), junk{})
	declared.ContentLength = webhook.MaxBodySize + 1
	for _, r := range []*http.Request{streamed, declared} {
		_, err = webhook.VerifyRequest(testSecret, r)
		var tooLarge *http.MaxBytesError
		require.True(t, errors.As(err, &tooLarge), "%v", err)
		require.NotErrorIs(t, err, webhook.ErrInvalidSignature)
	}
}

// junk reads endlessly, whatever p holds (its content does not matter).
type junk struct{}

func (junk) Read(p []byte) (int, error) { return len(p), nil }
