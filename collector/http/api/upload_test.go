package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/duban-gov/duban/sheets"
)

// filledTemplate writes the department's template for period, as `duban template` does,
// and fills cells (indicator id → column letter → value) with excelize, as a person does.
func filledTemplate(t testing.TB, f *fixture, dept, period string, cells map[string]map[string]any) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := sheets.WriteTemplate(&buf, sheets.TemplateConfig{Catalog: f.cat, Department: dept, Period: period}); err != nil {
		t.Fatal(err)
	}
	x, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	d, _ := f.cat.Department(dept)
	sheet := sheets.SheetName(*d)
	rows, err := x.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	for id, cols := range cells {
		row := 0
		for i, r := range rows {
			if i+1 >= sheets.DataRow && len(r) > 0 && r[0] == id {
				row = i + 1
			}
		}
		if row == 0 {
			t.Fatalf("indicator %s not in the %s template", id, dept)
		}
		for col, v := range cols {
			if err := x.SetCellValue(sheet, fmt.Sprintf("%s%d", col, row), v); err != nil {
				t.Fatal(err)
			}
		}
	}
	out, err := x.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// upload posts a file as multipart field "file", or raw with the content type when
// filename is empty.
func (f *fixture) upload(token, filename, contentType string, data []byte) (*http.Response, pushAnswer) {
	f.t.Helper()
	var body io.Reader = bytes.NewReader(data)
	if filename != "" {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		fw, err := mw.CreateFormFile("file", filename)
		if err != nil {
			f.t.Fatal(err)
		}
		if _, err := fw.Write(data); err != nil {
			f.t.Fatal(err)
		}
		if err := mw.Close(); err != nil {
			f.t.Fatal(err)
		}
		body, contentType = &buf, mw.FormDataContentType()
	}
	req, err := http.NewRequest(http.MethodPost, f.url+"/api/v1/reports", body)
	if err != nil {
		f.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	var ans pushAnswer
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &ans); err != nil {
		f.t.Fatalf("answer %d is not JSON: %s", resp.StatusCode, b)
	}
	return resp, ans
}

func TestExcelTemplateFilledAndUploadedIsStored(t *testing.T) {
	f := newFixture(t)
	data := filledTemplate(t, f, "fgw", "2026-05", map[string]map[string]any{
		"11.1": {"H": 128.5, "K": "进展情况:1-5月完成基础设施投资128.5亿元。"},
		"9.1":  {"I": "已开工", "J": 35, "K": "铁路项目4月开工。"},
	})
	resp, ans := f.upload(f.tokens["fgw"], "市发改委-2026-05.xlsx", "", data)
	if resp.StatusCode != http.StatusCreated || ans.Accepted != 2 {
		t.Fatalf("status %d, answer %+v %+v", resp.StatusCode, ans, ans.Error)
	}
	series := f.svc.Series("11.1")
	if len(series) != 1 || *series[0].Value != 1.285e10 || series[0].Sender != "fgw" || series[0].Note != "进展情况:1-5月完成基础设施投资128.5亿元。" {
		t.Fatalf("11.1 stored as %+v", series)
	}
	// The same file again (a retry): nothing added, the original receipts come back.
	resp, again := f.upload(f.tokens["fgw"], "市发改委-2026-05.xlsx", "", data)
	if resp.StatusCode != http.StatusCreated || again.Replayed != 2 || f.stored() != 2 {
		t.Fatalf("re-upload: status %d, replayed %d, stored %d; want 201, 2, 2", resp.StatusCode, again.Replayed, f.stored())
	}
	ms := f.svc.Series("9.1")
	if len(ms) != 1 || ms[0].Stage != "started" || *ms[0].Percent != 35 {
		t.Fatalf("9.1 stored as %+v", ms)
	}
}

func TestUploadErrorsNameTheCellAndStoreNothing(t *testing.T) {
	cases := map[string]struct {
		dept, token string
		cells       map[string]map[string]any
		status      int
		code        string
		where       string // part of the message naming the cell
	}{
		"a word in a value cell is caught by the decoder": {
			dept: "rsj", cells: map[string]map[string]any{"57.1": {"H": 21000}, "56.1": {"H": "六点一"}},
			status: 400, code: "invalid_value", where: `sheet "市人社局", row 3, column H (本期数值)`},
		"a negative count is caught by the collector and located": {
			dept: "rsj", cells: map[string]map[string]any{"56.1": {"H": 6.1, "B": "2026-Q1"}, "57.1": {"H": -5}},
			status: 400, code: "negative_value", where: `sheet "市人社局", row 4, column H (本期数值)`},
		"a month for a quarterly indicator is caught by the collector and located": {
			dept: "rsj", cells: map[string]map[string]any{"56.1": {"H": 6.1}, "57.1": {"H": 21000}},
			status: 400, code: "period_not_in_cadence", where: `sheet "市人社局", row 3, column B (填报期间)`},
		"a future period is caught by the collector and located": {
			dept: "rsj", cells: map[string]map[string]any{"57.1": {"H": 21000, "B": "2026-09"}},
			status: 400, code: "period_in_future", where: `sheet "市人社局", row 4, column B (填报期间)`},
		"another department's sheet is forbidden": {
			dept: "fgw", token: "rsj", cells: map[string]map[string]any{"11.1": {"H": 100}},
			status: 403, code: "forbidden_indicator", where: `sheet "市发改委", row 5`},
		"an empty template is refused": {
			dept: "rsj", cells: nil, status: 400, code: "empty_upload"},
		"a logical TRUE in a value cell is not a number": {
			dept: "rsj", cells: map[string]map[string]any{"56.1": {"H": 6.1}, "57.1": {"H": true}},
			status: 400, code: "invalid_value", where: `sheet "市人社局", row 4, column H (本期数值): "1" is not a number: the cell holds the logical value TRUE`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			token := f.tokens[tc.dept]
			if tc.token != "" {
				token = f.tokens[tc.token]
			}
			resp, ans := f.upload(token, "filled.xlsx", "", filledTemplate(t, f, tc.dept, "2026-05", tc.cells))
			if resp.StatusCode != tc.status || ans.Error == nil || ans.Error.Code != tc.code {
				t.Fatalf("status %d %+v, want %d %s", resp.StatusCode, ans.Error, tc.status, tc.code)
			}
			if !strings.Contains(ans.Error.Message, tc.where) {
				t.Errorf("message %q does not say %q", ans.Error.Message, tc.where)
			}
			if n := f.stored(); n != 0 {
				t.Errorf("%d revisions stored, want none", n)
			}
		})
	}
}

func TestCSVAndRawXLSXUploads(t *testing.T) {
	f := newFixture(t)
	xlsx := filledTemplate(t, f, "sthjj", "2026-05", map[string]map[string]any{"69.1": {"H": 33}})
	cases := map[string]struct {
		filename, contentType string
		data                  []byte
		status, accepted      int
		code                  string
	}{
		"raw CSV body":            {"", "text/csv; charset=utf-8", []byte("indicator,period,value\n69.2,2026-04,78.5\n"), 201, 1, ""},
		"CSV with CRLF line ends": {"", "text/csv", []byte("indicator,period,value\r\n69.2,2026-03,77\r\n69.1,2026-03,31\r\n"), 201, 2, ""},
		"CSV with lone CR line ends (Excel for Mac before 2016)": {"", "text/csv", []byte("indicator,period,value\r69.2,2026-02,76\r69.1,2026-02,32\r"), 201, 2, ""},
		"CSV as a form file": {"sthjj.csv", "", []byte("指标编号,填报期间,本期数值,情况说明\n69.2,2026-05,79,改善\n"), 201, 1, ""},
		"raw xlsx body":      {"", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", xlsx, 201, 1, ""},
		"a CSV with a bad period names row and column": {"", "text/csv", []byte("indicator,period,value\n69.2,2026-5-1,78\n"), 400, 0, "invalid_period"},
		"a .txt file is refused":                       {"notes.txt", "", []byte("hello"), 415, 0, "unsupported_media_type"},
		"a form without the file field":                {"", "multipart/form-data; boundary=x", []byte("--x--\r\n"), 400, 0, "missing_field"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			before := f.stored()
			resp, ans := f.upload(f.tokens["sthjj"], tc.filename, tc.contentType, tc.data)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d (%+v), want %d", resp.StatusCode, ans.Error, tc.status)
			}
			if tc.code != "" && (ans.Error == nil || ans.Error.Code != tc.code) {
				t.Fatalf("error %+v, want %s", ans.Error, tc.code)
			}
			if tc.code == "invalid_period" && !strings.Contains(ans.Error.Message, `sheet "CSV", row 2, column B`) {
				t.Errorf("message %q does not name the cell", ans.Error.Message)
			}
			if got := f.stored() - before; got != tc.accepted || ans.Accepted != tc.accepted {
				t.Errorf("stored %d, accepted %d, want %d", got, ans.Accepted, tc.accepted)
			}
		})
	}
}
