package api

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/time/rate"

	"github.com/duban-gov/duban/collector/auth"
)

// Settings are what a reload of the configuration changes while the API serves
// (API.Apply); the zero value of each field is its default.
type Settings struct {
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
	// (408 body_too_slow); 0 turns it off.
	MinBodyRate  int64
	MinBodyGrace time.Duration
	// CORSOrigins lists the origins allowed to call the API from a browser; empty (the
	// default) sends no Access-Control-* header at all. "*" allows any origin.
	CORSOrigins []string
}

// Check reports whether s can be applied, without applying it.
func (s Settings) Check() error { return s.defaults() }

func (s *Settings) defaults() error {
	if s.MaxBodyBytes <= 0 {
		s.MaxBodyBytes = 1 << 20
	}
	if s.RatePerSecond == 0 {
		s.RatePerSecond = 200
	}
	if s.RateBurst <= 0 {
		s.RateBurst = max(2*int(s.RatePerSecond), 1)
	}
	if s.MaxConcurrent == 0 {
		s.MaxConcurrent = 256
	}
	if s.TokenShare == 0 {
		s.TokenShare = defaultTokenShare
	}
	if s.TokenShare < 0 || s.TokenShare > maxTokenShare {
		return fmt.Errorf("api: token share %v: give a fraction in (0, %v] so that one token cannot hold every slot", s.TokenShare, maxTokenShare)
	}
	switch s.Read {
	case "":
		s.Read = ReadPublic
	case ReadPublic, ReadToken:
	default:
		return fmt.Errorf("api: read access %q: use public or token", s.Read)
	}
	return nil
}

// API is the router (a *gin.Engine) and the settings it serves with, which Apply and
// the live authenticator change while it serves. Safe for concurrent use.
type API struct {
	*gin.Engine

	auth *auth.Live
	now  func() time.Time

	mu  sync.Mutex             // serializes rebuilding the policy
	pol atomic.Pointer[policy] // in force; rebuilt when the settings or the authenticator change

	// Counters that outlive a policy: requests in flight, and those of anonymous callers.
	inFlight, anonymous atomic.Int64
}

// policy is everything a request is checked against, built for one authenticator and
// one Settings and replaced whole: a request that takes a policy keeps it, so the
// position of its token (Identity.Key) always indexes that policy's slots and buckets.
type policy struct {
	set    Settings
	auth   *auth.Authenticator
	global slots   // max 0: no bound
	keys   []slots // one per token, the last for anonymous callers; nil without a bound
	lim    *limiters
	cors   *corsPolicy // nil: no CORS headers
}

// Apply puts s in force for every request from now on; requests in flight finish
// under the settings they started with. The counts of requests in flight and the rate
// buckets of tokens carry over. An invalid s changes nothing.
func (a *API) Apply(s Settings) error {
	if err := s.defaults(); err != nil {
		return err
	}
	a.rebuild(&s)
	return nil
}

// Settings are the settings in force.
func (a *API) Settings() Settings { return a.policy().set }

// policy returns the policy in force, rebuilt first when the authenticator changed.
func (a *API) policy() *policy {
	p := a.pol.Load()
	if p.auth != a.auth.Load() {
		p = a.rebuild(nil)
	}
	return p
}

// rebuild builds the policy of the authenticator in force and s (nil: the settings in
// force), carrying the counters and buckets of the tokens both policies know.
func (a *API) rebuild(s *Settings) *policy {
	a.mu.Lock()
	defer a.mu.Unlock()
	old := a.pol.Load()
	au := a.auth.Load()
	if s == nil {
		if old != nil && old.auth == au {
			return old // another request rebuilt it meanwhile
		}
		s = &old.set
	}
	p := &policy{set: *s, auth: au}
	var carried []int
	if old != nil {
		carried = au.Carried(old.auth)
	}
	from := func(i int) int { // the position in old of token i, or -1
		if carried == nil {
			return -1
		}
		return carried[i]
	}
	if s.MaxConcurrent > 0 {
		per := int64(tokenShare(s.MaxConcurrent, s.TokenShare))
		p.global = slots{n: &a.inFlight, max: int64(s.MaxConcurrent)}
		p.keys = make([]slots, au.Len()+1)
		for i := range au.Len() {
			p.keys[i] = slots{n: new(atomic.Int64), max: per}
			if j := from(i); j >= 0 && old.keys != nil {
				p.keys[i].n = old.keys[j].n
			}
		}
		p.keys[au.Len()] = slots{n: &a.anonymous, max: per}
	}
	if s.RatePerSecond >= 0 {
		p.lim = &limiters{by: make([]*rate.Limiter, au.Len()), now: a.now}
		now := a.now()
		for i := range p.lim.by {
			if j := from(i); j >= 0 && old.lim != nil {
				l := old.lim.by[j]
				l.SetLimitAt(now, rate.Limit(s.RatePerSecond))
				l.SetBurstAt(now, s.RateBurst)
				p.lim.by[i] = l
				continue
			}
			p.lim.by[i] = rate.NewLimiter(rate.Limit(s.RatePerSecond), s.RateBurst)
		}
	}
	p.cors = newCORS(s.CORSOrigins)
	a.pol.Store(p)
	return p
}
