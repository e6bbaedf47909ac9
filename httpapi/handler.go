package httpapi

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/commissionkit/commission"
)

// DefaultMaxBodyBytes is the largest request body a Handler reads when
// Options.MaxBodyBytes is zero: a bulk of commission.MaxBulk sales, each
// with its products and customer spelled out, fits with room to spare.
const DefaultMaxBodyBytes = 2 << 20

// Options configures a Handler.
type Options struct {
	// APIKeys are the keys a client may send as "Authorization: Bearer
	// <key>". Each is compared in constant time. Every route but
	// GET /healthz requires one of them.
	APIKeys []string

	// AllowNoAuth lets New build a handler without APIKeys, which then
	// serves every route to anyone. It is meant for tests and for a
	// server that listens on the loopback interface only; with APIKeys
	// set it changes nothing (the keys are required).
	AllowNoAuth bool

	// MaxBodyBytes is the largest request body read; a larger one is
	// answered 413. DefaultMaxBodyBytes when zero.
	MaxBodyBytes int64

	// Logger receives one access-log record per request (method, path,
	// status, duration, bytes written), at Info, and the errors answered
	// 500 or 503, at Error. Nil logs nothing. Query strings and headers
	// are never logged.
	Logger *slog.Logger

	// BaseURL is the scheme and host ("https://api.example.com") that the
	// pagination links of list responses start with. When empty they are
	// made from the request: its Host header, and https when it came over
	// TLS. Set it behind a proxy that terminates TLS or rewrites hosts.
	BaseURL string
}

// Handler serves the commission HTTP API over an Engine. It is safe for
// concurrent use. Build it with New.
type Handler struct {
	eng     *commission.Engine
	keys    [][sha256.Size]byte
	noAuth  bool
	maxBody int64
	log     *slog.Logger
	base    string
	mux     *http.ServeMux
}

// New returns a handler serving the API over eng. It refuses a nil
// engine, an empty key, a negative MaxBodyBytes, a BaseURL that is not an
// absolute http(s) URL without a path, and no APIKeys unless AllowNoAuth
// is set.
func New(eng *commission.Engine, opts Options) (*Handler, error) {
	if eng == nil {
		return nil, errors.New("httpapi: New: nil engine")
	}
	if len(opts.APIKeys) == 0 && !opts.AllowNoAuth {
		return nil, errors.New("httpapi: New: no API keys (set Options.APIKeys, or Options.AllowNoAuth to serve without authentication)")
	}
	if opts.MaxBodyBytes < 0 {
		return nil, fmt.Errorf("httpapi: New: MaxBodyBytes is %d, below 0", opts.MaxBodyBytes)
	}
	h := &Handler{
		eng: eng, noAuth: len(opts.APIKeys) == 0, maxBody: opts.MaxBodyBytes,
		log: opts.Logger, mux: http.NewServeMux(),
	}
	if h.maxBody == 0 {
		h.maxBody = DefaultMaxBodyBytes
	}
	for i, k := range opts.APIKeys {
		if strings.TrimSpace(k) == "" {
			return nil, fmt.Errorf("httpapi: New: APIKeys[%d] is empty", i)
		}
		h.keys = append(h.keys, sha256.Sum256([]byte(k)))
	}
	if opts.BaseURL != "" {
		u, err := url.Parse(opts.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.Trim(u.Path, "/") != "" || u.RawQuery != "" {
			return nil, fmt.Errorf("httpapi: New: BaseURL %q is not an absolute http(s) URL without a path", opts.BaseURL)
		}
		h.base = u.Scheme + "://" + u.Host
	}
	h.routes()
	return h, nil
}

// ServeHTTP authenticates the request, routes it, and writes its answer
// in the envelope; it logs it when the handler has a Logger.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &recorder{ResponseWriter: w}
	if h.log != nil {
		defer func() {
			h.log.LogAttrs(r.Context(), slog.LevelInfo, "http request",
				slog.String("method", r.Method), slog.String("path", r.URL.Path),
				slog.Int("status", rec.status()), slog.Duration("duration", time.Since(start)),
				slog.Int64("bytes", rec.bytes))
		}()
	}
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			h.logError(r, "http handler panicked", fmt.Errorf("panic: %v", v))
			if !rec.wrote {
				writeError(rec, &apiError{status: http.StatusInternalServerError, code: "internal", message: msgInternal})
			}
		}
	}()

	if r.URL.Path != "/healthz" && !h.authorized(r) {
		challenge := `Bearer realm="commission"`
		if r.Header.Get("Authorization") != "" {
			challenge += `, error="invalid_token"`
		}
		rec.Header().Set("WWW-Authenticate", challenge)
		writeError(rec, errUnauthenticated)
		return
	}
	if r.ContentLength > h.maxBody {
		rec.Header().Set("Connection", "close")
		writeError(rec, h.tooLarge())
		return
	}
	if r.Body != nil {
		r.Body = http.MaxBytesReader(w, r.Body, h.maxBody)
	}
	if _, pattern := h.mux.Handler(r); pattern == "" {
		h.unrouted(rec, r)
		return
	}
	h.mux.ServeHTTP(rec, r)
}

// authorized reports whether r carries one of the keys, or no key is
// required. Every key is compared, in constant time, whichever matches.
func (h *Handler) authorized(r *http.Request) bool {
	if h.noAuth {
		return true
	}
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	sum := sha256.Sum256([]byte(strings.TrimSpace(token)))
	match := 0
	for i := range h.keys {
		match |= subtle.ConstantTimeCompare(sum[:], h.keys[i][:])
	}
	return match == 1
}

// unrouted answers a request no pattern matches: the mux's own answer
// (404, 405 with its Allow header, or a redirect to the cleaned path) is
// taken, and a 404 or 405 written in the envelope.
func (h *Handler) unrouted(w http.ResponseWriter, r *http.Request) {
	mh, _ := h.mux.Handler(r)
	c := &capture{header: http.Header{}}
	mh.ServeHTTP(c, r)
	switch c.code {
	case http.StatusMethodNotAllowed:
		w.Header().Set("Allow", c.header.Get("Allow"))
		writeError(w, &apiError{status: http.StatusMethodNotAllowed, code: "method_not_allowed", message: "Method not allowed"})
	case http.StatusNotFound, 0:
		writeError(w, errRouteNotFound)
	default:
		for k, v := range c.header {
			w.Header()[k] = v
		}
		w.WriteHeader(c.code)
		w.Write(c.body)
	}
}

// logError logs an error the client is not told the details of.
func (h *Handler) logError(r *http.Request, msg string, err error) {
	if h.log != nil {
		h.log.LogAttrs(r.Context(), slog.LevelError, msg,
			slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.String("error", err.Error()))
	}
}

// recorder is the response writer handlers write to: it keeps the status
// and the bytes written, for the access log.
type recorder struct {
	http.ResponseWriter
	code  int
	wrote bool
	bytes int64
}

func (r *recorder) WriteHeader(code int) {
	if !r.wrote {
		r.code, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if !r.wrote {
		r.code, r.wrote = http.StatusOK, true
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

func (r *recorder) status() int {
	if !r.wrote {
		return http.StatusOK
	}
	return r.code
}

// Unwrap lets http.ResponseController reach the server's writer.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// capture keeps what the mux answers a request it has no route for.
type capture struct {
	header http.Header
	code   int
	body   []byte
}

func (c *capture) Header() http.Header { return c.header }
func (c *capture) WriteHeader(code int) {
	if c.code == 0 {
		c.code = code
	}
}
func (c *capture) Write(b []byte) (int, error) {
	if c.code == 0 {
		c.code = http.StatusOK
	}
	c.body = append(c.body, b...)
	return len(b), nil
}
