package workspace_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/duban-gov/duban/collector"
	"github.com/duban-gov/duban/indicators"
)

// TestTheReportPageShowsTheDepartmentsIndicators: fgw's page for the month being
// collected lists its indicators grouped by task, quarterly ones in a quarter's last
// month only, every input with its label, numbers with their unit.
func TestTheReportPageShowsTheDepartmentsIndicators(t *testing.T) {
	r := newRig(t)
	b := r.signIn("fgw")
	cases := map[string]struct {
		path       string
		rows, none []string
	}{
		"March (the month being collected) ends a quarter: the quarterly 4.1 is there": {"/report", []string{"4.1", "9.1", "11.1"}, []string{"57.1", "69.1"}},
		"February is no quarter's end: 4.1 is not":                                     {"/report?period=2026-02", []string{"9.1", "11.1"}, []string{"4.1"}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			resp, page := b.get(c.path)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("%s: %s", c.path, resp.Status)
			}
			for _, id := range c.rows {
				if !strings.Contains(page, `id="row-`+id+`"`) {
					t.Errorf("row %s missing", id)
				}
			}
			for _, id := range c.none {
				if strings.Contains(page, `id="row-`+id+`"`) {
					t.Errorf("row %s shown", id)
				}
			}
			for _, m := range regexp.MustCompile(`<(?:input|select|textarea) id="([^"]+)"`).FindAllStringSubmatch(page, -1) {
				if !strings.Contains(page, `<label for="`+m[1]+`">`) {
					t.Errorf("input %s has no label", m[1])
				}
			}
		})
	}
	_, page := b.get("/report")
	for _, want := range []string{
		`<tbody class="task" id="task-11">`, `name="value.11.1"`, `<span class="unit">亿元</span>`, "目标:350亿元以上",
		`name="stage.9.1"`, `name="percent.9.1"`, `name="note.9.1"`, `name="problems.9.1"`, `name="plans.9.1"`,
		`<option value="started">已开工</option>`, `id="template-link"`, `name="file"`, "2026年3月", "4月10日前报送",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	if strings.Contains(page, `name="reason.`) {
		t.Error("a department is asked for a correction reason")
	}
}

// TestSubmitStoresExactValuesAndShowsThemEverywhere: display units convert with decimal
// arithmetic, the three notes make one note, the receipt shows each revision, the
// board shows the values at once, and the page shows them back in its fields.
func TestSubmitStoresExactValuesAndShowsThemEverywhere(t *testing.T) {
	r := newRig(t)
	b := r.signIn("fgw")
	csrf := b.csrf("/report")
	resp, _ := b.post("/report", url.Values{
		"csrf": {csrf}, "period": {"2026-03"},
		"value.11.1": {"0.34"}, "note.11.1": {"一季度基础设施投资0.34亿元。"}, "problems.11.1": {"春节影响开工。"}, "plans.11.1": {"加快项目前期。"},
		"value.4.1": {"5.8"},
		"stage.9.1": {"started"}, "percent.9.1": {"60"}, "note.9.1": {"铁路已开工。"},
	})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/report/receipt" {
		t.Fatalf("submit: %s to %q", resp.Status, resp.Header.Get("Location"))
	}
	h := r.history("11.1")
	if len(h) != 1 || *h[0].Value != 34000000 || h[0].Sender != "fgw" || h[0].Period != "2026-03" {
		t.Fatalf("11.1 stored %+v, want exactly 34000000 元 from fgw", h)
	}
	if want := "进展情况:一季度基础设施投资0.34亿元。\n存在问题:春节影响开工。\n下步打算:加快项目前期。"; h[0].Note != want {
		t.Fatalf("note %q, want %q", h[0].Note, want)
	}
	if m := r.history("9.1"); len(m) != 1 || m[0].Stage != indicators.StageStarted || *m[0].Percent != 60 || m[0].Note != "铁路已开工。" {
		t.Fatalf("9.1 stored %+v", m)
	}
	if g := r.history("4.1"); len(g) != 1 || *g[0].Value != 5.8 {
		t.Fatalf("4.1 stored %+v", g)
	}
	_, receipt := b.get("/report/receipt")
	for _, want := range []string{`<tr data-indicator="11.1">`, "0.34亿元", `data-revision="1"`, "已保存 3 项", "2026-04-05 09:00:00", `href="/?department=fgw"`} {
		if !strings.Contains(receipt, want) {
			t.Errorf("the receipt lacks %q:\n%s", want, receipt)
		}
	}
	_, board := b.get("/?department=fgw")
	if !regexp.MustCompile(`(?s)id="ind-11.1".*?0.34亿元`).MatchString(board) {
		t.Error("the board does not show 0.34亿元 for 11.1")
	}
	// The page shows what was reported, exactly, in its fields.
	_, page := b.get("/report")
	if got := field(t, page, "value.11.1"); got != "0.34" {
		t.Errorf("value.11.1 shows %q", got)
	}
	if got := textarea(t, page, "problems.11.1"); got != "春节影响开工。" {
		t.Errorf("problems.11.1 shows %q", got)
	}
	if !strings.Contains(page, `<option value="started" selected>已开工</option>`) {
		t.Error("the reported stage is not selected")
	}
	// Sending the page back unchanged adds nothing.
	form := url.Values{"csrf": {csrf}, "period": {"2026-03"}, "value.11.1": {"0.34"}, "note.11.1": {"一季度基础设施投资0.34亿元。"}, "problems.11.1": {"春节影响开工。"}, "plans.11.1": {"加快项目前期。"}}
	resp, page = b.post("/report", form)
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, `id="notice"`) || len(r.history("11.1")) != 1 {
		t.Fatalf("resending the same values: %s, %d revisions", resp.Status, len(r.history("11.1")))
	}
	// A department corrects its own report without a reason: revision 2.
	form.Set("value.11.1", "0.4")
	if resp, _ := b.post("/report", form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("correction: %s", resp.Status)
	}
	if h := r.history("11.1"); len(h) != 2 || *h[1].Value != 40000000 || h[1].Revision != 2 {
		t.Fatalf("after the correction %+v", h)
	}
}

// TestABadValueComesBackBesideItsField: nothing of the form is stored; every typed
// value is still there; each message stands beside its field, in Chinese.
func TestABadValueComesBackBesideItsField(t *testing.T) {
	r := newRig(t)
	b := r.signIn("fgw")
	csrf := b.csrf("/report")
	cases := map[string]struct {
		form   url.Values
		status int
		errs   map[string]string // field → part of its message
		kept   map[string]string // input → value still shown
	}{
		"words in a number, a percent above 100, a good value beside them": {
			url.Values{"value.11.1": {"三十亿"}, "value.4.1": {"5.8"}, "stage.9.1": {"started"}, "percent.9.1": {"120"}, "note.9.1": {"进展顺利"}},
			http.StatusBadRequest,
			map[string]string{"value.11.1": "“三十亿”不是数字", "percent.9.1": "0到100"},
			map[string]string{"value.11.1": "三十亿", "value.4.1": "5.8", "percent.9.1": "120"},
		},
		"a negative year-to-date sum": {
			url.Values{"value.11.1": {"-1"}, "value.4.1": {"5.8"}},
			http.StatusBadRequest,
			map[string]string{"value.11.1": "本年累计数不能为负数"},
			map[string]string{"value.11.1": "-1", "value.4.1": "5.8"},
		},
		"a note without a figure": {
			url.Values{"note.11.1": {"正在统计"}, "value.4.1": {"5.8"}},
			http.StatusBadRequest,
			map[string]string{"value.11.1": "请填写本期数值(单位:亿元)"},
			map[string]string{"value.4.1": "5.8"},
		},
		"a percent without a stage": {
			url.Values{"percent.9.1": {"30"}},
			http.StatusBadRequest,
			map[string]string{"stage.9.1": "请选择进度阶段"},
			map[string]string{"percent.9.1": "30"},
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			c.form.Set("csrf", csrf)
			c.form.Set("period", "2026-03")
			resp, page := b.post("/report", c.form)
			if resp.StatusCode != c.status {
				t.Fatalf("%s, want %d:\n%s", resp.Status, c.status, page)
			}
			r.nothingStored("11.1", "4.1", "9.1")
			for f, want := range c.errs {
				if got := errorOf(page, f); !strings.Contains(got, want) {
					t.Errorf("beside %s: %q, want %q", f, got, want)
				}
				if !strings.Contains(page, `href="#`+f+`"`) {
					t.Errorf("the summary does not link to %s", f)
				}
			}
			for f, want := range c.kept {
				if got := field(t, page, f); got != want {
					t.Errorf("%s shows %q, want the typed %q", f, got, want)
				}
			}
			if !strings.Contains(page, `id="summary"`) || !strings.Contains(page, "没有保存任何数据") {
				t.Error("the page does not say nothing was stored")
			}
		})
	}
	// The typed notes and stage come back too.
	_, page := b.post("/report", url.Values{"csrf": {csrf}, "period": {"2026-03"}, "value.11.1": {"x"}, "stage.9.1": {"blocked"}, "problems.9.1": {"征地未完成"}})
	if !strings.Contains(page, `<option value="blocked" selected>`) || textarea(t, page, "problems.9.1") != "征地未完成" {
		t.Error("the typed stage or note was lost")
	}
}

func TestPeriodsTheFormCannotReport(t *testing.T) {
	r := newRig(t)
	b := r.signIn("fgw")
	_, page := b.get("/report?period=2026-04")
	if !strings.Contains(page, `id="not-over"`) {
		t.Error("April's page does not say April is not over")
	}
	csrf := b.csrf("/report")
	resp, page := b.post("/report", url.Values{"csrf": {csrf}, "period": {"2026-04"}, "value.11.1": {"40"}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "该报送期尚未结束") {
		t.Fatalf("April on April 5: %s\n%s", resp.Status, page)
	}
	// A quarterly indicator forged into February's form.
	resp, page = b.post("/report", url.Values{"csrf": {csrf}, "period": {"2026-02"}, "value.4.1": {"5"}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "该指标按季度报送") {
		t.Fatalf("4.1 for February: %s", resp.Status)
	}
	for _, bad := range []string{"2025-12", "March", "2026-13"} {
		if resp, _ := b.post("/report", url.Values{"csrf": {csrf}, "period": {bad}, "value.11.1": {"40"}}); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("period %q: %s", bad, resp.Status)
		}
	}
	r.nothingStored("11.1", "4.1")
}

func TestEmptyRowsAreSkippedAndAnEmptyFormStoresNothing(t *testing.T) {
	r := newRig(t)
	b := r.signIn("fgw")
	csrf := b.csrf("/report")
	resp, page := b.post("/report", url.Values{"csrf": {csrf}, "period": {"2026-03"}, "value.11.1": {""}, "note.11.1": {"  "}, "stage.9.1": {""}, "percent.9.1": {""}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "没有填写任何数据") {
		t.Fatalf("an empty form: %s", resp.Status)
	}
	resp, _ = b.post("/report", url.Values{"csrf": {csrf}, "period": {"2026-03"}, "value.11.1": {"31"}, "value.4.1": {""}, "stage.9.1": {""}, "note.9.1": {""}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("one row filled: %s", resp.Status)
	}
	r.nothingStored("4.1", "9.1")
	if h := r.history("11.1"); len(h) != 1 || *h[0].Value != 3.1e9 {
		t.Fatalf("11.1: %+v", h)
	}
}

// TestAFormSentTwiceStoresOnce: a double click sends the same rendering of the form
// twice; the second replays (its receipt says so) instead of adding revision 2.
func TestAFormSentTwiceStoresOnce(t *testing.T) {
	r := newRig(t)
	b := r.signIn("fgw")
	_, page := b.get("/report")
	nonce := field(t, page, "form")
	form := url.Values{"csrf": {csrfField.FindStringSubmatch(page)[1]}, "period": {"2026-03"}, "form": {nonce}, "value.11.1": {"31"}}
	for i := range 2 {
		if resp, _ := b.post("/report", form); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("send %d: %s", i+1, resp.Status)
		}
	}
	if h := r.history("11.1"); len(h) != 1 {
		t.Fatalf("%d revisions after a double submit", len(h))
	}
	if _, receipt := b.get("/report/receipt"); !strings.Contains(receipt, "重复提交") {
		t.Error("the second receipt does not say it was a repeat")
	}
	// The same rendering with another figure (back, edit, send) is a new revision.
	form.Set("value.11.1", "32")
	if resp, _ := b.post("/report", form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("edited resend: %s", resp.Status)
	}
	if h := r.history("11.1"); len(h) != 2 {
		t.Fatalf("%d revisions, want 2", len(h))
	}
}

func TestAYearToDateTotalBelowTheMonthBeforeIsStoredWithAWarning(t *testing.T) {
	r := newRig(t)
	f := 3.6e9
	if _, err := r.svc.Submit(context.Background(), collector.Principal{Department: "fgw"}, []indicators.Report{{Indicator: "11.1", Period: "2026-02", Value: &f}}, ""); err != nil {
		t.Fatal(err)
	}
	b := r.signIn("fgw")
	resp, _ := b.post("/report", url.Values{"csrf": {b.csrf("/report")}, "period": {"2026-03"}, "value.11.1": {"31"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("submit: %s", resp.Status)
	}
	_, receipt := b.get("/report/receipt")
	if !strings.Contains(receipt, "累计值低于上期:2026-03为31亿元,2026-02为36亿元") {
		t.Fatalf("no warning in the receipt:\n%s", receipt)
	}
}

func TestHistoryShowsEveryRevisionWithWhoWhenAndNotes(t *testing.T) {
	r := newRig(t)
	b := r.signIn("fgw")
	csrf := b.csrf("/report")
	b.post("/report", url.Values{"csrf": {csrf}, "period": {"2026-03"}, "value.11.1": {"31"}, "note.11.1": {"开工偏晚"}, "plans.11.1": {"加快"}})
	b.post("/report", url.Values{"csrf": {csrf}, "period": {"2026-03"}, "value.11.1": {"32"}, "note.11.1": {"统计口径调整"}})
	resp, page := b.get("/report/history?indicator=11.1")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("history: %s", resp.Status)
	}
	for _, want := range []string{`data-period="2026-03" data-revision="1"`, `data-period="2026-03" data-revision="2"`, "31亿元", "32亿元", "市发改委", "2026-04-05 09:00", "开工偏晚", "加快", "统计口径调整", `href="/report?period=2026-03#row-11.1"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the history lacks %q", want)
		}
	}
}

// TestAQuarterReportedAsAQuarterShowsInItsLastMonth: 4.1 sent through the API as 2026-Q1
// shows on March's page, and sending that page back adds no 2026-03 copy of it; a form
// naming only some rows reports only those.
func TestAQuarterReportedAsAQuarterShowsInItsLastMonth(t *testing.T) {
	r := newRig(t)
	g, inv := 5.8, 3.1e9
	if _, err := r.svc.Submit(context.Background(), collector.Principal{Department: "fgw"}, []indicators.Report{
		{Indicator: "4.1", Period: "2026-Q1", Value: &g}, {Indicator: "11.1", Period: "2026-03", Value: &inv},
	}, ""); err != nil {
		t.Fatal(err)
	}
	b := r.signIn("fgw")
	_, page := b.get("/report")
	if got := field(t, page, "value.4.1"); got != "5.8" {
		t.Fatalf("value.4.1 shows %q, want the Q1 report", got)
	}
	csrf := csrfField.FindStringSubmatch(page)[1]
	resp, _ := b.post("/report", url.Values{"csrf": {csrf}, "period": {"2026-03"}, "value.4.1": {"5.8"}, "value.11.1": {"31"}})
	if resp.StatusCode != http.StatusOK || len(r.history("4.1")) != 1 || len(r.history("11.1")) != 1 {
		t.Fatalf("the unchanged page: %s, 4.1 has %d revisions, 11.1 %d", resp.Status, len(r.history("4.1")), len(r.history("11.1")))
	}
	// Only 9.1 sent: 4.1 and 11.1, shown with their stored values, are not sent again.
	if resp, _ := b.post("/report", url.Values{"csrf": {csrf}, "period": {"2026-03"}, "stage.9.1": {"started"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("9.1 alone: %s", resp.Status)
	}
	if len(r.history("4.1")) != 1 || len(r.history("11.1")) != 1 || len(r.history("9.1")) != 1 {
		t.Fatal("rows the form did not send were reported")
	}
}
