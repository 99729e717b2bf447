package dashboards

import (
	"fmt"

	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/gauge"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"

	"github.com/duban-gov/duban/conventions"
	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/present"
)

// VarDepartment and VarIndicator are the template variables of the department and
// indicator dashboards.
const (
	VarDepartment = "department"
	VarIndicator  = "indicator"
)

// Department is one lead department's page: its counts by status, a gauge of each target's
// progress, its traffic-light table and the trends of its targets.
func Department(plans *indicators.PlanSet) (dashboard.Dashboard, error) {
	ids := &panelIDs{}
	dept := eq(conventions.LabelDepartment, "$"+VarDepartment)
	b := base(DepartmentUID, "督办 · 单位目标", plans).
		Description("一个牵头单位的全部目标:状态统计、完成进度、红绿灯明细和走势。").
		WithVariable(departmentVariable())

	b.WithRow(dashboard.NewRowBuilder("${" + VarDepartment + ":text} 状态统计").Id(ids.id()))
	for _, p := range statusStats(ids, dept) {
		b.WithPanel(p)
	}

	b.WithRow(dashboard.NewRowBuilder("完成进度").Id(ids.id()))
	legend := "{{" + conventions.LabelIndicator + "}} {{" + conventions.LabelName + "}}"
	b.WithPanel(gauge.NewPanelBuilder().
		Id(ids.id()).
		Title(titleProgress).
		Description(progressMeaning).
		Datasource(promDS()).
		WithTarget(instant("A", withInfo(perIndicator(conventions.MetricProgress, dept), dept)).LegendFormat(legend).Format("time_series")).
		Height(8).Span(24).
		Unit("percentunit").
		Min(0).Max(1).
		Decimals(1).
		NoValue(present.NoValue).
		Thresholds(progressThresholds()).
		ShowThresholdMarkers(true).
		ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"})))
	b.WithPanel(trafficTable(ids, "目标明细(滞后在前)", dept).Height(12))

	b.WithRow(dashboard.NewRowBuilder("走势").Id(ids.id()))
	b.WithPanel(trend(ids, "完成率走势(达到全年目标为100%)", "percentunit",
		rangeQuery("A", withInfo(perIndicator(conventions.MetricProgress, dept), dept), legend)).
		Span(12).
		Description(progressMeaning + axisNote))
	b.WithPanel(trend(ids, "序时差距走势(占全年目标的比例,正数为快于序时进度)", "percentunit",
		rangeQuery("A", withInfo(RelativeGapExpr(dept), dept), legend)).
		Span(12).
		Thresholds(gapThresholds()).
		ThresholdsStyle(common.NewGraphThresholdsStyleConfigBuilder().Mode(common.GraphThresholdsStyleModeLine)).
		Description("差距(当前值−序时进度值)除以全年目标,各指标单位不同也能放在一起比:−10%即落后序时进度相当于全年目标的一成。控制类指标(不超过目标)正负已反转,正数总是快于序时进度;目标为0的指标不画。" + axisNote))
	return b.Build()
}

// Titles and texts of the progress panels.
const (
	titleProgress   = "各目标完成率(达到全年目标为100%)"
	progressMeaning = "完成率 = 当前值 ÷ 全年目标(累计类为已完成的份额,水平类同);控制类指标(不超过目标,如PM2.5)为 目标值 ÷ 当前值,超过上限即低于100%;完成节点为完成百分比。增速、相对指标和目标为0的指标没有完成率,不显示。"
	// axisNote says what the x axis of a Prometheus trend is.
	axisNote = "横轴是 Prometheus 采集到该数值的时间,不是数值所属的报送期(3月的数据4月10日报来,就画在4月10日);每次报送后数值才变,点为采集到的值。各期数值和每次更正见「督办 · 指标详情」的各期报送值(来自 InfluxDB)。"
)

// RelativeGapExpr is each indicator's gap to its expected value as a share of its
// target, signed so that positive is ahead whatever the comparator (a cap, le, is ahead
// below its expected value), none for a target of 0 (a share of nothing).
func RelativeGapExpr(matchers ...string) string {
	le := append([]string{eq(conventions.LabelComparator, "le")}, matchers...)
	return fmt.Sprintf("(%s / on (%s) (abs(%s) > 0)) * on (%s) (%s * -1 or %s)",
		perIndicator(conventions.MetricGap, matchers...), ids, perIndicator(conventions.MetricTarget, matchers...), ids,
		perIndicator(conventions.MetricInfo, le...), perIndicator(conventions.MetricInfo, matchers...))
}

func trend(ids *panelIDs, title, unit string, queries ...*prometheusQuery) *timeseries.PanelBuilder {
	p := timeseries.NewPanelBuilder().
		Id(ids.id()).
		Title(title).
		Datasource(promDS()).
		Unit(unit).
		Height(9).
		LineWidth(2).
		ShowPoints(common.VisibilityModeAuto).
		NoValue(present.NoValue).
		Legend(common.NewVizLegendOptionsBuilder().ShowLegend(true).DisplayMode(common.LegendDisplayModeTable).Placement(common.LegendPlacementBottom).Calcs([]string{"lastNotNull"}))
	for _, q := range queries {
		p.WithTarget(q)
	}
	return p
}
