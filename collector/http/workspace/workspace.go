// Package workspace is where departments report in the browser: server-rendered pages in
// Chinese (html/template, embedded CSS, no JavaScript) behind a sign-in with the
// department's token.
//
//	GET/POST /login        the token as a password (field "token"); the admin token signs in the office
//	POST     /logout       ends the session
//	GET      /report       the month's form: every indicator the department leads, grouped by task
//	POST     /report       csrf, period, value.<id>, stage.<id>, percent.<id>, note.<id> (+ problems.<id>, plans.<id>, reason.<id>)
//	GET      /report/receipt   what the last submission stored: revision, time, warnings
//	GET      /report/template  the department's Excel template for a period
//	POST     /report/upload    the filled template (multipart "file" and "csrf")
//	GET      /report/history   one indicator's revisions: who, when, notes
//	GET      /office       the supervision office: completeness per department, links to each page, what waits for review
//	POST     /office/review    csrf, indicator, report_period, decision (approve | return), comment: the office's review
//	POST     /office/remind    csrf, period, department: the office's 催报 to the department's robot now
//
// Every report goes through collector.Service.Submit, the validation of every other
// door, all or nothing; the form only turns fields into reports (display units with
// indicators.ParseScaled, the three notes with indicators.Notes) and Submit's errors back
// into messages beside the fields.
//
// Sessions (session.go) are kept server-side by the sha256 of a random cookie value, and
// remember the sha256 of the token they signed in with: every request asks the
// authenticator in force (Config.Auth) whether that token is still configured, so a
// token taken out of the configuration ends its sessions at once. Forms carry a CSRF
// token derived from the cookie value, and cross-site POSTs are refused by their
// Origin / Sec-Fetch-Site as well. A department's session sees and writes its own
// indicators only.
package workspace

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/duban-gov/duban/collector"
	"github.com/duban-gov/duban/collector/auth"
	"github.com/duban-gov/duban/collector/notify"
	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/indicators/evaluate"
)

//go:embed assets/*.html assets/*.css
var assets embed.FS

// Service is what the pages need of the collector (implemented by *collector.Service).
type Service interface {
	Catalog() *indicators.Catalog
	EvalConfig() evaluate.Config
	Series(id string) []indicators.Revision
	History(ctx context.Context, id string) ([]indicators.Revision, error)
	FirstArrivals(ctx context.Context, periodEnds []time.Time) ([]indicators.Arrival, error)
	Submit(ctx context.Context, p collector.Principal, reports []indicators.Report, remote string) ([]collector.Receipt, error)
	Check(p collector.Principal, reports []indicators.Report) []*collector.InputError
	Now() time.Time
	// Closure is the closure record in force of the plan (ok false: never closed); a
	// closed plan's pages say so and offer departments no form (duban plan close).
	Closure() (c collector.Closure, ok bool)
}

// Config configures the workspace.
type Config struct {
	Service Service // required: the default plan's (the first listed)
	// Plans are the services of the other plans served: the pages then show a plan
	// selector and carry the plan in their links and forms (plans.go).
	Plans []Service
	// Auth returns the authenticator in force (required). It is asked on every request,
	// so that whatever replaces the authenticator (a restart, a reload swapping it)
	// ends the sessions of the tokens it no longer holds at once.
	Auth func() *auth.Authenticator
	// SessionTTL is how long a sign-in lasts (default 8h).
	SessionTTL time.Duration
	// SessionFile keeps the sessions across restarts (hashes only, mode 0600); empty
	// keeps them in memory.
	SessionFile string
	// SecureCookie marks the cookie Secure over plain HTTP too (TLS ended by a proxy);
	// a request that came over TLS gets a Secure cookie anyway.
	SecureCookie bool
	// LoginFailures failed sign-ins per client address in a row (default 10), regaining
	// LoginFailuresPerMinute (default 6); beyond, 429 whatever the token.
	LoginFailures          int
	LoginFailuresPerMinute float64
	// MaxBodyBytes returns the bound of a form or an upload in force (default 1 MiB; the
	// API's body limit, which a reload may change).
	MaxBodyBytes func() int64
	// ClientIP is the client's address as the API records it (api.ClientIP); default
	// the TCP peer.
	ClientIP func(r *http.Request) string
	Logger   *slog.Logger
	// Reminder sends the office's 催报 (notify.Remind, as POST /api/v1/remind) to the
	// departments' robots; nil shows no 催报 button. BoardURL is linked from reminders.
	Reminder notify.Sender
	BoardURL string
	// Now is the clock of sessions and sign-in limits (default time.Now); the
	// reporting calendar follows the service's clock.
	Now func() time.Time
}

func (c *Config) defaults() error {
	if c.Service == nil {
		return errors.New("workspace: service is required")
	}
	if c.Auth == nil {
		return errors.New("workspace: the authenticator is required")
	}
	if c.SessionTTL <= 0 {
		c.SessionTTL = 8 * time.Hour
	}
	if c.LoginFailures <= 0 {
		c.LoginFailures = 10
	}
	if c.LoginFailuresPerMinute <= 0 {
		c.LoginFailuresPerMinute = 6
	}
	if c.MaxBodyBytes == nil {
		c.MaxBodyBytes = func() int64 { return 1 << 20 }
	}
	if c.ClientIP == nil {
		c.ClientIP = func(r *http.Request) string {
			host, _, err := net.SplitHostPort(r.RemoteAddr)
			if err != nil {
				return r.RemoteAddr
			}
			return host
		}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return nil
}

// Workspace is the http.Handler of the pages. Safe for concurrent use.
type Workspace struct {
	cfg      Config
	svc      Service   // the plan a request runs in (in); the default plan's in New
	plans    []Service // the default first, then the others, each once
	sessions *sessions
	limiter  *loginLimiter
	tmpl     map[string]*template.Template
	mux      *http.ServeMux
}

// Paths the workspace answers (exact paths; the API's router mounts each).
var paths = []string{
	"/login", "/logout", "/report", "/report/receipt", "/report/template", "/report/upload",
	"/report/history", "/office", "/office/review", "/office/remind", "/static/workspace.css",
}

// New builds the workspace and loads the sessions kept in SessionFile.
func New(cfg Config) (*Workspace, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	w := &Workspace{cfg: cfg, svc: cfg.Service, plans: []Service{cfg.Service}, mux: http.NewServeMux()}
	seen := map[string]bool{cfg.Service.Catalog().Plan.ID: true}
	for _, s := range cfg.Plans {
		if id := s.Catalog().Plan.ID; !seen[id] {
			seen[id] = true
			w.plans = append(w.plans, s)
		}
	}
	var err error
	if w.sessions, err = openSessions(cfg.SessionFile, cfg.SessionTTL, cfg.Now, cfg.Logger); err != nil {
		return nil, err
	}
	w.limiter = newLoginLimiter(cfg.LoginFailures, cfg.LoginFailuresPerMinute, cfg.Now)
	if w.tmpl, err = parseTemplates(); err != nil {
		return nil, err
	}
	w.mux.HandleFunc("GET /login", w.loginPage)
	w.mux.HandleFunc("POST /login", w.login)
	w.mux.HandleFunc("POST /logout", w.logout)
	w.mux.HandleFunc("GET /report", w.reportPage)
	w.mux.HandleFunc("POST /report", w.postReport)
	w.mux.HandleFunc("GET /report/receipt", w.receiptPage)
	w.mux.HandleFunc("GET /report/template", w.template)
	w.mux.HandleFunc("POST /report/upload", w.upload)
	w.mux.HandleFunc("GET /report/history", w.historyPage)
	w.mux.HandleFunc("GET /office", w.officePage)
	w.mux.HandleFunc("POST /office/review", w.postReview)
	w.mux.HandleFunc("POST /office/remind", w.postRemind)
	w.mux.HandleFunc("GET /static/workspace.css", serveCSS)
	return w, nil
}

// Paths are the exact paths the workspace answers.
func (w *Workspace) Paths() []string { return append([]string(nil), paths...) }

// ServeHTTP answers the workspace's paths.
func (w *Workspace) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	w.mux.ServeHTTP(rw, r)
}

// Identify returns the identity of the request's session checked against a (the API's
// gate passes the authenticator its request runs under), if the session is valid: so
// a signed-in browser reads the board and the bulletins under auth.read: token without
// a second password.
func (w *Workspace) Identify(r *http.Request, a *auth.Authenticator) (auth.Identity, bool) {
	u, ok := w.userWith(r, a)
	return u.id, ok
}

// user is who is signed in on a request.
type user struct {
	id     auth.Identity
	sess   *session
	cookie string // the cookie's value: the CSRF token is derived from it
}

// Admin reports whether the session is the supervision office's.
func (u user) admin() bool { return u.id.IsAdmin() }

// user finds the request's session and asks the authenticator in force whether its
// token still stands for the same department (or the office); a session whose token is
// gone, or now stands for someone else, ends here.
func (w *Workspace) user(r *http.Request) (user, bool) { return w.userWith(r, w.cfg.Auth()) }

func (w *Workspace) userWith(r *http.Request, a *auth.Authenticator) (user, bool) {
	c, err := r.Cookie(cookieName)
	if err != nil || c.Value == "" {
		return user{}, false
	}
	s, ok := w.sessions.get(c.Value)
	if !ok {
		return user{}, false
	}
	id, ok := a.AuthenticateHash(s.Token)
	if !ok || !id.CanPush() || id.Principal != s.principal() {
		w.sessions.drop(s.ID)
		w.cfg.Logger.Info("workspace: session ended, its token is no longer configured", "department", s.principal().Name())
		return user{}, false
	}
	return user{id: id, sess: s, cookie: c.Value}, true
}

// csrfToken is the token a signed-in page's forms carry: derived from the cookie's
// value (which only that browser holds), so that it needs no storage and another
// session's token never fits.
func csrfToken(cookie string) string {
	m := hmac.New(sha256.New, []byte(cookie))
	m.Write([]byte("duban csrf")) // a hash never fails (errcheck knows)
	return hex.EncodeToString(m.Sum(nil))
}
