package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/duban-gov/duban/collector"
	"github.com/duban-gov/duban/collector/auth"
	"github.com/duban-gov/duban/collector/http/api"
	"github.com/duban-gov/duban/collector/http/board"
	"github.com/duban-gov/duban/collector/store/boltstore"
	"github.com/duban-gov/duban/config"
	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/indicators/catalogs"
)

func newServeCmd(s streams) *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the collector: departments push reports, the API and /metrics serve them",
		Long: `Run the collector. Configuration: defaults < --config FILE (YAML, see config/duban.yaml)
< environment variables DUBAN_<KEY> (DUBAN_LISTEN, DUBAN_STORE_PATH, ...) < flags.
Stops gracefully on SIGTERM or Ctrl-C: in-flight requests finish, then the store closes.
Refuses a data file it cannot trust and leaves it as it is: exit 3 when duban.db is
damaged (0 bytes, cut short, a bad meta page or header), exit 4 when it is not a duban
store or was written by a newer duban; see duban store check and README "Backup and
restore".`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.Load(config.Options{File: file, Flags: cmd.Flags()})
			if err != nil {
				return err
			}
			return serve(cmd.Context(), cfg, s)
		},
	}
	f := cmd.Flags()
	f.StringVar(&file, "config", "", "YAML configuration file (see config/duban.yaml)")
	def := config.Defaults()
	f.String("listen", def.Listen, "address to listen on (host:port)")
	f.String("catalog", def.Catalog, "catalog file (YAML or JSON) to collect against, or embedded:NAME for one shipped inside the binary")
	f.String("store-kind", def.Store.Kind, "store backend: embedded or influxdb")
	f.String("store-path", def.Store.Path, "data directory")
	f.String("log-format", def.Log.Format, "log format: text or json")
	f.String("log-level", def.Log.Level, "log level: debug, info, warn, error")
	f.String("tls-cert-file", "", "TLS certificate (PEM); with --tls-key-file serves HTTPS")
	f.String("tls-key-file", "", "TLS private key (PEM)")
	return cmd
}

func newLogger(c config.Log, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(strings.ToLower(c.Level))) // validated by config
	opts := &slog.HandlerOptions{Level: level}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// openStore opens the configured backend.
func openStore(ctx context.Context, cfg config.Config, cat *indicators.Catalog, log *slog.Logger) (collector.Store, error) {
	switch cfg.Store.Kind {
	case "embedded":
		return boltstore.Open(ctx, boltstore.Config{Dir: cfg.Store.Path, Logger: log})
	case "influxdb":
		return openInflux(ctx, cfg, cat, log) // serve_influx.go
	default:
		return nil, fmt.Errorf("store.kind %q is not available in this build", cfg.Store.Kind)
	}
}

// serve runs the collector until ctx ends, then shuts down gracefully.
func serve(ctx context.Context, cfg config.Config, s streams) error {
	log := newLogger(cfg.Log, s.err)
	cat, err := catalogs.Load(cfg.Catalog)
	if err != nil {
		var ie *indicators.InvalidError
		if errors.As(err, &ie) {
			return fmt.Errorf("refusing to serve: %w", err)
		}
		return fmt.Errorf("%w (set --catalog, DUBAN_CATALOG or catalog: in the config)", err)
	}
	authn, err := auth.New(auth.Config{Tokens: cfg.Auth.Tokens})
	if err != nil {
		return err
	}
	for _, t := range cfg.Auth.Tokens {
		if t.Department != "" {
			if _, ok := cat.Department(t.Department); !ok {
				log.Warn("a token is configured for a department the catalog does not know; it can push nothing", "department", t.Department)
			}
		}
	}
	if authn.Len() == 0 {
		log.Warn("no tokens configured: every push answers 401; create one with `duban token create --department ID`")
	}
	store, err := openStore(ctx, cfg, cat, log)
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	defer func() {
		if err := store.Close(); err != nil {
			log.Error("close store", "err", err)
		}
	}()
	svc, err := collector.NewService(ctx, collector.ServiceConfig{Catalog: cat, Store: store, Eval: cfg.Evaluate, Logger: log})
	if err != nil {
		return err
	}
	apiCfg := api.Config{
		Service: svc, Auth: authn, Logger: log,
		MaxBodyBytes:  cfg.HTTP.MaxBodyBytes,
		RatePerSecond: cfg.Limits.RatePerSecond, RateBurst: cfg.Limits.RateBurst,
		MaxConcurrent: cfg.Limits.MaxConcurrent, TokenShare: cfg.Limits.PerTokenShare,
		Read:        api.ReadAccess(cfg.Auth.Read),
		MinBodyRate: cfg.HTTP.MinBodyRate, MinBodyGrace: cfg.HTTP.MinBodyRateGrace, ReadTimeout: cfg.HTTP.ReadTimeout,
		CORSOrigins: cfg.CORS.AllowedOrigins, TrustedProxies: cfg.HTTP.TrustedProxies,
	}

	// Everything beyond the API's own routes: /metrics, the board and the backup.
	startStoreRefresh(ctx, cfg, svc, log) // replicas sharing InfluxDB reread its latest values
	if apiCfg.Metrics, err = metricsHandler(svc, store, log); err != nil {
		return err
	}
	if bs, ok := store.(*boltstore.Store); ok {
		apiCfg.Backup = bs.Backup // GET /-/backup, `duban store backup --server`
	}
	if apiCfg.Board, err = board.New(board.Config{Source: svc, Logger: log}); err != nil {
		return err
	}

	handler, err := api.New(apiCfg)
	if err != nil {
		return err
	}
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
	log.Info("duban collector listening", "url", scheme+"://"+ln.Addr().String(), "catalog", cfg.Catalog,
		"indicators", len(cat.TargetIDs()), "store", cfg.Store.Kind, "path", cfg.Store.Path, "tokens", authn.Len(), "read", cfg.Auth.Read)
	ignoreSIGHUP(ctx, log)
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

// ignoreSIGHUP keeps SIGHUP (systemctl reload: ExecReload in deploy/systemd) from
// killing the collector, which is Go's default, until rereading the configuration on
// SIGHUP is implemented; meanwhile it logs that a restart is needed.
func ignoreSIGHUP(ctx context.Context, log *slog.Logger) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		defer signal.Stop(hup)
		for {
			select {
			case <-hup:
				log.Warn("SIGHUP: rereading the configuration is not supported yet; restart duban to apply changes (systemctl restart duban)")
			case <-ctx.Done():
				return
			}
		}
	}()
}
