package workspace_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// TestTheOfficeSeesCompletenessAndCorrectsWithAReason: the admin token signs in the
// supervision office, which sees the period's completeness per department, opens each
// department's page, and corrects a reported period only with a reason (the API's rule).
func TestTheOfficeSeesCompletenessAndCorrectsWithAReason(t *testing.T) {
	r := newRig(t)
	fgw := r.signIn("fgw")
	if resp, _ := fgw.post("/report", url.Values{"csrf": {fgw.csrf("/report")}, "period": {"2026-03"}, "value.11.1": {"31"}, "value.4.1": {"5.8"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("fgw reports: %s", resp.Status)
	}
	office := r.browser("10.6.0.1")
	resp, _ := office.post("/login", url.Values{"token": {r.tokens["admin"]}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/office" {
		t.Fatalf("the office signs in: %s to %q", resp.Status, resp.Header.Get("Location"))
	}
	resp, page := office.get("/office")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/office: %s", resp.Status)
	}
	// fgw expects 4.1, 9.1 and 11.1 for March: two came on time, 9.1 is not due before April 10th.
	fgwRow := regexp.MustCompile(`(?s)<tr data-department="fgw">.*?</tr>`).FindString(page)
	for _, want := range []string{`href="/report?department=fgw&amp;period=2026-03"`, `<td class="num">3</td><td class="num">2</td><td class="num">0</td><td class="num r-missing">0</td><td class="num">1</td>`} {
		if !strings.Contains(fgwRow, want) {
			t.Errorf("fgw's row lacks %s:\n%s", want, fgwRow)
		}
	}
	for _, want := range []string{"2026年3月报送情况", `href="/api/v1/bulletins/2026-Q1?format=html"`, `data-department="rsj"`, "督查室"} {
		if !strings.Contains(page, want) {
			t.Errorf("the overview lacks %s", want)
		}
	}
	if resp, _ := office.get("/report"); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/office" {
		t.Errorf("the office's /report without a department: %s", resp.Status)
	}
	resp, page = office.get("/report?department=fgw&period=2026-03")
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, `name="reason.11.1"`) || !strings.Contains(page, `<input type="hidden" name="department" value="fgw">`) {
		t.Fatalf("fgw's page for the office: %s, reason field and department missing", resp.Status)
	}
	csrf := csrfField.FindStringSubmatch(page)[1]
	form := url.Values{"csrf": {csrf}, "period": {"2026-03"}, "department": {"fgw"}, "value.11.1": {"33"}}
	resp, page = office.post("/report", form)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(errorOf(page, "reason.11.1"), "更正原因") {
		t.Fatalf("a correction without a reason: %s, beside reason %q", resp.Status, errorOf(page, "reason.11.1"))
	}
	if len(r.history("11.1")) != 1 {
		t.Fatal("the correction without a reason was stored")
	}
	form.Set("reason.11.1", "统计局反馈口径调整")
	if resp, _ = office.post("/report", form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("a correction with a reason: %s", resp.Status)
	}
	h := r.history("11.1")
	if len(h) != 2 || h[1].Sender != "admin" || h[1].Reason != "统计局反馈口径调整" || *h[1].Value != 3.3e9 {
		t.Fatalf("after the office's correction: %+v", h)
	}
	// A first report by the office needs no reason.
	if resp, _ := office.post("/report", url.Values{"csrf": {csrf}, "period": {"2026-03"}, "department": {"rsj"}, "value.57.1": {"11800"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the office reporting for rsj: %s", resp.Status)
	}
	_, hist := office.get("/report/history?indicator=11.1")
	if !strings.Contains(hist, "统计局反馈口径调整") || !strings.Contains(hist, "督查室") || !strings.Contains(hist, `href="/report?department=fgw&amp;period=2026-03#row-11.1"`) {
		t.Error("the history does not show the office's correction with its reason")
	}
}

// TestUploadingTheTemplateThroughThePage: the template from the page, filled in Excel's
// way, goes through the same validation: stored with a receipt, the same file again
// replays, and a bad cell names its sheet, row and column with nothing stored.
func TestUploadingTheTemplateThroughThePage(t *testing.T) {
	r := newRig(t)
	b := r.signIn("fgw")
	csrf := b.csrf("/report")
	bad := filledTemplate(t, b, "2026-03", map[string]any{"11.1": "三十一亿", "4.1": 5.8})
	resp, page := b.upload("fgw.xlsx", bad, url.Values{"csrf": {csrf}, "period": {"2026-03"}})
	if resp.StatusCode != http.StatusBadRequest || !regexp.MustCompile(`工作表“市发改委”第\d+行H列\(本期数值\)`).MatchString(page) || !strings.Contains(page, `id="upload-error"`) {
		t.Fatalf("a bad cell: %s\n%s", resp.Status, regexp.MustCompile(`(?s)<section class="excel".*?</section>`).FindString(page))
	}
	r.nothingStored("11.1", "4.1")
	neg := filledTemplate(t, b, "2026-03", map[string]any{"11.1": -3})
	resp, page = b.upload("fgw.xlsx", neg, url.Values{"csrf": {csrf}, "period": {"2026-03"}})
	if resp.StatusCode != http.StatusBadRequest || !regexp.MustCompile(`第\d+行H列\(本期数值\):本年累计数不能为负数`).MatchString(page) {
		t.Fatalf("a negative sum: %s", resp.Status)
	}
	good := filledTemplate(t, b, "2026-03", map[string]any{"11.1": 0.34, "4.1": 5.8})
	for i := range 2 {
		resp, _ = b.upload("fgw.xlsx", good, url.Values{"csrf": {csrf}, "period": {"2026-03"}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/report/receipt" {
			t.Fatalf("upload %d: %s", i+1, resp.Status)
		}
	}
	if h := r.history("11.1"); len(h) != 1 || *h[0].Value != 34000000 {
		t.Fatalf("11.1 after the same file twice: %+v", h)
	}
	_, receipt := b.get("/report/receipt")
	if !strings.Contains(receipt, "Excel上传:fgw.xlsx") || !strings.Contains(receipt, "0.34亿元") {
		t.Errorf("the receipt does not name the file or the value")
	}
	if resp, page := b.upload("notes.txt", []byte("hello"), url.Values{"csrf": {csrf}}); resp.StatusCode != http.StatusUnsupportedMediaType || !strings.Contains(page, "不是 .xlsx 或 .csv") {
		t.Errorf("a text file: %s", resp.Status)
	}
	if resp, _ := b.upload("big.xlsx", make([]byte, 2<<20), url.Values{"csrf": {csrf}}); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("a file over the body limit: %s", resp.Status)
	}
}
