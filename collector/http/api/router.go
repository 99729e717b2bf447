// Package api is the collector's HTTP API (gin, JSON): departments push reports, anyone
// on the network reads indicators, revisions and departments, operators probe health.
// One file per endpoint; the OpenAPI document beside them is served at
// /api/v1/openapi.json and a test keeps it in step with the routes.
package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/time/rate"

	"github.com/duban-gov/duban/collector"
	"github.com/duban-gov/duban/collector/auth"
	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/indicators/evaluate"
)

// Service is what the API needs of the collector (implemented by *collector.Service).
type Service interface {
	Catalog() *indicators.Catalog
	// EvalConfig is the evaluation configuration: the reporting calendar of
	// completeness, bulletins and templates.
	EvalConfig() evaluate.Config
	Series(id string) []indicators.Revision
	Evaluate(now time.Time) []evaluate.Result
	History(ctx context.Context, id string) ([]indicators.Revision, error)
	// FirstArrivals answers, in bulk, when each indicator's first revision for each
	// period end arrived (collector.Store.FirstArrivals).
	FirstArrivals(ctx context.Context, periodEnds []time.Time) ([]indicators.Arrival, error)
	Submit(ctx context.Context, p collector.Principal, reports []indicators.Report, remote string) ([]collector.Receipt, error)
	CountRejected(p collector.Principal, n int)
	Ready(ctx context.Context) (bool, string)
	Now() time.Time
}

// Config configures the router.
type Config struct {
	Service Service             // required
	Auth    *auth.Authenticator // required
	Logger  *slog.Logger

	// MaxBodyBytes bounds a request body (default 1 MiB; larger answers 413).
	MaxBodyBytes int64
	// RatePerSecond and RateBurst limit POSTs per token (token bucket). Defaults 200/s
	// and 400; RatePerSecond < 0 turns the limit off.
	RatePerSecond float64
	RateBurst     int
	// MaxConcurrent bounds requests in flight (default 256; more answer 503). The health
	// endpoints are exempt. < 0 turns the bound off.
	MaxConcurrent int
	// TokenShare is the part of MaxConcurrent one token, or all anonymous callers
	// together, may hold: max(1, ⌊MaxConcurrent × TokenShare⌋), at most MaxConcurrent−1
	// (default 0.125, at most 0.5; see access.go).
	TokenShare float64
	// Read says whether reads (board, API GETs, bulletins, templates, /metrics) are
	// public (the default) or need a token.
	Read ReadAccess
	// MinBodyRate cuts request bodies slower than this many bytes/s after MinBodyGrace
	// (408 body_too_slow); 0 turns it off. ReadTimeout, the server's whole-request
	// bound, caps how far the rate moves the read deadline (0: no cap).
	MinBodyRate  int64
	MinBodyGrace time.Duration
	ReadTimeout  time.Duration
	// CORSOrigins lists the origins allowed to call the API from a browser; empty (the
	// default) sends no Access-Control-* header at all. "*" allows any origin.
	CORSOrigins []string
	// TrustedProxies are the proxies whose X-Forwarded-For gives the client address
	// recorded with each revision; none by default (the TCP peer is recorded).
	TrustedProxies []string

	// Mounts: optional handlers wired by other packages.
	Metrics http.Handler     // GET /metrics (collector/http/metrics)
	Board   http.Handler     // GET / and every path outside /api and /-/ (the board)
	Backup  BackupFunc       // GET /-/backup (admin token); nil answers 501 (backup.go)
	Now     func() time.Time // clock for rate limiting; defaults to time.Now

	testRoutes func(r gin.IRouter) // routes a test adds beside the real ones (export_test.go)
}

func (c *Config) defaults() error {
	if c.Service == nil {
		return fmt.Errorf("api: service is required")
	}
	if c.Auth == nil {
		return fmt.Errorf("api: authenticator is required")
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = 1 << 20
	}
	if c.RatePerSecond == 0 {
		c.RatePerSecond = 200
	}
	if c.RateBurst <= 0 {
		c.RateBurst = 2 * int(c.RatePerSecond)
		if c.RateBurst < 1 {
			c.RateBurst = 1
		}
	}
	if c.MaxConcurrent == 0 {
		c.MaxConcurrent = 256
	}
	if c.TokenShare == 0 {
		c.TokenShare = defaultTokenShare
	}
	if c.TokenShare < 0 || c.TokenShare > maxTokenShare {
		return fmt.Errorf("api: token share %v: give a fraction in (0, %v] so that one token cannot hold every slot", c.TokenShare, maxTokenShare)
	}
	switch c.Read {
	case "":
		c.Read = ReadPublic
	case ReadPublic, ReadToken:
	default:
		return fmt.Errorf("api: read access %q: use public or token", c.Read)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return nil
}

var ginMode sync.Once

// New builds the gin engine with every route of the API and the configured mounts.
func New(cfg Config) (*gin.Engine, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	ginMode.Do(func() { gin.SetMode(gin.ReleaseMode) })
	r := gin.New()
	if err := r.SetTrustedProxies(cfg.TrustedProxies); err != nil {
		return nil, fmt.Errorf("api: trusted proxies: %w", err)
	}
	r.HandleMethodNotAllowed = true
	// readCache buffers GET and HEAD answers (ETag, 304, gzip) outside recoverPanics, so
	// that the 500 of a panic goes through it too; /metrics compresses itself.
	r.Use(logRequests(cfg.Logger), readCache(func(p string) bool { return p == "/metrics" || p == "/-/backup" }), recoverPanics(cfg.Logger))
	if len(cfg.CORSOrigins) > 0 {
		r.Use(cors(cfg.CORSOrigins))
	}
	g := newGate(cfg) // access.go: per-token in-flight shares, who may read
	r.NoRoute(g.limit(true), g.boardReads(), noRoute(cfg.Board))
	r.NoMethod(func(c *gin.Context) {
		abortError(c, http.StatusMethodNotAllowed, "method_not_allowed", fmt.Sprintf("%s is not allowed on %s", c.Request.Method, c.Request.URL.Path))
	})

	r.Match(getHead, "/-/healthy", healthy)
	r.Match(getHead, "/-/ready", ready(cfg.Service))
	r.GET("/-/backup", backup(cfg)) // a stream of the whole store: no HEAD, not buffered

	limited := r.Group("/", guardBodies(cfg.MinBodyRate, cfg.MinBodyGrace, cfg.ReadTimeout), g.limit(false), g.reads())
	v1 := limited.Group("/api/v1")
	v1.Match(getHead, "/openapi.json", openAPI)
	v1.POST("/reports", postReports(cfg))
	v1.Match(getHead, "/indicators", listIndicators(cfg.Service))
	v1.Match(getHead, "/indicators/:id", getIndicator(cfg.Service))
	v1.Match(getHead, "/indicators/:id/reports", getReports(cfg.Service))
	v1.Match(getHead, "/departments", listDepartments(cfg.Service))
	// The supervision cycle: completeness, quarterly bulletins, Excel templates.
	v1.Match(getHead, "/completeness", getCompleteness(cfg.Service))
	v1.Match(getHead, "/bulletins/:period", getBulletin(cfg.Service, cfg.Logger))
	v1.Match(getHead, "/templates/:department", getTemplate(cfg.Service))

	// Mounts: other packages' handlers come through Config. Every read answers HEAD as
	// well (getHead).
	if cfg.Metrics != nil {
		r.Match(getHead, "/metrics", g.limit(false), g.scrape(), gin.WrapH(cfg.Metrics))
	}
	if cfg.testRoutes != nil {
		cfg.testRoutes(limited)
	}
	return r, nil
}

// noRoute answers unknown API paths with the error envelope and hands every other path
// to the board when there is one.
func noRoute(board http.Handler) gin.HandlerFunc {
	return func(c *gin.Context) {
		p := c.Request.URL.Path
		if board != nil && !strings.HasPrefix(p, "/api/") && !strings.HasPrefix(p, "/-/") &&
			(c.Request.Method == http.MethodGet || c.Request.Method == http.MethodHead) {
			board.ServeHTTP(c.Writer, c.Request)
			c.Abort()
			return
		}
		abortError(c, http.StatusNotFound, codeNotFound, fmt.Sprintf("no such endpoint: %s %s; see /api/v1/openapi.json", c.Request.Method, p))
	}
}

// logRequests logs one line per request: method, path, status, duration, client, sender.
// It never logs headers (Authorization), query strings or bodies.
func logRequests(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		attrs := []slog.Attr{
			slog.String("method", c.Request.Method),
			slog.String("path", c.Request.URL.Path),
			slog.Int("status", c.Writer.Status()),
			slog.Duration("duration", time.Since(start)),
			slog.String("remote", c.ClientIP()),
			slog.Int("bytes", c.Writer.Size()),
		}
		if v, ok := c.Get(ctxSender); ok {
			attrs = append(attrs, slog.String("sender", v.(string)))
		}
		if v, ok := c.Get(ctxErrCode); ok {
			attrs = append(attrs, slog.String("error", v.(string)))
		}
		level := slog.LevelInfo
		if c.Writer.Status() >= 500 {
			level = slog.LevelWarn
		}
		log.LogAttrs(c.Request.Context(), level, "http request", attrs...)
	}
}

func recoverPanics(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			if v := recover(); v != nil {
				if err, ok := v.(error); ok && errors.Is(err, http.ErrAbortHandler) {
					panic(v)
				}
				log.Error("panic in handler", "path", c.Request.URL.Path, "panic", fmt.Sprint(v))
				abortError(c, http.StatusInternalServerError, codeInternal, "internal error")
			}
		}()
		c.Next()
	}
}

// cors allows the configured origins; without configuration this middleware is absent.
func cors(origins []string) gin.HandlerFunc {
	anyOrigin := false
	allowed := map[string]bool{}
	for _, o := range origins {
		if o == "*" {
			anyOrigin = true
		}
		allowed[strings.TrimRight(o, "/")] = true
	}
	return func(c *gin.Context) {
		origin := c.GetHeader("Origin")
		if origin != "" && (anyOrigin || allowed[origin]) {
			h := c.Writer.Header()
			h.Set("Access-Control-Allow-Origin", origin)
			h.Add("Vary", "Origin")
			if c.Request.Method == http.MethodOptions {
				h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
				h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
				h.Set("Access-Control-Max-Age", "600")
				c.AbortWithStatus(http.StatusNoContent)
				return
			}
		}
		c.Next()
	}
}

// Context keys set by handlers for the request log.
const (
	ctxSender  = "duban.sender"
	ctxErrCode = "duban.error"
)

// limiters holds one token bucket per configured token, built once: no lock on lookup.
type limiters struct {
	by  []*rate.Limiter
	now func() time.Time
}

func newLimiters(n int, perSecond float64, burst int, now func() time.Time) *limiters {
	if perSecond < 0 {
		return nil
	}
	l := &limiters{by: make([]*rate.Limiter, n), now: now}
	for i := range l.by {
		l.by[i] = rate.NewLimiter(rate.Limit(perSecond), burst)
	}
	return l
}

// allow takes one token of key's bucket, or says how long to wait for one.
func (l *limiters) allow(key int) (bool, time.Duration) {
	if l == nil || key < 0 || key >= len(l.by) {
		return true, 0
	}
	now := l.now()
	res := l.by[key].ReserveN(now, 1)
	if !res.OK() {
		return false, time.Second
	}
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return false, d
	}
	return true, 0
}
