package alerts_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/duban-gov/duban/alerts"
	"github.com/duban-gov/duban/collector"
	"github.com/duban-gov/duban/collector/http/metrics"
	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/internal/testenv"
	"github.com/duban-gov/duban/internal/testplans"
)

// TestPromtoolTwoPlansAlertApart runs the chain for two plans served together: the
// shipped 2026 list and the 民生实事 sample, which both have an indicator 1.1. One
// report of each, lagging, is stored in one real embedded store; the exporter writes
// both plans' series; the shipped rules in `promtool test rules` raise IndicatorLagging
// once per plan, each alert carrying its plan and its plan's title.
func TestPromtoolTwoPlansAlertApart(t *testing.T) {
	promtool := testenv.NeedBinary(t, "promtool")
	shipped, err := indicators.Load(filepath.Join(testenv.RepoRoot(), "indicators", "catalogs", "changzhi-2026.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	minsheng, err := indicators.Load(testplans.WriteMinsheng2026(t))
	if err != nil {
		t.Fatal(err)
	}
	now := at(t, shipped, "2026-10-20 12:00")
	series := exposePlans(t, now, "1.1", map[*indicators.Catalog]float64{shipped: 1e10, minsheng: 1})
	dir := t.TempDir()
	writeRules(t, dir)
	test := fmt.Sprintf(`rule_files: [%s]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
%s    promql_expr_test:
      - expr: count by (plan, plan_title, indicator) (ALERTS{alertname="IndicatorLagging",alertstate="firing"})
        eval_time: 100m
        exp_samples:
          - {labels: '{plan="%s",plan_title="%s",indicator="1.1"}', value: 1}
          - {labels: '{plan="%s",plan_title="%s",indicator="1.1"}', value: 1}
`, alerts.FileName, series, shipped.Plan.ID, shipped.Plan.Title, minsheng.Plan.ID, minsheng.Plan.Title)
	if err := os.WriteFile(filepath.Join(dir, "test.yml"), []byte(test), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(promtool, "test", "rules", "test.yml")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("promtool test rules: %v\n%s\ninput:\n%s", err, out, series)
	}
}

// exposePlans stores one September report of id per plan in one real embedded store,
// serves each plan by its own service over it (as duban serve does), and returns the
// exporter's series of id in every plan as promtool input series.
func exposePlans(t *testing.T, now time.Time, id string, values map[*indicators.Catalog]float64) string {
	t.Helper()
	ctx := context.Background()
	st := testenv.Store(t)
	cats := make([]*indicators.Catalog, 0, len(values))
	for cat := range values {
		cats = append(cats, cat)
	}
	sort.Slice(cats, func(i, j int) bool { return cats[i].Plan.ID < cats[j].Plan.ID })
	var sources []metrics.Source
	for _, cat := range cats {
		e, _ := cat.Lookup(id)
		p, _ := indicators.ParsePeriod("2026-09")
		v := values[cat]
		rev := indicators.Revision{
			Report:     indicators.Report{Plan: cat.Plan.ID, Indicator: id, Period: p.String(), Value: &v},
			Department: e.Task.Lead, Sender: e.Task.Lead, ReceivedAt: at(t, cat, "2026-10-08 09:00"), PeriodEnd: p.End(cat.Plan.Location()),
		}
		if _, err := st.Append(ctx, []indicators.Revision{rev}); err != nil {
			t.Fatal(err)
		}
	}
	for _, cat := range cats {
		svc, err := collector.NewService(ctx, collector.ServiceConfig{Catalog: cat, Store: st, Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		sources = append(sources, svc)
	}
	exp, err := metrics.New(metrics.Config{Source: sources[0], More: sources[1:]})
	if err != nil {
		t.Fatal(err)
	}
	return promtoolSeries(t, exp, id)
}
