package dashboards_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/duban-gov/duban/conventions"
	"github.com/duban-gov/duban/dashboards"
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
