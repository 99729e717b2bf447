package dashboards

import (
	"fmt"
	"time"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/variants"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"

	"github.com/duban-gov/duban/conventions"
	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/indicators/evaluate"
	"github.com/duban-gov/duban/present"
)

// Overview is the leaders' first page: how many targets are in each state, every target
// as a traffic light with the lagging ones on top, then one collapsed row per lead
// department with its own table.
func Overview(cat *indicators.Catalog) (dashboard.Dashboard, error) {
	ids := &panelIDs{}
	b := base(OverviewUID, "督办总览 · "+cat.Plan.Title, cat).
		Description(fmt.Sprintf("%s(%s)全部目标任务的完成情况:按状态计数、红绿灯总表(滞后在前)、分单位明细。", cat.Plan.Title, cat.Plan.Document))

	b.WithRow(dashboard.NewRowBuilder("状态统计").Id(ids.id()))
	for _, p := range statusStats(ids) {
		b.WithPanel(p)
	}
	b.WithPanel(statusTrend(ids).Height(8).Span(21))

	b.WithRow(dashboard.NewRowBuilder("全部目标(滞后在前)").Id(ids.id()))
	b.WithPanel(trafficTable(ids, "目标红绿灯总表").Height(18))

	entries := cat.Entries()
	for _, deptID := range cat.LeadDepartments() {
		n := 0
		for _, e := range entries {
			if e.Task.Lead == deptID {
				n++
			}
		}
		row := dashboard.NewRowBuilder(fmt.Sprintf("%s(%d项)", departmentName(cat, deptID), n)).Id(ids.id())
		row.WithPanel(trafficTable(ids, departmentName(cat, deptID)+" 目标明细",
			eq(conventions.LabelDepartment, deptID)).Height(4 + uint32(min(n, 20))))
		b.WithRow(row)
	}
	return b.Build()
}

// base is what every duban dashboard shares: fixed uid, tags, time range of the plan
// year, Beijing time, read-only.
func base(uid, title string, cat *indicators.Catalog) *dashboard.DashboardBuilder {
	start := time.Date(cat.Plan.Year, time.January, 1, 0, 0, 0, 0, cat.Plan.Location()).UTC().Format("2006-01-02T15:04:05.000Z")
	return dashboard.NewDashboardBuilder(title).
		Uid(uid).
		Tags([]string{Tag, cat.Plan.ID}).
		Timezone(cat.Plan.Location().String()).
		Time(start, "now").
		Refresh("5m").
		Tooltip(dashboard.DashboardCursorSyncCrosshair).
		Readonly().
		Link(dashboard.NewDashboardLinkBuilder("督办看板").
			Type(dashboard.DashboardLinkTypeDashboards).
			Tags([]string{Tag}).
			AsDropdown(true).
			IncludeVars(false).
			KeepTime(true).
			TargetBlank(false).
			Icon("external link").
			Tooltip("").
			Url(""))
}

// statusStats are one stat per status (sum of the status series), the total and the
// overdue reports, 3 grid units wide each: the total and the seven statuses fill the
// first line, 逾期未报 starts the next one.
func statusStats(ids *panelIDs, matchers ...string) []cog.Builder[dashboard.Panel] {
	out := []cog.Builder[dashboard.Panel]{totalStat(ids, matchers...)}
	for _, s := range statusViews {
		ms := append([]string{eq(conventions.LabelStatus, s.Status)}, matchers...)
		out = append(out, countStat(ids, s.Text, s.Color, "sum("+sel(conventions.MetricStatus, ms...)+")"))
	}
	out = append(out, countStat(ids, present.OverdueWord, present.Report(evaluate.Missing).Color, "count("+sel(conventions.MetricNextReportDue, matchers...)+" <= time()) or vector(0)"))
	return out
}

// totalStat counts the targets in two values: published targets (指标, any kind but
// task, so an exporter without the kind label counts as before) and task follow-ups (任务).
func totalStat(ids *panelIDs, matchers ...string) *stat.PanelBuilder {
	targets := append([]string{conventions.LabelKind + `!="` + conventions.KindTask + `"`}, matchers...)
	tasks := append([]string{eq(conventions.LabelKind, conventions.KindTask)}, matchers...)
	count := func(ref, legend string, ms []string) *prometheusQuery {
		return instant(ref, "count("+sel(conventions.MetricInfo, ms...)+") or vector(0)").
			Format(prometheus.PromQueryFormatTimeSeries).LegendFormat(legend)
	}
	return statPanel(ids, "目标总数", "text").
		Targets([]cog.Builder[variants.Dataquery]{count("A", kindTargetText, targets), count("B", kindTaskText, tasks)}).
		Description("指标:文件公布了数值或时间节点的目标;任务:未公布数值的任务,按推进阶段、完成比例和进展说明跟进。").
		TextMode(common.BigValueTextModeValueAndName)
}

func countStat(ids *panelIDs, title, color, expr string) *stat.PanelBuilder {
	return statPanel(ids, title, color).WithTarget(instant("A", expr))
}

// statPanel is a count stat without its queries.
func statPanel(ids *panelIDs, title, color string) *stat.PanelBuilder {
	return stat.NewPanelBuilder().
		Id(ids.id()).
		Title(title).
		Datasource(promDS()).
		Height(4).Span(3).
		Unit("none").
		Decimals(0).
		NoValue("0").
		ColorMode(common.BigValueColorModeBackground).
		GraphMode(common.BigValueGraphModeNone).
		TextMode(common.BigValueTextModeValue).
		JustifyMode(common.BigValueJustifyModeCenter).
		ColorScheme(dashboard.NewFieldColorBuilder().Mode(dashboard.FieldColorModeIdFixed).FixedColor(color)).
		ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"}))
}

// statusTrend shows how many targets were in each state over time.
func statusTrend(ids *panelIDs, matchers ...string) *timeseries.PanelBuilder {
	p := timeseries.NewPanelBuilder().
		Id(ids.id()).
		Title("各状态目标数变化").
		Datasource(promDS()).
		Unit("none").
		Decimals(0).
		Min(0).
		FillOpacity(20).
		Stacking(common.NewStackingConfigBuilder().Mode(common.StackingModeNormal)).
		Legend(common.NewVizLegendOptionsBuilder().ShowLegend(true).DisplayMode(common.LegendDisplayModeList).Placement(common.LegendPlacementBottom))
	for i, s := range statusViews {
		ms := append([]string{eq(conventions.LabelStatus, s.Status)}, matchers...)
		p.WithTarget(rangeQuery(string(rune('A'+i)), "sum("+sel(conventions.MetricStatus, ms...)+")", s.Text))
		p.OverrideByName(override(s.Text, prop("color", map[string]any{"mode": "fixed", "fixedColor": s.Color})))
	}
	return p
}

func departmentName(cat *indicators.Catalog, id string) string {
	if d, ok := cat.Department(id); ok && d.Name != "" {
		return d.Name
	}
	return id
}
