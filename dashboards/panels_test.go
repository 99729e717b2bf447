package dashboards_test

import (
	"encoding/json"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/duban-gov/duban/alerts"
	"github.com/duban-gov/duban/conventions"
	"github.com/duban-gov/duban/dashboards"
	"github.com/duban-gov/duban/present"
)

// This file reads the generated dashboards' JSON as Grafana would see it: panels with
// their queries, field config, value mappings and transformations.

type rawPanel struct {
	Type        string `json:"type"`
	Title       string `json:"title"`
	Description string `json:"description"`
	Datasource  struct {
		Type string `json:"type"`
	} `json:"datasource"`
	Targets []struct {
		RefID      string `json:"refId"`
		Expr       string `json:"expr"`
		Datasource struct {
			Type string `json:"type"`
		} `json:"datasource"`
	} `json:"targets"`
	FieldConfig struct {
		Defaults struct {
			NoValue  string `json:"noValue"`
			Mappings []struct {
				Options map[string]json.RawMessage `json:"options"`
			} `json:"mappings"`
			Custom map[string]any `json:"custom"`
		} `json:"defaults"`
		Overrides []struct {
			Matcher struct {
				Options string `json:"options"`
			} `json:"matcher"`
			Properties []struct {
				ID    string `json:"id"`
				Value any    `json:"value"`
			} `json:"properties"`
		} `json:"overrides"`
	} `json:"fieldConfig"`
	Transformations []struct {
		ID      string          `json:"id"`
		Options json.RawMessage `json:"options"`
	} `json:"transformations"`
	Panels []rawPanel `json:"panels"`
}

type rawDashboard struct {
	SchemaVersion int        `json:"schemaVersion"`
	Panels        []rawPanel `json:"panels"`
	Templating    struct {
		List []struct {
			Name    string          `json:"name"`
			Type    string          `json:"type"`
			Query   any             `json:"query"`
			Regex   string          `json:"regex"`
			Sort    int             `json:"sort"`
			Refresh int             `json:"refresh"`
			Current json.RawMessage `json:"current"`
		} `json:"list"`
	} `json:"templating"`
}

func decodeRaw(t *testing.T, raw []byte) rawDashboard {
	t.Helper()
	var d rawDashboard
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatal(err)
	}
	return d
}

func flatPanels(ps []rawPanel) []rawPanel {
	var out []rawPanel
	for _, p := range ps {
		out = append(out, p)
		out = append(out, flatPanels(p.Panels)...)
	}
	return out
}

func dashboardNames(files map[string][]byte) []string {
	var names []string
	for n := range files {
		if strings.HasPrefix(n, dashboards.DirDashboards+"/") {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

type promExpr struct{ panel, expr string }

// promExprs lists the expr of every Prometheus target of a dashboard.
func promExprs(t *testing.T, raw []byte) []promExpr {
	t.Helper()
	var out []promExpr
	for _, p := range flatPanels(decodeRaw(t, raw).Panels) {
		for _, tg := range p.Targets {
			if tg.Datasource.Type == "prometheus" {
				out = append(out, promExpr{panel: p.Title, expr: tg.Expr})
			}
		}
	}
	return out
}

type promVariable struct{ name, label, expr, regex string }

var queryResult = regexp.MustCompile(`^query_result\((.+)\)$`)

var labelValues = regexp.MustCompile(`^label_values\((.+), ([a-z_]+)\)$`)

// promVariables are the dashboard's query variables as the PromQL that answers them:
// a query_result's expression, a label_values' group by (label) (selector).
func promVariables(t *testing.T, raw []byte) []promVariable {
	t.Helper()
	var out []promVariable
	for _, v := range decodeRaw(t, raw).Templating.List {
		q, _ := v.Query.(string)
		if v.Type != "query" {
			continue
		}
		if m := queryResult.FindStringSubmatch(q); m != nil {
			label := map[string]string{dashboards.VarPlan: conventions.LabelPlan,
				dashboards.VarDepartment: conventions.LabelDepartment, dashboards.VarIndicator: conventions.LabelIndicator}[v.Name]
			if label == "" {
				t.Errorf("variable %s: query_result of an unknown variable", v.Name)
			}
			out = append(out, promVariable{name: v.Name, label: label, expr: m[1], regex: v.Regex})
			continue
		}
		m := labelValues.FindStringSubmatch(q)
		if m == nil {
			t.Errorf("variable %s: %q is no label_values query", v.Name, q)
			continue
		}
		out = append(out, promVariable{name: v.Name, label: m[2], expr: "group by (" + m[2] + ") (" + m[1] + ")"})
	}
	return out
}

// stat is a stat panel: its title, queries, what it shows without a value and the text
// its value mappings give each value.
type stat struct {
	title   string
	exprs   []string
	expr    string // the first
	noValue string
	mapping map[string]string
}

func stats(t *testing.T, raw []byte) []stat {
	t.Helper()
	var out []stat
	for _, p := range flatPanels(decodeRaw(t, raw).Panels) {
		if p.Type != "stat" {
			continue
		}
		s := stat{title: p.Title, noValue: p.FieldConfig.Defaults.NoValue, mapping: map[string]string{}}
		for _, tg := range p.Targets {
			s.exprs = append(s.exprs, tg.Expr)
		}
		if len(s.exprs) > 0 {
			s.expr = s.exprs[0]
		}
		for _, m := range p.FieldConfig.Defaults.Mappings {
			for k, v := range m.Options {
				var r struct {
					Text string `json:"text"`
				}
				if json.Unmarshal(v, &r) == nil && r.Text != "" {
					s.mapping[k] = r.Text
				}
			}
		}
		out = append(out, s)
	}
	return out
}

func statExpr(t *testing.T, raw []byte, title string) string {
	t.Helper()
	for _, s := range stats(t, raw) {
		if s.title == title {
			return s.expr
		}
	}
	t.Fatalf("no stat %s", title)
	return ""
}

// table is a table panel on Prometheus: its queries by refId and its organize step.
type table struct {
	title   string
	queries map[string]string
	exclude map[string]bool
	rename  map[string]string
	index   map[string]int // by the name after renaming
	hidden  map[string]bool
}

func tables(t *testing.T, raw []byte) []table {
	t.Helper()
	var out []table
	for _, p := range flatPanels(decodeRaw(t, raw).Panels) {
		if p.Type != "table" || p.Datasource.Type != "prometheus" {
			continue
		}
		tb := table{title: p.Title, queries: map[string]string{}, hidden: map[string]bool{}, index: map[string]int{}}
		for _, tg := range p.Targets {
			tb.queries[tg.RefID] = tg.Expr
		}
		for _, tr := range p.Transformations {
			if tr.ID != "organize" {
				continue
			}
			var o struct {
				Exclude map[string]bool   `json:"excludeByName"`
				Rename  map[string]string `json:"renameByName"`
				Index   map[string]int    `json:"indexByName"`
			}
			if err := json.Unmarshal(tr.Options, &o); err != nil {
				t.Fatal(err)
			}
			tb.exclude, tb.rename = o.Exclude, o.Rename
			for f, i := range o.Index {
				name := f
				if r, ok := o.Rename[f]; ok {
					name = r
				}
				tb.index[name] = i
			}
		}
		for _, o := range p.FieldConfig.Overrides {
			for _, pr := range o.Properties {
				if pr.ID == "custom.hidden" && pr.Value == true {
					tb.hidden[o.Matcher.Options] = true
				}
			}
		}
		out = append(out, tb)
	}
	return out
}

// tableQueries are the queries of the first table of a dashboard by refId.
func tableQueries(t *testing.T, raw []byte) map[string]string {
	t.Helper()
	tbs := tables(t, raw)
	if len(tbs) == 0 {
		t.Fatal("no table")
	}
	return tbs[0].queries
}

// TestNothingReadsZeroWhenNothingAnswers: an outage must not look like "nothing is
// wrong": no query pads an empty answer with vector(0), no panel shows 0 without a
// value; every stat, table and trend says 无数据.
func TestNothingReadsZeroWhenNothingAnswers(t *testing.T) {
	files := generate(t)
	for _, n := range dashboardNames(files) {
		if strings.Contains(string(files[n]), "vector(0)") {
			t.Errorf("%s pads a query with vector(0)", n)
		}
		for _, p := range flatPanels(decodeRaw(t, files[n]).Panels) {
			if p.Type == "row" {
				continue
			}
			if nv := p.FieldConfig.Defaults.NoValue; nv == "0" || (p.Datasource.Type == "prometheus" && nv != present.NoValue) {
				t.Errorf("%s panel %s shows %q without a value, want %s", n, p.Title, nv, present.NoValue)
			}
		}
	}
}

// TestTrendsSayWhatTheirAxisIsAndDrawPoints: a Prometheus trend's x axis is when a value
// was scraped, not the period it is for; every one says so and draws its points.
func TestTrendsSayWhatTheirAxisIsAndDrawPoints(t *testing.T) {
	files := generate(t)
	n := 0
	for _, name := range dashboardNames(files) {
		for _, p := range flatPanels(decodeRaw(t, files[name]).Panels) {
			if p.Type != "timeseries" {
				continue
			}
			if sp := p.FieldConfig.Defaults.Custom["showPoints"]; sp != "auto" && sp != "always" {
				t.Errorf("%s trend %s: showPoints %v, want auto", name, p.Title, sp)
			}
			if p.Datasource.Type == "prometheus" {
				n++
				if !strings.Contains(p.Description, "横轴是 Prometheus 采集到该数值的时间") {
					t.Errorf("%s trend %s does not say what its x axis is: %q", name, p.Title, p.Description)
				}
			}
		}
	}
	if n < 6 {
		t.Errorf("only %d Prometheus trends found", n)
	}
}

// TestOneDefinitionOfOverdue: the 逾期未报 stats, the alert and the metric agree,
// because they are one series (duban_department_reports_missing).
func TestOneDefinitionOfOverdue(t *testing.T) {
	files := generate(t)
	for _, name := range []string{"overview.json", "department.json"} {
		raw := files[dashboards.DirDashboards+"/"+name]
		expr := statExpr(t, raw, present.OverdueWord)
		if !strings.Contains(expr, conventions.MetricDeptMissing) {
			t.Errorf("%s: %s reads %s, not %s", name, present.OverdueWord, expr, conventions.MetricDeptMissing)
		}
		if strings.Contains(string(raw), conventions.MetricNextReportDue) {
			t.Errorf("%s counts overdue reports a second way (%s)", name, conventions.MetricNextReportDue)
		}
	}
	for _, a := range alerts.Alerts() {
		if a.Name == "DepartmentReportOverdue" && !strings.Contains(a.Expr, conventions.MetricDeptMissing) {
			t.Errorf("DepartmentReportOverdue reads %s", a.Expr)
		}
	}
}
