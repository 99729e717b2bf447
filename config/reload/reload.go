// Package reload rereads duban's configuration while the collector serves (SIGHUP,
// POST /-/reload) and applies it through the hooks each part registers: the tokens and
// limits of the API, the log, the evaluation, and whatever comes later (notification
// robots, plans, workspace sessions) registers its own.
//
// A reload is all or nothing. The file is read and checked as at start (config.Load:
// parse errors, unknown keys, invalid values); then every hook whose keys changed
// prepares its part and may refuse it (a token of a department the catalog does not
// know); only when every hook has accepted are the parts applied, which cannot fail.
// A refusal keeps the whole running configuration, logs why and sets
// duban_config_last_reload_successful to 0 (Prometheus's own convention), until a
// reload succeeds.
//
// A changed key no hook claims (listen, catalog, store.*, tls.*) cannot change while
// the collector serves: it keeps its running value, the reload says that it needs a
// restart (log and answer), and the rest is applied. Refusing the whole reload instead
// would let a pending change of the listen address block the revocation of a token.
package reload

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/duban-gov/duban/config"
	"github.com/duban-gov/duban/conventions"
)

// Hook is one part of the collector that applies configuration keys live.
type Hook struct {
	// Name names the part in logs ("tokens and limits", "log").
	Name string
	// Keys are the keys the part applies, or prefixes of them ("limits" covers
	// limits.*, see config.Under).
	Keys []string
	// Prepare checks next (the running configuration with every claimed key as the
	// file now says) and readies the part without touching what serves; it returns
	// what puts it in force. An error refuses the whole reload. Prepare runs only when
	// one of Keys changed.
	Prepare func(ctx context.Context, next config.Config) (apply func(), err error)
}

// Config configures a Reloader.
type Config struct {
	// Load reads the configuration again, the way the collector read it at start
	// (config.Load with the same file and flags). Required.
	Load func() (config.Config, error)
	// Running is the configuration the collector started with. Required.
	Running config.Config
	Logger  *slog.Logger
	Now     func() time.Time
}

func (c *Config) defaults() error {
	if c.Load == nil {
		return errors.New("reload: Load is required")
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return nil
}

// Result says what a successful reload did.
type Result struct {
	// Applied are the changed keys now in force, sorted; empty, not nil, when none.
	Applied []string
	// RestartRequired are the changed keys that keep their running value until the
	// collector restarts, sorted; empty, not nil, when none.
	RestartRequired []string
}

// Reloader rereads and applies the configuration. Safe for concurrent use; reloads
// run one at a time.
type Reloader struct {
	cfg Config

	mu      sync.Mutex // one reload at a time; guards running and hooks
	running config.Config
	hooks   []Hook

	state sync.Mutex // guards ok and last, read by scrapes
	ok    bool
	last  time.Time

	okDesc, lastDesc *prometheus.Desc
}

// New returns a Reloader of cfg.Running; the start counts as a successful load.
func New(cfg Config) (*Reloader, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	return &Reloader{
		cfg: cfg, running: cfg.Running, ok: true, last: cfg.Now(),
		okDesc: prometheus.NewDesc(conventions.MetricConfigReloadSuccess,
			"Whether the last reload of the configuration (SIGHUP, POST /-/reload) succeeded: 1, or 0 when the running configuration stayed because the new one was refused.", nil, nil),
		lastDesc: prometheus.NewDesc(conventions.MetricConfigReloadTime,
			"When the configuration in force was loaded: the start, or the last successful reload.", nil, nil),
	}, nil
}

// Register adds a hook; register every hook before the first reload.
func (r *Reloader) Register(h Hook) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.hooks = append(r.hooks, h)
}

// Running is the configuration in force.
func (r *Reloader) Running() config.Config {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.running
}

// Reload rereads the configuration and applies it (see the package comment); by says
// what asked for it, for the log. On error nothing changed.
func (r *Reloader) Reload(ctx context.Context, by string) (Result, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	log := r.cfg.Logger.With("by", by)
	res, err := r.reload(ctx)
	r.state.Lock()
	r.ok = err == nil
	if err == nil {
		r.last = r.cfg.Now()
	}
	r.state.Unlock()
	if err != nil {
		log.Error("configuration reload failed; the running configuration stays in force", "err", err)
		return Result{}, err
	}
	if len(res.RestartRequired) > 0 {
		log.Warn("configuration changed where only a restart applies it; the running values stay until duban restarts (systemctl restart duban)",
			"restart_required", res.RestartRequired)
	}
	log.Info("configuration reloaded", "applied", res.Applied)
	return res, nil
}

func (r *Reloader) reload(ctx context.Context) (Result, error) {
	next, err := r.cfg.Load()
	if err != nil {
		return Result{}, err
	}
	changed, err := config.Changed(r.running, next)
	if err != nil {
		return Result{}, err
	}
	claimed := func(key string) bool {
		for _, h := range r.hooks {
			if claims(h, key) {
				return true
			}
		}
		return false
	}
	res := Result{Applied: []string{}, RestartRequired: []string{}}
	for _, k := range changed {
		if claimed(k) {
			res.Applied = append(res.Applied, k)
		} else {
			res.RestartRequired = append(res.RestartRequired, k)
		}
	}
	target, err := config.Merge(r.running, next, claimed)
	if err != nil {
		return Result{}, err
	}
	var applies []func()
	for _, h := range r.hooks {
		if !slices.ContainsFunc(res.Applied, func(k string) bool { return claims(h, k) }) {
			continue
		}
		apply, err := h.Prepare(ctx, target)
		if err != nil {
			return Result{}, fmt.Errorf("%s: %w", h.Name, err)
		}
		applies = append(applies, apply)
	}
	for _, apply := range applies {
		apply()
	}
	r.running = target
	return res, nil
}

func claims(h Hook, key string) bool {
	return slices.ContainsFunc(h.Keys, func(p string) bool { return config.Under(key, p) })
}

// Describe and Collect make the Reloader a prometheus.Collector of
// duban_config_last_reload_successful and
// duban_config_last_reload_success_timestamp_seconds.
func (r *Reloader) Describe(ch chan<- *prometheus.Desc) {
	ch <- r.okDesc
	ch <- r.lastDesc
}

// Collect sends the two metrics with the outcome of the last reload.
func (r *Reloader) Collect(ch chan<- prometheus.Metric) {
	r.state.Lock()
	ok, last := r.ok, r.last
	r.state.Unlock()
	v := 0.0
	if ok {
		v = 1
	}
	ch <- prometheus.MustNewConstMetric(r.okDesc, prometheus.GaugeValue, v)
	ch <- prometheus.MustNewConstMetric(r.lastDesc, prometheus.GaugeValue, float64(last.UnixNano())/1e9)
}
