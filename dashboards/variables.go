package dashboards

import (
	"fmt"

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
var PlanVariableRegex = valueText(conventions.LabelPlan, conventions.LabelPlanTitle)

// planVariable is the plan picked (计划). Grafana opens a variable on its saved value,
// else on its first option; the generated dashboards save none (no current), list the
// options in the query's order (sort disabled) and refresh them on load, so that they
// open on the plan the collectors put first by their clock: the current year's. A
// January without the new list opens on the latest past year's, and a plan picked
// stays in the URL (var-plan) when people share it.
func planVariable() *dashboard.QueryVariableBuilder {
	return queryResultVariable(VarPlan, "计划", PlanVariableQuery, PlanVariableRegex).
		Sort(dashboard.VariableSortDisabled)
}

// LabelOption is the label the indicator variable's query writes its option text into
// ("1.1 地区生产总值增长(市发展改革委)").
const LabelOption = "option"

// DepartmentVariableQuery lists the departments leading a target of $plan, each once
// however many collectors are scraped, with their names.
var DepartmentVariableQuery = fmt.Sprintf("query_result(max by (%s, %s, %s) (%s{%s}))",
	conventions.LabelPlan, conventions.LabelDepartment, conventions.LabelDepartmentName, conventions.MetricInfo, planMatcher)

// DepartmentVariableRegex takes each department's id as the value and its name as the
// text out of a query_result line ({department="fgw", department_name="市发展改革委",
// plan="…"} 1 1767225600: Prometheus sorts the labels by name).
var DepartmentVariableRegex = valueText(conventions.LabelDepartment, conventions.LabelDepartmentName)

// IndicatorVariableQuery lists the targets of $plan, each once however many collectors
// are scraped, with "id 名称(牵头单位)" as LabelOption, joined in PromQL since a
// variable's regex takes its text from one group: the lead's name in brackets
// (labelLead, none without a name), then id, name and that joined.
var IndicatorVariableQuery = fmt.Sprintf(`query_result(label_join(label_join(label_replace(max by (%[1]s, %[2]s, %[3]s, %[4]s) (%[5]s{%[6]s}), "%[8]s", "($1)", "%[4]s", "(.+)"), "%[7]s", " ", "%[2]s", "%[3]s"), "%[7]s", "", "%[7]s", "%[8]s"))`,
	conventions.LabelPlan, conventions.LabelIndicator, conventions.LabelName, conventions.LabelDepartmentName, conventions.MetricInfo, planMatcher, LabelOption, labelLead)

// labelLead is the lead department's name in brackets, a step of IndicatorVariableQuery.
const labelLead = "lead"

// IndicatorVariableRegex takes each target's id as the value and LabelOption as the text.
var IndicatorVariableRegex = valueText(conventions.LabelIndicator, LabelOption)

// departmentVariable is the lead department picked (牵头单位) among those of $plan.
func departmentVariable() *dashboard.QueryVariableBuilder {
	return planQueryVariable(VarDepartment, "牵头单位", DepartmentVariableQuery, DepartmentVariableRegex)
}

// indicatorVariable is the target picked (指标) among those of $plan.
func indicatorVariable() *dashboard.QueryVariableBuilder {
	return planQueryVariable(VarIndicator, "指标", IndicatorVariableQuery, IndicatorVariableRegex)
}

// planQueryVariable is a variable listing what the collectors serve in $plan: Grafana
// refreshes it on load and whenever $plan changes (it names $plan), and opens it on
// the first option unless the URL names one (the tables' links pass var-indicator and
// var-department). Options sort naturally by their text (Grafana's "Natural", numbers
// within the text compared as numbers: 1.2 before 1.10 before 2.1, names by the
// browser's collation), nothing is saved as current.
func planQueryVariable(name, label, query, regex string) *dashboard.QueryVariableBuilder {
	return queryResultVariable(name, label, query, regex).Sort(dashboard.VariableSortNaturalAsc)
}

// queryResultVariable is a single-choice variable over a query_result on Prometheus,
// refreshed on load, whose regex takes each option's value and text.
func queryResultVariable(name, label, query, regex string) *dashboard.QueryVariableBuilder {
	return dashboard.NewQueryVariableBuilder(name).
		Label(label).
		Datasource(promDS()).
		Query(dashboard.StringOrMap{String: cog.ToPtr(query)}).
		Definition(query).
		Regex(regex).
		Refresh(dashboard.VariableRefreshOnDashboardLoad).
		Multi(false).
		IncludeAll(false)
}

// valueText is a variable's regex taking the option's value from label value and its
// text from label text of a query_result line (labels in Prometheus's order).
func valueText(value, text string) string {
	return fmt.Sprintf(`/%s="(?<value>[^"]+)".*%s="(?<text>[^"]+)"/`, value, text)
}
