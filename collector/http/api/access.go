package api

import (
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"

	"github.com/gin-gonic/gin"

	"github.com/duban-gov/duban/collector/auth"
	"github.com/duban-gov/duban/indicators"
)

// ReadAccess says who may read the board, the API's GET routes, the bulletins, the
// templates and /metrics.
type ReadAccess string

const (
	// ReadPublic means anyone on the network reads; a token, when sent, must be valid.
	ReadPublic ReadAccess = "public"
	// ReadToken means every read needs a valid token (department, admin or reader; /metrics
	// also takes a scrape token).
	ReadToken ReadAccess = "token"
)

// Always open: the probes (/-/healthy, /-/ready) and the API description.
const openAPIPath = "/api/v1/openapi.json"

const (
	ctxIdentity          = "duban.identity"
	codeReadOnlyToken    = "read_only_token"
	defaultTokenShare    = 0.125
	maxTokenShare        = 0.5
	realmChallengeBearer = `Bearer realm="duban"` //nolint:gosec // G101: the WWW-Authenticate challenge, not a credential
	realmChallengeBasic  = `Basic realm="duban", charset="UTF-8"`
)

// publicPaths is what a mounted board may say about its paths: which carry no data
// (its stylesheet, the favicon) and stay open when reads need a token.
type publicPaths interface {
	Public(path string) bool
}

// gate is the door every request but the probes goes through. It identifies the
// caller once (bearer token; for reads also the password of HTTP Basic auth; for the
// board also ?token=), gives each token and all anonymous callers together their own
// share of the in-flight limit, and checks what the caller may read.
//
// In-flight shares: besides the global bound (limits.max_concurrent, N), each
// configured token, and the anonymous callers as one class, may hold at most
// max(1, ⌊N × share⌋) requests, never more than N−1 when N ≥ 2. One department whose
// client holds many slow requests therefore fills its own share and answers 503 to
// itself, while every other token and the anonymous readers still get in. The counters
// are atomics indexed by the token's position in the policy in force (live.go): no
// lock, no map, no allocation. A reload builds a new policy and carries the counters of
// the tokens it keeps, so requests in flight still count.
type gate struct {
	policy   func() *policy  // the policy in force (API.policy)
	board    publicPaths     // nil: no board, or every board path needs what reads need
	sessions Workspace       // nil: no workspace; else its sessions identify browsers (identify)
	pages    map[string]bool // the workspace's paths
}

// slots counts requests in flight against a bound; the counter may be shared by the
// slots of successive policies.
type slots struct {
	n   *atomic.Int64
	max int64
}

func (s slots) take() bool {
	for {
		v := s.n.Load()
		if v >= s.max {
			return false
		}
		if s.n.CompareAndSwap(v, v+1) {
			return true
		}
	}
}

func (s slots) give() { s.n.Add(-1) }

// tokenShare is the most requests one token may have in flight out of limit.
func tokenShare(limit int, share float64) int {
	n := int(float64(limit) * share)
	if limit >= 2 && n > limit-1 {
		n = limit - 1
	}
	return max(n, 1)
}

func newGate(cfg Config, policy func() *policy) *gate {
	g := &gate{policy: policy}
	if p, ok := cfg.Board.(publicPaths); ok {
		g.board = p
	}
	if cfg.Workspace != nil {
		g.sessions, g.pages = cfg.Workspace, map[string]bool{}
		for _, p := range cfg.Workspace.Paths() {
			g.pages[p] = true
		}
	}
	return g
}

// credential is what the caller sent to identify itself.
type credential struct {
	given bool // an Authorization header or a ?token= was sent
	id    auth.Identity
	ok    bool    // it names a configured token
	pol   *policy // the policy it was checked against: id.Key indexes its slots and buckets
}

// identify reads the credential: "Authorization: Bearer T" always; for GET and HEAD
// also the password of "Authorization: Basic" (what a browser sends after the board's
// challenge); for the board also ?token= (links the board builds keep it). Without
// any of these, a workspace session (its cookie) identifies reads and the workspace's
// own pages, checked against the policy's authenticator; a cookie that names no valid
// session is no credential (anonymous), and a session never identifies an API POST,
// which a cross-site form could otherwise forge.
func (g *gate) identify(p *policy, r *http.Request, board bool) credential {
	var token string
	var given bool
	read := r.Method == http.MethodGet || r.Method == http.MethodHead
	if h := r.Header.Get("Authorization"); h != "" {
		given = true
		if t := auth.BearerToken(h); t != "" {
			token = t
		} else if _, pw, ok := r.BasicAuth(); ok && read {
			token = pw
		}
	} else if board && read && r.URL.Query().Has("token") {
		given, token = true, r.URL.Query().Get("token")
	}
	if !given {
		if g.sessions != nil && (read || g.pages[r.URL.Path]) {
			if id, ok := g.sessions.Identify(r, p.auth); ok {
				return credential{given: true, id: id, ok: true, pol: p}
			}
		}
		return credential{}
	}
	id, ok := p.auth.Authenticate(token)
	return credential{given: true, id: id, ok: ok, pol: p}
}

// limit identifies the caller and holds one of its in-flight slots for the request.
// board says the request is for the board (so ?token= counts).
func (g *gate) limit(board bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		p := g.policy()
		cred := g.identify(p, c.Request, board && g.isBoard(c.Request))
		if cred.given { // anonymous callers cost no context entry
			c.Set(ctxIdentity, cred)
		}
		if cred.ok {
			c.Set(ctxSender, cred.id.Name())
		}
		if p.keys == nil {
			c.Next()
			return
		}
		key := len(p.keys) - 1
		if cred.ok && cred.id.Key >= 0 && cred.id.Key < key {
			key = cred.id.Key
		}
		own := p.keys[key]
		if !own.take() {
			who := "this token"
			if key == len(p.keys)-1 {
				who = "anonymous callers together"
			}
			c.Header("Retry-After", "1")
			abortError(c, http.StatusServiceUnavailable, codeOverloaded, fmt.Sprintf(
				"%s already have %d requests in flight, their share of limits.max_concurrent; retry in a second (服务繁忙)", who, own.max))
			return
		}
		defer own.give()
		if !p.global.take() {
			c.Header("Retry-After", "1")
			abortError(c, http.StatusServiceUnavailable, codeOverloaded, fmt.Sprintf("more than %d requests in flight; retry in a second (服务繁忙)", p.global.max))
			return
		}
		defer p.global.give()
		c.Next()
	}
}

// isBoard reports whether the request is for the board (every GET/HEAD path outside
// /api/, /-/ and /metrics, answered through the router's fallback).
func (g *gate) isBoard(r *http.Request) bool {
	p := r.URL.Path
	return !strings.HasPrefix(p, "/api/") && !strings.HasPrefix(p, "/-/") && p != "/metrics"
}

// reads checks the API's read routes (GET and HEAD under /api/v1 but the OpenAPI
// document); POSTs check their token themselves.
func (g *gate) reads() gin.HandlerFunc {
	return func(c *gin.Context) {
		m := c.Request.Method
		if (m != http.MethodGet && m != http.MethodHead) || c.Request.URL.Path == openAPIPath {
			c.Next()
			return
		}
		g.check(c, auth.Identity.CanRead, false)
	}
}

// scrape checks /metrics: every token may scrape, a scrape token only that.
func (g *gate) scrape() gin.HandlerFunc {
	return func(c *gin.Context) { g.check(c, auth.Identity.CanScrape, false) }
}

// boardReads checks the board's pages; its data-free assets stay open, unknown API
// paths go on to their 404.
func (g *gate) boardReads() gin.HandlerFunc {
	return func(c *gin.Context) {
		r := c.Request
		if !g.isBoard(r) || (r.Method != http.MethodGet && r.Method != http.MethodHead) ||
			(g.board != nil && g.board.Public(r.URL.Path)) {
			c.Next()
			return
		}
		g.check(c, auth.Identity.CanRead, true)
	}
}

// check lets the request on when the caller may read it: a credential that was sent
// must be valid and allowed (whatever auth.read says); without one, only public reads.
func (g *gate) check(c *gin.Context, allowed func(auth.Identity) bool, board bool) {
	cred, _ := c.Get(ctxIdentity)
	cr, _ := cred.(credential)
	switch {
	case cr.given && !cr.ok:
		g.refuse(c, board, "the token is not valid (令牌无效); check it, or ask the supervision office for one")
	case cr.given && !allowed(cr.id):
		g.refuse(c, board, fmt.Sprintf("a %s token reads /metrics only (此令牌仅用于指标采集); use a department, admin or reader token", cr.id.Name()))
	case !cr.given && g.policy().set.Read == ReadToken:
		g.refuse(c, board, "reading needs a token: send \"Authorization: Bearer TOKEN\", or give the token as the password when the browser asks (需要令牌)")
	default:
		c.Next()
	}
}

// refuse answers 401: the board in plain text with the Basic challenge the browser
// turns into a password prompt, the API and /metrics with the error envelope.
func (g *gate) refuse(c *gin.Context, board bool, msg string) {
	c.Set(ctxErrCode, codeUnauthorized)
	if board {
		c.Header("WWW-Authenticate", realmChallengeBasic)
		c.Header("Cache-Control", "no-store")
		c.Data(http.StatusUnauthorized, "text/plain; charset=utf-8", []byte("需要有效令牌 (a valid token is required: give it as the password): "+msg+"\n"))
		c.Abort()
		return
	}
	c.Writer.Header().Add("WWW-Authenticate", realmChallengeBearer)
	c.Writer.Header().Add("WWW-Authenticate", realmChallengeBasic)
	abortError(c, http.StatusUnauthorized, codeUnauthorized, msg)
}

// challenge answers 401 unauthorized with the bearer challenge and msg (which says
// whose token to send).
func challenge(c *gin.Context, msg string) {
	c.Set(ctxErrCode, codeUnauthorized)
	c.Header("WWW-Authenticate", realmChallengeBearer)
	abortError(c, http.StatusUnauthorized, codeUnauthorized, msg)
}

// adminOnly names the caller for the request's log and lets the admin token on; any
// other token is answered 403 with code and msg. It reports whether to go on.
func adminOnly(c *gin.Context, id auth.Identity, code, msg string) bool {
	c.Set(ctxSender, id.Name())
	if id.IsAdmin() {
		return true
	}
	c.Set(ctxErrCode, code)
	abortError(c, http.StatusForbidden, code, msg)
	return false
}

// identityOf returns the caller the gate identified, if any.
func identityOf(c *gin.Context) (auth.Identity, bool) {
	cr := credentialOf(c)
	return cr.id, cr.ok
}

// credentialOf returns what the gate found of the caller's credential.
func credentialOf(c *gin.Context) credential {
	v, _ := c.Get(ctxIdentity)
	cr, _ := v.(credential)
	return cr
}

// withoutRemotes returns revs as the caller may see them: the remote address of each
// revision is shown to the admin token only. It copies when it clears (revs may be the
// service's snapshot).
func withoutRemotes(c *gin.Context, revs []indicators.Revision) []indicators.Revision {
	if id, ok := identityOf(c); ok && id.IsAdmin() {
		return revs
	}
	var out []indicators.Revision
	for i := range revs {
		if revs[i].Remote == "" {
			continue
		}
		if out == nil {
			out = append([]indicators.Revision(nil), revs...)
		}
		out[i].Remote = ""
	}
	if out == nil {
		return revs
	}
	return out
}
