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
	"github.com/duban-gov/duban/present"
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

// catalogWan is the mini catalog with 57.1 (新增城镇就业) reported in 万人, as the
// shipped catalog has it.
func catalogWan(t testing.TB) *indicators.Catalog {
	t.Helper()
	cat := catalog(t)
	e, _ := cat.Lookup("57.1")
	e.Target.DisplayUnit, e.Target.DisplayScale = "万人", 1e4
	return cat
}

// TestDisplayUnitsConvertDecimalExact: a figure in 万人 or 亿元 reaches the store in
// base units exactly as written, whether Excel stored it short (0.07) or with the 17
// digits of its double (7.0000000000000007E-2), and whether it came by xlsx or CSV.
func TestDisplayUnitsConvertDecimalExact(t *testing.T) {
	cat := catalogWan(t)
	d, err := sheets.NewDecoder(sheets.DecoderConfig{Catalog: cat})
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		id, stored string
		want       float64
	}{
		"0.07 万人":                                 {"57.1", "0.07", 700},
		"0.07 万人 as Excel stores its double":      {"57.1", "7.0000000000000007E-2", 700},
		"0.34 万人":                                 {"57.1", "0.34", 3400},
		"0.34 万人 as Excel stores its double":      {"57.1", "0.34000000000000002", 3400},
		"4.3 万人":                                  {"57.1", "4.3", 43000},
		"0.1+0.2 computed in Excel, 0.3 shown":    {"57.1", "0.30000000000000004", 3000},
		"0.0001 万人 is one person":                 {"57.1", "1E-4", 1},
		"0.34 亿元":                                 {"11.1", "0.34", 34000000},
		"128.5 亿元":                                {"11.1", "128.5", 12850000000},
		"4567.89 亿元 as Excel stores its double":   {"11.1", "4567.8900000000003", 456789000000},
		"1.2 亿元":                                  {"11.1", "1.2", 120000000},
		"a growth rate without display unit: 6.5": {"4.1", "6.5", 6.5},
	}
	for name, tc := range cases {
		t.Run(name+" (xlsx)", func(t *testing.T) {
			dept := "rsj"
			if tc.id != "57.1" {
				dept = "fgw"
			}
			f, sheet := templateOf(t, cat, dept)
			if err := f.SetCellDefault(sheet, fmt.Sprintf("H%d", rowOf(t, f, sheet, tc.id)), tc.stored); err != nil {
				t.Fatal(err)
			}
			b, err := d.DecodeXLSX(bytes.NewReader(bytesOf(t, f)))
			if err != nil {
				t.Fatal(err)
			}
			if got := *b.Reports[0].Value; got != tc.want {
				t.Errorf("stored %s → %v, want exactly %v", tc.stored, got, tc.want)
			}
		})
		t.Run(name+" (CSV)", func(t *testing.T) {
			e, _ := cat.Lookup(tc.id)
			in := fmt.Sprintf("指标编号,填报期间,单位,本期数值\n%s,2026-03,%s,%s\n", tc.id, present.Unit(e.Target), tc.stored)
			b, err := d.DecodeCSV(strings.NewReader(in))
			if err != nil {
				t.Fatal(err)
			}
			want := tc.want
			if tc.stored == "0.34000000000000002" || tc.stored == "7.0000000000000007E-2" || tc.stored == "0.30000000000000004" || tc.stored == "4567.8900000000003" {
				// In a CSV the digits are what the person wrote: no rounding to Excel's 15.
				want, _ = indicators.ParseScaled(tc.stored, present.Scale(e.Target))
			}
			if got := *b.Reports[0].Value; got != want {
				t.Errorf("CSV %s → %v, want exactly %v", tc.stored, got, want)
			}
		})
	}
}

// TestTheLastReportColumnReadsBack: the template shows the last report in the display
// unit exactly, so a clerk who copies it into 本期数值 sends the same base value.
func TestTheLastReportColumnReadsBack(t *testing.T) {
	cat := catalogWan(t)
	for _, base := range []float64{700, 3400, 123, 43000, 1, 11800, 4321.5} {
		t.Run(fmt.Sprint(base), func(t *testing.T) {
			var buf bytes.Buffer
			last := func(id string) (indicators.Revision, bool) {
				v := base
				return indicators.Revision{Report: indicators.Report{Indicator: id, Period: "2026-02", Value: &v}}, id == "57.1"
			}
			if err := sheets.WriteTemplate(&buf, sheets.TemplateConfig{Catalog: cat, Department: "rsj", Period: "2026-03", Last: last}); err != nil {
				t.Fatal(err)
			}
			f, err := excelize.OpenReader(&buf)
			if err != nil {
				t.Fatal(err)
			}
			d, _ := cat.Department("rsj")
			sheet := sheets.SheetName(*d)
			r := rowOf(t, f, sheet, "57.1")
			shown, _ := f.GetCellValue(sheet, fmt.Sprintf("G%d", r))
			text := strings.TrimSuffix(shown, "万人(2026-02)")
			if text == shown {
				t.Fatalf("last report %q is not in 万人", shown)
			}
			set(t, f, sheet, "H", r, text) // copied as text, as a clerk pastes it
			dec, _ := sheets.NewDecoder(sheets.DecoderConfig{Catalog: cat})
			b, err := dec.DecodeXLSX(bytes.NewReader(bytesOf(t, f)))
			if err != nil {
				t.Fatal(err)
			}
			if got := *b.Reports[0].Value; got != base {
				t.Errorf("shown %q reads back as %v, want %v", shown, got, base)
			}
		})
	}
}

// templateOf is template over another catalog.
func templateOf(t testing.TB, cat *indicators.Catalog, dept string) (*excelize.File, string) {
	t.Helper()
	var buf bytes.Buffer
	if err := sheets.WriteTemplate(&buf, sheets.TemplateConfig{Catalog: cat, Department: dept, Period: "2026-03"}); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	d, _ := cat.Department(dept)
	return f, sheets.SheetName(*d)
}

// TestCellFormatsDecideWhatANumberMeans: a percentage format (built-in or custom) shows
// the stored number ×100 and people mean what they see; a % in quotes is only text; a
// logical value, stored as such or formatted as TRUE/FALSE, is no number.
func TestCellFormatsDecideWhatANumberMeans(t *testing.T) {
	cases := map[string]struct {
		id     string
		value  any
		numFmt int
		custom string
		want   float64
		code   string
	}{
		"built-in 0.00%":                        {id: "4.1", value: 0.065, numFmt: 10, want: 6.5},
		"built-in 0%":                           {id: "4.1", value: 0.06, numFmt: 9, want: 6},
		"custom 0.0%":                           {id: "4.1", value: 0.065, custom: `0.0%`, want: 6.5},
		"custom with a negative section":        {id: "4.1", value: 0.065, custom: `0.00%;[Red]-0.00%`, want: 6.5},
		"a quoted % is text: 6.5 shows 6.5%":    {id: "4.1", value: 6.5, custom: `0.0"%"`, want: 6.5},
		"an escaped % is text too":              {id: "4.1", value: 6.5, custom: `0.0\%`, want: 6.5},
		"a percentage format on a text cell":    {id: "4.1", value: "6.5", numFmt: 10, want: 6.5},
		"0.00 is plain":                         {id: "4.1", value: 6.5, numFmt: 2, want: 6.5},
		"a TRUE cell":                           {id: "57.1", value: true, code: "invalid_value"},
		"a FALSE cell":                          {id: "57.1", value: false, code: "invalid_value"},
		"1 formatted TRUE/FALSE by LibreOffice": {id: "57.1", value: 1, custom: `"TRUE";"TRUE";"FALSE"`, code: "invalid_value"},
		"a TRUE in the percent column":          {id: "9.1", value: true, code: "invalid_percent"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			dept, col := "fgw", "H"
			if tc.id == "57.1" {
				dept = "rsj"
			}
			f, sheet := template(t, dept)
			r := rowOf(t, f, sheet, tc.id)
			if tc.id == "9.1" {
				set(t, f, sheet, "I", r, "已开工")
				col = "J"
			}
			cell := fmt.Sprintf("%s%d", col, r)
			set(t, f, sheet, col, r, tc.value)
			if tc.numFmt != 0 || tc.custom != "" {
				st := &excelize.Style{NumFmt: tc.numFmt}
				if tc.custom != "" {
					st.CustomNumFmt = &tc.custom
				}
				id, err := f.NewStyle(st)
				if err != nil {
					t.Fatal(err)
				}
				if err := f.SetCellStyle(sheet, cell, cell, id); err != nil {
					t.Fatal(err)
				}
			}
			b, err := decoder(t).DecodeXLSX(bytes.NewReader(bytesOf(t, f)))
			if tc.code != "" {
				var se *sheets.Error
				if !errors.As(err, &se) || se.Code != tc.code || se.Sheet != sheet || se.Row != r || se.Column != col {
					t.Fatalf("err = %v, want %s at %s", err, tc.code, cell)
				}
				if !strings.Contains(se.Message, "逻辑值") {
					t.Errorf("message %q does not say it is a logical value", se.Message)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := *b.Reports[0].Value; got != tc.want {
				t.Errorf("value = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestCSVLineEnds: CRLF (Windows), LF and a lone CR (Excel for Mac before 2016, "CSV
// (Macintosh)") all read the same rows, and errors name the same line.
func TestCSVLineEnds(t *testing.T) {
	for name, eol := range map[string]string{"LF": "\n", "CRLF": "\r\n", "CR only": "\r"} {
		t.Run(name, func(t *testing.T) {
			in := strings.Join([]string{"indicator,period,value,note", "57.1,2026-03,11800,\"一季度\"", "", "56.1,2026-Q1,5.5,ok", ""}, eol)
			b, err := decoder(t).DecodeCSV(strings.NewReader(in))
			if err != nil {
				t.Fatal(err)
			}
			if len(b.Reports) != 2 || b.Reports[0].Indicator != "57.1" || *b.Reports[0].Value != 11800 || b.Reports[0].Note != "一季度" ||
				b.Reports[1].Indicator != "56.1" || *b.Reports[1].Value != 5.5 || b.Origins[1].Row != 4 {
				t.Fatalf("reports %+v, origins %+v", b.Reports, b.Origins)
			}
			bad := strings.Join([]string{"indicator,period,value", "57.1,2026-03,11800", "56.1,2026-Q1,abc", ""}, eol)
			_, err = decoder(t).DecodeCSV(strings.NewReader(bad))
			var se *sheets.Error
			if !errors.As(err, &se) || se.Code != "invalid_value" || se.Row != 3 || se.Column != "C" {
				t.Fatalf("err = %v, want invalid_value at row 3, column C", err)
			}
		})
	}
}
