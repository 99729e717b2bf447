package dashboards

import (
	"fmt"
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"

	"github.com/duban-gov/duban/conventions"
)

// VarPlan is the plan variable every dashboard has: every per-indicator and
// per-department query selects plan="$plan".
const VarPlan = "plan"

// PlanVariableQuery lists the plans the collectors serve, each once however many
// collectors are scraped, as plan and plan_title, in the order of duban_plan_order:
// first the plan the board and the workspace open on by the collectors' clock
// (indicators.CurrentOf: the current year's).
var PlanVariableQuery = fmt.Sprintf("query_result(sort(max by (%[1]s) (%[2]s) * on (%[1]s) group_left (%[3]s) max by (%[1]s, %[3]s) (%[4]s)))",
	conventions.LabelPlan, conventions.MetricPlanOrder, conventions.LabelPlanTitle, conventions.MetricPlanInfo)

// PlanVariableRegex takes each plan's id as the value and its title as the text out of
// a query_result line ({plan="…", plan_title="…"} 0 1767225600).
var PlanVariableRegex = fmt.Sprintf(`/%s="(?<value>[^"]+)".*%s="(?<text>[^"]+)"/`, conventions.LabelPlan, conventions.LabelPlanTitle)

// planVariable is the plan picked (计划). Grafana opens a variable on its saved value,
// else on its first option; the generated dashboards save none (no current), list the
// options in the query's order (sort disabled) and refresh them on load, so that they
// open on the plan the collectors put first by their clock: the current year's. A
// January without the new list opens on the latest past year's, and a plan picked
// stays in the URL (var-plan) when people share it.
func planVariable() *dashboard.QueryVariableBuilder {
	return dashboard.NewQueryVariableBuilder(VarPlan).
		Label("计划").
		Datasource(promDS()).
		Query(dashboard.StringOrMap{String: cog.ToPtr(PlanVariableQuery)}).
		Definition(PlanVariableQuery).
		Regex(PlanVariableRegex).
		Sort(dashboard.VariableSortDisabled).
		Refresh(dashboard.VariableRefreshOnDashboardLoad).
		Multi(false).
		IncludeAll(false)
}

// choice is one option of a catalog-driven variable: what people read and the label value.
type choice struct{ text, value string }

// catalogVariable is a custom variable whose options come from the catalog (Grafana's
// "text : value" form), so the dropdown shows Chinese names but queries use stable ids.
// The first choice is selected.
func catalogVariable(name, label string, choices []choice) *dashboard.CustomVariableBuilder {
	parts := make([]string, 0, len(choices))
	opts := make([]dashboard.VariableOption, 0, len(choices))
	for i, c := range choices {
		parts = append(parts, escapeCustom(c.text)+" : "+escapeCustom(c.value))
		opts = append(opts, option(c, i == 0))
	}
	v := dashboard.NewCustomVariableBuilder(name).
		Label(label).
		Values(dashboard.StringOrMap{String: cog.ToPtr(strings.Join(parts, ","))}).
		Options(opts).
		Multi(false).
		IncludeAll(false)
	if len(choices) > 0 {
		v.Current(option(choices[0], true))
	}
	return v
}

func option(c choice, selected bool) dashboard.VariableOption {
	return dashboard.VariableOption{
		Selected: cog.ToPtr(selected),
		Text:     dashboard.StringOrArrayOfString{String: cog.ToPtr(c.text)},
		Value:    dashboard.StringOrArrayOfString{String: cog.ToPtr(c.value)},
	}
}

// escapeCustom keeps commas and the " : " separator of a custom variable literal.
func escapeCustom(s string) string {
	s = strings.ReplaceAll(s, ",", `\,`)
	return strings.ReplaceAll(s, " : ", ": ")
}
