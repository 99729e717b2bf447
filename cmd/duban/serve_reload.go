package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync/atomic"
	"syscall"

	"github.com/duban-gov/duban/collector"
	"github.com/duban-gov/duban/collector/auth"
	"github.com/duban-gov/duban/collector/http/api"
	"github.com/duban-gov/duban/config"
	"github.com/duban-gov/duban/config/reload"
	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/internal/logs"
)

// reloadParts are the parts of a running collector that a reload changes.
type reloadParts struct {
	plans *indicators.PlanSet
	auth  *auth.Live
	api   *api.API
	svcs  []*collector.Service // one per plan
	log   *logs.Logger
	// dropClosed is metrics.closed_plans: drop in force (/metrics reads it per scrape).
	dropClosed *atomic.Bool
}

// registerReloads registers what a reload applies live, each part with the keys it
// owns; every other key needs a restart (listen, catalog, store.*, tls.*, the server's
// timeouts and trusted proxies: the listener, the open store and the connections hold
// them; workspace.*: the sessions and sign-in limits are built at start). The
// workspace needs no hook of its own: its sessions ask p.auth on every request and its
// body limit is the API's in force. A later part (notification robots, plans)
// registers its own hook here.
func registerReloads(rl *reload.Reloader, p reloadParts) {
	rl.Register(reload.Hook{
		Name: "tokens", Keys: []string{"auth.tokens"},
		Prepare: func(_ context.Context, next config.Config) (func(), error) {
			a, err := newAuthenticator(next.Auth.Tokens, p.plans, p.log.Logger)
			if err != nil {
				return nil, err
			}
			// From the next request on, on kept-alive connections too: a removed token
			// answers 401 (the API, and everything reading p.auth, load it per request).
			return func() { p.auth.Store(a) }, nil
		},
	})
	rl.Register(reload.Hook{
		Name: "access and limits",
		Keys: []string{"auth.read", "limits", "http.max_body_bytes", "http.min_body_rate", "http.min_body_rate_grace", "cors"},
		Prepare: func(_ context.Context, next config.Config) (func(), error) {
			s := apiSettings(next)
			if err := s.Check(); err != nil {
				return nil, err
			}
			return func() { _ = p.api.Apply(s) }, nil // checked above
		},
	})
	rl.Register(reload.Hook{
		Name: "log", Keys: []string{"log"},
		Prepare: func(_ context.Context, next config.Config) (func(), error) {
			if err := logs.Check(next.Log.Format, next.Log.Level); err != nil {
				return nil, err
			}
			return func() { _ = p.log.Set(next.Log.Format, next.Log.Level) }, nil // checked above
		},
	})
	rl.Register(reload.Hook{
		Name: "evaluation", Keys: []string{"evaluate"},
		Prepare: func(_ context.Context, next config.Config) (func(), error) {
			return func() {
				for _, s := range p.svcs {
					s.SetEvalConfig(next.Evaluate)
				}
			}, nil
		},
	})
	rl.Register(reload.Hook{
		Name: "metrics", Keys: []string{"metrics"},
		Prepare: func(_ context.Context, next config.Config) (func(), error) {
			return func() { p.dropClosed.Store(next.Metrics.ClosedPlans == config.ClosedPlansDrop) }, nil // Validate checked the value
		},
	})
	rl.Register(reload.Hook{
		Name: "review", Keys: []string{"review"},
		Prepare: func(_ context.Context, next config.Config) (func(), error) {
			return func() {
				for _, s := range p.svcs {
					s.SetReviewRequired(next.Review.Required)
				}
			}, nil
		},
	})
}

// reloadOnSignal reloads at every signal on hup (SIGHUP: systemctl reload) until ctx
// ends. The Reloader logs what each reload did.
func reloadOnSignal(ctx context.Context, hup <-chan os.Signal, rl *reload.Reloader) {
	for {
		select {
		case <-ctx.Done():
			return
		case sig := <-hup:
			_, _ = rl.Reload(ctx, signalName(sig))
		}
	}
}

// apiSettings are the API's settings of a configuration: what a reload changes live.
func apiSettings(cfg config.Config) api.Settings {
	return api.Settings{
		MaxBodyBytes:  cfg.HTTP.MaxBodyBytes,
		RatePerSecond: cfg.Limits.RatePerSecond, RateBurst: cfg.Limits.RateBurst,
		MaxConcurrent: cfg.Limits.MaxConcurrent, TokenShare: cfg.Limits.PerTokenShare,
		Read:        api.ReadAccess(cfg.Auth.Read),
		MinBodyRate: cfg.HTTP.MinBodyRate, MinBodyGrace: cfg.HTTP.MinBodyRateGrace,
		CORSOrigins: cfg.CORS.AllowedOrigins,
	}
}

// newAuthenticator checks the configured tokens, at start and at every reload alike: a
// token of a department no plan knows is refused (it could push nothing, and is most
// likely a typo in the id). A department of several plans has one token for all.
func newAuthenticator(tokens []auth.Token, plans *indicators.PlanSet, log *slog.Logger) (*auth.Authenticator, error) {
	a, err := auth.New(auth.Config{Tokens: tokens, Departments: func(id string) bool {
		_, ok := plans.Department(id)
		return ok
	}})
	if err != nil {
		if len(plans.Plans()) == 1 {
			return nil, fmt.Errorf("%w (catalog %s; `duban validate` lists its departments)", err, plans.Default().Plan.ID)
		}
		ids := make([]string, 0, len(plans.Plans()))
		for _, c := range plans.Plans() {
			ids = append(ids, c.Plan.ID)
		}
		return nil, fmt.Errorf("%w (plans %s; `duban validate` lists their departments)", err, strings.Join(ids, ", "))
	}
	if a.Len() == 0 {
		log.Warn("no tokens configured: every push answers 401; create one with `duban token create --department ID`")
	}
	return a, nil
}

// signalName names a signal as people write it: SIGHUP.
func signalName(sig os.Signal) string {
	if s, ok := sig.(syscall.Signal); ok && s == syscall.SIGHUP {
		return "SIGHUP"
	}
	return sig.String()
}
