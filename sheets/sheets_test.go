package sheets_test

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/internal/testenv"
	"github.com/duban-gov/duban/sheets"
)

func catalog(t testing.TB) *indicators.Catalog {
	t.Helper()
	cat, err := indicators.Load(filepath.Join(testenv.RepoRoot(), "indicators", "testdata", "mini.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

func decoder(t testing.TB) *sheets.Decoder {
	t.Helper()
	d, err := sheets.NewDecoder(sheets.DecoderConfig{Catalog: catalog(t)})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// template returns the department's template, opened for filling, and its sheet name.
func template(t testing.TB, dept string) (*excelize.File, string) {
	t.Helper()
	cat := catalog(t)
	var buf bytes.Buffer
	last := func(id string) (indicators.Revision, bool) {
		if id != "57.1" {
			return indicators.Revision{}, false
		}
		v := 8000.0
		return indicators.Revision{Report: indicators.Report{Indicator: id, Period: "2026-02", Value: &v}}, true
	}
	if err := sheets.WriteTemplate(&buf, sheets.TemplateConfig{Catalog: cat, Department: dept, Period: "2026-03", Last: last}); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	d, _ := cat.Department(dept)
	return f, sheets.SheetName(*d)
}

// rowOf finds the template row of an indicator.
func rowOf(t testing.TB, f *excelize.File, sheet, id string) int {
	t.Helper()
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		if len(r) > 0 && r[0] == id && i+1 >= sheets.DataRow {
			return i + 1
		}
	}
	t.Fatalf("indicator %s not on sheet %s", id, sheet)
	return 0
}

func set(t testing.TB, f *excelize.File, sheet, col string, row int, v any) {
	t.Helper()
	if err := f.SetCellValue(sheet, fmt.Sprintf("%s%d", col, row), v); err != nil {
		t.Fatal(err)
	}
}

func bytesOf(t testing.TB, f *excelize.File) []byte {
	t.Helper()
	buf, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestTemplateListsTheDepartmentsIndicatorsWithValidation(t *testing.T) {
	f, sheet := template(t, "fgw")
	if sheet != "市发改委" {
		t.Fatalf("sheet = %q", sheet)
	}
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	header := strings.Join(rows[1], "|")
	for _, h := range []string{"指标编号", "填报期间", "指标名称", "单位", "目标", "上次填报", "本期数值", "进度阶段", "情况说明"} {
		if !strings.Contains(header, h) {
			t.Errorf("header %q lacks %s", header, h)
		}
	}
	var ids []string
	for _, r := range rows[sheets.DataRow-1:] {
		ids = append(ids, r[0]+"@"+r[1])
	}
	if got, want := strings.Join(ids, ","), "4.1@2026-03,9.1@2026-03,11.1@2026-03"; got != want {
		t.Errorf("rows = %s, want %s", got, want)
	}
	r := rowOf(t, f, sheet, "11.1")
	if unit, _ := f.GetCellValue(sheet, fmt.Sprintf("F%d", r)); unit != "亿元" {
		t.Errorf("11.1 unit = %q, want the display unit 亿元", unit)
	}
	if target, _ := f.GetCellValue(sheet, fmt.Sprintf("E%d", r)); target != "350亿元以上" {
		t.Errorf("11.1 target = %q", target)
	}
	dvs, err := f.GetDataValidations(sheet)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]string{}
	for _, dv := range dvs {
		kinds[dv.Type] += dv.Sqref + " "
	}
	if !strings.Contains(kinds["decimal"], fmt.Sprintf("H%d", r)) {
		t.Errorf("no decimal validation on H%d: %v", r, kinds)
	}
	if !strings.Contains(kinds["list"], fmt.Sprintf("I%d", rowOf(t, f, sheet, "9.1"))) {
		t.Errorf("no stage list on the milestone row: %v", kinds)
	}
}

func TestTemplateShowsTheLastReport(t *testing.T) {
	f, sheet := template(t, "rsj")
	got, _ := f.GetCellValue(sheet, fmt.Sprintf("G%d", rowOf(t, f, sheet, "57.1")))
	if got != "8000人(2026-02)" {
		t.Errorf("last report = %q", got)
	}
}

func TestTemplateRejectsUnknownDepartmentAndBadPeriod(t *testing.T) {
	cat := catalog(t)
	for name, cfg := range map[string]sheets.TemplateConfig{
		"an unknown department":              {Catalog: cat, Department: "nope", Period: "2026-03"},
		"a malformed period":                 {Catalog: cat, Department: "rsj", Period: "2026-13"},
		"a department that leads no targets": {Catalog: cat, Department: "nobody", Period: "2026-03"},
	} {
		t.Run(name, func(t *testing.T) {
			if err := sheets.WriteTemplate(&bytes.Buffer{}, cfg); err == nil {
				t.Fatal("want an error")
			}
		})
	}
}

func TestFilledTemplateDecodesIntoReportsInBaseUnits(t *testing.T) {
	f, sheet := template(t, "fgw")
	set(t, f, sheet, "H", rowOf(t, f, sheet, "11.1"), 82.5) // 亿元
	set(t, f, sheet, "K", rowOf(t, f, sheet, "11.1"), "进展情况:一季度完成82.5亿元。")
	set(t, f, sheet, "I", rowOf(t, f, sheet, "9.1"), "已开工")
	set(t, f, sheet, "J", rowOf(t, f, sheet, "9.1"), 30)
	// 4.1 left empty: not reported this time.
	b, err := decoder(t).DecodeXLSX(bytes.NewReader(bytesOf(t, f)))
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Reports) != 2 {
		t.Fatalf("got %d reports, want 2: %+v", len(b.Reports), b.Reports)
	}
	inv, ms := b.Reports[1], b.Reports[0]
	if inv.Indicator != "11.1" || inv.Period != "2026-03" || inv.Value == nil || *inv.Value != 8.25e9 {
		t.Errorf("11.1 = %+v (value %v), want 8.25e9 元 for 2026-03", inv, inv.Value)
	}
	if inv.Note != "进展情况:一季度完成82.5亿元。" {
		t.Errorf("note = %q", inv.Note)
	}
	if ms.Indicator != "9.1" || ms.Stage != indicators.StageStarted || ms.Percent == nil || *ms.Percent != 30 || ms.Value != nil {
		t.Errorf("9.1 = %+v", ms)
	}
	if o := b.Origins[1]; o.Sheet != sheet || o.Row != rowOf(t, f, sheet, "11.1") || o.Column("value") != "H" {
		t.Errorf("origin = %+v, column %q", o, o.Column("value"))
	}
}

func TestPercentFormattedCellsMeanPercentagePoints(t *testing.T) {
	f, sheet := template(t, "fgw")
	r := rowOf(t, f, sheet, "4.1")
	set(t, f, sheet, "H", r, 0.062)
	st, err := f.NewStyle(&excelize.Style{NumFmt: 10}) // 0.00%
	if err != nil {
		t.Fatal(err)
	}
	if err := f.SetCellStyle(sheet, fmt.Sprintf("H%d", r), fmt.Sprintf("H%d", r), st); err != nil {
		t.Fatal(err)
	}
	b, err := decoder(t).DecodeXLSX(bytes.NewReader(bytesOf(t, f)))
	if err != nil {
		t.Fatal(err)
	}
	if v := *b.Reports[0].Value; v != 6.2 {
		t.Errorf("value = %v, want 6.2 (the cell shows 6.20%%)", v)
	}
}

func TestBadCellsNameSheetRowAndColumn(t *testing.T) {
	cases := map[string]struct {
		id, col string
		value   any
		code    string
		errCol  string // the column the error names, when not col
	}{
		"a word in the value column":       {"57.1", "H", "一万多", "invalid_value", ""},
		"an unknown stage":                 {"99.1", "I", "差不多了", "invalid_stage", ""},
		"a percent above 100":              {"99.1", "J", 120, "invalid_percent", ""},
		"a unit that is not the target's":  {"57.1", "F", "万人", "unit_mismatch", ""},
		"a month 13":                       {"57.1", "B", "2026-13", "invalid_period", ""},
		"an unknown indicator id":          {"57.1", "A", "57.9", "unknown_indicator", ""},
		"a note without a figure":          {"56.1", "K", "统计局尚未发布", "missing_value", "H"},
		"a period Excel turned into dates": {"57.1", "B", 46082, "invalid_period", ""},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			dept := "rsj"
			if tc.id == "99.1" {
				dept = "slj"
			}
			f, sheet := template(t, dept)
			row := rowOf(t, f, sheet, tc.id)
			if tc.id == "56.1" {
				set(t, f, sheet, "H", rowOf(t, f, sheet, "57.1"), 11800)
			} else if tc.id != "99.1" {
				set(t, f, sheet, "H", row, 11800)
			} else {
				set(t, f, sheet, "I", row, "已开工")
			}
			set(t, f, sheet, tc.col, row, tc.value)
			_, err := decoder(t).DecodeXLSX(bytes.NewReader(bytesOf(t, f)))
			var se *sheets.Error
			if !errors.As(err, &se) {
				t.Fatalf("err = %v, want *sheets.Error", err)
			}
			if tc.errCol != "" {
				tc.col = tc.errCol
			}
			if se.Code != tc.code || se.Sheet != sheet || se.Row != row || se.Column != tc.col {
				t.Errorf("got %s %q row %d col %q, want %s %q row %d col %s (%v)", se.Code, se.Sheet, se.Row, se.Column, tc.code, sheet, row, tc.col, err)
			}
			if !strings.Contains(err.Error(), fmt.Sprintf("row %d, column %s", row, tc.col)) {
				t.Errorf("message %q does not name the cell", err)
			}
		})
	}
}

func TestDuplicateRowsAcrossSheetsAreRejected(t *testing.T) {
	f, sheet := template(t, "rsj")
	r := rowOf(t, f, sheet, "57.1")
	set(t, f, sheet, "H", r, 100)
	set(t, f, sheet, "A", r+5, "57.1")
	set(t, f, sheet, "B", r+5, "2026-03")
	set(t, f, sheet, "H", r+5, 200)
	_, err := decoder(t).DecodeXLSX(bytes.NewReader(bytesOf(t, f)))
	var se *sheets.Error
	if !errors.As(err, &se) || se.Code != "duplicate_row" || se.Row != r+5 {
		t.Fatalf("err = %v", err)
	}
}

func TestEmptyAndForeignWorkbooksAreRejected(t *testing.T) {
	empty, _ := template(t, "rsj")
	blank := excelize.NewFile()
	_ = blank.SetCellValue("Sheet1", "A1", "hello")
	for name, tc := range map[string]struct {
		data []byte
		code string
	}{
		"a template nobody filled":  {bytesOf(t, empty), "empty_upload"},
		"a workbook without header": {bytesOf(t, blank), "missing_header"},
		"bytes that are no zip":     {[]byte("PK\x03\x04 not really"), "invalid_xlsx"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := decoder(t).DecodeXLSX(bytes.NewReader(tc.data))
			var se *sheets.Error
			if !errors.As(err, &se) || se.Code != tc.code {
				t.Fatalf("err = %v, want code %s", err, tc.code)
			}
		})
	}
}

func TestCSV(t *testing.T) {
	gbk, err := simplifiedchinese.GB18030.NewEncoder().String("指标编号,填报期间,单位,本期数值,情况说明\n11.1,2026年3月,亿元,82.5,一季度进度正常\n")
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		in        string
		ids       string
		firstVal  float64
		errCode   string
		errRow    int
		errColumn string
	}{
		"English headers take base units": {
			in: "indicator,period,value,note\n57.1,2026-03,11800,ok\n", ids: "57.1", firstVal: 11800},
		"Chinese template headers with a BOM and the display unit": {
			in: "\ufeff指标编号,填报期间,单位,本期数值\n11.1,2026-03,亿元,82.5\n", ids: "11.1", firstVal: 8.25e9},
		"GB18030 as Excel on Chinese Windows saves it": {
			in: gbk, ids: "11.1", firstVal: 8.25e9},
		"semicolons and milestone stages": {
			in: "indicator;period;stage;percent\n9.1;2026-Q1;started;40\n99.1;2026-03;已开工;\n", ids: "9.1,99.1", firstVal: -1},
		"blank lines keep row numbers": {
			in: "indicator,period,value\n\n57.1,2026-03,abc\n", errCode: "invalid_value", errRow: 3, errColumn: "C"},
		"thousands separators and full-width digits": {
			in: "indicator,period,value\n57.1,2026-03,\"１１,８００\"\n", ids: "57.1", firstVal: 11800},
		"no header": {
			in: "57.1,2026-03,11800\n", errCode: "missing_header"},
		"NaN is not a number": {
			in: "indicator,period,value\n57.1,2026-03,NaN\n", errCode: "invalid_value", errRow: 2, errColumn: "C"},
		"a quarter in Chinese": {
			in: "indicator,period,value\n4.1,2026年一季度,5.9\n", ids: "4.1", firstVal: 5.9},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			b, err := decoder(t).DecodeCSV(strings.NewReader(tc.in))
			if tc.errCode != "" {
				var se *sheets.Error
				if !errors.As(err, &se) || se.Code != tc.errCode || se.Sheet != sheets.CSVSheet {
					t.Fatalf("err = %v, want %s", err, tc.errCode)
				}
				if tc.errRow != 0 && (se.Row != tc.errRow || se.Column != tc.errColumn) {
					t.Errorf("cell = row %d col %s, want row %d col %s", se.Row, se.Column, tc.errRow, tc.errColumn)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, r := range b.Reports {
				ids = append(ids, r.Indicator)
			}
			if got := strings.Join(ids, ","); got != tc.ids {
				t.Fatalf("ids = %s, want %s", got, tc.ids)
			}
			if tc.firstVal >= 0 && (b.Reports[0].Value == nil || *b.Reports[0].Value != tc.firstVal) {
				t.Errorf("value = %v, want %v", b.Reports[0].Value, tc.firstVal)
			}
		})
	}
}

func TestLocateMapsAReportIndexToItsCell(t *testing.T) {
	b, err := decoder(t).DecodeCSV(strings.NewReader("indicator,period,value\n57.1,2026-03,1\n57.1,2026-04,2\n"))
	if err != nil {
		t.Fatal(err)
	}
	e := b.Locate(1, "value", "negative_value", "no")
	if e.Sheet != sheets.CSVSheet || e.Row != 3 || e.Column != "C" {
		t.Errorf("located %+v", e)
	}
}

func FuzzDecodeCSV(f *testing.F) {
	f.Add([]byte("indicator,period,value\n57.1,2026-03,11800\n"))
	f.Add([]byte("指标编号,填报期间,单位,本期数值,进度阶段,完成百分比\n11.1,2026年3月,亿元,82.5,,\n9.1,2026-Q1,,,已开工,40\n"))
	f.Add([]byte("indicator;period;stage\n99.1;2026-03;blocked\n"))
	d := decoder(f)
	cat := catalog(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := d.DecodeCSV(bytes.NewReader(data))
		checkBatch(t, cat, b, err)
	})
}

func FuzzDecodeXLSX(f *testing.F) {
	tpl, sheet := template(f, "fgw")
	set(f, tpl, sheet, "H", rowOf(f, tpl, sheet, "11.1"), 82.5)
	f.Add(bytesOf(f, tpl))
	f.Add([]byte("PK\x03\x04"))
	d := decoder(f)
	cat := catalog(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := d.DecodeXLSX(bytes.NewReader(data))
		checkBatch(t, cat, b, err)
	})
}

// checkBatch holds for any input: either a located error, or reports that name known
// indicators with normalized periods, finite values, and one origin each.
func checkBatch(t *testing.T, cat *indicators.Catalog, b sheets.Batch, err error) {
	if err != nil {
		var se *sheets.Error
		if !errors.As(err, &se) || se.Code == "" || se.Message == "" {
			t.Fatalf("error %v is not a coded *sheets.Error", err)
		}
		return
	}
	if len(b.Reports) == 0 || len(b.Reports) != len(b.Origins) {
		t.Fatalf("%d reports, %d origins", len(b.Reports), len(b.Origins))
	}
	for _, r := range b.Reports {
		if _, ok := cat.Lookup(r.Indicator); !ok {
			t.Fatalf("unknown indicator %q passed", r.Indicator)
		}
		p, err := indicators.ParsePeriod(r.Period)
		if err != nil || p.String() != r.Period {
			t.Fatalf("period %q not normalized", r.Period)
		}
		if r.Value == nil && r.Stage == "" && r.Percent == nil {
			t.Fatalf("empty report passed: %+v", r)
		}
	}
}
