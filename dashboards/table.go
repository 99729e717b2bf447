package dashboards

import (
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/table"

	"github.com/duban-gov/duban/conventions"
	"github.com/duban-gov/duban/present"
)

// Column titles of the traffic-light table.
const (
	colIndicator  = "编号"
	colName       = "指标"
	colKind       = "类型"
	colDepartment = "牵头单位"
	colValue      = "当前值"
	colTarget     = "目标值"
	colExpected   = "序时进度值"
	colGap        = "差距"
	colUnit       = "单位"
	colProgress   = "完成进度"
	colStatus     = "状态"
	colLast       = "最近报送"
)

// TableColumns are the columns a traffic-light table shows, in order: the numbers in
// the unit people read, 单位 right after the four numbers it qualifies. The department
// id travels as a hidden field for the 牵头单位 link; nothing else does.
var TableColumns = []string{colIndicator, colName, colKind, colDepartment, colValue, colTarget, colExpected, colGap, colUnit, colProgress, colStatus, colLast}

// HiddenField is the one field a table carries without showing it (the department id
// its 牵头单位 link opens).
const HiddenField = conventions.LabelDepartment

type column struct {
	ref, title string
	expr       func(matchers []string) string
}

// trafficColumns are the value columns of the traffic-light table, one instant query each.
var trafficColumns = []column{
	{"A", colValue, func(m []string) string { return withInfo(displayed(conventions.MetricValue, m...), m...) }},
	{"B", colTarget, func(m []string) string { return withInfo(displayed(conventions.MetricTarget, m...), m...) }},
	{"C", colExpected, func(m []string) string { return withInfo(displayed(conventions.MetricExpected, m...), m...) }},
	{"D", colGap, func(m []string) string { return withInfo(displayed(conventions.MetricGap, m...), m...) }},
	{"E", colProgress, func(m []string) string { return withInfo(perIndicator(conventions.MetricProgress, m...), m...) }},
	{"F", colStatus, func(m []string) string { return withInfo(severityExpr(m...), m...) }},
	{"G", colLast, func(m []string) string {
		return withInfo(perIndicator(conventions.MetricLastReport, m...)+" * 1000", m...)
	}},
}

// trafficTable is a table of targets, one row each, worst status on top, with exactly
// TableColumns. matchers filter the targets.
func trafficTable(ids *panelIDs, title string, matchers ...string) *table.PanelBuilder {
	rename := map[string]string{
		conventions.LabelIndicator:      colIndicator,
		conventions.LabelName:           colName,
		conventions.LabelKind:           colKind,
		conventions.LabelDepartmentName: colDepartment,
		conventions.LabelDisplayUnit:    colUnit,
	}
	for _, c := range trafficColumns {
		rename["Value #"+c.ref] = c.title
	}
	order := map[string]int{}
	for field, title := range rename {
		for i, c := range TableColumns {
			if c == title {
				order[field] = i
			}
		}
	}
	order[HiddenField] = len(TableColumns)
	p := table.NewPanelBuilder().
		Id(ids.id()).
		Title(title).
		Description("数值均为" + colUnit + "列的单位(万人、亿元……;完成节点为%);" + colGap + " = " + colValue + " − " + colExpected + ",百分比指标以个百分点计;" + colProgress + "为完成率(控制类指标为目标值÷当前值),增速、相对指标和目标为0的指标没有完成率。").
		Datasource(promDS()).
		Height(14).Span(24).
		CellHeight(common.TableCellHeightSm).
		Filterable(true).
		NoValue(present.NoValue).
		Footer(common.NewTableFooterOptionsBuilder().Show(false).Reducer([]string{"sum"})).
		SortBy([]cog.Builder[common.TableSortByFieldState]{
			common.NewTableSortByFieldStateBuilder().DisplayName(colStatus).Desc(true),
		})
	for _, c := range trafficColumns {
		p.WithTarget(instant(c.ref, c.expr(matchers)))
	}

	p.WithTransformation(dashboard.DataTransformerConfig{Id: "merge", Options: map[string]any{}})
	p.WithTransformation(dashboard.DataTransformerConfig{Id: "organize", Options: map[string]any{
		"excludeByName": map[string]bool{"Time": true, conventions.LabelPlan: true}, // the plan is the one picked
		"renameByName":  rename,
		"indexByName":   order,
	}})
	p.WithTransformation(dashboard.DataTransformerConfig{Id: "sortBy", Options: map[string]any{
		"fields": map[string]any{},
		"sort":   []map[string]any{{"field": colStatus, "desc": true}},
	}})

	p.OverrideByName(override(HiddenField, prop("custom.hidden", true)))
	p.OverrideByName(override(colStatus,
		prop("mappings", statusMappings()),
		prop("custom.cellOptions", map[string]any{"type": "color-background", "mode": "basic"}),
		prop("custom.width", 90),
	))
	p.OverrideByName(override(colGap,
		prop("thresholds", mustBuild(gapThresholds())),
		prop("custom.cellOptions", map[string]any{"type": "color-text"}),
	))
	p.OverrideByName(override(colUnit, prop("custom.width", 70)))
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
		prop("links", []map[string]any{{"title": "查看指标详情", "url": "/d/" + IndicatorUID + "?var-" + VarPlan + "=${" + VarPlan + "}&var-indicator=${__data.fields[\"" + colIndicator + "\"]}&${__url_time_range}"}}),
	))
	p.OverrideByName(override(colDepartment,
		prop("links", []map[string]any{{"title": "查看本单位", "url": "/d/" + DepartmentUID + "?var-" + VarPlan + "=${" + VarPlan + "}&var-department=${__data.fields[\"" + HiddenField + "\"]}&${__url_time_range}"}}),
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
