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
	"net"
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
	// Closure is the plan's closure record in force; SetClosed closes or reopens the plan
	// (collector.Service.SetClosed, closure.go).
	Closure() (collector.Closure, bool)
	SetClosed(ctx context.Context, p collector.Principal, closed bool, reason string) (collector.Closure, error)
	// Review stores the office's reviews, all or nothing (collector.Service.Review).
	Review(ctx context.Context, p collector.Principal, reviews []collector.ReviewRequest) ([]indicators.Review, error)
	CountRejected(p collector.Principal, n int)
	Ready(ctx context.Context) (bool, string)
	Now() time.Time
}

// Config configures the router.
type Config struct {
	Service Service // required: the default plan's, which the un-prefixed routes serve
	// Plans are the services of the other plans served (a service of the default plan
	// among them is ignored): each gets /api/v1/plans/{id}/…, and POST /api/v1/reports
	// routes a batch to the plan its reports name or pick.
	Plans []Service
	// Auth holds the authenticator in force (required); a reload stores another, and
	// the next request is checked against it.
	Auth   *auth.Live
	Logger *slog.Logger

	// Settings are what Apply changes while the API serves.
	Settings

	// ReadTimeout, the server's whole-request bound, caps how far MinBodyRate moves the
	// read deadline (0: no cap).
	ReadTimeout time.Duration
	// TrustedProxies are the proxies whose X-Forwarded-For gives the client address
	// recorded with each revision; none by default (the TCP peer is recorded).
	TrustedProxies []string

	// Mounts: optional handlers wired by other packages.
	Metrics http.Handler // GET /metrics (collector/http/metrics)
	Board   http.Handler // GET / and every path outside /api and /-/ (the board)
	Backup  BackupFunc   // GET /-/backup (admin token); nil answers 501 (backup.go)
	Reload  ReloadFunc   // POST /-/reload (admin token); nil answers 501 (reload.go)
	// Notify is the Alertmanager receiver (collector/notify), POST
	// /api/v1/notify/alertmanager with its own token; nil answers 501.
	Notify http.Handler
	// Reminder sends the office's 催报 (POST /api/v1/remind); nil answers 501.
	Reminder Reminder
	// BoardURL is the board's public address, linked from reminders.
	BoardURL string
	// Workspace is the departments' pages in the browser, with their own sign-in
	// (collector/http/workspace; see Workspace).
	Workspace Workspace
	Now       func() time.Time // clock for rate limiting; defaults to time.Now

	testRoutes func(r gin.IRouter) // routes a test adds beside the real ones (export_test.go)
}

// Workspace is what the router needs of the departments' pages: they are mounted on
// the exact paths they name for GET, HEAD and POST, behind the same in-flight shares
// and slow-body guard as the API but never behind auth.read (a page without a session
// sends the browser to sign in, and the sign-in page must open). The pages learn the
// client's address with ClientIP. A valid session also identifies its browser on reads
// (board, API GETs, bulletins) when no token is sent, and on the pages themselves for
// its in-flight share; never on the API's POST, which takes a bearer token only.
// Identify checks the session against the authenticator of the policy the request
// runs under, so that the identity's Key indexes that policy's slots.
type Workspace interface {
	http.Handler
	Paths() []string
	Identify(r *http.Request, a *auth.Authenticator) (auth.Identity, bool)
}

func (c *Config) defaults() error {
	if c.Service == nil {
		return fmt.Errorf("api: service is required")
	}
	if c.Auth == nil || c.Auth.Load() == nil {
		return fmt.Errorf("api: authenticator is required")
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c.Settings.defaults()
}

var ginMode sync.Once

// New builds the gin engine with every route of the API and the configured mounts.
// The API it returns serves with cfg.Settings until Apply changes them.
func New(cfg Config) (*API, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	ginMode.Do(func() { gin.SetMode(gin.ReleaseMode) })
	r := gin.New()
	if err := r.SetTrustedProxies(cfg.TrustedProxies); err != nil {
		return nil, fmt.Errorf("api: trusted proxies: %w", err)
	}
	a := &API{Engine: r, auth: cfg.Auth, now: cfg.Now}
	a.rebuild(&cfg.Settings)
	r.HandleMethodNotAllowed = true
	// readCache buffers GET and HEAD answers (ETag, 304, gzip) outside recoverPanics, so
	// that the 500 of a panic goes through it too; /metrics compresses itself.
	r.Use(logRequests(cfg.Logger), readCache(func(p string) bool { return p == "/metrics" || p == "/-/backup" }), recoverPanics(cfg.Logger), a.cors())
	g := newGate(cfg, a.policy) // access.go: per-token in-flight shares, who may read
	r.NoRoute(g.limit(true), g.boardReads(), noRoute(cfg.Board))
	r.NoMethod(func(c *gin.Context) {
		abortError(c, http.StatusMethodNotAllowed, "method_not_allowed", fmt.Sprintf("%s is not allowed on %s", c.Request.Method, c.Request.URL.Path))
	})

	r.Match(getHead, "/-/healthy", healthy)
	r.Match(getHead, "/-/ready", ready(cfg.Service))
	r.GET("/-/backup", backup(cfg))  // a stream of the whole store: no HEAD, not buffered
	r.POST("/-/reload", reload(cfg)) // reload.go

	limited := r.Group("/", guardBodies(a.policy, cfg.ReadTimeout), g.limit(false), g.reads())
	v1 := limited.Group("/api/v1")
	v1.Match(getHead, "/openapi.json", openAPI)
	plans, err := newPlanSet(cfg.Service, cfg.Plans)
	if err != nil {
		return nil, err
	}
	v1.POST("/reports", postReports(plans, a.policy))
	v1.POST("/reviews", postReviews(plans, a.policy))                 // the office's review (reviews_post.go)
	v1.POST("/remind", postRemind(plans, cfg.Reminder, cfg.BoardURL)) // the office's 催报 (remind.go)
	// Alertmanager's webhook: its own token, so outside the read gate.
	r.POST("/api/v1/notify/alertmanager", guardBodies(a.policy, cfg.ReadTimeout), g.limit(false), notifyReceiver(cfg.Notify))
	v1.Match(getHead, "/plans", listPlans(plans))
	planRoutes(v1, plans, cfg, a.policy)
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
	if cfg.Workspace != nil {
		pages := r.Group("/", guardBodies(a.policy, cfg.ReadTimeout), g.limit(false), withClientIP)
		h := gin.WrapH(cfg.Workspace)
		for _, p := range cfg.Workspace.Paths() {
			pages.Match([]string{http.MethodGet, http.MethodHead, http.MethodPost}, p, h)
		}
	}
	if cfg.testRoutes != nil {
		cfg.testRoutes(limited)
	}
	return a, nil
}

type clientIPKey struct{}

// withClientIP hands gin's idea of the client (the peer, or X-Forwarded-For through
// http.trusted_proxies) to a mounted handler, which reads it with ClientIP.
func withClientIP(c *gin.Context) {
	c.Request = c.Request.WithContext(context.WithValue(c.Request.Context(), clientIPKey{}, c.ClientIP()))
	c.Next()
}

// ClientIP is the client address of a request the router handed to the workspace, as
// the API records it with each revision: the TCP peer, or X-Forwarded-For when the peer
// is a trusted proxy. Outside the router it is the peer's host.
func ClientIP(r *http.Request) string {
	if ip, ok := r.Context().Value(clientIPKey{}).(string); ok {
		return ip
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
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
		if isProbe(c.Request.URL.Path) && c.Writer.Status() < 400 {
			level = slog.LevelDebug // polled every few seconds by systemd, Docker, load balancers
		}
		if c.Writer.Status() >= 500 {
			level = slog.LevelWarn
		}
		log.LogAttrs(c.Request.Context(), level, "http request", attrs...)
	}
}

// isProbe: the health endpoints.
func isProbe(path string) bool { return path == "/-/healthy" || path == "/-/ready" }

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

// corsPolicy is the browser origins allowed to call the API.
type corsPolicy struct {
	any     bool
	allowed map[string]bool
}

// newCORS returns the policy of origins; nil (no Access-Control-* header) for none.
func newCORS(origins []string) *corsPolicy {
	if len(origins) == 0 {
		return nil
	}
	p := &corsPolicy{allowed: map[string]bool{}}
	for _, o := range origins {
		if o == "*" {
			p.any = true
		}
		p.allowed[strings.TrimRight(o, "/")] = true
	}
	return p
}

// cors allows the origins of the policy in force; with none it does nothing.
func (a *API) cors() gin.HandlerFunc {
	return func(c *gin.Context) {
		p := a.policy().cors
		if p == nil {
			c.Next()
			return
		}
		origin := c.GetHeader("Origin")
		if origin != "" && (p.any || p.allowed[origin]) {
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

// limiters holds one token bucket per configured token, built with the policy: no lock
// on lookup.
type limiters struct {
	by  []*rate.Limiter
	now func() time.Time
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
