package api_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/xuri/excelize/v2"

	"github.com/duban-gov/duban/sheets"
	"github.com/duban-gov/duban/sheets/sheetstest"
)

const mediaXLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// TestHostileUploadsAreRefusedAndStoreNothing: every workbook of sheetstest.Hostile,
// uploaded by a department token as a form file and as a raw body, answers 413 (a
// limit) or 400 (malformed) with its code and a Chinese hint, and stores nothing. Their
// memory is measured through the real binary (cmd/duban
// TestHostileUploadsStayUnderTheMemoryCeiling).
func TestHostileUploadsAreRefusedAndStoreNothing(t *testing.T) {
	f := newFixture(t)
	for i, c := range sheetstest.Hostile() {
		t.Run(c.Name, func(t *testing.T) {
			name, ctype := "filled.xlsx", ""
			if i%2 == 1 {
				name, ctype = "", mediaXLSX
			}
			resp, ans := f.upload(f.tokens["rsj"], name, ctype, c.Data)
			want := http.StatusBadRequest
			if c.TooLarge {
				want = http.StatusRequestEntityTooLarge
			}
			if resp.StatusCode != want || ans.Error == nil || ans.Error.Code != c.Code {
				t.Fatalf("status %d %+v, want %d %s", resp.StatusCode, ans.Error, want, c.Code)
			}
			if !strings.ContainsFunc(ans.Error.Message, func(r rune) bool { return unicode.Is(unicode.Han, r) }) {
				t.Errorf("message %q has no Chinese hint", ans.Error.Message)
			}
			if n := f.stored(); n != 0 {
				t.Fatalf("%d revisions stored", n)
			}
		})
	}
}

func TestUploadLimits(t *testing.T) {
	var rows strings.Builder
	rows.WriteString("indicator,period,value\n")
	day := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 1001 {
		id := []string{"57.1", "56.1", "69.1"}[i/365]
		fmt.Fprintf(&rows, "%s,%s,1\n", id, day.AddDate(0, 0, i%365).Format("2006-01-02"))
	}
	big := multipartCSV(t, strings.Repeat("x", 2<<20)) // a field before the file, over the limit
	small := multipartCSV(t, "第一季度")
	cases := map[string]struct {
		contentType string
		body        []byte
		status      int
		code        string
	}{
		"1001 filled CSV rows":                        {"text/csv", []byte(rows.String()), 413, "too_many_reports"},
		"a form field before the file over the limit": {mwType(big.Bytes()), big.Bytes(), 413, "body_too_large"},
		"a form field before the file":                {mwType(small.Bytes()), small.Bytes(), 201, ""},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			resp, ans := f.upload(f.tokens["rsj"], "", tc.contentType, tc.body)
			if resp.StatusCode != tc.status || (tc.code != "" && (ans.Error == nil || ans.Error.Code != tc.code)) {
				t.Fatalf("status %d %+v, want %d %s", resp.StatusCode, ans.Error, tc.status, tc.code)
			}
			if want := map[bool]int{true: 1, false: 0}[tc.status == 201]; f.stored() != want {
				t.Errorf("%d revisions stored, want %d", f.stored(), want)
			}
		})
	}
}

// mwType is the multipart content type of a body written by multipart.Writer.
func mwType(body []byte) string {
	boundary := strings.TrimPrefix(strings.SplitN(string(body), "\r\n", 2)[0], "--")
	return "multipart/form-data; boundary=" + boundary
}

// TestUploadedDisplayUnitsAreStoredDecimalExact: 0.07 万人 in a template is stored as
// 700 人 (not 700.0000000000001), also when Excel stored the cell as the 17 digits of
// its double, and 0.34 万人 by CSV as 3400; the API serves exactly those values.
func TestUploadedDisplayUnitsAreStoredDecimalExact(t *testing.T) {
	cat := loadCatalog(t, "indicators/testdata/mini.yaml")
	e, _ := cat.Lookup("57.1")
	e.Target.DisplayUnit, e.Target.DisplayScale = "万人", 1e4
	f := newFixtureCatalog(t, cat)

	var buf bytes.Buffer
	if err := sheets.WriteTemplate(&buf, sheets.TemplateConfig{Catalog: cat, Department: "rsj", Period: "2026-03"}); err != nil {
		t.Fatal(err)
	}
	x, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	sheet := "市人社局"
	if err := x.SetCellDefault(sheet, "H4", "7.0000000000000007E-2"); err != nil { // 57.1 is on row 4
		t.Fatal(err)
	}
	if id, _ := x.GetCellValue(sheet, "A4"); id != "57.1" {
		t.Fatalf("row 4 holds %q", id)
	}
	data, err := x.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	if resp, ans := f.upload(f.tokens["rsj"], "rsj.xlsx", "", data.Bytes()); resp.StatusCode != http.StatusCreated {
		t.Fatalf("xlsx: %d %+v", resp.StatusCode, ans.Error)
	}
	if resp, ans := f.upload(f.tokens["rsj"], "", "text/csv", []byte("指标编号,填报期间,单位,本期数值\n57.1,2026-04,万人,0.34\n")); resp.StatusCode != http.StatusCreated {
		t.Fatalf("csv: %d %+v", resp.StatusCode, ans.Error)
	}
	var got struct {
		Revisions []struct {
			Period string  `json:"period"`
			Value  float64 `json:"value"`
		} `json:"revisions"`
	}
	f.do(http.MethodGet, "/api/v1/indicators/57.1/reports", "", "", &got)
	values := map[string]float64{}
	for _, r := range got.Revisions {
		values[r.Period] = r.Value
	}
	if values["2026-03"] != 700 || values["2026-04"] != 3400 {
		t.Fatalf("API serves %v, want 2026-03: 700 and 2026-04: 3400 exactly (%s)", values, f.lastBody)
	}
	if !strings.Contains(string(f.lastBody), `"value":700,`) {
		t.Errorf("the JSON does not hold 700 as written: %s", f.lastBody)
	}
}

// multipartCSV is a form with a comment field and then a small CSV file.
func multipartCSV(t *testing.T, comment string) *bytes.Buffer {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	err := mw.WriteField("comment", comment)
	if err == nil {
		var fw io.Writer
		if fw, err = mw.CreateFormFile("file", "rsj.csv"); err == nil {
			_, err = fw.Write([]byte("indicator,period,value\n57.1,2026-03,1\n"))
		}
	}
	if err = errors.Join(err, mw.Close()); err != nil {
		t.Fatal(err)
	}
	return &buf
}
