package api_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/duban-gov/duban/sheets"
)

func (f *fixture) get(path string) (int, http.Header, []byte) {
	f.t.Helper()
	resp, err := http.Get(f.url + path)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

type completenessAnswer struct {
	Period      string `json:"period"`
	Expected    int    `json:"expected"`
	OnTime      int    `json:"on_time"`
	Late        int    `json:"late"`
	Missing     int    `json:"missing"`
	NotDue      int    `json:"not_due"`
	Departments []struct {
		Department string `json:"department"`
		Late       int    `json:"late"`
		Items      []struct {
			Indicator, Period, Status string
		} `json:"items"`
	} `json:"departments"`
	Error *struct{ Code string } `json:"error"`
}

func TestCompleteness(t *testing.T) {
	f := newFixture(t) // the clock stands at June 15th
	if resp, ans := f.push(f.tokens["rsj"], map[string]any{"indicator": "57.1", "period": "2026-05", "value": 20000}); resp.StatusCode != http.StatusCreated {
		t.Fatalf("push: %d %+v", resp.StatusCode, ans.Error)
	}
	cases := map[string]struct {
		query                 string
		status                int
		late, missing, notDue int
		code                  string
		item57                string
	}{
		"May's report sent on June 15th is late, the others missing": {query: "?period=2026-05", status: 200, late: 1, item57: "late"},
		"June's reports are not due yet":                             {query: "?period=2026-06", status: 200, item57: "not_due"},
		"without a period: the month being collected (May)":          {query: "", status: 200, late: 1, item57: "late"},
		"a malformed period is a 400":                                {query: "?period=2026-5", status: 400, code: "invalid_period"},
		"an unknown department is a 400":                             {query: "?department=nope", status: 400, code: "unknown_department"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			code, _, body := f.get("/api/v1/completeness" + tc.query)
			var ans completenessAnswer
			if err := json.Unmarshal(body, &ans); err != nil {
				t.Fatalf("%d: %s", code, body)
			}
			if code != tc.status {
				t.Fatalf("status %d: %s", code, body)
			}
			if tc.code != "" {
				if ans.Error == nil || ans.Error.Code != tc.code {
					t.Errorf("error %+v, want %s", ans.Error, tc.code)
				}
				return
			}
			if ans.Late != tc.late || ans.Expected != ans.OnTime+ans.Late+ans.Missing+ans.NotDue {
				t.Errorf("late %d (want %d); expected %d = %d+%d+%d+%d?", ans.Late, tc.late, ans.Expected, ans.OnTime, ans.Late, ans.Missing, ans.NotDue)
			}
			if tc.item57 == "not_due" && ans.NotDue != ans.Expected {
				t.Errorf("June: %d not due of %d", ans.NotDue, ans.Expected)
			}
			if tc.item57 == "late" && ans.Missing != ans.Expected-1 {
				t.Errorf("May: %d missing of %d, want all but one", ans.Missing, ans.Expected)
			}
			found := false
			for _, d := range ans.Departments {
				for _, it := range d.Items {
					if it.Indicator == "57.1" {
						found = true
						if it.Status != tc.item57 {
							t.Errorf("57.1 is %s, want %s", it.Status, tc.item57)
						}
					}
				}
			}
			if !found {
				t.Error("57.1 is not in the answer")
			}
		})
	}
}

func TestBulletinEndpoint(t *testing.T) {
	f := newFixture(t)
	f.push(f.admin, map[string]any{"indicator": "57.1", "period": "2026-04", "value": 15000, "note": "四月进展顺利"})
	cases := map[string]struct {
		path, contentType, has string
		status                 int
	}{
		"markdown":                  {"/api/v1/bulletins/2026-Q2?format=md", "text/markdown", "# 2026年第二季度目标任务督办通报", 200},
		"markdown is the default":   {"/api/v1/bulletins/2026-Q2", "text/markdown", "四月进展顺利", 200},
		"html with charts":          {"/api/v1/bulletins/2026-q2?format=html", "text/html", "<svg", 200},
		"xlsx":                      {"/api/v1/bulletins/2026-Q1?format=xlsx", "application/vnd.openxmlformats", "PK", 200},
		"a month is not a bulletin": {"/api/v1/bulletins/2026-03", "application/json", "invalid_period", 400},
		"a quarter not begun":       {"/api/v1/bulletins/2026-Q4", "application/json", "invalid_period", 400},
		"an unknown format":         {"/api/v1/bulletins/2026-Q1?format=pdf", "application/json", "invalid_format", 400},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			code, h, body := f.get(tc.path)
			if code != tc.status || !strings.HasPrefix(h.Get("Content-Type"), tc.contentType) || !bytes.Contains(body, []byte(tc.has)) {
				t.Errorf("%d %s, want %d %s containing %q:\n%.300s", code, h.Get("Content-Type"), tc.status, tc.contentType, tc.has, body)
			}
		})
	}
}

// TestTemplateDownloadFillUploadRoundTrip goes through HTTP only: download the
// department's template, fill it as a person would, upload it, read the values back.
func TestTemplateDownloadFillUploadRoundTrip(t *testing.T) {
	f := newFixture(t)
	f.push(f.tokens["rsj"], map[string]any{"indicator": "57.1", "period": "2026-04", "value": 15000})
	code, h, body := f.get("/api/v1/templates/rsj?period=2026-05")
	if code != 200 || h.Get("Content-Type") != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" {
		t.Fatalf("template: %d %s %s", code, h.Get("Content-Type"), body)
	}
	x, err := excelize.OpenReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := x.GetRows("市人社局")
	var r57 int
	for i, r := range rows {
		if len(r) > 0 && r[0] == "57.1" {
			r57 = i + 1
			if !strings.Contains(strings.Join(r, "|"), "15000人(2026-04)") {
				t.Errorf("the template does not show the last report: %q", r)
			}
		}
	}
	if r57 < sheets.DataRow {
		t.Fatalf("57.1 not in the template: %q", rows)
	}
	if err := errors.Join(x.SetCellValue("市人社局", fmt.Sprintf("H%d", r57), 21000),
		x.SetCellValue("市人社局", fmt.Sprintf("K%d", r57), "五月招聘会两场。")); err != nil {
		t.Fatal(err)
	}
	filled, _ := x.WriteToBuffer()
	resp, ans := f.upload(f.tokens["rsj"], "rsj.xlsx", "", filled.Bytes())
	if resp.StatusCode != http.StatusCreated || ans.Accepted != 1 {
		t.Fatalf("upload: %d %+v", resp.StatusCode, ans.Error)
	}
	s := f.svc.Series("57.1")
	if last := s[len(s)-1]; last.Period != "2026-05" || *last.Value != 21000 || last.Note != "五月招聘会两场。" {
		t.Errorf("stored %+v", last)
	}
	if code, _, _ := f.get("/api/v1/templates/nope"); code != 404 {
		t.Errorf("unknown department: %d", code)
	}
	if code, _, _ := f.get("/api/v1/templates/rsj?period=2026-13"); code != 400 {
		t.Errorf("bad period: %d", code)
	}
}
