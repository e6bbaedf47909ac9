package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// SignatureHeader is the request header that holds a delivery's
// signature: the hex HMAC-SHA256 of the raw body under the endpoint's
// secret (Sign).
const SignatureHeader = "Signature"

// MaxBodySize is the largest body VerifyRequest reads, in bytes. An event
// is the changed resource's JSON: a payout that pays many rewards lists
// them all.
const MaxBodySize = 32 << 20

// ErrInvalidSignature is returned by VerifyRequest for a request whose
// Signature header is missing or does not match its body.
var ErrInvalidSignature = errors.New("webhook: invalid signature")

// Sign returns the signature of body under secret: the HMAC-SHA256 of
// body keyed with secret's bytes, in lower-case hex.
func Sign(secret string, body []byte) string {
	return hex.EncodeToString(mac(secret, body))
}

func mac(secret string, body []byte) []byte {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write(body)
	return h.Sum(nil)
}

// Verify reports whether signature is body's signature under secret
// (Sign), in hex of either case. It compares in constant time.
func Verify(secret string, body []byte, signature string) bool {
	got, err := hex.DecodeString(signature)
	if err != nil || len(got) != sha256.Size {
		return false
	}
	return hmac.Equal(got, mac(secret, body))
}

// VerifyRequest reads r's body, of at most MaxBodySize bytes, and returns
// it when r's Signature header is its signature under secret. A missing
// or wrong signature is ErrInvalidSignature; a larger body is an
// *http.MaxBytesError. It does not close the body (the server does).
func VerifyRequest(secret string, r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, fmt.Errorf("%w: no body", ErrInvalidSignature)
	}
	if r.ContentLength > MaxBodySize {
		return nil, fmt.Errorf("webhook: reading the body: %w", &http.MaxBytesError{Limit: MaxBodySize})
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, MaxBodySize))
	if err != nil {
		return nil, fmt.Errorf("webhook: reading the body: %w", err)
	}
	sig := r.Header.Get(SignatureHeader)
	if sig == "" {
		return nil, fmt.Errorf("%w: no %s header", ErrInvalidSignature, SignatureHeader)
	}
	if !Verify(secret, body, sig) {
		return nil, ErrInvalidSignature
	}
	return body, nil
}
