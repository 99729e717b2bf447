package board_test

import (
	"fmt"
	"github.com/duban-gov/duban/collector"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/duban-gov/duban/collector/http/board"
	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/indicators/evaluate"
)

// synthetic is a Source over a generated catalog: depts × perDept cumulative targets,
// each with monthly reports January to October.
type synthetic struct {
	cat    *indicators.Catalog
	series map[string][]indicators.Revision
	now    time.Time
}

func (s *synthetic) Catalog() *indicators.Catalog           { return s.cat }
func (s *synthetic) EvalConfig() evaluate.Config            { return evaluate.Config{} }
func (s *synthetic) Series(id string) []indicators.Revision { return s.series[id] }
func (s *synthetic) Now() time.Time                         { return s.now }
func (s *synthetic) Closure() (collector.Closure, bool)     { return collector.Closure{}, false }
func (s *synthetic) Evaluate(now time.Time) []evaluate.Result {
	return evaluate.All(evaluate.Config{}, s.cat, s.Series, now)
}

func newSynthetic(depts, perDept int) *synthetic {
	cat := &indicators.Catalog{Plan: indicators.Plan{ID: "bench", Title: "基准测试清单", Year: 2026, TimeZone: "Asia/Shanghai"}}
	loc := cat.Plan.Location()
	s := &synthetic{cat: cat, series: map[string][]indicators.Revision{}, now: time.Date(2026, 11, 15, 10, 0, 0, 0, loc)}
	n := 0
	for d := 0; d < depts; d++ {
		id := fmt.Sprintf("d%03d", d)
		cat.Departments = append(cat.Departments, indicators.Department{ID: id, Name: fmt.Sprintf("第%d部门", d)})
		for k := 0; k < perDept; k++ {
			n++
			tid := fmt.Sprintf("%d.1", n)
			cat.Tasks = append(cat.Tasks, indicators.Task{Num: n, Lead: id, Text: "完成任务", Targets: []indicators.Target{{
				ID: tid, Metric: "指标", Measure: indicators.Cumulative, Comparator: indicators.GE, Value: 1200, Unit: "个", Due: "2026-12-31"}}})
			for m := 1; m <= 10; m++ {
				v := float64(m*100 + n%50)
				p := indicators.Period{Kind: indicators.PeriodMonth, Year: 2026, Month: time.Month(m), Day: 28}
				s.series[tid] = append(s.series[tid], indicators.Revision{
					Report:   indicators.Report{Indicator: tid, Period: fmt.Sprintf("2026-%02d", m), Value: &v, Note: "进展顺利"},
					Revision: 1, Department: id, Sender: id,
					ReceivedAt: time.Date(2026, time.Month(m)+1, 5, 9, 0, 0, 0, loc), PeriodEnd: p.End(loc),
				})
			}
		}
	}
	cat.Build()
	return s
}

// BenchmarkBoardPage renders the whole board (no filter) for a city-sized catalog and a
// province-sized one (which collapses to department links), and one department of it.
func BenchmarkBoardPage(b *testing.B) {
	for _, bc := range []struct {
		name           string
		depts, perDept int
		url            string
	}{
		{"city_200_indicators", 40, 5, "/"},
		{"province_30000_indicators", 300, 100, "/"},
		{"province_one_department", 300, 100, "/?department=d007"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			src := newSynthetic(bc.depts, bc.perDept)
			h, err := board.New(board.Config{Source: src})
			if err != nil {
				b.Fatal(err)
			}
			var size int
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, bc.url, nil))
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d", rec.Code)
				}
				size = rec.Body.Len()
			}
			b.ReportMetric(float64(size), "bytes/page")
		})
	}
}
