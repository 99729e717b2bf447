package evaluate_test

import (
	"fmt"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/indicators/evaluate"
)

// synthetic builds a catalog of n targets (a mix of every measure, comparator, cadence and
// relative targets, 100 departments) with a year-to-date report for each of the 12 months
// of 2026 (quarterly ones: 4 quarters).
func synthetic(n int) (*indicators.Catalog, map[string][]indicators.Revision) {
	cat := &indicators.Catalog{Plan: plan}
	for d := range 100 {
		cat.Departments = append(cat.Departments, indicators.Department{ID: fmt.Sprintf("d%03d", d), Name: fmt.Sprintf("部门%d", d)})
	}
	series := make(map[string][]indicators.Revision, n)
	profile := &indicators.Trajectory{Kind: "profile", Monthly: []float64{0.05, 0.1, 0.18, 0.27, 0.36, 0.46, 0.56, 0.66, 0.76, 0.86, 0.93, 1}}
	for i := range n {
		id := fmt.Sprintf("%d.1", i+1)
		t := indicators.Target{ID: id, Metric: "指标", Due: "2026-12-31", Value: 100}
		switch i % 8 {
		case 0:
			t.Measure, t.Comparator = indicators.Cumulative, indicators.GE
		case 1:
			t.Measure, t.Comparator, t.Trajectory = indicators.Cumulative, indicators.GE, profile
		case 2:
			t.Measure, t.Comparator, t.Value, t.Cadence = indicators.GrowthRate, indicators.Approx, 6, indicators.Quarterly
		case 3:
			t.Measure, t.Comparator, t.Value = indicators.Level, indicators.LE, 30
		case 4:
			t.Measure, t.Comparator, t.Value = indicators.Level, indicators.GE, 80
		case 5:
			t.Measure, t.Stage, t.Due = indicators.Milestone, indicators.StageStarted, "2026-06-30"
		case 6:
			t.Measure, t.Comparator, t.Value = indicators.GrowthRate, indicators.GE, 6
			t.Relative = &indicators.Relative{Indicator: fmt.Sprintf("%d.1", i-3), Comparator: indicators.GE}
		case 7:
			t.Measure, t.Comparator, t.Due = indicators.Cumulative, indicators.LE, "2026-09-30"
		}
		cat.Tasks = append(cat.Tasks, indicators.Task{Num: i + 1, Lead: cat.Departments[i%100].ID, Targets: []indicators.Target{t}})
		var revs []indicators.Revision
		for m := 1; m <= 12; m++ {
			period := fmt.Sprintf("2026-%02d", m)
			if t.Cadence == indicators.Quarterly {
				if m%3 != 0 {
					continue
				}
				period = fmt.Sprintf("2026-Q%d", m/3)
			}
			received := fmt.Sprintf("2026-%02d-05 09:00", m)
			if t.Measure == indicators.Milestone {
				revs = append(revs, stage(period, indicators.StagePlanned, float64(m*8), received))
				continue
			}
			revs = append(revs, rev(period, float64(m*8+i%7), received))
		}
		series[id] = revs
	}
	cat.Build()
	return cat, series
}

// benchSize is the synthetic catalog's size: 10,000 targets, or DUBAN_BENCH_INDICATORS
// (e.g. 100000 for the province-scale figure; needs ~1 GB of memory).
func benchSize(b *testing.B) int {
	if v := os.Getenv("DUBAN_BENCH_INDICATORS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			b.Fatalf("DUBAN_BENCH_INDICATORS=%q: want a positive integer", v)
		}
		return n
	}
	return 10_000
}

func BenchmarkAll(b *testing.B) {
	n := benchSize(b)
	cat, series := synthetic(n)
	fn := func(id string) []indicators.Revision { return series[id] }
	now := at("2026-12-20 12:00")
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime()
	for b.Loop() {
		if r := evaluate.All(evaluate.Config{}, cat, fn, now); len(r) != n {
			b.Fatalf("results = %d", len(r))
		}
	}
	report(b, n, cpuTime()-cpu)
}

func BenchmarkAppendAllReusingResults(b *testing.B) {
	n := benchSize(b)
	cat, series := synthetic(n)
	fn := func(id string) []indicators.Revision { return series[id] }
	now := at("2026-12-20 12:00")
	var buf []evaluate.Result
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime()
	for b.Loop() {
		if buf = evaluate.AppendAll(buf[:0], evaluate.Config{}, cat, fn, now); len(buf) != n {
			b.Fatalf("results = %d", len(buf))
		}
	}
	report(b, n, cpuTime()-cpu)
}

// report adds wall and CPU time per indicator: on a shared machine the CPU time (user +
// system of the whole process, GC workers included) is the steadier figure.
func report(b *testing.B, n int, cpu time.Duration) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/indicator")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N)/float64(n), "cpu-ns/indicator")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func BenchmarkCompleteness(b *testing.B) {
	n := benchSize(b)
	cat, series := synthetic(n)
	first := evaluate.SeriesFirstReceived(func(id string) []indicators.Revision { return series[id] })
	now := at("2026-12-20 12:00")
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime()
	for b.Loop() {
		if _, err := evaluate.CompletenessFunc(evaluate.Config{}, cat, first, "2026-11", now); err != nil {
			b.Fatal(err)
		}
	}
	report(b, n, cpuTime()-cpu)
}

func TestSyntheticCatalogEvaluatesEveryTarget(t *testing.T) {
	cat, series := synthetic(800)
	got := evaluate.All(evaluate.Config{}, cat, func(id string) []indicators.Revision { return series[id] }, at("2026-12-20 12:00"))
	seen := map[evaluate.Status]int{}
	for _, r := range got {
		seen[r.Status]++
		if r.Department == "" || r.Due.IsZero() {
			t.Fatalf("%s: department %q due %v", r.Indicator, r.Department, r.Due)
		}
	}
	if seen[evaluate.NoData] != 0 {
		t.Errorf("statuses %v: every synthetic target has data", seen)
	}
}
