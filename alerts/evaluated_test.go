package alerts_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/duban-gov/duban/alerts"
	"github.com/duban-gov/duban/collector"
	"github.com/duban-gov/duban/collector/http/metrics"
	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/internal/testenv"
)

// TestPromtoolBeatenLevelTargetRaisesNoAlert runs the whole chain for one target of the
// shipped catalog: a report stored in the real embedded store, the collector's
// evaluation, the exporter's /metrics series for that target, and the shipped rules in
// `promtool test rules`. 13.2 新建项目开工率40% (due with the first quarter) reported at
// 55 % beats its target: no indicator alert may fire. The same target reported at 30 %
// must raise IndicatorMissed, so the test can tell the two apart.
func TestPromtoolBeatenLevelTargetRaisesNoAlert(t *testing.T) {
	promtool := testenv.NeedBinary(t, "promtool")
	cat, err := indicators.Load(filepath.Join(testenv.RepoRoot(), "indicators", "catalogs", "changzhi-2026.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	e, ok := cat.Lookup("13.2")
	if !ok || e.Target.Measure != indicators.Level || e.Target.Comparator != indicators.GE || e.Target.Value != 40 {
		t.Fatalf("13.2 is not 新建项目开工率 ge 40 %%: %+v", e.Target)
	}
	cases := map[string]struct {
		period   string
		value    float64
		received string
		now      string
		status   string
		fires    string // the alert that must fire; "" for none
	}{
		"13.2 at 55 % for March, judged in April, is achieved and raises no alert": {
			period: "2026-03", value: 55, received: "2026-04-05 09:00", now: "2026-04-15 12:00", status: "achieved",
		},
		"13.2 at 55 % for February, judged in March, is on track and raises no alert": {
			period: "2026-02", value: 55, received: "2026-03-05 09:00", now: "2026-03-20 12:00", status: "on_track",
		},
		"13.2 at 30 % for March, judged in April, is missed and raises IndicatorMissed": {
			period: "2026-03", value: 30, received: "2026-04-05 09:00", now: "2026-04-15 12:00", status: "missed", fires: "IndicatorMissed",
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			series := exposeOne(t, cat, "13.2", c.period, c.value, at(t, cat, c.received), at(t, cat, c.now))
			if !strings.Contains(series, `status="`+c.status+`"}', values: '1x`) {
				t.Fatalf("the exporter does not say %s for 13.2:\n%s", c.status, series)
			}
			dir := t.TempDir()
			writeRules(t, dir)
			var test strings.Builder
			fmt.Fprintf(&test, "rule_files: [%s]\nevaluation_interval: 1m\ntests:\n  - interval: 1m\n    input_series:\n%s    alert_rule_test:\n", alerts.FileName, series)
			for _, a := range alerts.Alerts() {
				if strings.HasPrefix(a.Name, "Indicator") {
					fmt.Fprintf(&test, "      - {eval_time: 100m, alertname: %s, exp_alerts: []}\n", a.Name)
				}
			}
			if err := os.WriteFile(filepath.Join(dir, "test.yml"), []byte(test.String()), 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(promtool, "test", "rules", "test.yml")
			cmd.Dir = dir
			out, err := cmd.CombinedOutput()
			switch {
			case c.fires == "" && err != nil:
				t.Fatalf("an alert fired for 13.2 (%s): %v\n%s\ninput:\n%s", c.status, err, out, series)
			case c.fires != "" && err == nil:
				t.Fatalf("no alert fired for 13.2 at %v %%; want %s\n%s", c.value, c.fires, out)
			case c.fires != "" && !strings.Contains(string(out), "alertname: "+c.fires):
				t.Fatalf("promtool failed without naming %s:\n%s", c.fires, out)
			}
		})
	}
}

// exposeOne stores one report of id in a real embedded store, evaluates the catalog at
// now through the collector and returns the exporter's series of that indicator as
// promtool input series (constant for two hours, scraped as job duban).
func exposeOne(t *testing.T, cat *indicators.Catalog, id, period string, value float64, received, now time.Time) string {
	t.Helper()
	ctx := context.Background()
	st := testenv.Store(t)
	e, _ := cat.Lookup(id)
	p, err := indicators.ParsePeriod(period)
	if err != nil {
		t.Fatal(err)
	}
	v := value
	rev := indicators.Revision{
		Report:     indicators.Report{Plan: cat.Plan.ID, Indicator: id, Period: p.String(), Value: &v},
		Department: e.Task.Lead, Sender: e.Task.Lead, ReceivedAt: received, PeriodEnd: p.End(cat.Plan.Location()),
	}
	if _, err := st.Append(ctx, []indicators.Revision{rev}); err != nil {
		t.Fatal(err)
	}
	svc, err := collector.NewService(ctx, collector.ServiceConfig{Catalog: cat, Store: st, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	exp, err := metrics.New(metrics.Config{Source: svc})
	if err != nil {
		t.Fatal(err)
	}
	return promtoolSeries(t, exp, id)
}

// promtoolSeries is the exporter's series of indicator id (in every plan it serves) as
// promtool input series, constant for two hours, scraped as job duban.
func promtoolSeries(t *testing.T, exp *metrics.Exporter, id string) string {
	t.Helper()
	var buf bytes.Buffer
	if err := exp.WriteIndicators(&buf); err != nil {
		t.Fatal(err)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(&buf)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for name, f := range families {
		for _, m := range f.GetMetric() {
			labels := []string{`job="duban"`, `instance="c:9464"`}
			mine := false
			for _, l := range m.GetLabel() {
				labels = append(labels, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
				mine = mine || l.GetName() == "indicator" && l.GetValue() == id
			}
			if mine {
				lines = append(lines, fmt.Sprintf("      - {series: '%s{%s}', values: '%vx120'}\n", name, strings.Join(labels, ","), m.GetGauge().GetValue()))
			}
		}
	}
	sort.Strings(lines)
	return strings.Join(lines, "")
}

// writeRules writes the shipped Prometheus rules into dir, for promtool test rules.
func writeRules(t *testing.T, dir string) {
	t.Helper()
	var rules bytes.Buffer
	if err := alerts.WritePrometheus(&rules, alerts.PrometheusOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, alerts.FileName), rules.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func at(t *testing.T, cat *indicators.Catalog, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04", s, cat.Plan.Location())
	if err != nil {
		t.Fatal(err)
	}
	return v
}
