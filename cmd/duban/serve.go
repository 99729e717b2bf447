package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"github.com/duban-gov/duban/collector"
	"github.com/duban-gov/duban/collector/auth"
	"github.com/duban-gov/duban/collector/http/api"
	"github.com/duban-gov/duban/collector/http/board"
	"github.com/duban-gov/duban/collector/http/workspace"
	"github.com/duban-gov/duban/collector/notify"
	"github.com/duban-gov/duban/collector/store/boltstore"
	"github.com/duban-gov/duban/config"
	"github.com/duban-gov/duban/config/reload"
	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/indicators/catalogs"
	"github.com/duban-gov/duban/indicators/evaluate"
	"github.com/duban-gov/duban/internal/logs"
)

func newServeCmd(s streams) *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the collector: departments push reports, the API and /metrics serve them",
		Long: `Run the collector. Configuration: defaults < --config FILE (YAML, see config/duban.yaml)
< environment variables DUBAN_<KEY> (DUBAN_LISTEN, DUBAN_STORE_PATH, ...) < flags.
Stops gracefully on SIGTERM or Ctrl-C: in-flight requests finish, then the store closes.
SIGHUP (systemctl reload) or POST /-/reload with the admin token rereads the file and
applies tokens, auth.read, limits, body limits, CORS, log and evaluation settings
without a restart; a bad file changes nothing (see README "Reloading the configuration").
Refuses a data file it cannot trust and leaves it as it is: exit 3 when duban.db is
damaged (0 bytes, cut short, a bad meta page or header), exit 4 when it is not a duban
store or was written by a newer duban; see duban store check and README "Backup and
restore".`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts := config.Options{File: file, Flags: cmd.Flags()}
			cfg, err := config.Load(opts)
			if err != nil {
				return err
			}
			// A reload (SIGHUP, POST /-/reload) reads the same file, environment and flags.
			return serve(cmd.Context(), cfg, func() (config.Config, error) { return config.Load(opts) }, s)
		},
	}
	f := cmd.Flags()
	f.StringVar(&file, "config", "", "YAML configuration file (see config/duban.yaml)")
	def := config.Defaults()
	f.String("listen", def.Listen, "address to listen on (host:port)")
	f.String("catalog", def.Catalog, "catalog file (YAML or JSON) to collect against, or embedded:NAME for one shipped inside the binary")
	f.StringSlice("plans", def.Plans, "catalogs to serve together, the first the default plan (instead of --catalog)")
	f.String("store-kind", def.Store.Kind, "store backend: embedded or influxdb")
	f.String("store-path", def.Store.Path, "data directory")
	f.String("log-format", def.Log.Format, "log format: text or json")
	f.String("log-level", def.Log.Level, "log level: debug, info, warn, error")
	f.String("tls-cert-file", "", "TLS certificate (PEM); with --tls-key-file serves HTTPS")
	f.String("tls-key-file", "", "TLS private key (PEM)")
	return cmd
}

// loadPlans loads and checks the plans to serve (refusing them with FILE:LINE lines)
// and the server's clock (testing.now, for tests only, is logged as such).
func loadPlans(cfg config.Config, log *slog.Logger) (*indicators.PlanSet, func() time.Time, error) {
	plans, err := catalogs.LoadSet(cfg.PlanRefs())
	if err != nil {
		var ie *indicators.InvalidError
		if errors.As(err, &ie) {
			return nil, nil, fmt.Errorf("refusing to serve: %w", err)
		}
		return nil, nil, fmt.Errorf("%w (set --catalog, DUBAN_CATALOG, catalog: or plans: in the config)", err)
	}
	now, err := cfg.Testing.Clock()
	if err != nil {
		return nil, nil, err
	}
	if cfg.Testing.Now != "" {
		log.Warn("testing.now is set: the server's clock is not the real time; a setting for tests only", "now", cfg.Testing.Now)
	}
	return plans, now, nil
}

// newServices builds one service per plan over the one store. The default plan's (the
// first listed, svcs[0]) serves the un-prefixed routes and /metrics, and is the board's
// and the workspace's default plan; others are the rest, for the API's /api/v1/plans/{plan}.
func newServices(ctx context.Context, plans *indicators.PlanSet, store collector.Store, eval evaluate.Config, reviewRequired bool, log *slog.Logger, now func() time.Time) (svcs []*collector.Service, others []api.Service, err error) {
	for i, c := range plans.Plans() {
		s, err := collector.NewService(ctx, collector.ServiceConfig{Catalog: c, Store: store, Eval: eval, ReviewRequired: reviewRequired, Logger: log, Now: now})
		if err != nil {
			return nil, nil, err
		}
		svcs = append(svcs, s)
		if i > 0 {
			others = append(others, s)
		}
	}
	return svcs, others, nil
}

// openStore opens the configured backend.
func openStore(ctx context.Context, cfg config.Config, plans *indicators.PlanSet, log *slog.Logger) (collector.Store, error) {
	switch cfg.Store.Kind {
	case "embedded":
		return boltstore.Open(ctx, boltstore.Config{Dir: cfg.Store.Path, Logger: log, DefaultPlan: plans.Default().Plan.ID})
	case "influxdb":
		return openInflux(ctx, cfg, plans, log) // serve_influx.go
	default:
		return nil, fmt.Errorf("store.kind %q is not available in this build", cfg.Store.Kind)
	}
}

// serve runs the collector until ctx ends, then shuts down gracefully; load rereads
// the configuration for a reload.
func serve(ctx context.Context, cfg config.Config, load func() (config.Config, error), s streams) error {
	// From the start on, SIGHUP asks for a reload instead of ending the process (Go's
	// default); the reloads begin once everything they change is built.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	log, err := logs.New(s.err, cfg.Log.Format, cfg.Log.Level)
	if err != nil {
		return err
	}
	plans, now, err := loadPlans(cfg, log.Logger)
	if err != nil {
		return err
	}
	cat := plans.Default()
	authn, err := newAuthenticator(cfg.Auth.Tokens, plans, log.Logger)
	if err != nil {
		return err
	}
	live := auth.NewLive(authn)
	store, err := openStore(ctx, cfg, plans, log.Logger)
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	defer func() {
		if err := store.Close(); err != nil {
			log.Error("close store", "err", err)
		}
	}()
	svcs, others, err := newServices(ctx, plans, store, cfg.Evaluate, cfg.Review.Required, log.Logger, now)
	if err != nil {
		return err
	}
	svc := svcs[0]
	rl, err := reload.New(reload.Config{Load: load, Running: cfg, Logger: log.Logger})
	if err != nil {
		return err
	}
	apiCfg := api.Config{
		Service: svc, Plans: others, Auth: live, Logger: log.Logger,
		Settings:    apiSettings(cfg),
		ReadTimeout: cfg.HTTP.ReadTimeout, TrustedProxies: cfg.HTTP.TrustedProxies,
		Reload: func(ctx context.Context) (api.ReloadResult, error) {
			res, err := rl.Reload(ctx, "POST /-/reload")
			return api.ReloadResult{Applied: res.Applied, RestartRequired: res.RestartRequired}, err
		},
	}

	// Everything beyond the API's own routes: /metrics, the board and the backup.
	startStoreRefresh(ctx, cfg, store, svcs, log.Logger) // replicas sharing InfluxDB reread its latest values
	dropClosed := new(atomic.Bool)                       // metrics.closed_plans: drop (reloadable)
	dropClosed.Store(cfg.Metrics.ClosedPlans == config.ClosedPlansDrop)
	if err := wireNotifyAndMetrics(cfg.Notify, &apiCfg, svcs, store, closedPlansFilter(dropClosed, svcs), log.Logger, rl); err != nil {
		return err
	}
	if bs, ok := store.(*boltstore.Store); ok {
		apiCfg.Backup = bs.Backup // GET /-/backup, `duban store backup --server`
	}
	boardPlans := make([]board.Source, 0, len(svcs)-1)
	pagePlans := make([]workspace.Service, 0, len(svcs)-1)
	for _, s := range svcs[1:] {
		boardPlans, pagePlans = append(boardPlans, s), append(pagePlans, s)
	}
	if apiCfg.Board, err = board.New(board.Config{Source: svc, Plans: boardPlans, Logger: log.Logger}); err != nil {
		return err
	}
	// The departments' pages. Their sessions ask the authenticator in force (live, which
	// a reload swaps) on every request: a token a reload removes ends its sessions. Their
	// body limit is the API's in force (http.max_body_bytes reloads).
	var handler *api.API
	if apiCfg.Workspace, err = workspace.New(workspace.Config{
		Service: svc, Plans: pagePlans, Auth: live.Load,
		SessionTTL: cfg.Workspace.SessionTTL, SessionFile: filepath.Join(cfg.Store.Path, "sessions.json"),
		SecureCookie:  cfg.Workspace.SecureCookie || cfg.TLS.Enabled(),
		LoginFailures: cfg.Workspace.LoginFailures, LoginFailuresPerMinute: cfg.Workspace.LoginFailuresPerMinute,
		MaxBodyBytes: func() int64 { return handler.Settings().MaxBodyBytes }, ClientIP: api.ClientIP, Logger: log.Logger,
		Reminder: apiCfg.Reminder, BoardURL: apiCfg.BoardURL, // the office's 催报 button, as POST /api/v1/remind
	}); err != nil {
		return err
	}

	handler, err = api.New(apiCfg)
	if err != nil {
		return err
	}
	registerReloads(rl, reloadParts{plans: plans, auth: live, api: handler, svcs: svcs, log: log, dropClosed: dropClosed})
	return listenAndServe(ctx, cfg, handler, log, func(addr string) {
		log.Info("duban collector listening", "url", addr, "catalog", cfg.Catalog, "plans", len(plans.Plans()),
			"indicators", len(cat.TargetIDs()), "store", cfg.Store.Kind, "path", cfg.Store.Path, "tokens", authn.Len(), "read", cfg.Auth.Read)
		go reloadOnSignal(ctx, hup, rl)
	})
}

// listenAndServe serves handler on cfg.Listen (TLS when configured) until ctx ends,
// then shuts down gracefully, finishing the requests in flight; started is called with
// the URL once the listener is open.
func listenAndServe(ctx context.Context, cfg config.Config, handler http.Handler, log *logs.Logger, started func(url string)) error {
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: cfg.HTTP.ReadHeaderTimeout,
		ReadTimeout:       cfg.HTTP.ReadTimeout,
		WriteTimeout:      cfg.HTTP.WriteTimeout,
		IdleTimeout:       cfg.HTTP.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	scheme := "http"
	if cfg.TLS.Enabled() {
		scheme = "https"
	}
	started(scheme + "://" + ln.Addr().String())
	errc := make(chan error, 1)
	go func() {
		if cfg.TLS.Enabled() {
			errc <- srv.ServeTLS(ln, cfg.TLS.CertFile, cfg.TLS.KeyFile)
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	stopping := time.Now()
	log.Info("shutting down: finishing requests in flight", "timeout", cfg.HTTP.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), cfg.HTTP.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.Error("shutdown did not finish in time", "err", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Error("serve", "err", err)
	}
	log.Info("stopped", "after", time.Since(stopping).Round(time.Millisecond))
	return nil
}

// wireNotifyAndMetrics builds the departments' robots (notify.*), Alertmanager's
// receiver and 催报 into the API, then /metrics with the notifier's counter and more.
// The receiver answers once its token is set, robots or not (a department without a
// robot is answered 200 and logged), so that the generated Alertmanager configuration,
// which posts to it by default, does not fail before the robots are configured.
func wireNotifyAndMetrics(cfg config.Notify, apiCfg *api.Config, svcs []*collector.Service, store collector.Store, drop func(plan string) bool, log *slog.Logger, more ...prometheus.Collector) error {
	sum, err := cfg.ReceiverTokenSHA256()
	if err != nil {
		return err
	}
	if len(cfg.Robots) > 0 || sum != "" {
		n, err := notify.New(notify.Config{Robots: cfg.Robots, Logger: log})
		if err != nil {
			return err
		}
		if len(cfg.Robots) > 0 {
			apiCfg.Reminder, apiCfg.BoardURL = n, cfg.BoardURL
		}
		if sum != "" {
			if apiCfg.Notify, err = notify.Receiver(notify.ReceiverConfig{Notifier: n, TokenSHA256: sum, BoardURL: cfg.BoardURL}); err != nil {
				return err
			}
		}
		more = append(more, n.Metrics())
	}
	apiCfg.Metrics, err = metricsHandler(svcs, store, drop, log, more...)
	return err
}

// closedPlansFilter is /metrics' Drop: with metrics.closed_plans: drop in force, the
// series of a plan closed now are left out.
func closedPlansFilter(drop *atomic.Bool, svcs []*collector.Service) func(plan string) bool {
	return func(plan string) bool {
		if !drop.Load() {
			return false
		}
		for _, s := range svcs {
			if s.Catalog().Plan.ID == plan {
				return s.Closed()
			}
		}
		return false
	}
}
