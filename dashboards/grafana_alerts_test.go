package dashboards_test

import (
	"regexp"
	"strings"
	"testing"
	"text/template"

	"github.com/duban-gov/duban/alerts"
	"github.com/duban-gov/duban/conventions"
	"github.com/duban-gov/duban/dashboards"
)

// grafanaValue is what Grafana passes as $values.REF: a query's labels and value.
type grafanaValue struct {
	Labels map[string]string
	Value  float64
}

// renderGrafana expands a Grafana annotation template as Grafana does: $labels and
// $values are set before the text, $values maps refs to structs (a ref without a series
// for the alert reads as the zero struct), reReplaceAll is Prometheus' template function.
func renderGrafana(t *testing.T, tmpl string, labels map[string]string, values map[string]grafanaValue) string {
	t.Helper()
	funcs := template.FuncMap{"reReplaceAll": func(pattern, repl, text string) string {
		return regexp.MustCompile(pattern).ReplaceAllString(text, repl)
	}}
	parsed, err := template.New("a").Funcs(funcs).Option("missingkey=zero").
		Parse("{{ $labels := .Labels }}{{ $values := .Values }}" + tmpl)
	if err != nil {
		t.Fatalf("parse %q: %v", tmpl, err)
	}
	var b strings.Builder
	if err := parsed.Execute(&b, map[string]any{"Labels": labels, "Values": values}); err != nil {
		t.Fatalf("execute %q: %v", tmpl, err)
	}
	return b.String()
}

// TestGrafanaTextsPrintDisplayUnitsAndCounts renders the Grafana descriptions with the
// values their queries return (already divided by the display scale, see
// TestDashboardsReadTheSameWithTwoCollectors): at most two decimals without
// trailing zeros, and {=:0} a count without decimals.
func TestGrafanaTextsPrintDisplayUnitsAndCounts(t *testing.T) {
	labels := func(unit string) map[string]string {
		gap := unit
		if unit == "%" {
			gap = "个百分点"
		}
		return map[string]string{"indicator": "11.1", "name": "基础设施投资", "task": "11", "department_name": "市发改委",
			"due": "2026-12-31", conventions.LabelDisplayUnit: unit, conventions.LabelGapUnit: gap}
	}
	for name, c := range map[string]struct {
		alert  string
		labels map[string]string
		values map[string]float64
		want   string
	}{
		"亿元 print as whole numbers": {"IndicatorAtRisk", labels("亿元"),
			map[string]float64{"VALUE": 290, "EXPECTED": 301, "TARGET": 350, "GAP": -11},
			"当前值290亿元,按进度应达301亿元,年度目标350亿元,差距-11亿元,"},
		"万人 keep two decimals": {"IndicatorLagging", labels("万人"),
			map[string]float64{"VALUE": 1.18, "EXPECTED": 3.6, "TARGET": 4.3, "GAP": -2.42},
			"当前值1.18万人,按进度应达3.6万人,年度目标4.3万人,差距-2.42万人,"},
		"a percent keeps one decimal and its gap is in 个百分点": {"IndicatorLagging", labels("%"),
			map[string]float64{"VALUE": 6.2, "EXPECTED": 6.5, "TARGET": 6.5, "GAP": -0.3},
			"当前值6.2%,按进度应达6.5%,年度目标6.5%,差距-0.3个百分点,"},
		"the projection prints in the display unit": {"IndicatorProjectedMiss", labels("亿元"),
			map[string]float64{"PROJECTED": 340, "TARGET": 350, "VALUE": 290, "GAP": -11},
			"年底预计340亿元,年度目标350亿元;当前值290亿元,差距-11亿元,"},
		"a value without a series reads 无": {"IndicatorMissed", labels(""),
			map[string]float64{"VALUE": 40, "TARGET": 100},
			"当前值40,目标100,差距无"},
		"a count of missing reports has no decimals": {"DepartmentReportOverdue", map[string]string{"department_name": "市人社局"},
			map[string]float64{"A": 2},
			"市人社局有2项指标"},
	} {
		t.Run(name, func(t *testing.T) {
			values := map[string]grafanaValue{}
			for ref, v := range c.values {
				values[ref] = grafanaValue{Labels: map[string]string{"indicator": c.labels["indicator"]}, Value: v}
			}
			var a alerts.Alert
			for _, x := range alerts.Alerts() {
				if x.Name == c.alert {
					a = x
				}
			}
			got := renderGrafana(t, dashboards.GrafanaTemplate(a.Description), c.labels, values)
			if !strings.Contains(got, c.want) {
				t.Errorf("%s description\n%s\nlacks %s", c.alert, got, c.want)
			}
		})
	}
}

// TestGrafanaScalesCoverTheShippedCatalog: the Grafana value queries convert only the
// scales of conventions.DisplayScales (others would print in base units).
func TestGrafanaScalesCoverTheShippedCatalog(t *testing.T) {
	known := map[string]bool{"1": true}
	for _, s := range conventions.DisplayScales {
		known[conventions.DisplayScaleText(s)] = true
		if !strings.Contains(dashboards.ScaleExpr(), `"`+conventions.DisplayScaleText(s)+`"`) {
			t.Errorf("ScaleExpr lacks %v", s)
		}
	}
	for _, e := range catalog(t).Entries() {
		if s := conventions.DisplayScaleText(e.Target.DisplayScale); !known[s] {
			t.Errorf("target %s (%s): display scale %s is not in conventions.DisplayScales", e.Target.ID, e.Target.DisplayUnit, s)
		}
	}
}
