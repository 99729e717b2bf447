package workspace_test

import (
	"bytes"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// TestFormsWithoutTheirSessionsTokenAreRefused: every state-changing form carries the
// session's CSRF token; without it, with a wrong one, or with another session's the
// answer is 403 and nothing is stored; a browser saying the form comes from another
// site is refused even with the right token.
func TestFormsWithoutTheirSessionsTokenAreRefused(t *testing.T) {
	r := newRig(t)
	fgw, other := r.signIn("fgw"), r.signIn("fgw") // two sessions of the same department
	own, others := fgw.csrf("/report"), other.csrf("/report")
	if own == others {
		t.Fatal("two sessions share a CSRF token")
	}
	xlsx := filledTemplate(t, fgw, "2026-03", map[string]any{"11.1": 31})
	cases := map[string]struct {
		csrf   string
		header []string
	}{
		"no token":                {"", nil},
		"a wrong token":           {strings.Repeat("0", len(own)), nil},
		"another session's token": {others, nil},
		"the right token from another site (Origin)":          {own, []string{"Origin", "https://evil.example"}},
		"the right token, cross-site (Sec-Fetch-Site)":        {own, []string{"Sec-Fetch-Site", "cross-site"}},
		"the right token from a sandboxed page (Origin null)": {own, []string{"Origin", "null"}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			form := url.Values{"period": {"2026-03"}, "value.11.1": {"31"}}
			if c.csrf != "" {
				form.Set("csrf", c.csrf)
			}
			resp, page := fgw.post("/report", form, c.header...)
			if resp.StatusCode != http.StatusForbidden || !strings.Contains(page, "没有保存任何数据") {
				t.Errorf("POST /report: %s", resp.Status)
			}
			fields := url.Values{"period": {"2026-03"}}
			if c.csrf != "" {
				fields.Set("csrf", c.csrf)
			}
			if len(c.header) == 0 { // (the upload helper sends no extra headers)
				if resp, _ := fgw.upload("fgw.xlsx", xlsx, fields); resp.StatusCode != http.StatusForbidden {
					t.Errorf("POST /report/upload: %s", resp.Status)
				}
				if resp, _ := fgw.post("/logout", url.Values{"csrf": {c.csrf}}); resp.StatusCode != http.StatusForbidden {
					t.Errorf("POST /logout: %s", resp.Status)
				}
			}
			r.nothingStored("11.1")
		})
	}
	// A cross-site sign-in (login CSRF) is refused as well.
	if resp, _ := r.browser("10.5.0.1").post("/login", url.Values{"token": {r.tokens["fgw"]}}, "Origin", "https://evil.example"); resp.StatusCode != http.StatusForbidden || len(resp.Cookies()) != 0 {
		t.Errorf("a cross-site sign-in: %s", resp.Status)
	}
	// The same origin passes.
	if resp, _ := fgw.post("/report", url.Values{"csrf": {own}, "period": {"2026-03"}, "value.11.1": {"31"}}, "Origin", r.srv.URL, "Sec-Fetch-Site", "same-origin"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the right token from the same origin: %s", resp.Status)
	}
}

// TestADepartmentNeverSeesOrWritesAnothersIndicators: rsj's session is refused fgw's
// page, history and template, and a forged form or upload naming fgw's indicators is
// 403 with nothing stored, its own indicators in the same form included.
func TestADepartmentNeverSeesOrWritesAnothersIndicators(t *testing.T) {
	r := newRig(t)
	rsj, fgw := r.signIn("rsj"), r.signIn("fgw")
	csrf := rsj.csrf("/report")
	for _, path := range []string{"/report?department=fgw", "/report/history?indicator=11.1", "/report/history?indicator=999.9", "/report/template?department=fgw", "/office"} {
		if resp, _ := rsj.get(path); resp.StatusCode != http.StatusForbidden {
			t.Errorf("GET %s as rsj: %s", path, resp.Status)
		}
	}
	forged := map[string]url.Values{
		"fgw's indicator":                  {"value.11.1": {"31"}},
		"fgw's beside rsj's own":           {"value.57.1": {"11800"}, "value.11.1": {"31"}},
		"only a note on fgw's":             {"value.57.1": {"11800"}, "note.11.1": {"x"}},
		"an indicator that does not exist": {"value.57.1": {"11800"}, "value.999.9": {"1"}},
		"fgw's page named in the form":     {"department": {"fgw"}, "value.11.1": {"31"}},
	}
	for name, form := range forged {
		t.Run(name, func(t *testing.T) {
			form.Set("csrf", csrf)
			form.Set("period", "2026-03")
			if resp, page := rsj.post("/report", form); resp.StatusCode != http.StatusForbidden || !strings.Contains(page, "只能查看和报送本单位牵头的指标") {
				t.Errorf("%s", resp.Status)
			}
			r.nothingStored("11.1", "57.1", "4.1")
		})
	}
	// fgw's filled template uploaded by rsj.
	xlsx := filledTemplate(t, fgw, "2026-03", map[string]any{"11.1": 31})
	resp, page := rsj.upload("fgw.xlsx", xlsx, url.Values{"csrf": {csrf}, "period": {"2026-03"}})
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(page, "只能报送本单位牵头的指标") {
		t.Errorf("rsj uploading fgw's template: %s", resp.Status)
	}
	r.nothingStored("11.1")
}

// filledTemplate downloads b's template for period through the page's link and fills
// the value column (H) of the given indicators with excelize, as a clerk does in Excel.
func filledTemplate(t *testing.T, b *browser, period string, values map[string]any) []byte {
	t.Helper()
	resp, body := b.get("/report/template?period=" + period)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" {
		t.Fatalf("template: %s %s", resp.Status, resp.Header.Get("Content-Type"))
	}
	return fill(t, []byte(body), values)
}

func fill(t *testing.T, xlsx []byte, values map[string]any) []byte {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(xlsx))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sheet := f.GetSheetList()[0]
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	for id, v := range values {
		found := false
		for i, row := range rows {
			if len(row) > 0 && row[0] == id {
				if err := f.SetCellValue(sheet, "H"+strconv.Itoa(i+1), v); err != nil {
					t.Fatal(err)
				}
				found = true
			}
		}
		if !found {
			t.Fatalf("%s is not in the template", id)
		}
	}
	var out bytes.Buffer
	if _, err := f.WriteTo(&out); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}
