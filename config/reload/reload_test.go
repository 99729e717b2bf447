package reload_test

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/duban-gov/duban/config"
	"github.com/duban-gov/duban/config/reload"
	"github.com/duban-gov/duban/internal/testenv"
)

// parts records what the hooks of a test applied.
type parts struct {
	rate     float64 // limits.rate_per_second in force
	level    string  // log.level in force
	prepared []string
}

func TestReload(t *testing.T) {
	start := config.Defaults()
	errRefused := errors.New("refused by the part")
	cases := map[string]struct {
		edit        func(c *config.Config)
		loadErr     error
		refuse      string // the hook that refuses
		wantErr     error
		applied     []string
		restart     []string
		prepared    []string // hooks prepared
		rate        float64  // in force afterwards
		level       string
		listenAfter string // Running().Listen afterwards
	}{
		"a changed key a hook claims is applied": {
			edit:    func(c *config.Config) { c.Limits.RatePerSecond = 5 },
			applied: []string{"limits.rate_per_second"}, restart: []string{}, prepared: []string{"limits"},
			rate: 5, level: "info", listenAfter: start.Listen,
		},
		"a changed key no hook claims keeps its value and needs a restart; the rest applies": {
			edit:    func(c *config.Config) { c.Listen = "0.0.0.0:9"; c.Log.Level = "debug" },
			applied: []string{"log.level"}, restart: []string{"listen"}, prepared: []string{"log"},
			rate: 200, level: "debug", listenAfter: start.Listen,
		},
		"nothing changed prepares no hook": {
			edit:    func(*config.Config) {},
			applied: []string{}, restart: []string{}, prepared: nil,
			rate: 200, level: "info", listenAfter: start.Listen,
		},
		"a part that refuses keeps everything, the other parts too": {
			edit:   func(c *config.Config) { c.Limits.RatePerSecond = 5; c.Log.Level = "debug" },
			refuse: "log", wantErr: errRefused, prepared: []string{"limits", "log"},
			rate: 200, level: "info", listenAfter: start.Listen,
		},
		"a file that does not load keeps everything": {
			loadErr: errors.New("config: unknown key"), wantErr: errors.New("config: unknown key"),
			rate: 200, level: "info", listenAfter: start.Listen,
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			p := &parts{rate: start.Limits.RatePerSecond, level: start.Log.Level}
			logs := &testenv.Buffer{}
			now := time.Unix(1_790_000_000, 0)
			next := start
			if c.edit != nil {
				c.edit(&next)
			}
			r, err := reload.New(reload.Config{
				Load: func() (config.Config, error) { return next, c.loadErr }, Running: start,
				Logger: slog.New(slog.NewTextHandler(logs, nil)), Now: func() time.Time { return now },
			})
			if err != nil {
				t.Fatal(err)
			}
			hook := func(name string, keys []string, apply func(config.Config)) reload.Hook {
				return reload.Hook{Name: name, Keys: keys, Prepare: func(_ context.Context, next config.Config) (func(), error) {
					p.prepared = append(p.prepared, name)
					if name == c.refuse {
						return nil, errRefused
					}
					return func() { apply(next) }, nil
				}}
			}
			r.Register(hook("limits", []string{"limits"}, func(n config.Config) { p.rate = n.Limits.RatePerSecond }))
			r.Register(hook("log", []string{"log"}, func(n config.Config) { p.level = n.Log.Level }))
			now = now.Add(time.Minute)
			res, err := r.Reload(context.Background(), "test")
			switch {
			case c.wantErr == nil && err != nil:
				t.Fatalf("Reload: %v", err)
			case c.wantErr != nil && (err == nil || !strings.Contains(err.Error(), c.wantErr.Error())):
				t.Fatalf("Reload error %v, want %v", err, c.wantErr)
			}
			if c.wantErr == nil && (!slices.Equal(res.Applied, c.applied) || !slices.Equal(res.RestartRequired, c.restart)) {
				t.Errorf("applied %q, restart %q; want %q, %q", res.Applied, res.RestartRequired, c.applied, c.restart)
			}
			if !slices.Equal(p.prepared, c.prepared) {
				t.Errorf("prepared %q, want %q", p.prepared, c.prepared)
			}
			if p.rate != c.rate || p.level != c.level {
				t.Errorf("in force: rate %v, level %s; want %v, %s", p.rate, p.level, c.rate, c.level)
			}
			running := r.Running()
			if running.Listen != c.listenAfter || running.Limits.RatePerSecond != c.rate || running.Log.Level != c.level {
				t.Errorf("Running: listen %s, rate %v, level %s; want %s, %v, %s", running.Listen, running.Limits.RatePerSecond, running.Log.Level, c.listenAfter, c.rate, c.level)
			}
			ok, stamp := "1", "1.79000006e+09" // a success stamps the reload's time
			if c.wantErr != nil {
				ok, stamp = "0", "1.79e+09" // a refusal keeps the stamp of the last load
				if !strings.Contains(logs.String(), "configuration reload failed") {
					t.Errorf("no log line says the reload failed:\n%s", logs)
				}
			}
			want := `# HELP duban_config_last_reload_success_timestamp_seconds When the configuration in force was loaded: the start, or the last successful reload.
# TYPE duban_config_last_reload_success_timestamp_seconds gauge
duban_config_last_reload_success_timestamp_seconds ` + stamp + `
# HELP duban_config_last_reload_successful Whether the last reload of the configuration (SIGHUP, POST /-/reload) succeeded: 1, or 0 when the running configuration stayed because the new one was refused.
# TYPE duban_config_last_reload_successful gauge
duban_config_last_reload_successful ` + ok + "\n"
			if err := testutil.CollectAndCompare(r, strings.NewReader(want)); err != nil {
				t.Error(err)
			}
			if problems, err := testutil.CollectAndLint(r); err != nil || len(problems) > 0 {
				t.Errorf("lint: %v %v", problems, err)
			}
		})
	}
}

// TestAFailedReloadIsForgottenByTheNextGoodOne: the metric says 0 after a refused file
// and 1 again once a good one loads, which then applies in full.
func TestAFailedReloadIsForgottenByTheNextGoodOne(t *testing.T) {
	start := config.Defaults()
	bad := true
	rate := start.Limits.RatePerSecond
	r, err := reload.New(reload.Config{Running: start, Load: func() (config.Config, error) {
		if bad {
			return config.Config{}, errors.New("yaml: line 3: did not find expected key")
		}
		c := start
		c.Limits.RatePerSecond = 7
		return c, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	r.Register(reload.Hook{Name: "limits", Keys: []string{"limits"}, Prepare: func(_ context.Context, n config.Config) (func(), error) {
		return func() { rate = n.Limits.RatePerSecond }, nil
	}})
	if _, err := r.Reload(context.Background(), "test"); err == nil {
		t.Fatal("a bad file reloaded")
	}
	if v := successful(t, r); v != 0 {
		t.Fatalf("after a refused file: %v, want 0", v)
	}
	bad = false
	if _, err := r.Reload(context.Background(), "test"); err != nil {
		t.Fatal(err)
	}
	if v := successful(t, r); v != 1 || rate != 7 {
		t.Fatalf("after a good file: metric %v, rate %v; want 1, 7", v, rate)
	}
}

func TestNewNeedsLoad(t *testing.T) {
	if _, err := reload.New(reload.Config{Running: config.Defaults()}); err == nil {
		t.Fatal("New without Load")
	}
}

// successful is the value of duban_config_last_reload_successful.
func successful(t *testing.T, r *reload.Reloader) float64 {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(r)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "duban_config_last_reload_successful" {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatal("no duban_config_last_reload_successful")
	return 0
}
