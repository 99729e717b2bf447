// Package dashboards generates duban's Grafana side as code: the overview, department and
// indicator dashboards (grafana-foundation-sdk), the Grafana provisioning files
// (datasources, dashboard provider, alert rules, contact points, notification policy) and
// the Prometheus configuration the docker-compose stack runs. Everything is driven by the
// catalog and by conventions. The files land under deploy/ (package deploy), made by
// `duban generate` (go generate ./deploy); a test there fails when they drift.
package dashboards

import (
	"fmt"
	"sort"
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"

	"github.com/duban-gov/duban/conventions"
	"github.com/duban-gov/duban/present"
)

// Fixed identities, so that provisioning is stable across regenerations.
const (
	OverviewUID   = "duban-overview"
	DepartmentUID = "duban-department"
	IndicatorUID  = "duban-indicator"

	PrometheusUID   = "duban-prometheus"
	AlertmanagerUID = "duban-alertmanager"
	InfluxDBUID     = "duban-influxdb"

	// FolderTitle is the Grafana folder holding the dashboards and the alert rules.
	FolderTitle = "督办"
	FolderUID   = "duban"

	// Tag is on every dashboard.
	Tag = "duban"
)

// Service names and ports of the docker-compose stack; the datasource URLs, the
// Prometheus configuration and the compose file must agree (a test checks it).
const (
	ServiceDuban        = "duban"
	ServicePrometheus   = "prometheus"
	ServiceAlertmanager = "alertmanager"
	ServiceInfluxDB     = "influxdb"
	ServiceGrafana      = "grafana"

	PortDuban        = 8080
	PortPrometheus   = 9090
	PortAlertmanager = 9093
	PortInfluxDB     = 8086
	PortGrafana      = 3000

	// InfluxDB organisation and bucket created by the compose stack's init variables.
	InfluxOrg    = "duban"
	InfluxBucket = "duban"
	// InfluxMeasurement is the measurement the InfluxDB store writes reports to (one
	// point per revision; see collector/store/influx).
	InfluxMeasurement = "report"
)

func serviceURL(name string, port int) string { return fmt.Sprintf("http://%s:%d", name, port) }

func promDS() common.DataSourceRef {
	return common.DataSourceRef{Type: cog.ToPtr("prometheus"), Uid: cog.ToPtr(PrometheusUID)}
}

func influxDS() common.DataSourceRef {
	return common.DataSourceRef{Type: cog.ToPtr("influxdb"), Uid: cog.ToPtr(InfluxDBUID)}
}

// panelIDs hands out unique panel ids within one dashboard.
type panelIDs struct{ next uint32 }

func (p *panelIDs) id() uint32 { p.next++; return p.next }

// instant is an instant Prometheus query in table format (tables, stats, gauges).
func instant(ref, expr string) *prometheus.DataqueryBuilder {
	return prometheus.NewDataqueryBuilder().
		Datasource(promDS()).
		RefId(ref).
		Expr(expr).
		Instant().
		Format(prometheus.PromQueryFormatTable)
}

// rangeQuery is a range Prometheus query for time series panels.
// prometheusQuery is the SDK builder of a Prometheus query.
type prometheusQuery = prometheus.DataqueryBuilder

func rangeQuery(ref, expr, legend string) *prometheus.DataqueryBuilder {
	return prometheus.NewDataqueryBuilder().
		Datasource(promDS()).
		RefId(ref).
		Expr(expr).
		Range().
		LegendFormat(legend)
}

// Every panel reads the raw metrics (never the recording rules, which a Prometheus may
// not load) and deduplicates them across collectors: replicas behind a load balancer
// expose the same series with their own instance label, so each per-indicator metric is
// taken as max by (plan, indicator, department) and every count or sum is over those,
// never over the raw series (TestDashboardsReadTheSameWithTwoCollectors). Every
// per-indicator and per-department selection is of the plan picked ($plan, inPlan): an
// indicator id is unique within its plan only.

// ids are the labels that name one indicator: its plan, id and lead department.
var ids = strings.Join([]string{conventions.LabelPlan, conventions.LabelIndicator, conventions.LabelDepartment}, ", ")

// planMatcher selects the plan of the plan variable.
var planMatcher = eq(conventions.LabelPlan, "$"+VarPlan)

// inPlan is matchers with the plan of the plan variable first.
func inPlan(matchers []string) []string {
	return append([]string{planMatcher}, matchers...)
}

// perIndicator is a per-indicator metric of $plan, one series per indicator whatever
// the number of collectors scraped.
func perIndicator(metric string, matchers ...string) string {
	return fmt.Sprintf("max by (%s) (%s)", ids, sel(metric, inPlan(matchers)...))
}

// displayed is a per-indicator metric of $plan in the unit people read: divided by the
// indicator's display scale (12000 人 at scale 10000 reads 1.2, beside 单位 万人).
func displayed(metric string, matchers ...string) string {
	return fmt.Sprintf("%s / on (%s) %s", perIndicator(metric, matchers...), ids, ScaleExpr(inPlan(matchers)...))
}

// infoJoined are the labels of the info metric the tables and legends show.
var infoJoined = strings.Join([]string{conventions.LabelName, conventions.LabelDepartmentName,
	conventions.LabelDisplayUnit, conventions.LabelKind}, ", ")

// withInfo joins the Chinese names, the display unit and the kind (published target or
// task follow-up) of the info metric onto a per-indicator vector, and nothing else: no
// instance, job or other label reaches a table.
func withInfo(expr string, matchers ...string) string {
	return fmt.Sprintf("(%s) * on (%s) group_left (%s) max by (%s, %s) (%s)",
		expr, ids, infoJoined, ids, infoJoined, sel(conventions.MetricInfo, inPlan(matchers)...))
}

// ScaleExpr is each indicator's display scale as a number, one series per indicator
// (of every plan the matchers select).
// PromQL cannot read a number out of a label, so it tries each of
// conventions.DisplayScales on the info metric's display_scale label; any other
// indicator gets 1 (its base unit). The dashboards and the Grafana alert texts divide
// by it.
func ScaleExpr(matchers ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "max by (%s) (", ids)
	for _, s := range conventions.DisplayScales {
		text := conventions.DisplayScaleText(s)
		fmt.Fprintf(&b, "%s * %s or ", sel(conventions.MetricInfo, append([]string{eq(conventions.LabelDisplayScale, text)}, matchers...)...), text)
	}
	b.WriteString(sel(conventions.MetricInfo, matchers...) + ")")
	return b.String()
}

// statusCount is the number of targets in status (0 when none, nothing when the
// collector is not scraped: every indicator exposes each status, 1 or 0).
func statusCount(status string, matchers ...string) string {
	return "sum(" + perIndicator(conventions.MetricStatus, append([]string{eq(conventions.LabelStatus, status)}, matchers...)...) + ")"
}

// targetCount counts the targets the matchers select among those of base: 0 when the
// collector exposes targets but none of these, nothing when it exposes none.
func targetCount(matchers, base []string) string {
	return fmt.Sprintf("count(%s) or 0 * count(%s)", perIndicator(conventions.MetricInfo, matchers...), perIndicator(conventions.MetricInfo, base...))
}

// overdueCount is 逾期未报: the reports of the latest period due that have not arrived,
// the one definition the department stat, duban_department_reports_missing and the
// DepartmentReportOverdue alert share.
func overdueCount(matchers ...string) string {
	return fmt.Sprintf("sum(max by (%s, %s) (%s))", conventions.LabelPlan, conventions.LabelDepartment, sel(conventions.MetricDeptMissing, inPlan(matchers)...))
}

// sel renders a metric with label matchers, e.g. sel(MetricGap, `department="$department"`).
func sel(metric string, matchers ...string) string {
	if len(matchers) == 0 {
		return metric
	}
	return metric + "{" + strings.Join(matchers, ", ") + "}"
}

func eq(label, value string) string { return fmt.Sprintf("%s=%q", label, value) }

// statusView is how a status reads and looks on the dashboards: the word, colour and rank
// of package present (the same as on the board, in the bulletin and in alert texts).
type statusView struct {
	Status   string // evaluate.Status value
	Text     string
	Color    string
	Severity int // present's rank: higher is worse
}

// statusViews lists the statuses worst first.
var statusViews = func() []statusView {
	var out []statusView
	for _, v := range present.Views() {
		out = append(out, statusView{Status: string(v.Status), Text: v.Word, Color: v.Color, Severity: v.Rank})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Severity > out[j].Severity })
	return out
}()

// severityExpr is one series per indicator whose value is the rank of its current
// status (0 when the exporter says nothing), filtered by matchers.
func severityExpr(matchers ...string) string {
	parts := make([]string, 0, len(statusViews))
	for _, s := range statusViews {
		ms := append([]string{eq(conventions.LabelStatus, s.Status)}, matchers...)
		parts = append(parts, fmt.Sprintf("%d * %s", s.Severity, perIndicator(conventions.MetricStatus, ms...)))
	}
	return "(" + strings.Join(parts, " + ") + ")"
}

// statusMappings turns a severity into the status text and colour.
func statusMappings() []dashboard.ValueMapping {
	opts := map[string]dashboard.ValueMappingResult{}
	for i, s := range statusViews {
		opts[fmt.Sprint(s.Severity)] = dashboard.ValueMappingResult{
			Text: cog.ToPtr(s.Text), Color: cog.ToPtr(s.Color), Index: cog.ToPtr(int32(i)),
		}
	}
	opts["0"] = dashboard.ValueMappingResult{Text: cog.ToPtr(present.NoValue), Color: cog.ToPtr("text"), Index: cog.ToPtr(int32(len(statusViews)))} //nolint:gosec // G115: the few statuses
	return []dashboard.ValueMapping{{ValueMap: &dashboard.ValueMap{Type: dashboard.MappingTypeValueToText, Options: opts}}}
}

// kindMappings turn the info kind label into 指标 (a published target) or 任务 (the
// follow-up of a task without a published figure).
func kindMappings() []dashboard.ValueMapping {
	opts := map[string]dashboard.ValueMappingResult{
		conventions.KindTarget: {Text: cog.ToPtr(kindTargetText), Index: cog.ToPtr(int32(0))},
		conventions.KindTask:   {Text: cog.ToPtr(kindTaskText), Color: cog.ToPtr("blue"), Index: cog.ToPtr(int32(1))},
	}
	return []dashboard.ValueMapping{{ValueMap: &dashboard.ValueMap{Type: dashboard.MappingTypeValueToText, Options: opts}}}
}

// Texts of the two kinds of targets.
const (
	kindTargetText = "指标"
	kindTaskText   = "任务"
)

func thresholds(steps ...dashboard.Threshold) *dashboard.ThresholdsConfigBuilder {
	return dashboard.NewThresholdsConfigBuilder().Mode(dashboard.ThresholdsModeAbsolute).Steps(steps)
}

func step(value *float64, color string) dashboard.Threshold {
	return dashboard.Threshold{Value: value, Color: color}
}

// progressThresholds colour a progress ratio: red below 90%, orange below 100%, green.
func progressThresholds() *dashboard.ThresholdsConfigBuilder {
	return thresholds(step(nil, "red"), step(cog.ToPtr(0.9), "orange"), step(cog.ToPtr(1.0), "green"))
}

// gapThresholds leave a gap (value − expected) in the text colour: whether a positive
// gap is ahead depends on the comparator (above a cap is behind), and the status cell
// says which it is.
func gapThresholds() *dashboard.ThresholdsConfigBuilder {
	return thresholds(step(nil, "text"), step(cog.ToPtr(0.0), "text")) // the step draws the zero line
}

func override(name string, props ...dashboard.DynamicConfigValue) (string, []dashboard.DynamicConfigValue) {
	return name, props
}

func prop(id string, value any) dashboard.DynamicConfigValue {
	return dashboard.DynamicConfigValue{Id: id, Value: value}
}

// Statuses are the status label values the dashboards colour, worst first.
func Statuses() []string {
	out := make([]string, 0, len(statusViews))
	for _, s := range statusViews {
		out = append(out, s.Status)
	}
	return out
}
