package dashboards

import (
	"fmt"
	"time"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"

	"github.com/duban-gov/duban/conventions"
	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/present"
)

// Legends of the indicator trend.
const (
	legendValue     = "实际值"
	legendExpected  = "序时进度"
	legendTarget    = "目标值"
	legendProjected = "年末预计"
	legendGap       = "差距"
)

// Indicator is one target's page: where it stands, its value against the expected
// trajectory and the target, the gap over time, the year-end projection, and every
// revision reported (from InfluxDB, when that store is used).
func Indicator(plans *indicators.PlanSet) (dashboard.Dashboard, error) {
	ids := &panelIDs{}
	ind := eq(conventions.LabelIndicator, "$"+VarIndicator)
	b := base(IndicatorUID, "督办 · 指标详情", plans).
		Description("一个目标的完成情况:实际值与序时进度、目标值的对比,差距变化,年末预计,各期报送值和修订记录。").
		WithVariable(indicatorVariable()).
		WithVariable(infoVariable(VarUnit, "单位", conventions.LabelDisplayUnit)).
		WithVariable(infoVariable(VarGapUnit, "差距单位", conventions.LabelGapUnit)).
		WithVariable(infoVariable(VarScale, "换算", conventions.LabelDisplayScale))

	b.WithRow(dashboard.NewRowBuilder("${" + VarIndicator + ":text}").Id(ids.id()))
	unit, gapUnit := "(${"+VarUnit+"})", "(${"+VarGapUnit+"})"
	for _, s := range []struct {
		title, expr, unit string
		thresholds        *dashboard.ThresholdsConfigBuilder
	}{
		{"当前值" + unit, displayed(conventions.MetricValue, ind), "none", nil},
		{"目标值" + unit, displayed(conventions.MetricTarget, ind), "none", nil},
		{"序时进度值" + unit, displayed(conventions.MetricExpected, ind), "none", nil},
		{"差距(当前值−序时进度值)" + gapUnit, displayed(conventions.MetricGap, ind), "none", gapThresholds()},
		{"完成率", perIndicator(conventions.MetricProgress, ind), "percentunit", progressThresholds()},
		{"年末预计" + unit, displayed(conventions.MetricProjected, ind), "none", nil},
	} {
		p := valueStat(ids, s.title, s.expr).Unit(s.unit)
		if s.thresholds != nil {
			p.Thresholds(s.thresholds).ColorMode(common.BigValueColorModeValue).
				ColorScheme(dashboard.NewFieldColorBuilder().Mode(dashboard.FieldColorModeIdThresholds))
		}
		if s.title == "完成率" {
			p.Description(progressMeaning)
		}
		b.WithPanel(p)
	}
	b.WithPanel(valueStat(ids, "状态", severityExpr(ind)).
		Mappings(statusMappings()).
		ColorMode(common.BigValueColorModeBackground).
		ColorScheme(dashboard.NewFieldColorBuilder().Mode(dashboard.FieldColorModeIdFixed).FixedColor("text")))
	b.WithPanel(valueStat(ids, "最近报送", perIndicator(conventions.MetricLastReport, ind)+" * 1000").
		Unit("dateTimeAsIso"))

	b.WithRow(dashboard.NewRowBuilder("走势").Id(ids.id()))
	b.WithPanel(periodTrend(ids, plans).Height(10).Span(24))
	b.WithPanel(valueTrend(ids, ind, unit).Height(10).Span(24))
	b.WithPanel(trend(ids, "差距变化(当前值−序时进度值)"+gapUnit, "none",
		rangeQuery("A", displayed(conventions.MetricGap, ind), legendGap)).
		Span(12).
		Description(axisNote).
		Thresholds(gapThresholds()).
		ThresholdsStyle(common.NewGraphThresholdsStyleConfigBuilder().Mode(common.GraphThresholdsStyleModeLine)).
		ColorScheme(dashboard.NewFieldColorBuilder().Mode(dashboard.FieldColorModeIdThresholds)))
	b.WithPanel(trend(ids, "年末预计与目标"+unit, "none",
		rangeQuery("A", displayed(conventions.MetricProjected, ind), legendProjected),
		rangeQuery("B", displayed(conventions.MetricTarget, ind), legendTarget)).
		Span(12).
		Description("按当前进度推算的年末值;低于目标线(控制类指标为高于)即预计完不成。" + axisNote).
		OverrideByName(override(legendTarget, prop("custom.lineStyle", map[string]any{"fill": "dash", "dash": []int{10, 10}}), prop("color", fixedColor("red")))))

	b.WithRow(dashboard.NewRowBuilder("报送修订记录").Id(ids.id()))
	b.WithPanel(revisionsTable(ids, plans).Height(10).Span(24))
	return b.Build()
}

func fixedColor(c string) map[string]any { return map[string]any{"mode": "fixed", "fixedColor": c} }

func valueStat(ids *panelIDs, title, expr string) *stat.PanelBuilder {
	return stat.NewPanelBuilder().
		Id(ids.id()).
		Title(title).
		Datasource(promDS()).
		WithTarget(instant("A", expr)).
		Height(4).Span(3).
		NoValue(present.NoValue).
		GraphMode(common.BigValueGraphModeNone).
		TextMode(common.BigValueTextModeValue).
		ColorMode(common.BigValueColorModeNone).
		ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"}))
}

// valueTrend draws the reported value against the expected trajectory and the target,
// in the unit people read.
func valueTrend(ids *panelIDs, ind, unit string) *timeseries.PanelBuilder {
	return trend(ids, "实际值、序时进度与目标"+unit, "none",
		rangeQuery("A", displayed(conventions.MetricValue, ind), legendValue),
		rangeQuery("B", displayed(conventions.MetricExpected, ind), legendExpected),
		rangeQuery("C", displayed(conventions.MetricTarget, ind), legendTarget),
		rangeQuery("D", displayed(conventions.MetricProjected, ind), legendProjected)).
		Description("实际值为各期报送的累计值;序时进度为按时间进度应达到的值;虚线为年度目标。" + axisNote).
		OverrideByName(override(legendValue, prop("color", fixedColor("blue")), prop("custom.lineWidth", 3))).
		OverrideByName(override(legendExpected, prop("color", fixedColor("green")), prop("custom.lineStyle", map[string]any{"fill": "dash", "dash": []int{4, 4}}))).
		OverrideByName(override(legendTarget, prop("color", fixedColor("red")), prop("custom.lineStyle", map[string]any{"fill": "dash", "dash": []int{10, 10}}))).
		OverrideByName(override(legendProjected, prop("color", fixedColor("orange")), prop("custom.lineStyle", map[string]any{"fill": "dot", "dash": []int{0, 10}})))
}

// Hidden variables of the indicator page, read from the info metric of $indicator: the
// unit people read (titles), the unit of its gap and its display scale (the InfluxQL
// panels divide by it; PromQL panels divide by ScaleExpr).
const (
	VarUnit    = "unit"
	VarGapUnit = "gap_unit"
	VarScale   = "scale"
)

// infoVariable is a hidden variable holding one label of $indicator's info metric.
func infoVariable(name, label, infoLabel string) *dashboard.QueryVariableBuilder {
	q := fmt.Sprintf("label_values(%s{%s, %s=\"$%s\"}, %s)", conventions.MetricInfo, planMatcher, conventions.LabelIndicator, VarIndicator, infoLabel)
	return dashboard.NewQueryVariableBuilder(name).
		Label(label).
		Hide(dashboard.VariableHideHideVariable).
		Datasource(promDS()).
		Query(dashboard.StringOrMap{String: cog.ToPtr(q)}).
		Definition(q).
		Refresh(dashboard.VariableRefreshOnDashboardLoad)
}

// influxPlan selects the points of $plan; points written before plans carry no plan
// tag (the store reads them as the default plan's) and are kept.
var influxPlan = fmt.Sprintf(`(%q = '${%s}' OR %q = '')`, conventions.LabelPlan, VarPlan, conventions.LabelPlan)

// PeriodsInfluxQL reads every revision of $indicator reported for the plan year, by
// the period it is for: the store stamps a revision at its period's end (+ its revision
// in µs), so the x axis is the period, and a correction sits beside the value it
// corrects. In the display unit (÷ $scale).
func PeriodsInfluxQL(plans *indicators.PlanSet) string {
	start, stop := yearRange(plans)
	return fmt.Sprintf(`SELECT "value" / ${%s} AS "报送值" FROM %q WHERE %s AND %q = '${%s}' AND time >= '%s' AND time < '%s'`,
		VarScale, InfluxMeasurement, influxPlan, conventions.LabelIndicator, VarIndicator, start, stop)
}

func periodTrend(ids *panelIDs, plans *indicators.PlanSet) *timeseries.PanelBuilder {
	return timeseries.NewPanelBuilder().
		Id(ids.id()).
		Title("各期报送值(${" + VarUnit + "},按报送期,含更正)").
		Description("来自 InfluxDB 存储:横轴是数值所属报送期的期末(3月的数值画在3月底),每个点是一次报送或更正,同一期的更正画在同一处。仅在采集服务使用 InfluxDB 存储时有数据。").
		Datasource(influxDS()).
		WithTarget(NewInfluxQLQueryBuilder(PeriodsInfluxQL(plans)).RefId("A").ResultFormat("time_series")).
		Unit("none").
		NoValue("无报送记录(未使用 InfluxDB 存储或尚未报送)").
		DrawStyle(common.GraphDrawStylePoints).
		ShowPoints(common.VisibilityModeAlways).
		PointSize(8).
		Legend(common.NewVizLegendOptionsBuilder().ShowLegend(false).DisplayMode(common.LegendDisplayModeList).Placement(common.LegendPlacementBottom))
}

// yearRange is every plan year served as RFC 3339 instants, from the first one's
// January to the last one's next January (the last reports of a year arrive then), in
// the default plan's time zone: the query selects $plan besides.
func yearRange(plans *indicators.PlanSet) (start, stop string) {
	loc := plans.Default().Plan.Location()
	first, last := planYears(plans)
	return time.Date(first, time.January, 1, 0, 0, 0, 0, loc).UTC().Format(time.RFC3339),
		time.Date(last+1, time.February, 1, 0, 0, 0, 0, loc).UTC().Format(time.RFC3339)
}

// planYears is the first and the last plan year served.
func planYears(plans *indicators.PlanSet) (first, last int) {
	for i, c := range plans.Plans() {
		if i == 0 || c.Plan.Year < first {
			first = c.Plan.Year
		}
		last = max(last, c.Plan.Year)
	}
	return first, last
}

// RevisionsInfluxQL is the InfluxQL query listing every revision of $indicator reported
// for the plan year. The store writes one point per revision (time = period end +
// revision µs) with tags indicator/department and fields value, stage, percent, period,
// revision, sender, received_at (ns), note, reason; received_at comes back in ms for
// Grafana's time unit.
func RevisionsInfluxQL(plans *indicators.PlanSet) string {
	start, stop := yearRange(plans)
	return fmt.Sprintf(`SELECT "period", "revision", "value" / ${%s} AS "value", "stage", "percent", "sender", "received_at" / 1000000 AS "received_at", "note", "reason" FROM %q WHERE %s AND %q = '${%s}' AND time >= '%s' AND time < '%s'`,
		VarScale, InfluxMeasurement, influxPlan, conventions.LabelIndicator, VarIndicator, start, stop)
}

func revisionsTable(ids *panelIDs, plans *indicators.PlanSet) *table.PanelBuilder {
	ds := influxDS()
	return table.NewPanelBuilder().
		Id(ids.id()).
		Title("报送修订记录(InfluxDB)").
		Description("每次报送和更正都保留:报送期、修订号、数值、报送方、接收时间、说明,最新的在上。仅在采集服务使用 InfluxDB 存储时有数据。").
		Datasource(ds).
		WithTarget(NewInfluxQLQueryBuilder(RevisionsInfluxQL(plans)).RefId("A")).
		NoValue("无修订记录(未使用 InfluxDB 存储或尚未报送)").
		Footer(common.NewTableFooterOptionsBuilder().Show(false).Reducer([]string{"sum"})).
		OverrideByName(override("接收时间", prop("unit", "dateTimeAsLocal"))).
		WithTransformation(dashboard.DataTransformerConfig{Id: "organize", Options: map[string]any{
			"excludeByName": map[string]bool{"Time": true},
			"renameByName": map[string]string{
				"period": "报送期", "revision": "修订号", "value": "数值(${" + VarUnit + "})", "stage": "阶段", "percent": "完成百分比",
				"sender": "报送方", "received_at": "接收时间", "note": "进展说明", "reason": "更正原因",
			},
			"indexByName": map[string]int{
				"period": 0, "revision": 1, "value": 2, "stage": 3, "percent": 4, "sender": 5, "received_at": 6, "note": 7, "reason": 8,
			},
		}}).
		SortBy([]cog.Builder[common.TableSortByFieldState]{
			common.NewTableSortByFieldStateBuilder().DisplayName("接收时间").Desc(true),
		})
}
