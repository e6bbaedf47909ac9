package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/commissionkit/commission/webhook"
)

var serveCmd = &command{
	name:    "serve",
	summary: "run the HTTP API (and the webhook dispatcher) until SIGTERM",
	usage: `
Usage: commission serve [-addr HOST:PORT] [-db sqlite|postgres|mysql] [-dsn DSN]
                        [-program FILE] [-webhooks=false] [-drain 30s]

Serves the program's HTTP API on -addr (127.0.0.1:8080 by default), on the
SQLite file commission.db unless -db and -dsn say otherwise, migrating the
database first (-migrate=false skips it). GET /healthz answers 200 while the
database answers.

API keys: COMMISSION_API_KEYS holds the keys clients may use, separated by
commas (COMMISSION_API_KEYS=sk_live_1,sk_live_2); a request must send one
(Authorization: Bearer <key>). Without it, serve refuses to listen on
anything but a loopback address (127.0.0.1, ::1, localhost), where it
serves without authentication and logs a warning: an open API on a
network would let anyone record sales and pay them out.

Webhooks: serve also runs the webhook dispatcher, which POSTs the
program's events to the endpoints registered through the API, resuming
where it stopped; -webhooks=false leaves that to another process (run only
one dispatcher per program).

Stopping: on SIGTERM or SIGINT (Ctrl-C), serve stops accepting
connections, lets the requests in progress finish (for up to -drain), stops
the dispatcher and closes the database, then exits with status 0; 1 if
requests were still running after -drain. A second Ctrl-C exits at once.

Logs go to stderr through log/slog: one line per request (method, path,
status, bytes, duration), the engine's failures, the dispatcher's failed
attempts; -log-level debug adds every operation.`,
	run: runServe,
}

type serveFlags struct {
	storeFlags
	addr      string
	webhooks  bool
	drain     time.Duration
	logLevel  string
	logFormat string
}

func (f *serveFlags) register(fs *flag.FlagSet, c *cli) {
	f.storeFlags.register(fs, c)
	fs.StringVar(&f.addr, "addr", "127.0.0.1:8080", "`address` to listen on, host:port (port 0 picks a free one)")
	fs.BoolVar(&f.webhooks, "webhooks", true, "run the webhook dispatcher in this process")
	fs.DurationVar(&f.drain, "drain", 30*time.Second, "on SIGTERM, how long requests in progress may take to finish")
	fs.StringVar(&f.logLevel, "log-level", "info", "log `level`: debug, info, warn or error")
	fs.StringVar(&f.logFormat, "log-format", "text", "log `format`: text or json")
}

// apiKeysEnv names the variable holding the API keys.
const apiKeysEnv = "COMMISSION_API_KEYS"

// apiKeys returns the keys of COMMISSION_API_KEYS.
func apiKeys(c *cli) []string {
	var keys []string
	for k := range strings.SplitSeq(c.getenv(apiKeysEnv), ",") {
		if k = strings.TrimSpace(k); k != "" {
			keys = append(keys, k)
		}
	}
	return keys
}

// newLogger returns the slog logger the flags ask for, writing to w.
func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, usagef("-log-level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: l}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, usagef("-log-format %q: want text or json", format)
}

func runServe(ctx context.Context, c *cli, cmd *command, args []string) error {
	var f serveFlags
	fs := newFlagSet(c, cmd)
	f.register(fs, c)
	if err := c.parse(fs, args, false); err != nil {
		return err
	}
	if err := f.check(); err != nil {
		return err
	}
	if f.drain <= 0 {
		return usagef("-drain %v: must be positive", f.drain)
	}
	logger, err := newLogger(c.stderr, f.logLevel, f.logFormat)
	if err != nil {
		return err
	}
	keys := apiKeys(c)

	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	if len(keys) == 0 && !isLoopback(ln.Addr()) {
		return fmt.Errorf("refusing to serve on %s (%s, not a loopback address) without API keys: anyone who can reach it could record sales and pay them out.\n"+
			"Set %s to the keys clients must send (comma-separated), or listen on a loopback address (-addr 127.0.0.1:8080)", f.addr, ln.Addr(), apiKeysEnv)
	}

	eng, store, err := f.engineFor(ctx, logger)
	if err != nil {
		return err
	}
	defer store.DB().Close()
	api, err := newAPI(eng, keys, logger)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           api,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	dctx, stopDispatcher := context.WithCancel(context.Background())
	defer stopDispatcher()
	dispatched := make(chan struct{})
	if f.webhooks {
		d := &webhook.Dispatcher{Engine: eng, Logger: logger}
		go func() {
			defer close(dispatched)
			if err := d.Run(dctx); err != nil && !errors.Is(err, context.Canceled) {
				logger.Error("webhook dispatcher stopped", "error", err)
			}
		}()
	} else {
		close(dispatched)
	}

	auth := "API keys"
	if len(keys) == 0 {
		auth = "none"
		logger.Warn("serving without authentication: " + apiKeysEnv + " is not set; anyone who can reach " + ln.Addr().String() + " may call the API")
	}
	logger.Info("serving", "addr", ln.Addr().String(), "db", f.db, "program", eng.Program().ID,
		"auth", auth, "api_keys", len(keys), "webhooks", f.webhooks)
	if c.ready != nil {
		c.ready(ln.Addr().String())
	}

	select {
	case <-ctx.Done():
	case err := <-served:
		stopDispatcher()
		<-dispatched
		return fmt.Errorf("serving: %w", err)
	}
	if c.stopSignals != nil {
		c.stopSignals() // a second signal ends the process at once
	}
	logger.Info("shutting down: draining requests in progress", "timeout", f.drain)
	sctx, cancel := context.WithTimeout(context.Background(), f.drain)
	defer cancel()
	drainErr := srv.Shutdown(sctx)
	if drainErr != nil {
		logger.Error("requests still in progress after the drain timeout; closing their connections", "timeout", f.drain, "error", drainErr)
		srv.Close()
	}
	stopDispatcher()
	<-dispatched
	if err := store.DB().Close(); err != nil {
		logger.Error("closing the database", "error", err)
	}
	if drainErr != nil {
		return errReported
	}
	logger.Info("stopped")
	return nil
}

// isLoopback reports whether a listener's address is on a loopback
// interface only (not the unspecified address, which is every interface).
func isLoopback(a net.Addr) bool {
	tcp, ok := a.(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}
