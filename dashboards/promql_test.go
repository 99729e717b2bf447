package dashboards_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/duban-gov/duban/alerts"
	"github.com/duban-gov/duban/conventions"
	"github.com/duban-gov/duban/dashboards"
	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/internal/testenv"
)

// TestEveryPromQLExpressionWorksOnTheRealCollector runs every PromQL expression of the
// generated dashboards and Grafana alert rules against a real Prometheus scraping the
// real `duban serve` (shipped catalog, moved to the current year) after real pushes: each
// must parse, and each must return data for the indicators that have reports, which
// catches wrong metric and label names. Alert queries return data when their alert
// fires: the pushes make a target lagging and one missed; the collector is up, so its
// down alert must return nothing.
func TestEveryPromQLExpressionWorksOnTheRealCollector(t *testing.T) {
	if testing.Short() {
		t.Skip("starts duban and Prometheus")
	}
	testenv.NeedBinary(t, "prometheus")
	loc := time.FixedZone("CST", 8*3600)
	now := time.Now().In(loc)
	if now.Month() < time.March {
		t.Skip("needs two complete months of the plan year behind")
	}
	cat := catalogThisYear(t, now.Year())
	lagging, missed := pick(t, cat, now)
	t.Logf("lagging: %s (%s, display scale %v), missed: %s (%s, display scale %v)", lagging.Target.ID, lagging.Task.Lead, lagging.Target.DisplayScale, missed.Target.ID, missed.Task.Lead, missed.Target.DisplayScale)

	// 1. duban serve with one token per department pushed for.
	var catYAML bytes.Buffer
	if err := cat.WriteYAML(&catYAML); err != nil {
		t.Fatal(err)
	}
	tokens := map[string]string{}
	var lines []string
	for _, d := range []string{lagging.Task.Lead, missed.Task.Lead} {
		if _, ok := tokens[d]; ok {
			continue
		}
		tok, hash := testenv.Token(t)
		tokens[d] = tok
		lines = append(lines, fmt.Sprintf("    - {department: %s, sha256: %s}", d, hash))
	}
	duban := testenv.StartServe(t, testenv.ServeOptions{Config: func(addr, dir string) string {
		return fmt.Sprintf("listen: %s\ncatalog: %s\nstore: {kind: embedded, path: %s}\nauth:\n  tokens:\n%s\nlog: {format: text, level: warn}\n",
			addr, filepath.Join(dir, "catalog.yaml"), filepath.Join(dir, "data"), strings.Join(lines, "\n"))
	}, Files: testenv.Files{"catalog.yaml": catYAML.String()}})

	// 2. Reports: a tenth of the target for the lagging one (last complete month) and for
	// the missed one (its due month).
	lastMonth := fmt.Sprintf("%d-%02d", now.Year(), int(now.Month())-1)
	testenv.Push(t, duban.URL, tokens[lagging.Task.Lead], report(lagging, lastMonth))
	y, m, _, _ := missed.Target.Due.Parse()
	testenv.Push(t, duban.URL, tokens[missed.Task.Lead], report(missed, fmt.Sprintf("%d-%02d", y, int(m))))

	// 3. Prometheus scraping it every second, with the recording and alert rules.
	var rules bytes.Buffer
	if err := alerts.WritePrometheus(&rules, alerts.PrometheusOptions{Interval: time.Second}); err != nil {
		t.Fatal(err)
	}
	prom := testenv.StartPrometheus(t, fmt.Sprintf(`global: {scrape_interval: 1s, evaluation_interval: 1s}
rule_files: [rules.yml]
scrape_configs:
  - job_name: %s
    static_configs: [{targets: [%q]}]
`, conventions.JobName, duban.Addr), testenv.Files{"rules.yml": rules.String()})

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	waitVector(t, ctx, prom, fmt.Sprintf(`%s{indicator=%q,status="lagging"}`, alerts.RecordStatusCurrent, lagging.Target.ID))
	waitVector(t, ctx, prom, fmt.Sprintf(`%s{indicator=%q,status="missed"}`, alerts.RecordStatusCurrent, missed.Target.ID))
	waitVector(t, ctx, prom, fmt.Sprintf(`%s{indicator=%q}`, conventions.MetricProjected, lagging.Target.ID))

	// 4. Every dashboard expression, with the variables set to the lagging indicator.
	subst := strings.NewReplacer(
		"${"+dashboards.VarDepartment+"}", lagging.Task.Lead, "$"+dashboards.VarDepartment, lagging.Task.Lead,
		"${"+dashboards.VarIndicator+"}", lagging.Target.ID, "$"+dashboards.VarIndicator, lagging.Target.ID,
	)
	files := generate(t)
	var names []string
	for n := range files {
		if strings.HasPrefix(n, dashboards.DirDashboards+"/") {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	total := 0
	for _, n := range names {
		exprs := promExprs(t, files[n])
		if len(exprs) == 0 {
			t.Errorf("%s: no PromQL found", n)
		}
		for _, e := range exprs {
			total++
			// Per-department panels of departments without reports would rightly be
			// empty: they are checked with the department that has reports instead.
			q := deptMatcher.ReplaceAllStringFunc(subst.Replace(e.expr), func(m string) string {
				if id := deptMatcher.FindStringSubmatch(m)[1]; id != lagging.Task.Lead && id != missed.Task.Lead {
					return fmt.Sprintf(`%s=%q`, conventions.LabelDepartment, lagging.Task.Lead)
				}
				return m
			})
			if strings.Contains(q, "$") {
				t.Errorf("%s %q: unsubstituted variable in %s", n, e.panel, q)
				continue
			}
			v, err := prom.Vector(ctx, q)
			if err != nil {
				t.Errorf("%s panel %q: %v", n, e.panel, err)
			} else if len(v) == 0 {
				t.Errorf("%s panel %q: no data for %s", n, e.panel, q)
			} else if strings.Contains(q, "group_left ("+conventions.LabelName) {
				// The info join must bring the Chinese names the tables and legends show.
				for _, l := range []string{conventions.LabelName, conventions.LabelDepartmentName} {
					if v[0].Metric[l] == "" {
						t.Errorf("%s panel %q: %s joined no %s label: %v", n, e.panel, q, l, v[0].Metric)
					}
				}
			}
		}
	}

	// 5. Every Grafana rule query.
	expect := map[string]string{ // alert name → "data" | "empty" | "" (parse only)
		"IndicatorLagging":        "data",
		"IndicatorMissed":         "data",
		"DepartmentReportOverdue": "data",
		"DubanCollectorDown":      "empty",
		"DubanConfigReloadFailed": "empty",
	}
	byAlert := map[string]indicators.Entry{"IndicatorLagging": lagging, "IndicatorMissed": missed}
	groups, err := dashboards.GrafanaRuleGroups()
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range groups {
		for _, r := range g.Rules {
			for _, d := range r.Data {
				raw, _ := json.Marshal(d.Model)
				var m struct {
					Expr string `json:"expr"`
				}
				_ = json.Unmarshal(raw, &m)
				if m.Expr == "" {
					continue // a server-side expression
				}
				total++
				v, err := prom.Vector(ctx, m.Expr)
				switch {
				case err != nil:
					t.Errorf("rule %s query %s: %v", r.Title, *d.RefId, err)
				case expect[r.Title] == "data" && len(v) == 0:
					t.Errorf("rule %s query %s: no data for %s", r.Title, *d.RefId, m.Expr)
				case expect[r.Title] == "empty" && len(v) != 0:
					t.Errorf("rule %s query %s fires while the collector is up: %v", r.Title, *d.RefId, v)
				}
				if *d.RefId != "A" && expect[r.Title] == "data" {
					// A value query carries the alert's labels, so Grafana can match it: each of
					// its series is one of the alert's, and the pushed indicator has one. (Other
					// alerting targets may have no value: a deadline passed with nothing
					// reported is missed, 逾期未报.)
					alertV, _ := prom.Vector(ctx, dashboards.GrafanaAlertExpr(alertNamed(t, r.Title)))
					for _, x := range v {
						found := false
						for _, a := range alertV {
							found = found || sameLabels(x.Metric, a.Metric)
						}
						if !found {
							t.Errorf("rule %s query %s: labels %v match none of the alert's %v", r.Title, *d.RefId, x.Metric, alertV)
						}
					}
					if e, ok := byAlert[r.Title]; ok {
						var mine []testenv.Sample
						for _, x := range v {
							if x.Metric[conventions.LabelIndicator] == e.Target.ID {
								mine = append(mine, x)
							}
						}
						if len(mine) != 1 {
							t.Errorf("rule %s query %s: %d series for %s, want 1 (%v)", r.Title, *d.RefId, len(mine), e.Target.ID, v)
						} else {
							checkDisplayValue(t, ctx, prom, r.Title, *d.RefId, e, mine[0])
						}
					}
				}
			}
		}
	}
	t.Logf("%d PromQL expressions checked against the real Prometheus", total)
}

// checkDisplayValue checks that a Grafana value query (REF = the upper-cased Values
// ref) reads the indicator's series in its display unit: the base-unit value divided by
// the catalog's display scale.
func checkDisplayValue(t *testing.T, ctx context.Context, prom *testenv.Server, alert, ref string, e indicators.Entry, got testenv.Sample) {
	t.Helper()
	metric := alerts.Values[strings.ToLower(ref)]
	raw, err := prom.Vector(ctx, fmt.Sprintf(`max(%s{%s=%q})`, metric, conventions.LabelIndicator, e.Target.ID))
	if err != nil || len(raw) != 1 {
		t.Errorf("rule %s query %s: no %s of %s to compare with (%v)", alert, ref, metric, e.Target.ID, err)
		return
	}
	scale := e.Target.DisplayScale
	if scale <= 0 {
		scale = 1
	}
	base, _ := strconv.ParseFloat(raw[0].Value[1].(string), 64)
	display, _ := strconv.ParseFloat(got.Value[1].(string), 64)
	if want := base / scale; math.Abs(display-want) > 1e-9*math.Max(1, math.Abs(want)) {
		t.Errorf("rule %s query %s = %v, want %v (%v base units / display scale %v)", alert, ref, display, want, base, scale)
	}
	if got.Metric[conventions.LabelDisplayScale] != conventions.DisplayScaleText(e.Target.DisplayScale) {
		t.Errorf("rule %s query %s: display_scale label %q, catalog scale %v", alert, ref, got.Metric[conventions.LabelDisplayScale], e.Target.DisplayScale)
	}
}

func alertNamed(t *testing.T, name string) alerts.Alert {
	for _, a := range alerts.Alerts() {
		if a.Name == name {
			return a
		}
	}
	t.Fatalf("no alert %s", name)
	return alerts.Alert{}
}

func sameLabels(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// catalogThisYear is the shipped catalog moved to year, so that the test's calendar
// (now) falls inside the plan year.
func catalogThisYear(t *testing.T, year int) *indicators.Catalog {
	t.Helper()
	cat := catalog(t)
	from := fmt.Sprint(cat.Plan.Year)
	cat.Plan.Year = year
	for i := range cat.Tasks {
		for j := range cat.Tasks[i].Targets {
			tg := &cat.Tasks[i].Targets[j]
			tg.Due = indicators.Date(strings.Replace(string(tg.Due), from, fmt.Sprint(year), 1))
		}
	}
	cat.Build()
	return cat
}

// pick finds a plain cumulative "at least" target due at year end (to make it lag) and
// a numeric "at least" or "equal" target whose due date has passed (to make it missed).
func pick(t *testing.T, cat *indicators.Catalog, now time.Time) (lagging, missed indicators.Entry) {
	t.Helper()
	loc := cat.Plan.Location()
	for _, e := range cat.Entries() {
		tg := e.Target
		if tg.Relative != nil || (tg.Comparator != indicators.GE && tg.Comparator != indicators.EQ) || tg.Value <= 0 {
			continue
		}
		end, err := tg.Due.End(loc)
		if err != nil {
			continue
		}
		switch {
		case lagging.Target == nil && tg.Measure == indicators.Cumulative && tg.Comparator == indicators.GE && tg.Trajectory == nil && end.Month() == time.January && end.After(now):
			lagging = e
		case missed.Target == nil && (tg.Measure == indicators.Cumulative || tg.Measure == indicators.Level) && end.Before(now.AddDate(0, 0, -1)):
			missed = e
		}
	}
	if lagging.Target == nil || missed.Target == nil {
		t.Fatalf("the catalog lacks a year-end cumulative target or a past-due numeric one")
	}
	return lagging, missed
}

func report(e indicators.Entry, period string) string {
	return fmt.Sprintf(`{"reports":[{"indicator":%q,"period":%q,"value":%g}]}`, e.Target.ID, period, e.Target.Value/10)
}

func waitVector(t *testing.T, ctx context.Context, prom *testenv.Server, q string) {
	t.Helper()
	for {
		v, err := prom.Vector(ctx, q)
		if err == nil && len(v) > 0 {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s: no data (last error %v)\n%s", q, err, prom.Log())
		case <-time.After(250 * time.Millisecond):
		}
	}
}

var deptMatcher = regexp.MustCompile(conventions.LabelDepartment + `="([^"$]+)"`)

type promExpr struct{ panel, expr string }

// promExprs walks a dashboard's JSON for the expr of every Prometheus target.
func promExprs(t *testing.T, raw []byte) []promExpr {
	t.Helper()
	var d struct {
		Panels []panelJSON `json:"panels"`
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatal(err)
	}
	var out []promExpr
	var walk func([]panelJSON)
	walk = func(ps []panelJSON) {
		for _, p := range ps {
			for _, tg := range p.Targets {
				if tg.Datasource.Type == "prometheus" {
					out = append(out, promExpr{panel: p.Title, expr: tg.Expr})
				}
			}
			walk(p.Panels)
		}
	}
	walk(d.Panels)
	return out
}

type panelJSON struct {
	Title   string `json:"title"`
	Targets []struct {
		Expr       string `json:"expr"`
		Datasource struct {
			Type string `json:"type"`
		} `json:"datasource"`
	} `json:"targets"`
	Panels []panelJSON `json:"panels"`
}
