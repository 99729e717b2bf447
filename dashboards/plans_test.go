package dashboards_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/duban-gov/duban/conventions"
	"github.com/duban-gov/duban/dashboards"
	"github.com/duban-gov/duban/indicators"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
)

var (
	// perPlanSelector is a per-indicator or per-department metric with its matchers.
	perPlanSelector = regexp.MustCompile(`\b(duban_indicator_[a-z_]+|duban_department_[a-z_]+)(\{[^}]*\})?`)
	// byClause is a by (…) or on (…) clause.
	byClause = regexp.MustCompile(`\b(by|on) \(([^)]*)\)`)
)

// TestEveryQueryReadsThePlanPicked: in every Prometheus query of every dashboard, each
// per-indicator and per-department metric selects plan="$plan", and each by (…) or
// on (…) that names the indicator or the department names the plan too, so that the
// same indicator id in two plans is never merged nor matched across plans.
func TestEveryQueryReadsThePlanPicked(t *testing.T) {
	files := generate(t)
	want := conventions.LabelPlan + `="$` + dashboards.VarPlan + `"`
	n := 0
	for _, name := range dashboardNames(files) {
		exprs := promExprs(t, files[name])
		for _, v := range promVariables(t, files[name]) {
			if v.name != dashboards.VarPlan {
				exprs = append(exprs, promExpr{panel: "variable " + v.name, expr: v.expr})
			}
		}
		for _, e := range exprs {
			for _, m := range perPlanSelector.FindAllStringSubmatch(e.expr, -1) {
				n++
				if !strings.Contains(m[2], want) {
					t.Errorf("%s %s: %s does not select %s in %s", name, e.panel, m[0], want, e.expr)
				}
			}
			for _, m := range byClause.FindAllStringSubmatch(e.expr, -1) {
				labels := strings.Split(m[2], ", ")
				if (contains(labels, conventions.LabelIndicator) || contains(labels, conventions.LabelDepartment)) && !contains(labels, conventions.LabelPlan) {
					t.Errorf("%s %s: %s without %s in %s", name, e.panel, m[0], conventions.LabelPlan, e.expr)
				}
			}
		}
	}
	if n < 100 {
		t.Errorf("only %d per-plan selections found: the test reads nothing", n)
	}
}

// TestPlanVariableOpensOnTheFirstPlanListed: every dashboard has the plan variable
// first, without a saved value and in the query's order, so that Grafana opens it on
// its first option, the plan the collectors put first (duban_plan_order 0); its regex
// takes the id as the value and the title as the text out of a query_result line.
func TestPlanVariableOpensOnTheFirstPlanListed(t *testing.T) {
	files := generate(t)
	for _, name := range dashboardNames(files) {
		list := decodeRaw(t, files[name]).Templating.List
		if len(list) == 0 || list[0].Name != dashboards.VarPlan {
			t.Errorf("%s: the plan variable is not first", name)
			continue
		}
		v := list[0]
		if v.Sort != 0 {
			t.Errorf("%s: the plan variable sorts its options (%d): the collectors' order is lost", name, v.Sort)
		}
		if c := strings.TrimSpace(string(v.Current)); c != "" && c != "{}" && c != "null" {
			t.Errorf("%s: the plan variable saves a value %s: Grafana would open on it whatever the year", name, c)
		}
	}
	re := regexp.MustCompile(strings.Trim(dashboards.PlanVariableRegex, "/"))
	line := `{plan="minsheng-2027", plan_title="2027年市级民生实事项目清单"} 0 1798732800`
	m := re.FindStringSubmatch(line)
	if m == nil || m[re.SubexpIndex("value")] != "minsheng-2027" || m[re.SubexpIndex("text")] != "2027年市级民生实事项目清单" {
		t.Errorf("the plan regex reads %q out of %s", m, line)
	}
}

// TestPickersListThePlanPicked: the department and indicator pickers of every
// dashboard are query variables reading $plan's own lists (never a list written from
// one catalog), refreshed on load, saving no value, sorted naturally so that 1.2 comes
// before 1.10 and 2.1 before 10.3.
func TestPickersListThePlanPicked(t *testing.T) {
	files := generate(t)
	seen := map[string]bool{}
	for _, name := range dashboardNames(files) {
		for _, v := range decodeRaw(t, files[name]).Templating.List {
			if v.Name != dashboards.VarDepartment && v.Name != dashboards.VarIndicator {
				continue
			}
			seen[v.Name] = true
			q, _ := v.Query.(string)
			if v.Type != "query" || !strings.Contains(q, conventions.LabelPlan+`="$`+dashboards.VarPlan+`"`) {
				t.Errorf("%s: %s is a %s variable with %q, want a query of $%s", name, v.Name, v.Type, q, dashboards.VarPlan)
			}
			if v.Sort != int(dashboard.VariableSortNaturalAsc) || v.Refresh != int(dashboard.VariableRefreshOnDashboardLoad) {
				t.Errorf("%s: %s sorts %d and refreshes %d, want natural (%d) on load (%d)", name, v.Name, v.Sort, v.Refresh,
					dashboard.VariableSortNaturalAsc, dashboard.VariableRefreshOnDashboardLoad)
			}
			if c := strings.TrimSpace(string(v.Current)); c != "" && c != "{}" && c != "null" {
				t.Errorf("%s: %s saves a value %s, which another plan may not have", name, v.Name, c)
			}
		}
	}
	if !seen[dashboards.VarDepartment] || !seen[dashboards.VarIndicator] {
		t.Errorf("pickers found: %v, want both", seen)
	}
}

// TestRevisionsReadEveryPlanYear: the InfluxQL panels of the indicator page read from
// the first plan year's January to the month after the last one's (the query selects
// $plan besides), whatever order the plans are listed in.
func TestRevisionsReadEveryPlanYear(t *testing.T) {
	plan := func(id string, year int) *indicators.Catalog {
		c := *catalog(t)
		c.Plan.ID, c.Plan.Year = id, year
		return &c
	}
	set := func(cs ...*indicators.Catalog) *indicators.PlanSet {
		srcs := make([]indicators.PlanSource, len(cs))
		for i, c := range cs {
			srcs[i] = indicators.PlanSource{Ref: c.Plan.ID, Catalog: c}
		}
		s, err := indicators.NewPlanSet(srcs)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	for name, tc := range map[string]struct {
		plans       *indicators.PlanSet
		start, stop string
	}{
		"one plan reads its year and the next January": {set(plan("a-2026", 2026)), "2025-12-31T16:00:00Z", "2027-01-31T16:00:00Z"},
		"two years read both":                          {set(plan("a-2026", 2026), plan("a-2027", 2027)), "2025-12-31T16:00:00Z", "2028-01-31T16:00:00Z"},
		"a later default plan reads the earlier one":   {set(plan("a-2027", 2027), plan("a-2025", 2025)), "2024-12-31T16:00:00Z", "2028-01-31T16:00:00Z"},
	} {
		t.Run(name, func(t *testing.T) {
			for _, q := range []string{dashboards.RevisionsInfluxQL(tc.plans), dashboards.PeriodsInfluxQL(tc.plans)} {
				if want := fmt.Sprintf("time >= '%s' AND time < '%s'", tc.start, tc.stop); !strings.HasSuffix(q, want) {
					t.Errorf("%s does not end with %s", q, want)
				}
			}
		})
	}
}
