package dashboards

import (
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/table"

	"github.com/duban-gov/duban/conventions"
)

// Column titles of the traffic-light table.
const (
	colIndicator  = "编号"
	colName       = "指标"
	colKind       = "类型"
	colDepartment = "牵头单位"
	colDeptID     = "单位代码"
	colUnit       = "单位"
	colValue      = "当前值"
	colTarget     = "目标值"
	colExpected   = "序时进度值"
	colGap        = "差距"
	colProgress   = "完成进度"
	colStatus     = "状态"
	colLast       = "最近报送"
)

type column struct {
	ref, title string
	expr       func(matchers []string) string
}

// trafficColumns are the value columns of the traffic-light table, one instant query each.
var trafficColumns = []column{
	{"A", colValue, func(m []string) string { return withInfo(sel(conventions.MetricValue, m...)) }},
	{"B", colTarget, func(m []string) string { return withInfo(sel(conventions.MetricTarget, m...)) }},
	{"C", colExpected, func(m []string) string { return withInfo(sel(conventions.MetricExpected, m...)) }},
	{"D", colGap, func(m []string) string { return withInfo(sel(conventions.MetricGap, m...)) }},
	{"E", colProgress, func(m []string) string { return withInfo(sel(conventions.MetricProgress, m...)) }},
	{"F", colStatus, func(m []string) string { return withInfo(severityExpr(m...)) }},
	{"G", colLast, func(m []string) string { return withInfo(sel(conventions.MetricLastReport, m...) + " * 1000") }},
}

// trafficTable is a table of targets, one row each, worst status on top: name, kind
// (指标 for a published target, 任务 for a task follow-up), value, target, expected, gap,
// progress, status, last report. matchers filter the targets.
func trafficTable(ids *panelIDs, title string, matchers ...string) *table.PanelBuilder {
	rename := map[string]string{
		conventions.LabelName:           colName,
		conventions.LabelDepartmentName: colDepartment,
		conventions.LabelUnit:           colUnit,
		conventions.LabelIndicator:      colIndicator,
		conventions.LabelDepartment:     colDeptID,
		conventions.LabelKind:           colKind,
	}
	order := map[string]int{
		conventions.LabelIndicator: 0, conventions.LabelName: 1, conventions.LabelKind: 2, conventions.LabelDepartmentName: 3,
	}
	p := table.NewPanelBuilder().
		Id(ids.id()).
		Title(title).
		Datasource(promDS()).
		Height(14).Span(24).
		CellHeight(common.TableCellHeightSm).
		Filterable(true).
		Footer(common.NewTableFooterOptionsBuilder().Show(false).Reducer([]string{"sum"})).
		SortBy([]cog.Builder[common.TableSortByFieldState]{
			common.NewTableSortByFieldStateBuilder().DisplayName(colStatus).Desc(true),
		})
	for i, c := range trafficColumns {
		p.WithTarget(instant(c.ref, c.expr(matchers)))
		rename["Value #"+c.ref] = c.title
		order["Value #"+c.ref] = 4 + i
	}
	order[conventions.LabelUnit] = 4 + len(trafficColumns)
	order[conventions.LabelDepartment] = 5 + len(trafficColumns)

	p.WithTransformation(dashboard.DataTransformerConfig{Id: "merge", Options: map[string]any{}})
	p.WithTransformation(dashboard.DataTransformerConfig{Id: "organize", Options: map[string]any{
		"excludeByName": map[string]bool{"Time": true},
		"renameByName":  rename,
		"indexByName":   order,
	}})
	p.WithTransformation(dashboard.DataTransformerConfig{Id: "sortBy", Options: map[string]any{
		"fields": map[string]any{},
		"sort":   []map[string]any{{"field": colStatus, "desc": true}},
	}})

	p.OverrideByName(override(colStatus,
		prop("mappings", statusMappings()),
		prop("custom.cellOptions", map[string]any{"type": "color-background", "mode": "basic"}),
		prop("custom.width", 90),
	))
	p.OverrideByName(override(colGap,
		prop("thresholds", mustBuild(gapThresholds())),
		prop("custom.cellOptions", map[string]any{"type": "color-text"}),
	))
	p.OverrideByName(override(colProgress,
		prop("unit", "percentunit"),
		prop("thresholds", mustBuild(progressThresholds())),
		prop("custom.cellOptions", map[string]any{"type": "color-text"}),
	))
	p.OverrideByName(override(colLast, prop("unit", "dateTimeAsIso")))
	p.OverrideByName(override(colKind,
		prop("mappings", kindMappings()),
		prop("custom.cellOptions", map[string]any{"type": "color-text"}),
		prop("custom.width", 60),
	))
	p.OverrideByName(override(colName,
		prop("custom.width", 260),
		prop("links", []map[string]any{{"title": "查看指标详情", "url": "/d/" + IndicatorUID + "?var-indicator=${__data.fields[\"" + colIndicator + "\"]}&${__url_time_range}"}}),
	))
	p.OverrideByName(override(colDepartment,
		prop("links", []map[string]any{{"title": "查看本单位", "url": "/d/" + DepartmentUID + "?var-department=${__data.fields[\"" + colDeptID + "\"]}&${__url_time_range}"}}),
	))
	return p
}

// mustBuild builds a builder whose inputs are constants; a failure is a programming error.
func mustBuild[T any](b cog.Builder[T]) T {
	v, err := b.Build()
	if err != nil {
		panic(err)
	}
	return v
}
