package workspace_test

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/duban-gov/duban/internal/testenv"
	"github.com/duban-gov/duban/internal/testplans"
)

// TestBrowserTwoPlans runs the real `duban serve` with two plans of 2026 (the shipped
// changzhi-2026, the default, and the sample 民生实事 list), review.required and the
// test clock at June 15th 2026, in Chromium: a clerk of 市教育局 (leading indicators in
// both) opens the default plan, switches to the second with the plan selector, reports
// 1.1 there, and the value lands in that plan only (the board of that plan shows it
// waiting for review); the office switches to the second
// plan and approves it there.
func TestBrowserTwoPlans(t *testing.T) {
	jyjTok, jyjHash := testenv.Token(t)
	adminTok, adminHash := testenv.Token(t)
	readerTok, readerHash := testenv.Token(t)
	srv := testenv.StartServe(t, testenv.ServeOptions{Config: func(addr, dir string) string {
		extra := fmt.Sprintf("plans: [embedded:changzhi-2026, %s]\nreview: {required: true}\ntesting: {now: '2026-06-15T10:00:00+08:00'}\n", filepath.Join(dir, "minsheng-2026.yaml"))
		return servedConfig(addr, dir, "public", extra, tokenLine("jyj", jyjHash), tokenLine("admin", adminHash), tokenLine("reader", readerHash))
	}, Files: testenv.Files{"minsheng-2026.yaml": string(testplans.Minsheng2026())}})
	base := srv.URL
	ctx := chrome(t, 1366, 768)
	plan := func() string { return read(t, ctx, chromedp.AttributeValue(chromedp.ID("plan"), "data-plan")).Value }

	step(t, ctx, "sign in as 市教育局",
		chromedp.Navigate(base+"/login"), chromedp.WaitVisible(chromedp.ID("token")),
		chromedp.SendKeys(chromedp.ID("token"), jyjTok), chromedp.Click(chromedp.ID("signin")),
		chromedp.WaitVisible(chromedp.ID("report-form")))
	if p := plan(); p != "changzhi-2026" {
		t.Fatalf("the clerk lands on plan %q, want the default plan (both are of 2026)", p)
	}
	step(t, ctx, "switch to the second plan",
		chromedp.SetValue(chromedp.ID("plan-select"), testplans.MinshengID),
		chromedp.Click(chromedp.CSS("form.switch button")),
		chromedp.WaitVisible(by("name", "value.1.1")))
	if p := plan(); p != testplans.MinshengID {
		t.Fatalf("after switching, plan %q", p)
	}
	if m := read(t, ctx, chromedp.Text(by("id", "row-1.1"))); !strings.Contains(m, "新建改扩建公办幼儿园") {
		t.Fatalf("1.1 of the second plan reads %q", m)
	}
	shot(t, ctx, "workspace-second-plan.png")
	step(t, ctx, "report 1.1 in the second plan",
		chromedp.SendKeys(by("name", "value.1.1"), "5"),
		chromedp.Click(chromedp.ID("submit")),
		chromedp.WaitVisible(chromedp.ID("receipt")))
	if receipt := read(t, ctx, chromedp.Text(chromedp.ID("receipt"))); !strings.Contains(receipt, "5所") || !strings.Contains(receipt, "第 1 次") {
		t.Errorf("the receipt:\n%s", receipt)
	}
	// The receipt's board link opens the board of the same plan, the report waiting there.
	step(t, ctx, "open the board", chromedp.Click(chromedp.ID("board-link")), chromedp.WaitVisible(by("id", "ind-1.1")))
	if p := plan(); p != testplans.MinshengID {
		t.Errorf("the receipt's board link opened plan %q", p)
	}
	if row := read(t, ctx, chromedp.Text(by("id", "ind-1.1"))); !strings.Contains(row, "新建改扩建公办幼儿园") || !strings.Contains(row, "5所") {
		t.Errorf("the board's 1.1 of the second plan:\n%s", row)
	}
	shot(t, ctx, "board-second-plan.png")
	reports := func(prefix string) string {
		return string(apiGet(t, base+prefix+"/indicators/1.1/reports", readerTok))
	}
	if got := reports("/api/v1/plans/" + testplans.MinshengID); !strings.Contains(got, `"value":5`) {
		t.Fatalf("the second plan's 1.1 holds no 5: %s", got)
	}
	if got := reports("/api/v1"); strings.Contains(got, `"revision"`) {
		t.Fatalf("the default plan's 1.1 got the second plan's report: %s", got)
	}
	if v := planLatest(t, base, readerTok, testplans.MinshengID); v != nil {
		t.Fatalf("with review.required the report counts before the office approved it: %v", *v)
	}

	// The office switches to the second plan and approves 1.1 there.
	step(t, ctx, "sign out and in as the office",
		chromedp.Navigate(base+"/report"), chromedp.WaitVisible(chromedp.ID("logout")), chromedp.Click(chromedp.ID("logout")),
		chromedp.WaitVisible(chromedp.ID("token")),
		chromedp.SendKeys(chromedp.ID("token"), adminTok), chromedp.Click(chromedp.ID("signin")),
		chromedp.WaitVisible(chromedp.ID("completeness")))
	if p := plan(); p != "changzhi-2026" {
		t.Fatalf("the office lands on plan %q, want the default plan", p)
	}
	waiting := chromedp.CSS(`#review tr[data-indicator="1.1"][data-period="2026-05"]`)
	step(t, ctx, "switch the office to the second plan",
		chromedp.SetValue(chromedp.ID("plan-select"), testplans.MinshengID),
		chromedp.Click(chromedp.CSS("form.switch button")),
		chromedp.WaitVisible(waiting))
	shot(t, ctx, "workspace-office-second-plan.png")
	step(t, ctx, "approve 1.1", chromedp.Click(chromedp.CSS(`#review tr[data-indicator="1.1"] button[value=approve]`)), chromedp.WaitNotPresent(waiting), chromedp.WaitVisible(chromedp.ID("completeness")))
	if p := plan(); p != testplans.MinshengID {
		t.Errorf("after the review the office is on plan %q", p)
	}
	if v := planLatest(t, base, readerTok, testplans.MinshengID); v == nil || *v != 5 {
		t.Fatalf("the second plan's 1.1 after approval: %v, want 5", v)
	}
}

// planLatest is the value that counts for 1.1 of plan.
func planLatest(t *testing.T, base, token, plan string) *float64 {
	t.Helper()
	var v apiIndicator
	if err := json.Unmarshal(apiGet(t, base+"/api/v1/plans/"+plan+"/indicators/1.1", token), &v); err != nil {
		t.Fatal(err)
	}
	if v.Latest == nil {
		return nil
	}
	return v.Latest.Value
}
