package workspace_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/duban-gov/duban/collector"
	"github.com/duban-gov/duban/collector/http/api"
	"github.com/duban-gov/duban/collector/http/workspace"
)

// TestAClosedPlansFormSaysSoAndStoresNothing: once the office closes the plan, a
// clerk's form comes back with 409, the plan named in Chinese, the typed values kept
// and nothing stored.
func TestAClosedPlansFormSaysSoAndStoresNothing(t *testing.T) {
	r := newRig(t)
	if _, err := r.svc.SetClosed(context.Background(), collector.Principal{Admin: true}, true, "年度结束"); err != nil {
		t.Fatal(err)
	}
	b := r.signIn("fgw")
	resp, page := b.post("/report", url.Values{"csrf": {b.csrf("/report")}, "period": {"2026-03"}, "value.11.1": {"30"}})
	if resp.StatusCode != http.StatusConflict {
		t.Fatalf("%s, want 409:\n%s", resp.Status, page)
	}
	r.nothingStored("11.1")
	for _, want := range []string{"计划“2026年测试目标任务清单”已于", "关闭，不再接受报送", "没有保存任何数据"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if strings.Contains(page, "goroutine") || strings.Contains(page, "plan_closed") {
		t.Error("the page shows internals")
	}
	if got := field(t, page, "value.11.1"); got != "30" {
		t.Errorf("value.11.1 shows %q, want the typed 30", got)
	}
}

// TestTheOfficeCannotRemindAClosedPlan: 催报 for a closed plan answers 409 saying so,
// and nothing reaches the robot.
func TestTheOfficeCannotRemindAClosedPlan(t *testing.T) {
	n, received := robots(t)
	r := newRig(t, func(w *workspace.Config, a *api.Config) { w.Reminder, a.Reminder = n, n })
	if _, err := r.svc.SetClosed(context.Background(), collector.Principal{Admin: true}, true, ""); err != nil {
		t.Fatal(err)
	}
	office := r.browser("10.6.0.1")
	office.post("/login", url.Values{"token": {r.tokens["admin"]}})
	_, page := office.get("/office?period=2026-03")
	csrf := csrfField.FindStringSubmatch(page)[1]
	resp, page := office.post("/office/remind", url.Values{"csrf": {csrf}, "period": {"2026-03"}, "department": {"rsj"}})
	if resp.StatusCode != http.StatusConflict || !strings.Contains(page, "已关闭") || !strings.Contains(page, "无需催报") {
		t.Errorf("催报 of a closed plan: %s\n%s", resp.Status, page)
	}
	if got := received(); len(got) != 0 {
		t.Errorf("the robot got %q", got)
	}
}

// TestAClosedPlansPagesSaySoBeforeAnyoneTypes: once the plan is closed, a clerk's page
// says since when and why, and offers no form to submit and no upload; the office's
// page says so too, with how it corrects, and offers no 催报; a reopen brings all back.
func TestAClosedPlansPagesSaySoBeforeAnyoneTypes(t *testing.T) {
	n, _ := robots(t)
	r := newRig(t, func(w *workspace.Config, a *api.Config) { w.Reminder, a.Reminder = n, n })
	admin := collector.Principal{Admin: true}
	if _, err := r.svc.SetClosed(context.Background(), admin, true, "年度考核结束"); err != nil {
		t.Fatal(err)
	}
	clerk := r.signIn("fgw")
	office := r.browser("10.6.0.2")
	office.post("/login", url.Values{"token": {r.tokens["admin"]}})
	pages := func() (report, officePage string) {
		_, report = clerk.get("/report?period=2026-03")
		_, officePage = office.get("/office?period=2026-03")
		return report, officePage
	}
	report, officePage := pages()
	for name, c := range map[string]struct {
		page          string
		want, notWant []string
	}{
		"the clerk's page":  {report, []string{`id="closed"`, "已于", "关闭(年度考核结束)", "只供查阅，不再接受各单位报送"}, []string{`id="submit"`, `id="upload-form"`}},
		"the office's page": {officePage, []string{`id="closed"`, "督查室更正数据须逐项填写更正原因"}, []string{">催报</button>"}},
	} {
		for _, w := range c.want {
			if !strings.Contains(c.page, w) {
				t.Errorf("%s lacks %q", name, w)
			}
		}
		for _, w := range c.notWant {
			if strings.Contains(c.page, w) {
				t.Errorf("%s of a closed plan still has %q", name, w)
			}
		}
	}
	if _, err := r.svc.SetClosed(context.Background(), admin, false, ""); err != nil {
		t.Fatal(err)
	}
	report, officePage = pages()
	if strings.Contains(report, `id="closed"`) || !strings.Contains(report, `id="submit"`) || !strings.Contains(report, `id="upload-form"`) {
		t.Error("the clerk's page after the reopen still reads as closed")
	}
	if strings.Contains(officePage, `id="closed"`) || !strings.Contains(officePage, ">催报</button>") {
		t.Error("the office's page after the reopen still reads as closed")
	}
}
