package main

import (
	"context"
	"log/slog"
	"net/http"
	"path/filepath"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/duban-gov/duban/collector"
	"github.com/duban-gov/duban/collector/http/metrics"
	"github.com/duban-gov/duban/collector/store/influx"
	"github.com/duban-gov/duban/config"
	"github.com/duban-gov/duban/indicators"
)

// openInflux opens the InfluxDB backend; its spool lives under store.path/spool. The
// token comes from store.influxdb.token, token_file or DUBAN_STORE_INFLUXDB_TOKEN and is
// never logged.
func openInflux(ctx context.Context, cfg config.Config, plans *indicators.PlanSet, log *slog.Logger) (collector.Store, error) {
	ic := cfg.Store.InfluxDB
	token, err := ic.InfluxToken()
	if err != nil {
		return nil, err
	}
	lookup := func(plan, id string) (task, unit string) {
		cat, ok := plans.Plan(plan)
		if !ok {
			return "", ""
		}
		e, ok := cat.Lookup(id)
		if !ok {
			return "", ""
		}
		return strconv.Itoa(e.Task.Num), e.Target.Unit
	}
	feed := ""
	if ic.Feed == influx.FeedCompact {
		feed = influx.FeedCompact
	}
	return influx.Open(ctx, influx.Config{
		URL: ic.URL, Org: ic.Org, Bucket: ic.Bucket, Token: token,
		SpoolDir: filepath.Join(cfg.Store.Path, "spool"),
		Timeout:  ic.Timeout, Lookup: lookup, Logger: log, DefaultPlan: plans.Default().Plan.ID,
		Feed: feed,
	})
}

// startStoreRefresh reads what changed in a shared store on an interval (the InfluxDB
// change feed), so that replicas see each other's reports (InfluxDB backend only).
func startStoreRefresh(ctx context.Context, cfg config.Config, store collector.Store, svcs []*collector.Service, log *slog.Logger) {
	every := cfg.Store.InfluxDB.Refresh
	if cfg.Store.Kind != "influxdb" || every <= 0 {
		return
	}
	go func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := collector.Refresh(ctx, store, svcs...); err != nil && ctx.Err() == nil {
					log.Warn("refresh latest values from InfluxDB", "err", err)
				}
			}
		}
	}()
}

// metricsHandler serves /metrics: the exporter of every plan (svcs, the default plan's
// first; per-indicator families written directly, see metrics.Handler; drop leaves a
// plan's series out, metrics.closed_plans), the given collectors (the configuration
// reloads), plus the store's own metrics when it has some (the InfluxDB spool).
func metricsHandler(svcs []*collector.Service, store collector.Store, drop func(plan string) bool, log *slog.Logger, more ...prometheus.Collector) (http.Handler, error) {
	cfg := metrics.Config{Source: svcs[0], Logger: log, Collectors: more, Drop: drop}
	for _, s := range svcs[1:] {
		cfg.More = append(cfg.More, s)
	}
	if m, ok := store.(interface{ Metrics() prometheus.Collector }); ok {
		cfg.Collectors = append(cfg.Collectors, m.Metrics())
	}
	return metrics.Handler(cfg)
}
