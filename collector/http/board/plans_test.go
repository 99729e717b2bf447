package board_test

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/duban-gov/duban/collector"
	"github.com/duban-gov/duban/collector/http/board"
	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/internal/testenv"
	"github.com/duban-gov/duban/internal/testplans"
)

// twoPlans is a board over mini-2026 (the default plan) and the sample 民生实事 list of
// year, on one store, with the test clock *clock.
func twoPlans(t *testing.T, year int, clock *time.Time) *board.Board {
	t.Helper()
	b, _ := twoPlansAndServices(t, year, clock)
	return b
}

// twoPlansAndServices is twoPlans with the services of both plans.
func twoPlansAndServices(t *testing.T, year int, clock *time.Time) (*board.Board, []*collector.Service) {
	t.Helper()
	ctx := context.Background()
	st := testenv.Store(t)
	now := func() time.Time { return *clock }
	var svcs []*collector.Service
	for _, path := range []string{filepath.Join(testenv.RepoRoot(), "indicators", "testdata", "mini.yaml"), testplans.WriteMinsheng(t, year)} {
		cat, err := indicators.Load(path)
		if err != nil {
			t.Fatal(err)
		}
		svc, err := collector.NewService(ctx, collector.ServiceConfig{Catalog: cat, Store: st, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		svcs = append(svcs, svc)
	}
	b, err := board.New(board.Config{Source: svcs[0], Plans: []board.Source{svcs[1]}})
	if err != nil {
		t.Fatal(err)
	}
	return b, svcs
}

// TestAClosedPlansBoardSaysSince: the board of a closed plan says since when and why,
// the other plan's does not, and a reopen takes it away.
func TestAClosedPlansBoardSaysSince(t *testing.T) {
	clock := time.Date(2027, 2, 10, 9, 0, 0, 0, time.UTC)
	b, svcs := twoPlansAndServices(t, 2027, &clock)
	admin := collector.Principal{Admin: true}
	if _, err := svcs[0].SetClosed(context.Background(), admin, true, "终期考核完成"); err != nil {
		t.Fatal(err)
	}
	if _, html := get(t, b, "/?plan=mini-2026"); !strings.Contains(html, `<span class="closed" id="closed">已于2027年2月10日关闭(终期考核完成)，只供查阅</span>`) {
		t.Errorf("the closed plan's board does not say so:\n%.1500s", html)
	}
	if _, html := get(t, b, "/?plan=minsheng-2027"); strings.Contains(html, `id="closed"`) {
		t.Error("the open plan's board reads as closed")
	}
	if _, err := svcs[0].SetClosed(context.Background(), admin, false, ""); err != nil {
		t.Fatal(err)
	}
	if _, html := get(t, b, "/?plan=mini-2026"); strings.Contains(html, `id="closed"`) {
		t.Error("the reopened plan's board still reads as closed")
	}
}

func TestTheBoardShowsTheCurrentYearsPlanByTheServersClock(t *testing.T) {
	for name, tc := range map[string]struct {
		year int       // of the second plan
		now  time.Time // the server's clock
		want string    // the plan shown by default
	}{
		"in 2026 the default plan, listed first of the two 2026 plans": {2026, time.Date(2026, 4, 5, 9, 0, 0, 0, time.UTC), "mini-2026"},
		"in 2027 the 2027 plan, listed second":                         {2027, time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC), "minsheng-2027"},
		"on New Year's Day in Changzhi, still Dec 31 in UTC":           {2027, time.Date(2026, 12, 31, 17, 0, 0, 0, time.UTC), "minsheng-2027"},
		"in 2028, no plan of the year: the latest past year's":         {2027, time.Date(2028, 2, 1, 9, 0, 0, 0, time.UTC), "minsheng-2027"},
		"in 2025, before every plan's year: the default plan":          {2027, time.Date(2025, 11, 1, 9, 0, 0, 0, time.UTC), "mini-2026"},
	} {
		t.Run(name, func(t *testing.T) {
			clock := tc.now
			b := twoPlans(t, tc.year, &clock)
			code, html := get(t, b, "/")
			if code != http.StatusOK {
				t.Fatalf("status %d: %s", code, html)
			}
			if !strings.Contains(html, `<p class="plan" id="plan" data-plan="`+tc.want+`">`) {
				t.Errorf("the board shows another plan than %s:\n%.1500s", tc.want, html)
			}
			if !strings.Contains(html, `data-plan="`+tc.want+`" aria-current="page"`) {
				t.Errorf("the selector does not mark %s as shown", tc.want)
			}
		})
	}
}

func TestTheBoardKeepsThePlanPicked(t *testing.T) {
	clock := time.Date(2026, 4, 5, 9, 0, 0, 0, time.UTC)
	b := twoPlans(t, 2027, &clock)
	code, html := get(t, b, "/?plan=minsheng-2027&status=no_data")
	if code != http.StatusOK {
		t.Fatalf("status %d: %s", code, html)
	}
	for _, want := range []string{
		"2027年市级民生实事项目清单", "2027年度", // the plan's title and year
		`id="ind-1.1"`, "新建改扩建公办幼儿园", // its indicators, not the default plan's
		`<input type="hidden" name="plan" value="minsheng-2027">`, // the filter form keeps it
		`href="/?plan=minsheng-2027&amp;status=on_track"`,         // and every filter link
		`href="/api/v1/plans/minsheng-2027/indicators"`,           // its API
		`href="/?plan=mini-2026"`,                                 // the selector leads to the other plan
	} {
		if !strings.Contains(html, want) {
			t.Errorf("the page of minsheng-2027 lacks %s", want)
		}
	}
	if strings.Contains(html, `id="ind-57.1"`) {
		t.Error("the page of minsheng-2027 shows the default plan's 57.1")
	}
	if code, html := get(t, b, "/?plan=mini-2026&department=fgw"); code != http.StatusOK || !strings.Contains(html, "2026年测试目标任务清单") || strings.Contains(html, "新建改扩建公办幼儿园") {
		t.Errorf("the page of mini-2026: %d, want its own title and indicators only", code)
	}
}

func TestAnUnknownPlanIsNotFound(t *testing.T) {
	clock := time.Date(2026, 4, 5, 9, 0, 0, 0, time.UTC)
	b := twoPlans(t, 2027, &clock)
	code, body := get(t, b, "/?plan=changzhi-2025")
	if code != http.StatusNotFound || !strings.Contains(body, "计划“changzhi-2025”不存在") || !strings.Contains(body, "mini-2026, minsheng-2027") {
		t.Errorf("GET /?plan=changzhi-2025: %d %s, want 404 naming the plans served", code, body)
	}
	// A board of one plan shows no selector and its links carry no plan.
	one, err := board.New(board.Config{Source: service(t)})
	if err != nil {
		t.Fatal(err)
	}
	_, html := get(t, one, "/")
	if strings.Contains(html, `id="plans"`) || strings.Contains(html, "?plan=") || strings.Contains(html, "&amp;plan=") || strings.Contains(html, `name="plan"`) {
		t.Error("a board of one plan shows a plan selector or carries the plan in its links")
	}
	if code, _ := get(t, one, "/?plan=nope"); code != http.StatusNotFound {
		t.Errorf("a board of one plan: ?plan=nope gave %d, want 404", code)
	}
}
