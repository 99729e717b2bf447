package workspace_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/duban-gov/duban/indicators"
)

// TestTheOfficeReviewsAndTheDepartmentSeesTheReturn: the office's overview lists what
// waits for review; a return without a comment is refused beside the item with nothing
// stored; a return with one appears atop the department's page with the comment; the
// department's new report goes back to waiting; the office approves it.
func TestTheOfficeReviewsAndTheDepartmentSeesTheReturn(t *testing.T) {
	r := newRig(t)
	fgw := r.signIn("fgw")
	if resp, _ := fgw.post("/report", url.Values{"csrf": {fgw.csrf("/report")}, "period": {"2026-03"}, "value.11.1": {"31"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("fgw reports: %s", resp.Status)
	}
	office := r.browser("10.6.0.1")
	office.post("/login", url.Values{"token": {r.tokens["admin"]}})
	_, page := office.get("/office?period=2026-03")
	item := regexp.MustCompile(`(?s)<tr data-indicator="11.1" data-period="2026-03".*?</tr>`).FindString(page)
	if !strings.Contains(item, "31亿元") || !strings.Contains(item, `value="approve"`) || !strings.Contains(item, `value="return"`) {
		t.Fatalf("the office's review list lacks 11.1 with its value and both actions:\n%s", page)
	}
	csrf := csrfField.FindStringSubmatch(page)[1]
	review := url.Values{"csrf": {csrf}, "period": {"2026-03"}, "indicator": {"11.1"}, "report_period": {"2026-03"}, "decision": {"return"}}
	resp, page := office.post("/office/review", review)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(errorOf(page, "review-11.1-2026-03"), "退回须填写意见") {
		t.Fatalf("a return without a comment: %s, beside the item %q", resp.Status, errorOf(page, "review-11.1-2026-03"))
	}
	if h := r.history("11.1"); len(h[0].Reviews) != 0 {
		t.Fatalf("a refused review was stored: %+v", h[0].Reviews)
	}
	review.Set("comment", "请按统计局口径核实后重报")
	if resp, _ := office.post("/office/review", review); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("a return with a comment: %s", resp.Status)
	}
	_, page = fgw.get("/report?period=2026-03")
	box := regexp.MustCompile(`(?s)<section class="returned".*?</section>`).FindString(page)
	if !strings.Contains(box, "11.1") || !strings.Contains(box, "请按统计局口径核实后重报") {
		t.Fatalf("fgw's page does not open with the return and its comment:\n%s", page)
	}
	if resp, _ := fgw.post("/report", url.Values{"csrf": {fgw.csrf("/report")}, "period": {"2026-03"}, "value.11.1": {"32"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("fgw reports again: %s", resp.Status)
	}
	if _, page = fgw.get("/report?period=2026-03"); strings.Contains(page, `class="returned"`) {
		t.Error("the return still shows after the department sent the report again")
	}
	_, page = office.get("/office?period=2026-03")
	if item := regexp.MustCompile(`(?s)<tr data-indicator="11.1" data-period="2026-03".*?</tr>`).FindString(page); !strings.Contains(item, "32亿元") || !strings.Contains(item, "第2次报送") {
		t.Fatalf("the resubmission does not wait for review:\n%s", item)
	}
	review.Set("decision", "approve")
	review.Del("comment")
	if resp, _ := office.post("/office/review", review); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("approve: %s", resp.Status)
	}
	h := r.history("11.1")
	if len(h) != 2 || h[0].State() != indicators.Returned || h[1].State() != indicators.Approved || h[1].Reviews[0].Reviewer != "admin" {
		t.Fatalf("the record after return, resubmission and approval: %+v", h)
	}
	if resp, _ := fgw.post("/office/review", url.Values{"csrf": {fgw.csrf("/report")}, "indicator": {"11.1"}, "report_period": {"2026-03"}, "decision": {"approve"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a department reviewing through the page: %s, want 403", resp.Status)
	}
}
