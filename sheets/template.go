package sheets

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/present"
)

// TemplateConfig says whose template to write and for which period.
type TemplateConfig struct {
	Catalog    *indicators.Catalog // required
	Department string              // required: lead department id
	Period     string              // required: 2026-03, 2026-Q1 or a date
	// Last returns the latest reported revision of an indicator (optional): shown in the
	// 上次填报 column so people see what they sent before.
	Last func(id string) (indicators.Revision, bool)
}

// DataRow is the first data row of a template (row 1 title, row 2 header).
const DataRow = 3

// SheetName is the name of a department's sheet: its Chinese name, cut to Excel's
// 31 characters and stripped of the characters Excel forbids.
func SheetName(d indicators.Department) string {
	name := strings.Map(func(r rune) rune {
		if strings.ContainsRune(`[]:*?/\`, r) {
			return '_'
		}
		return r
	}, d.Name)
	if name == "" {
		name = d.ID
	}
	if r := []rune(name); len(r) > 31 {
		name = string(r[:31])
	}
	return name
}

// Template builds the department's fill-in workbook: one sheet with a row per indicator
// the department leads (id, period, task, name, target, unit, last value, an empty value
// column with decimal validation, a stage drop-down and percent for milestones, note,
// evidence) and a sheet of instructions.
func Template(cfg TemplateConfig) (*excelize.File, error) {
	if cfg.Catalog == nil {
		return nil, errors.New("template: catalog is required")
	}
	dept, ok := cfg.Catalog.Department(cfg.Department)
	if !ok {
		return nil, fmt.Errorf("template: unknown department %q", cfg.Department)
	}
	p, err := indicators.ParsePeriod(cfg.Period)
	if err != nil {
		return nil, fmt.Errorf("template: %w", err)
	}
	period := p.String()
	var entries []indicators.Entry
	for _, e := range cfg.Catalog.Entries() {
		if e.Task.Lead == dept.ID {
			entries = append(entries, e)
		}
	}
	if len(entries) == 0 {
		return nil, fmt.Errorf("template: department %s leads no indicator", dept.ID)
	}

	f := excelize.NewFile()
	sheet := SheetName(*dept)
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return nil, fmt.Errorf("template: %w", err)
	}
	w := &sheetWriter{f: f, sheet: sheet}
	styles, err := newStyles(f)
	if err != nil {
		return nil, fmt.Errorf("template: %w", err)
	}
	last := colName(len(templateColumns) - 1)
	w.header(styles, fmt.Sprintf("%s %s 目标任务进展填报表(%s)", dept.Name, periodText(p), cfg.Catalog.Plan.Title))
	cells := w.rows(styles, entries, period, cfg.Last)
	w.validations(cells)
	end := DataRow + len(entries) - 1
	w.do(f.SetPanes(sheet, &excelize.Panes{Freeze: true, XSplit: 1, YSplit: 2, TopLeftCell: "B3", ActivePane: "bottomRight"}))
	w.do(f.AutoFilter(sheet, fmt.Sprintf("A2:%s%d", last, end), nil))
	w.do(f.SetDefinedName(&excelize.DefinedName{Name: PlanName, RefersTo: `"` + cfg.Catalog.Plan.ID + `"`, Scope: "Workbook"}))
	if err := instructions(w, cfg.Catalog.Plan, dept, period); err != nil {
		return nil, fmt.Errorf("template: %w", err)
	}
	if w.err != nil {
		return nil, fmt.Errorf("template: %w", w.err)
	}
	return f, nil
}

// header writes the title (row 1) and the column headers (row 2), with the widths.
func (w *sheetWriter) header(styles styleIDs, title string) {
	f, sheet := w.f, w.sheet
	last := colName(len(templateColumns) - 1)
	w.set("A1", title)
	w.do(f.MergeCell(sheet, "A1", last+"1"))
	w.do(f.SetCellStyle(sheet, "A1", "A1", styles.title))
	w.do(f.SetRowHeight(sheet, 1, 24))
	for i, c := range templateColumns {
		cell := colName(i) + "2"
		w.set(cell, c.Header)
		w.do(f.SetColWidth(sheet, colName(i), colName(i), c.Width))
	}
	w.do(f.SetCellStyle(sheet, "A2", last+"2", styles.header))
}

// fieldCol is the column of a field in the template ("" for none).
func fieldCol(f Field) string {
	for i, c := range templateColumns {
		if c.Field == f {
			return colName(i)
		}
	}
	return ""
}

// headerCol is the column with header h in the template ("" for none).
func headerCol(h string) string {
	for i, c := range templateColumns {
		if c.Header == h {
			return colName(i)
		}
	}
	return ""
}

// valueCells are the cells to fill, by the validation they get.
type valueCells struct {
	numeric, count []string // value cells of numeric targets; of cumulative ones (never negative)
	milestoneRows  []string // row numbers of milestones (stage and percent)
}

// rows writes a row per entry from DataRow on: what is fixed (id, period, task, name,
// target, unit, the last report) and, styled to be filled, what people enter.
func (w *sheetWriter) rows(styles styleIDs, entries []indicators.Entry, period string, lastReport func(string) (indicators.Revision, bool)) valueCells {
	f, sheet := w.f, w.sheet
	var cells valueCells
	for i, e := range entries {
		row := DataRow + i
		t := e.Target
		at := func(c string) string { return fmt.Sprintf("%s%d", c, row) }
		w.set(at(fieldCol(FieldIndicator)), t.ID)
		w.set(at(fieldCol(FieldPeriod)), period)
		w.do(f.SetCellValue(sheet, at(headerCol("任务")), e.Task.Num))
		w.set(at(headerCol("指标名称")), t.Metric)
		w.set(at(headerCol("目标")), present.TargetText(t))
		w.set(at(fieldCol(FieldUnit)), present.Unit(t))
		if lastReport != nil {
			if r, ok := lastReport(t.ID); ok {
				w.set(at(headerCol("上次填报")), lastText(t, r))
			}
		}
		w.do(f.SetCellStyle(sheet, at("A"), at(headerCol("上次填报")), styles.fixed))
		w.do(f.SetCellStyle(sheet, at(fieldCol(FieldPeriod)), at(fieldCol(FieldPeriod)), styles.text))
		w.do(f.SetCellStyle(sheet, at(fieldCol(FieldNote)), at(fieldCol(FieldEvidence)), styles.fill))
		if t.Measure == indicators.Milestone {
			w.do(f.SetCellStyle(sheet, at(fieldCol(FieldValue)), at(fieldCol(FieldValue)), styles.blocked))
			w.do(f.SetCellStyle(sheet, at(fieldCol(FieldStage)), at(fieldCol(FieldPercent)), styles.fill))
			cells.milestoneRows = append(cells.milestoneRows, fmt.Sprint(row))
			continue
		}
		w.do(f.SetCellStyle(sheet, at(fieldCol(FieldValue)), at(fieldCol(FieldValue)), styles.number))
		w.do(f.SetCellStyle(sheet, at(fieldCol(FieldStage)), at(fieldCol(FieldPercent)), styles.blocked))
		if t.Measure == indicators.Cumulative {
			cells.count = append(cells.count, at(fieldCol(FieldValue)))
		} else {
			cells.numeric = append(cells.numeric, at(fieldCol(FieldValue)))
		}
	}
	return cells
}

// validations checks input in Excel itself: numbers in the value column (no negative
// year-to-date sums), a drop-down of stages and 0..100 for milestones.
func (w *sheetWriter) validations(cells valueCells) {
	if len(cells.count) > 0 {
		dv := excelize.NewDataValidation(true)
		dv.SetSqref(strings.Join(cells.count, " "))
		w.do(dv.SetRange(0, 1e15, excelize.DataValidationTypeDecimal, excelize.DataValidationOperatorBetween))
		dv.SetError(excelize.DataValidationErrorStyleStop, "数值有误", "请填写本年累计数(不小于0的数字),单位见“单位”列。")
		dv.SetInput("本期数值", "填写截至本期末的本年累计数,单位见“单位”列。")
		w.do(w.f.AddDataValidation(w.sheet, dv))
	}
	if len(cells.numeric) > 0 {
		dv := excelize.NewDataValidation(true)
		dv.SetSqref(strings.Join(cells.numeric, " "))
		w.do(dv.SetRange(-1e15, 1e15, excelize.DataValidationTypeDecimal, excelize.DataValidationOperatorBetween))
		dv.SetError(excelize.DataValidationErrorStyleStop, "数值有误", "请填写数字,单位见“单位”列(百分比填 6.5 表示 6.5%)。")
		dv.SetInput("本期数值", "填写截至本期末的数值,单位见“单位”列。")
		w.do(w.f.AddDataValidation(w.sheet, dv))
	}
	if len(cells.milestoneRows) > 0 {
		w.milestoneValidations(cells.milestoneRows)
	}
}

func (w *sheetWriter) milestoneValidations(rows []string) {
	var stageRefs, pctRefs []string
	for _, r := range rows {
		stageRefs = append(stageRefs, fieldCol(FieldStage)+r)
		pctRefs = append(pctRefs, fieldCol(FieldPercent)+r)
	}
	dv := excelize.NewDataValidation(true)
	dv.SetSqref(strings.Join(stageRefs, " "))
	labels := make([]string, len(present.StageOptions))
	for i, s := range present.StageOptions {
		labels[i] = present.StageLabel(s)
	}
	w.do(dv.SetDropList(labels))
	dv.SetError(excelize.DataValidationErrorStyleStop, "阶段有误", "请从下拉列表中选择:"+strings.Join(labels, "、"))
	w.do(w.f.AddDataValidation(w.sheet, dv))
	dp := excelize.NewDataValidation(true)
	dp.SetSqref(strings.Join(pctRefs, " "))
	w.do(dp.SetRange(0, 100, excelize.DataValidationTypeDecimal, excelize.DataValidationOperatorBetween))
	dp.SetError(excelize.DataValidationErrorStyleStop, "百分比有误", "请填写 0 到 100 之间的数字。")
	w.do(w.f.AddDataValidation(w.sheet, dp))
}

// instructions adds the sheet of instructions (skipped by the decoder: it has no
// header row).
func instructions(w *sheetWriter, plan indicators.Plan, dept *indicators.Department, period string) error {
	f := w.f
	help := "填报说明"
	if _, err := f.NewSheet(help); err != nil {
		return err
	}
	for i, line := range []string{
		fmt.Sprintf("填报单位:%s(%s)", dept.Name, dept.ID),
		fmt.Sprintf("所属计划:%s(编号 %s,上传时据此入库,请勿改动)", plan.Title, plan.ID),
		"填报期间:" + period + "(数值为截至期末的本年累计数,与统计部门口径一致)",
		"1. 在“本期数值”列填写数字,单位以“单位”列为准;不填的行视为本期未报送。",
		"2. 节点类任务(开工、竣工、建成、投运)在“进度阶段”选择阶段,在“完成百分比”填 0–100。",
		"3. “情况说明”简述进展情况、存在问题、下步打算。",
		"4. 灰色单元格请勿修改;可删除未填的行。",
		"5. 上传:在填报网页(地址/report)“用 Excel 填报”处选择本文件上传;或 duban push 本文件.xlsx --server 地址 --token-file 令牌文件。",
		"整表校验通过才会入库;任何一格有误,整表不入库,并提示出错的工作表、行和列。",
	} {
		w.do(f.SetCellStr(help, fmt.Sprintf("A%d", i+1), line))
	}
	w.do(f.SetColWidth(help, "A", "A", 100))
	return nil
}

// WriteTemplate writes the template as .xlsx to out.
func WriteTemplate(out io.Writer, cfg TemplateConfig) (err error) {
	f, err := Template(cfg)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, f.Close()) }()
	if _, err := f.WriteTo(out); err != nil {
		return fmt.Errorf("write template: %w", err)
	}
	return nil
}

func periodText(p indicators.Period) string {
	switch p.Kind {
	case indicators.PeriodQuarter:
		return fmt.Sprintf("%d年第%d季度", p.Year, p.Q)
	case indicators.PeriodDay:
		return fmt.Sprintf("%d年%d月%d日", p.Year, int(p.Month), p.Day)
	}
	return fmt.Sprintf("%d年%d月", p.Year, int(p.Month))
}

func lastText(t *indicators.Target, r indicators.Revision) string {
	var v string
	switch {
	case r.Value != nil:
		// Exact in the display unit (0.0123万人, not 0.01万人): people copy it into
		// 本期数值, and it must read back as the same base value.
		v = indicators.FormatScaled(*r.Value, present.Scale(t)) + present.Unit(t)
	case r.Stage != "":
		v = present.StageText(t, r.Stage) // a follow-up in progress reads 推进中
		if r.Percent != nil && r.Stage != indicators.StageCompleted {
			v += " " + present.Number(*r.Percent) + "%"
		}
	default:
		return ""
	}
	return v + "(" + r.Period + ")"
}

type sheetWriter struct {
	f     *excelize.File
	sheet string
	err   error
}

func (w *sheetWriter) do(err error) {
	if w.err == nil && err != nil {
		w.err = err
	}
}

func (w *sheetWriter) set(cell, v string) { w.do(w.f.SetCellStr(w.sheet, cell, v)) }

type styleIDs struct {
	title, header, fixed, text, fill, number, blocked int
}

func newStyles(f *excelize.File) (styleIDs, error) {
	var s styleIDs
	var err error
	border := []excelize.Border{{Type: "left", Color: "BFBFBF", Style: 1}, {Type: "right", Color: "BFBFBF", Style: 1}, {Type: "top", Color: "BFBFBF", Style: 1}, {Type: "bottom", Color: "BFBFBF", Style: 1}}
	mk := func(dst *int, st *excelize.Style) {
		if err != nil {
			return
		}
		*dst, err = f.NewStyle(st)
	}
	textFmt := "@"
	mk(&s.title, &excelize.Style{Font: &excelize.Font{Bold: true, Size: 14}})
	mk(&s.header, &excelize.Style{Font: &excelize.Font{Bold: true}, Border: border, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}}, Alignment: &excelize.Alignment{Horizontal: "center", WrapText: true}})
	mk(&s.fixed, &excelize.Style{Border: border, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"F2F2F2"}}, Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}, Protection: &excelize.Protection{Locked: true}})
	mk(&s.text, &excelize.Style{Border: border, CustomNumFmt: &textFmt, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"F2F2F2"}}})
	mk(&s.fill, &excelize.Style{Border: border, Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}, Protection: &excelize.Protection{Locked: false}})
	mk(&s.number, &excelize.Style{Border: border, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FFF2CC"}}, Protection: &excelize.Protection{Locked: false}})
	mk(&s.blocked, &excelize.Style{Border: border, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"D9D9D9"}}})
	return s, err
}
