package board_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/duban-gov/duban/collector"
	"github.com/duban-gov/duban/collector/http/board"
	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/internal/testenv"
	"github.com/duban-gov/duban/present"
)

// now: April 5th 2026 in Changzhi — March reports are due by April 10th.
var now = time.Date(2026, 4, 5, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))

func service(t *testing.T) *collector.Service {
	t.Helper()
	cat, err := indicators.Load(filepath.Join(testenv.RepoRoot(), "indicators", "testdata", "mini.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return serviceFor(t, cat)
}

// followUpService is service with 99.1 (吴家庄水库开工) turned into a task follow-up, as
// the import makes for a task without a published figure.
func followUpService(t *testing.T) *collector.Service {
	t.Helper()
	cat, err := indicators.Load(filepath.Join(testenv.RepoRoot(), "indicators", "testdata", "mini.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	e, ok := cat.Lookup("99.1")
	if !ok {
		t.Fatal("mini.yaml lacks 99.1")
	}
	e.Target.Kind = indicators.KindTask
	return serviceFor(t, cat)
}

func serviceFor(t *testing.T, cat *indicators.Catalog) *collector.Service {
	t.Helper()
	ctx := context.Background()
	st := testenv.Store(t)
	clock := now.Add(-30 * 24 * time.Hour) // February reports arrive in early March
	svc, err := collector.NewService(ctx, collector.ServiceConfig{Catalog: cat, Store: st, Now: func() time.Time { return clock }})
	if err != nil {
		t.Fatal(err)
	}
	f := func(v float64) *float64 { return &v }
	admin := collector.Principal{Admin: true}
	if _, err := svc.Submit(ctx, admin, []indicators.Report{
		{Indicator: "57.1", Period: "2026-02", Value: f(5000)},
		{Indicator: "11.1", Period: "2026-02", Value: f(3.6e9)},
	}, "test"); err != nil {
		t.Fatal(err)
	}
	clock = now
	if _, err := svc.Submit(ctx, admin, []indicators.Report{
		{Indicator: "57.1", Period: "2026-03", Value: f(11800), Note: "进展情况:一季度新增城镇就业1.18万人。<b>存在问题</b>"},
		{Indicator: "11.1", Period: "2026-03", Value: f(3.1e9), Note: "受春节影响,开工偏晚。"},
		{Indicator: "69.1", Period: "2026-03", Value: f(41)},
		{Indicator: "9.1", Period: "2026-03", Stage: indicators.StageStarted, Percent: f(20)},
	}, "test"); err != nil {
		t.Fatal(err)
	}
	return svc
}

func get(t *testing.T, h http.Handler, url string, header ...string) (int, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, url, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	body, _ := io.ReadAll(rec.Body)
	return rec.Code, string(body)
}

// row returns the table row of one indicator.
func row(t *testing.T, html, id string) string {
	t.Helper()
	re := regexp.MustCompile(`(?s)<tr class="indicator" id="ind-` + regexp.QuoteMeta(id) + `".*?</tr>`)
	m := re.FindString(html)
	if m == "" {
		t.Fatalf("no row for indicator %s", id)
	}
	return m
}

func TestBoardShowsEveryTaskWithValuesStatusesAndNotes(t *testing.T) {
	svc := service(t)
	b, err := board.New(board.Config{Source: svc})
	if err != nil {
		t.Fatal(err)
	}
	code, html := get(t, b, "/")
	if code != http.StatusOK {
		t.Fatalf("status %d: %s", code, html)
	}
	for _, task := range svc.Catalog().Tasks {
		if !strings.Contains(html, `id="task-`+itoa(task.Num)+`"`) {
			t.Errorf("task %d missing", task.Num)
		}
	}
	cases := map[string]struct {
		id    string
		wants []string
	}{
		"jobs show the value, the note escaped, and a trend with its target line": {"57.1", []string{"11800人", "2026-03", "一季度新增城镇就业1.18万人", "&lt;b&gt;存在问题&lt;/b&gt;", `class="target"`, `<polyline class="values"`}},
		"investment shows the display unit":                                       {"11.1", []string{"31亿元", "350亿元以上", "受春节影响"}},
		"a year-to-date total below the month before is flagged next to it":       {"11.1", []string{`class="warn"`, "累计值低于上期:2026-03为31亿元,2026-02为36亿元,请核实"}},
		"a milestone reached shows its stage, not a percent":                      {"9.1", []string{`value">已开工<div class="period">2026-03`}},
		"an expected count has no decimals":                                       {"57.1", []string{">10603人<", ">&#43;1197人<"}},
		"a relative target reads the notice's words":                              {"56.1", []string{"目标:与经济增长同步"}},
		"an unreported level is no_data":                                          {"69.2", []string{`data-status="no_data"`, "暂无数据"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r := row(t, html, tc.id)
			for _, w := range tc.wants {
				if !strings.Contains(r, w) {
					t.Errorf("row %s lacks %q:\n%s", tc.id, w, r)
				}
			}
		})
	}
	if r := row(t, html, "57.1"); strings.Contains(r, `class="warn"`) {
		t.Errorf("a rising total is flagged:\n%s", r)
	}
	// Every status on the page matches the evaluation.
	for _, r := range svc.Evaluate(now) {
		if !strings.Contains(row(t, html, r.Indicator), `data-status="`+string(r.Status)+`"`) {
			t.Errorf("indicator %s: board status differs from evaluation %s", r.Indicator, r.Status)
		}
	}
	if !strings.Contains(html, `id="task-140"`) || !strings.Contains(html, "未量化") {
		t.Error("the task without a quantified target is not shown as such")
	}
	if !strings.Contains(html, "2026年3月报送情况") || !strings.Contains(html, "4月10日截止") {
		t.Errorf("completeness of March is missing")
	}
	if strings.Contains(html, "<script") {
		t.Error("the board must work without JavaScript")
	}
}

// TestBoardStatusColoursComeFromPresent: the board's traffic lights take the colours of
// package present, served as /static/status.css next to board.css (the page's CSP allows
// no inline style).
func TestBoardStatusColoursComeFromPresent(t *testing.T) {
	b, err := board.New(board.Config{Source: service(t)})
	if err != nil {
		t.Fatal(err)
	}
	code, css := get(t, b, "/static/status.css")
	if code != http.StatusOK {
		t.Fatalf("status.css: %d", code)
	}
	for _, v := range present.Views() {
		want := ".s-" + string(v.Status) + ".light, .badge.s-" + string(v.Status) + " { background: " + v.Color + "; }"
		if !strings.Contains(css, want) {
			t.Errorf("status.css lacks %q:\n%s", want, css)
		}
	}
	if _, html := get(t, b, "/"); !strings.Contains(html, `href="/static/status.css"`) {
		t.Error("the page does not load status.css")
	}
	_, own := get(t, b, "/static/board.css")
	if strings.Contains(own, ".s-on_track") {
		t.Error("board.css still colours statuses itself")
	}
}

func TestBoardTagsTaskFollowUps(t *testing.T) {
	b, err := board.New(board.Config{Source: followUpService(t)})
	if err != nil {
		t.Fatal(err)
	}
	code, html := get(t, b, "/")
	if code != http.StatusOK {
		t.Fatalf("status %d: %s", code, html)
	}
	cases := map[string]struct {
		id            string
		wants, absent []string
	}{
		"a follow-up is tagged 任务推进 instead of a target": {"99.1", []string{`class="tag followup"`, "任务推进", "年底前开工"}, []string{"目标:"}},
		"a published milestone keeps its target":         {"9.1", []string{"目标:"}, []string{"任务推进"}},
		"a published figure keeps its target":            {"57.1", []string{"目标:"}, []string{"任务推进"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r := row(t, html, tc.id)
			for _, w := range tc.wants {
				if !strings.Contains(r, w) {
					t.Errorf("row %s lacks %q:\n%s", tc.id, w, r)
				}
			}
			for _, w := range tc.absent {
				if strings.Contains(r, w) {
					t.Errorf("row %s has %q:\n%s", tc.id, w, r)
				}
			}
		})
	}
	if !strings.Contains(html, "8 项目标(公布目标 7 项,任务推进 1 项)") {
		t.Errorf("the header does not count follow-ups apart: %s", html[:min(len(html), 1200)])
	}
	// Without follow-ups the header only counts targets.
	_, plain := get(t, mustBoard(t, service(t)), "/")
	if strings.Contains(plain, "任务推进") || !strings.Contains(plain, "8 项目标 ·") {
		t.Errorf("a catalog without follow-ups mentions them or lacks the count")
	}
}

func mustBoard(t *testing.T, svc *collector.Service) *board.Board {
	t.Helper()
	b, err := board.New(board.Config{Source: svc})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestBoardFilters(t *testing.T) {
	svc := service(t)
	b, err := board.New(board.Config{Source: svc})
	if err != nil {
		t.Fatal(err)
	}
	var lagging []string
	for _, r := range svc.Evaluate(now) {
		if r.Status == "no_data" {
			lagging = append(lagging, r.Indicator)
		}
	}
	cases := map[string]struct {
		url    string
		code   int
		has    []string
		hasNot []string
	}{
		"by department shows only its tasks":       {"/?department=rsj", 200, []string{`id="ind-57.1"`, `id="ind-56.1"`}, []string{`id="ind-11.1"`, `id="task-99"`}},
		"by status shows only matching indicators": {"/?status=no_data", 200, []string{`id="ind-69.2"`}, []string{`id="ind-57.1"`}},
		"both filters combine":                     {"/?department=sthjj&status=no_data", 200, []string{`id="ind-69.2"`}, []string{`id="ind-69.1"`, `id="ind-57.1"`}},
		"unquantified tasks":                       {"/?status=unquantified", 200, []string{`id="task-140"`}, []string{`id="ind-57.1"`}},
		"an unknown department is a 400":           {"/?department=nope", 400, nil, nil},
		"an unknown status is a 400":               {"/?status=green", 400, nil, nil},
		"the stylesheet is embedded":               {"/static/board.css", 200, []string{".light"}, nil},
		"other paths are 404":                      {"/nope", 404, nil, nil},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			code, body := get(t, b, tc.url)
			if code != tc.code {
				t.Fatalf("status %d, want %d", code, tc.code)
			}
			for _, s := range tc.has {
				if !strings.Contains(body, s) {
					t.Errorf("lacks %s", s)
				}
			}
			for _, s := range tc.hasNot {
				if strings.Contains(body, s) {
					t.Errorf("has %s", s)
				}
			}
		})
	}
	if len(lagging) == 0 {
		t.Fatal("fixture has no no_data indicator")
	}
}

// TestBoardSaysWhichPathsCarryNoData: only the stylesheet and the favicon stay open when
// reads need a token (the router asks Public; the token itself is checked there, see
// collector/http/api TestReadAccess).
func TestBoardSaysWhichPathsCarryNoData(t *testing.T) {
	b, err := board.New(board.Config{Source: service(t)})
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		path   string
		public bool
	}{
		"the stylesheet":             {"/static/board.css", true},
		"the status colours":         {"/static/status.css", true},
		"the favicon":                {"/favicon.ico", true},
		"the board":                  {"/", false},
		"another static path":        {"/static/../", false},
		"a page that does not exist": {"/x", false},
		"the stylesheet's directory": {"/static/", false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := b.Public(tc.path); got != tc.public {
				t.Errorf("Public(%q) = %v, want %v", tc.path, got, tc.public)
			}
		})
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestBoardCollapsesToDepartmentsBeyondMaxRows(t *testing.T) {
	svc := service(t)
	b, err := board.New(board.Config{Source: svc, MaxRows: 3})
	if err != nil {
		t.Fatal(err)
	}
	_, all := get(t, b, "/")
	if strings.Contains(all, `class="indicator"`) || !strings.Contains(all, `id="departments"`) || !strings.Contains(all, `href="/?department=rsj"`) {
		t.Errorf("8 rows over a limit of 3 must collapse to department links")
	}
	_, rsj := get(t, b, "/?department=rsj")
	if !strings.Contains(rsj, `id="ind-57.1"`) || strings.Contains(rsj, `id="departments"`) {
		t.Errorf("one department (2 rows) must show its rows")
	}
}
