package main

import (
	"log/slog"
	"net/http"

	"github.com/commissionkit/commission"
	"github.com/commissionkit/commission/httpapi"
)

// newAPI is the HTTP API serve runs: the published API over eng, with
// GET /healthz, an access log at Info on logger, and the keys required
// (none: anyone may call it, which serve allows on loopback only).
func newAPI(eng *commission.Engine, keys []string, logger *slog.Logger) (http.Handler, error) {
	return httpapi.New(eng, httpapi.Options{APIKeys: keys, AllowNoAuth: len(keys) == 0, Logger: logger})
}
