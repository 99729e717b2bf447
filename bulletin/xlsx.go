package bulletin

import (
	"errors"
	"fmt"
	"io"

	"github.com/xuri/excelize/v2"
)

// Sheet names of the Excel bulletin.
const (
	SheetSummary     = "总体情况"
	SheetDepartments = "分部门"
	SheetProblems    = "滞后与未完成"
	SheetRanking     = "报送排名"
	SheetMilestones  = "节点任务"
)

// WriteXLSX writes the bulletin as a workbook with one sheet per section; figures are
// numbers in display units (the unit in its own column) so that people can sort and sum.
func (b *Bulletin) WriteXLSX(w io.Writer) (err error) {
	f := excelize.NewFile()
	defer func() { err = errors.Join(err, f.Close()) }()
	x := &xw{f: f}
	x.do(f.SetSheetName("Sheet1", SheetSummary))
	hdr, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}}})
	x.do(err)
	title, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 14}})
	x.do(err)
	x.hdr = hdr

	s := SheetSummary
	x.row(s, 1, b.Title)
	x.do(f.SetCellStyle(s, "A1", "A1", title))
	x.row(s, 2, b.Plan.Title+"("+b.Plan.Document+")")
	x.row(s, 3, "数据截至", b.AsOf, "生成时间", b.GeneratedAt)
	x.row(s, 4, b.Summary)
	x.header(s, 6, "状态", "状态代码", "指标数")
	for i, c := range b.Counts {
		x.row(s, 7+i, c.Label, string(c.Status), c.N)
	}
	x.do(f.SetColWidth(s, "A", "A", 16))
	x.do(f.SetColWidth(s, "B", "D", 14))

	s = SheetDepartments
	x.sheet(s)
	x.header(s, 1, "部门", "编号", "任务", "指标", "目标", "单位", "目标值", "完成值", "期间", "应达进度", "差距", "状态", "情况说明")
	r := 2
	for _, d := range b.Departments {
		for _, row := range d.Rows {
			x.row(s, r, d.Name, row.ID, row.Task, row.Metric, row.TargetLabel(), row.Unit, num(row.TargetNum), valueCell(row), row.Period, num(row.ExpectedNum), num(row.GapNum), row.StatusLabel, row.Note)
			r++
		}
	}
	x.widths(s, 14, 8, 6, 30, 18, 8, 10, 10, 10, 10, 10, 10, 50)

	s = SheetProblems
	x.sheet(s)
	x.header(s, 1, "部门", "编号", "指标", "目标", "单位", "完成值", "应达进度", "差距", "状态", "情况说明")
	for i, row := range b.Problems {
		x.row(s, 2+i, row.DepartmentName, row.ID, row.Metric, row.TargetLabel(), row.Unit, valueCell(row), num(row.ExpectedNum), num(row.GapNum), row.StatusLabel, row.Note)
	}
	x.widths(s, 14, 8, 30, 18, 8, 10, 10, 10, 10, 50)

	s = SheetRanking
	x.sheet(s)
	x.header(s, 1, append(append([]any{"名次", "部门", "应报"}, anys(reportHeadings())...), "按时报送率")...)
	pct, err := f.NewStyle(&excelize.Style{NumFmt: 10})
	x.do(err)
	for i, k := range b.Ranking {
		x.row(s, 2+i, k.Place, k.Name, k.Expected, k.OnTime, k.Late, k.Missing, k.NotDue, k.OnTimeRate)
		cell := fmt.Sprintf("H%d", 2+i)
		x.do(f.SetCellStyle(s, cell, cell, pct))
	}
	x.widths(s, 6, 16, 8, 8, 8, 8, 8, 12)

	s = SheetMilestones
	x.sheet(s)
	x.header(s, 1, "编号", "部门", "节点", "节点目标", "当前阶段", "完成百分比", "状态", "情况说明")
	for i, row := range b.Milestones {
		x.row(s, 2+i, row.ID, row.DepartmentName, row.Metric, row.TargetLabel(), row.Stage, num(row.ValueNum), row.StatusLabel, row.Note)
	}
	x.widths(s, 8, 14, 30, 18, 10, 10, 10, 50)

	if x.err != nil {
		return fmt.Errorf("render bulletin xlsx: %w", x.err)
	}
	if _, err := f.WriteTo(w); err != nil {
		return fmt.Errorf("write bulletin xlsx: %w", err)
	}
	return nil
}

// valueCell is the number for numeric targets, the stage text for milestones.
func valueCell(r Row) any {
	if r.Milestone {
		if r.ValueNum == nil {
			return ""
		}
		return r.Value
	}
	return num(r.ValueNum)
}

func num(p *float64) any {
	if p == nil {
		return ""
	}
	return *p
}

type xw struct {
	f   *excelize.File
	hdr int
	err error
}

func (x *xw) do(err error) {
	if x.err == nil && err != nil {
		x.err = err
	}
}

func (x *xw) sheet(name string) {
	_, err := x.f.NewSheet(name)
	x.do(err)
}

func (x *xw) row(sheet string, r int, vals ...any) {
	cell, err := excelize.CoordinatesToCellName(1, r)
	x.do(err)
	x.do(x.f.SetSheetRow(sheet, cell, &vals))
}

func (x *xw) header(sheet string, r int, names ...any) {
	x.row(sheet, r, names...)
	last, _ := excelize.CoordinatesToCellName(len(names), r)
	first, _ := excelize.CoordinatesToCellName(1, r)
	x.do(x.f.SetCellStyle(sheet, first, last, x.hdr))
	x.do(x.f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: r, TopLeftCell: fmt.Sprintf("A%d", r+1), ActivePane: "bottomLeft"}))
}

func (x *xw) widths(sheet string, ws ...float64) {
	for i, w := range ws {
		col, _ := excelize.ColumnNumberToName(i + 1)
		x.do(x.f.SetColWidth(sheet, col, col, w))
	}
}

func anys(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
