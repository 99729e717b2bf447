package dashboards

import (
	"fmt"

	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/gauge"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"

	"github.com/duban-gov/duban/conventions"
	"github.com/duban-gov/duban/indicators"
)

// VarDepartment and VarIndicator are the template variables of the department and
// indicator dashboards.
const (
	VarDepartment = "department"
	VarIndicator  = "indicator"
)

// Department is one lead department's page: its counts by status, a gauge of each target's
// progress, its traffic-light table and the trends of its targets.
func Department(cat *indicators.Catalog) (dashboard.Dashboard, error) {
	ids := &panelIDs{}
	var choices []choice
	for _, id := range cat.LeadDepartments() {
		choices = append(choices, choice{text: departmentName(cat, id), value: id})
	}
	dept := eq(conventions.LabelDepartment, "$"+VarDepartment)
	b := base(DepartmentUID, "督办 · 单位目标", cat).
		Description("一个牵头单位的全部目标:状态统计、完成进度、红绿灯明细和走势。").
		WithVariable(catalogVariable(VarDepartment, "牵头单位", choices))

	b.WithRow(dashboard.NewRowBuilder("${" + VarDepartment + ":text} 状态统计").Id(ids.id()))
	for _, p := range statusStats(ids, dept) {
		b.WithPanel(p)
	}

	b.WithRow(dashboard.NewRowBuilder("完成进度").Id(ids.id()))
	b.WithPanel(gauge.NewPanelBuilder().
		Id(ids.id()).
		Title("各目标完成进度(实际值 / 目标值)").
		Datasource(promDS()).
		WithTarget(instant("A", withInfo(sel(conventions.MetricProgress, dept))).LegendFormat("{{" + conventions.LabelIndicator + "}} {{" + conventions.LabelName + "}}").Format("time_series")).
		Height(8).Span(24).
		Unit("percentunit").
		Min(0).Max(1).
		Decimals(1).
		Thresholds(progressThresholds()).
		ShowThresholdMarkers(true).
		ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"})))
	b.WithPanel(trafficTable(ids, "目标明细(滞后在前)", dept).Height(12))

	b.WithRow(dashboard.NewRowBuilder("走势").Id(ids.id()))
	b.WithPanel(trend(ids, "完成进度走势", "percentunit",
		rangeQuery("A", withInfo(sel(conventions.MetricProgress, dept)), "{{"+conventions.LabelIndicator+"}} {{"+conventions.LabelName+"}}")).Span(12))
	b.WithPanel(trend(ids, "实际值与序时进度之比", "percentunit",
		rangeQuery("A", withInfo(fmt.Sprintf("%s / %s", sel(conventions.MetricValue, dept), sel(conventions.MetricExpected, dept))), "{{"+conventions.LabelIndicator+"}} {{"+conventions.LabelName+"}}")).
		Span(12).
		Description("大于100%表示快于序时进度。"))
	b.WithPanel(trend(ids, "差距走势(正数为超前)", "none",
		rangeQuery("A", withInfo(sel(conventions.MetricGap, dept)), "{{"+conventions.LabelIndicator+"}} {{"+conventions.LabelName+"}}({{"+conventions.LabelUnit+"}})")).
		Span(24))
	return b.Build()
}

func trend(ids *panelIDs, title, unit string, queries ...*prometheusQuery) *timeseries.PanelBuilder {
	p := timeseries.NewPanelBuilder().
		Id(ids.id()).
		Title(title).
		Datasource(promDS()).
		Unit(unit).
		Height(9).
		LineWidth(2).
		ShowPoints(common.VisibilityModeNever).
		Legend(common.NewVizLegendOptionsBuilder().ShowLegend(true).DisplayMode(common.LegendDisplayModeTable).Placement(common.LegendPlacementBottom).Calcs([]string{"lastNotNull"}))
	for _, q := range queries {
		p.WithTarget(q)
	}
	return p
}
