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

	"github.com/duban-gov/duban/alerts"
	"github.com/duban-gov/duban/conventions"
	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/indicators/evaluate"
	"github.com/duban-gov/duban/present"
)

// Overview is the leaders' first page: how many targets are in each state, every target
// as a traffic light with the lagging ones on top, then one collapsed row per lead
// department with its own table (of every plan's lead departments: a department
// leading nothing in the plan picked shows an empty table).
func Overview(plans *indicators.PlanSet) (dashboard.Dashboard, error) {
	ids := &panelIDs{}
	b := base(OverviewUID, "督办总览", plans).
		Description("所选计划(默认当年的计划,如" + plans.Default().Plan.Title + ")全部目标任务的完成情况:按状态计数、红绿灯总表(滞后在前)、分单位明细。")

	b.WithRow(dashboard.NewRowBuilder("${" + VarPlan + ":text} 状态统计").Id(ids.id()))
	for _, p := range statusStats(ids) {
		b.WithPanel(p)
	}
	for _, p := range collectionStats(ids) {
		b.WithPanel(p)
	}
	b.WithPanel(statusTrend(ids).Height(8).Span(24))

	b.WithRow(dashboard.NewRowBuilder("全部目标(滞后在前)").Id(ids.id()))
	b.WithPanel(trafficTable(ids, "目标红绿灯总表").Height(18))

	for _, deptID := range plans.LeadDepartments() {
		n, title := leads(plans, deptID), departmentName(plans, deptID)
		if len(plans.Plans()) == 1 {
			title = fmt.Sprintf("%s(%d项)", title, n)
		}
		row := dashboard.NewRowBuilder(title).Id(ids.id())
		row.WithPanel(trafficTable(ids, departmentName(plans, deptID)+" 目标明细",
			eq(conventions.LabelDepartment, deptID)).Height(4 + min(n, 20)))
		b.WithRow(row)
	}
	return b.Build()
}

// leads is the most targets the department leads in one plan (the height of its table).
func leads(plans *indicators.PlanSet, dept string) uint32 {
	var most uint32
	for _, c := range plans.Plans() {
		var n uint32
		for _, e := range c.Entries() {
			if e.Task.Lead == dept {
				n++
			}
		}
		most = max(most, n)
	}
	return most
}

// base is what every duban dashboard shares: fixed uid, tags (duban and every plan's
// id), time range from the first plan year served, the default plan's time zone,
// read-only.
func base(uid, title string, plans *indicators.PlanSet) *dashboard.DashboardBuilder {
	def := plans.Default().Plan
	first, _ := planYears(plans)
	start := time.Date(first, time.January, 1, 0, 0, 0, 0, def.Location()).UTC().Format("2006-01-02T15:04:05.000Z")
	tags := []string{Tag}
	for _, c := range plans.Plans() {
		tags = append(tags, c.Plan.ID)
	}
	return dashboard.NewDashboardBuilder(title).
		Uid(uid).
		Tags(tags).
		Timezone(def.Location().String()).
		WithVariable(planVariable()).
		Time(start, "now").
		Refresh("5m").
		Tooltip(dashboard.DashboardCursorSyncCrosshair).
		Readonly().
		Link(dashboard.NewDashboardLinkBuilder("督办看板").
			Type(dashboard.DashboardLinkTypeDashboards).
			Tags([]string{Tag}).
			AsDropdown(true).
			IncludeVars(true). // the plan picked goes along (var-plan)
			KeepTime(true).
			TargetBlank(false).
			Icon("external link").
			Tooltip("").
			Url(""))
}

// statusStats are one stat per status, the total and the overdue reports, 3 grid units
// wide each: the total and the seven statuses fill the first line, 逾期未报 starts the
// next one. Every count is 0 when no target is in it and empty (无数据) when the
// collector is not scraped, never a 0 that reads as all clear during an outage.
func statusStats(ids *panelIDs, matchers ...string) []cog.Builder[dashboard.Panel] {
	out := []cog.Builder[dashboard.Panel]{totalStat(ids, matchers...)}
	for _, s := range statusViews {
		out = append(out, countStat(ids, s.Text, s.Color, statusCount(s.Status, matchers...)))
	}
	out = append(out, countStat(ids, present.OverdueWord, present.Report(evaluate.Missing).Color, overdueCount(matchers...)).
		Description("已过报送期限仍未报送的最近一期报表数(各单位 "+conventions.MetricDeptMissing+" 之和,与告警 DepartmentReportOverdue 同一口径)。"))
	return out
}

// totalStat counts the targets in two values: published targets (指标, any kind but
// task, so an exporter without the kind label counts as before) and task follow-ups (任务).
func totalStat(ids *panelIDs, matchers ...string) *stat.PanelBuilder {
	targets := append([]string{conventions.LabelKind + `!="` + conventions.KindTask + `"`}, matchers...)
	tasks := append([]string{eq(conventions.LabelKind, conventions.KindTask)}, matchers...)
	count := func(ref, legend string, ms []string) *prometheusQuery {
		return instant(ref, targetCount(ms, matchers)).
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

// statPanel is a count stat without its queries; without an answer it says 无数据.
func statPanel(ids *panelIDs, title, color string) *stat.PanelBuilder {
	return stat.NewPanelBuilder().
		Id(ids.id()).
		Title(title).
		Datasource(promDS()).
		Height(4).Span(3).
		Unit("none").
		Decimals(0).
		NoValue(present.NoValue).
		ColorMode(common.BigValueColorModeBackground).
		GraphMode(common.BigValueGraphModeNone).
		TextMode(common.BigValueTextModeValue).
		JustifyMode(common.BigValueJustifyModeCenter).
		ColorScheme(dashboard.NewFieldColorBuilder().Mode(dashboard.FieldColorModeIdFixed).FixedColor(color)).
		ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"}))
}

// Titles of the collection panels of the overview.
const (
	TitleCollection = "采集状态"
	TitleSpool      = "暂存积压"
)

// collectionStats say whether the numbers above are current: 采集状态 (collectors
// Prometheus reaches: 中断 when none), the InfluxDB spool's backlog and failed writes,
// and the embedded store's health. They follow 逾期未报 on the second line.
func collectionStats(ids *panelIDs) []cog.Builder[dashboard.Panel] {
	job := eq("job", conventions.JobName)
	up, down := present.Collection(true), present.Collection(false)
	upDown := func(zero, one present.CollectionView) []dashboard.ValueMapping {
		return []dashboard.ValueMapping{
			{ValueMap: &dashboard.ValueMap{Type: dashboard.MappingTypeValueToText, Options: map[string]dashboard.ValueMappingResult{
				"0": {Text: cog.ToPtr(zero.Word), Color: cog.ToPtr(zero.Color), Index: cog.ToPtr(int32(0))},
			}}},
			{RangeMap: &dashboard.RangeMap{Type: dashboard.MappingTypeRangeToText, Options: dashboard.DashboardRangeMapOptions{
				From: cog.ToPtr(1.0), Result: dashboard.ValueMappingResult{Text: cog.ToPtr(one.Word), Color: cog.ToPtr(one.Color), Index: cog.ToPtr(int32(1))},
			}}},
		}
	}
	health := func(title, expr string) *stat.PanelBuilder {
		return statPanel(ids, title, "text").WithTarget(instant("A", expr)).
			ColorScheme(dashboard.NewFieldColorBuilder().Mode(dashboard.FieldColorModeIdFixed))
	}
	backlogRed := float64(alerts.SpoolBacklogMinutes * 60)
	return []cog.Builder[dashboard.Panel]{
		health(TitleCollection, "sum("+sel("up", job)+")").
			Mappings(upDown(down, up)).
			Description("Prometheus 能抓取到的督办采集服务:" + up.Word + "(至少一个在线,数字与报表是当前的)或" + down.Word + "(一个也抓不到:上面的数字" + present.NoValue + ",告警 " + alerts.AlertCollectorDown + " 发出);" + present.NoValue + "表示 Prometheus 未配置抓取。"),
		statPanel(ids, TitleSpool, "text").WithTarget(instant("A", "max("+sel(conventions.MetricSpoolOldestAge, job)+")")).
			Unit("s").
			ColorScheme(dashboard.NewFieldColorBuilder().Mode(dashboard.FieldColorModeIdThresholds)).
			Thresholds(thresholds(step(nil, up.Color), step(cog.ToPtr(backlogRed), down.Color))).
			Description(fmt.Sprintf("仅 InfluxDB 存储:已确认、暂存在采集服务本地、尚未写入 InfluxDB 的最早一批报送等了多久(0 为没有积压);超过%d分钟告警 DubanSpoolBacklog。", alerts.SpoolBacklogMinutes)),
		statPanel(ids, "写入失败(1小时)", "text").WithTarget(instant("A", fmt.Sprintf("sum(increase(%[1]s[1h]) and on (instance) %[1]s)", sel(conventions.MetricInfluxWriteErrors, job)))).
			ColorScheme(dashboard.NewFieldColorBuilder().Mode(dashboard.FieldColorModeIdThresholds)).
			Thresholds(thresholds(step(nil, up.Color), step(cog.ToPtr(1.0), down.Color))).
			Description("仅 InfluxDB 存储:近1小时写入 InfluxDB 失败的次数(失败的报送进入暂存,恢复后补写,不会丢失)。"),
		health("存储状态", "min("+sel(conventions.MetricStoreWritable, job)+")").
			Mappings(upDown(present.CollectionView{Word: "不可写", Color: down.Color}, present.CollectionView{Word: "可写", Color: up.Color})).
			Description("仅内置存储:能否写入新报送(磁盘已满、I/O 错误或发现损坏时不可写,告警 DubanStoreNotWritable)。"),
		statPanel(ids, "损坏记录", "text").WithTarget(instant("A", "max("+sel(conventions.MetricStoreDamaged, job)+")")).
			ColorScheme(dashboard.NewFieldColorBuilder().Mode(dashboard.FieldColorModeIdThresholds)).
			Thresholds(thresholds(step(nil, up.Color), step(cog.ToPtr(1.0), down.Color))).
			Description("仅内置存储:发现的损坏记录数(大于0告警 DubanStoreDamaged,用 duban store check 检查)。"),
	}
}

// statusTrend shows how many targets were in each state over time.
func statusTrend(ids *panelIDs, matchers ...string) *timeseries.PanelBuilder {
	p := timeseries.NewPanelBuilder().
		Id(ids.id()).
		Title("各状态目标数变化").
		Description(axisNote).
		NoValue(present.NoValue).
		ShowPoints(common.VisibilityModeAuto).
		Datasource(promDS()).
		Unit("none").
		Decimals(0).
		Min(0).
		FillOpacity(20).
		Stacking(common.NewStackingConfigBuilder().Mode(common.StackingModeNormal)).
		Legend(common.NewVizLegendOptionsBuilder().ShowLegend(true).DisplayMode(common.LegendDisplayModeList).Placement(common.LegendPlacementBottom))
	for i, s := range statusViews {
		p.WithTarget(rangeQuery(string(rune('A'+i)), statusCount(s.Status, matchers...), s.Text))
		p.OverrideByName(override(s.Text, prop("color", map[string]any{"mode": "fixed", "fixedColor": s.Color})))
	}
	return p
}

func departmentName(plans *indicators.PlanSet, id string) string {
	if d, ok := plans.Department(id); ok && d.Name != "" {
		return d.Name
	}
	return id
}
