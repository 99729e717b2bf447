package workspace

import (
	"crypto/sha256"
	"math"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

type loginView struct {
	layout
	Next    string
	Failed  bool // the token was not accepted
	Limited int  // seconds to wait before the next attempt (429)
	Expired bool // a session ended (expired, signed out elsewhere, token removed)
	Out     bool // signed out
}

// loginPage: GET /login. A browser already signed in goes to its page.
func (w *Workspace) loginPage(rw http.ResponseWriter, r *http.Request) {
	if u, ok := w.user(r); ok {
		http.Redirect(rw, r, home(u), http.StatusSeeOther)
		return
	}
	q := r.URL.Query()
	w.render(rw, http.StatusOK, "login", &loginView{
		layout: layout{Title: "登录"}, Next: safeNext(q.Get("next")), Expired: q.Has("expired"), Out: q.Has("out"),
	})
}

// login: POST /login with the token in the field "token". Every failure answers the
// same 401 page, whatever was wrong (no token, an unknown one, a reader's or a scrape
// token, which report nothing); each failure costs the client's address one attempt,
// and an address without attempts left gets 429 before its token is even looked at.
func (w *Workspace) login(rw http.ResponseWriter, r *http.Request) {
	if !sameOrigin(r) {
		w.forbidden(rw, r, nil, "请求来源不明(跨站提交),没有登录。请直接打开本系统的登录页。")
		return
	}
	addr := w.cfg.ClientIP(r)
	if ok, wait := w.limiter.allowed(addr); !ok {
		secs := int(math.Ceil(wait.Seconds()))
		rw.Header().Set("Retry-After", strconv.Itoa(secs))
		w.cfg.Logger.Warn("workspace: sign-in refused, too many failures from this address", "remote", addr)
		w.render(rw, http.StatusTooManyRequests, "login", &loginView{layout: layout{Title: "登录"}, Limited: secs})
		return
	}
	r.Body = http.MaxBytesReader(rw, r.Body, 64<<10)
	_ = r.ParseForm() // an unreadable form has no token: the same failure
	next := safeNext(r.PostFormValue("next"))
	token := strings.TrimSpace(r.PostFormValue("token"))
	id, ok := w.cfg.Auth().Authenticate(token)
	if !ok || !id.CanPush() {
		w.limiter.fail(addr)
		w.cfg.Logger.Info("workspace: sign-in failed", "remote", addr)
		w.render(rw, http.StatusUnauthorized, "login", &loginView{layout: layout{Title: "登录"}, Next: next, Failed: true})
		return
	}
	if old, err := r.Cookie(cookieName); err == nil { // no session is carried over a sign-in
		if s, ok := w.sessions.get(old.Value); ok {
			w.sessions.drop(s.ID)
		}
	}
	cookie, _, err := w.sessions.create(sha256.Sum256([]byte(token)), id.Principal)
	if err != nil {
		w.cfg.Logger.Error("workspace: sign-in", "err", err)
		w.problem(rw, r, nil, http.StatusServiceUnavailable, "暂时无法登录,请稍后再试。")
		return
	}
	http.SetCookie(rw, w.cookie(r, cookie, 0))
	w.cfg.Logger.Info("workspace: signed in", "sender", id.Principal.Name(), "remote", addr)
	if next == "" {
		next = home(user{id: id})
	}
	http.Redirect(rw, r, next, http.StatusSeeOther) //nolint:gosec // G710: next is safeNext's, a path on this server or home
}

// logout: POST /logout with the form's csrf.
func (w *Workspace) logout(rw http.ResponseWriter, r *http.Request) {
	u, ok := w.user(r)
	if !ok {
		http.SetCookie(rw, w.cookie(r, "", -1))
		http.Redirect(rw, r, "/login", http.StatusSeeOther)
		return
	}
	r.Body = http.MaxBytesReader(rw, r.Body, 64<<10)
	_ = r.ParseForm()
	if !w.csrfOK(r, u, r.PostFormValue("csrf")) {
		w.forbidden(rw, r, &u, csrfMessage)
		return
	}
	if err := w.sessions.end(u.sess.ID); err != nil {
		w.cfg.Logger.Error("workspace: sign out", "err", err)
	}
	http.SetCookie(rw, w.cookie(r, "", -1))
	w.cfg.Logger.Info("workspace: signed out", "sender", u.id.Principal.Name())
	http.Redirect(rw, r, "/login?out=1", http.StatusSeeOther)
}

// cookie is the session cookie: HttpOnly, SameSite=Strict, Secure when the request came
// over TLS or the configuration says TLS ends in front of duban. It has no Max-Age: it
// lasts as long as the browser runs, and the server ends the session after SessionTTL
// (a cookie the browser dropped by itself could not tell the clerk that the session
// expired). maxAge < 0 deletes it.
func (w *Workspace) cookie(r *http.Request, value string, maxAge int) *http.Cookie {
	return &http.Cookie{ //nolint:gosec // G124: HttpOnly, SameSite=Strict; Secure over TLS or behind a TLS proxy (SecureCookie), plain HTTP on a LAN otherwise
		Name: cookieName, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: w.cfg.SecureCookie || r.TLS != nil,
	}
}

// home is where a signed-in browser starts: the office's overview or the department's form.
func home(u user) string {
	if u.admin() {
		return "/office"
	}
	return "/report"
}

// safeNext keeps a return path only when it is one of the workspace's own pages, so
// that /login?next= cannot send anyone elsewhere.
func safeNext(next string) string {
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || !strings.HasPrefix(u.Path, "/") {
		return ""
	}
	for _, p := range []string{"/report", "/report/history", "/report/receipt", "/office"} {
		if u.Path == p {
			return u.RequestURI()
		}
	}
	return ""
}

// loginLimiter counts failed sign-ins per client address (an IPv6 client per /64,
// which one machine usually holds whole): a token bucket of `burst` failures refilled
// at `perMinute`. Successful sign-ins cost nothing, so clerks behind one office NAT are
// not locked out by each other's success.
type loginLimiter struct {
	burst int
	every rate.Limit
	now   func() time.Time

	mu sync.Mutex
	by map[string]*rate.Limiter
}

// Addresses remembered at most; beyond, the ones with all their attempts back are
// forgotten first.
const maxLimitedAddresses = 100000

func newLoginLimiter(burst int, perMinute float64, now func() time.Time) *loginLimiter {
	return &loginLimiter{burst: burst, every: rate.Limit(perMinute / 60), now: now, by: map[string]*rate.Limiter{}}
}

func limitKey(addr string) string {
	ip := net.ParseIP(addr)
	if ip == nil || ip.To4() != nil {
		return addr
	}
	return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
}

// allowed says whether addr may try to sign in now, or how long it must wait.
func (l *loginLimiter) allowed(addr string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	lim, ok := l.by[limitKey(addr)]
	if !ok {
		return true, 0
	}
	tokens := lim.TokensAt(l.now())
	if tokens >= 1 {
		return true, 0
	}
	wait := time.Duration((1 - tokens) / float64(l.every) * float64(time.Second))
	return false, max(wait, time.Second)
}

// fail takes one attempt from addr.
func (l *loginLimiter) fail(addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	k := limitKey(addr)
	lim, ok := l.by[k]
	now := l.now()
	if !ok {
		if len(l.by) >= maxLimitedAddresses {
			for a, other := range l.by {
				if other.TokensAt(now) >= float64(l.burst) {
					delete(l.by, a)
				}
			}
		}
		lim = rate.NewLimiter(l.every, l.burst)
		l.by[k] = lim
	}
	lim.AllowN(now, 1)
}
