package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/duban-gov/duban/bulletin"
	"github.com/duban-gov/duban/collector"
	"github.com/duban-gov/duban/collector/store/boltstore"
	"github.com/duban-gov/duban/config"
	"github.com/duban-gov/duban/indicators/catalogs"
)

func newBulletinCmd(s streams) *cobra.Command {
	var period, format, server, data, cfgFile, out, tokenFile, plan string
	cmd := &cobra.Command{
		Use:   "bulletin --period 2026-Q1 --format md|html|xlsx [--server URL | --data DIR] [--out FILE]",
		Short: "Render the quarterly bulletin (按季通报) in Markdown, HTML or Excel",
		Long: `Render the quarterly bulletin: summary counts by status, a table per department,
the lagging and missed list with gaps, the reporting completeness ranking and milestone
progress, in Chinese.

By default it asks the running collector (GET /api/v1/bulletins/{period}, --server,
default ` + defaultServer + `; --token-file or $DUBAN_TOKEN when the collector has
auth.read: token). With --data DIR it opens the embedded store directly
(stop the collector first: the store is locked while it runs) and makes the same
bulletin the collector would: give the collector's --config, whose catalog and
evaluate.* (the due day of the reporting calendar) it uses; --catalog overrides the
catalog.
Markdown and HTML go to standard output unless --out is given; Excel goes to
duban-bulletin-<period>.xlsx unless --out says otherwise.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if period == "" {
				return fmt.Errorf("bulletin: give --period, e.g. 2026-Q1")
			}
			f, err := bulletin.ParseFormat(format)
			if err != nil {
				return fmt.Errorf("bulletin: %w", err)
			}
			if out == "" && f == bulletin.XLSX {
				out = fmt.Sprintf("duban-bulletin-%s.xlsx", strings.ToUpper(period))
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), 5*time.Minute)
			defer cancel()
			var b []byte
			if data != "" {
				var cfg config.Config
				if cfg, err = config.Load(config.Options{File: cfgFile, Flags: cmd.Flags()}); err != nil {
					return err
				}
				clock, cerr := cfg.Testing.Clock()
				if cerr != nil {
					return cerr
				}
				b, err = bulletinFromStore(ctx, cfg, data, plan, period, f, clock())
			} else {
				if server == "" {
					server = defaultServer
				}
				prefix := "/api/v1"
				if plan != "" { // one of several plans the collector serves (GET /api/v1/plans)
					prefix += "/plans/" + url.PathEscape(plan)
				}
				u := fmt.Sprintf("%s%s/bulletins/%s?format=%s", strings.TrimRight(server, "/"), prefix, url.PathEscape(period), f)
				var token string
				if token, err = readTokenOptional(tokenFile); err != nil {
					return err
				}
				b, err = getFromServer(ctx, u, token)
				if err != nil {
					err = fmt.Errorf("bulletin from %s: %w", server, err)
				}
			}
			if err != nil {
				return err
			}
			return writeOut(s, out, b)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&period, "period", "", "quarter: 2026-Q1 .. 2026-Q4")
	fl.StringVar(&plan, "plan", "", "the plan, when the collector serves several (GET /api/v1/plans, or the configuration's plans: with --data); default the default plan (the first listed)")
	fl.StringVar(&format, "format", "md", "md, html or xlsx")
	fl.StringVar(&server, "server", "", "collector URL (default "+defaultServer+")")
	fl.StringVar(&data, "data", "", "read the embedded store in this data directory instead of a server")
	fl.StringVar(&cfgFile, "config", "", "the collector's configuration file (with --data): its catalog and evaluate.* make the bulletin")
	fl.String("catalog", config.Defaults().Catalog, "catalog file, or embedded:NAME for a shipped one (with --data; default: the configuration's)")
	fl.StringVar(&out, "out", "", "output file (- for stdout)")
	fl.StringVar(&tokenFile, "token-file", "", "file holding a token, when reads need one (auth.read: token); default: $DUBAN_TOKEN")
	return cmd
}

// bulletinFromStore renders the bulletin of plan (default: the default plan) from the
// embedded store in dir as the collector with configuration cfg would (bulletin.Prepare
// over a collector.Service with the plan's catalog and the evaluation configuration).
func bulletinFromStore(ctx context.Context, cfg config.Config, dir, plan, period string, f bulletin.Format, now time.Time) (out []byte, err error) {
	plans, err := catalogs.LoadSet(cfg.PlanRefs())
	if err != nil {
		return nil, err
	}
	cat := plans.Default()
	if plan != "" {
		var ok bool
		if cat, ok = plans.Plan(plan); !ok {
			ids := make([]string, 0, len(plans.Plans()))
			for _, c := range plans.Plans() {
				ids = append(ids, c.Plan.ID)
			}
			return nil, fmt.Errorf("bulletin: plan %q is not in the configuration; its plans: %s", plan, strings.Join(ids, ", "))
		}
	}
	st, err := boltstore.Open(ctx, boltstore.Config{Dir: dir, DefaultPlan: plans.Default().Plan.ID})
	if err != nil {
		return nil, fmt.Errorf("open store %s (is `duban serve` running on it? then use --server): %w", dir, err)
	}
	defer func() { err = errors.Join(err, st.Close()) }()
	svc, err := collector.NewService(ctx, collector.ServiceConfig{Catalog: cat, Store: st, Eval: cfg.Evaluate, Now: func() time.Time { return now }})
	if err != nil {
		return nil, err
	}
	in, err := bulletin.Prepare(ctx, svc, period, now)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := bulletin.Render(&buf, f, in); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
