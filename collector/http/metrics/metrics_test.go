package metrics_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"

	"github.com/duban-gov/duban/collector"
	"github.com/duban-gov/duban/collector/http/metrics"
	"github.com/duban-gov/duban/conventions"
	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

type report struct {
	indicator, period string
	value             float64
	stage             indicators.Stage
	received          string // YYYY-MM-DD in the plan zone
}

func newService(t testing.TB, cat *indicators.Catalog, now time.Time, reports []report) *collector.Service {
	t.Helper()
	return newPlanServices(t, now, plan{cat, reports})[0]
}

// plan is one catalog served and the reports it holds.
type plan struct {
	cat     *indicators.Catalog
	reports []report
}

// newPlanServices stores the reports of every plan in one store and returns one
// service per plan over it, as duban serve builds them.
func newPlanServices(t testing.TB, now time.Time, plans ...plan) []*collector.Service {
	t.Helper()
	st := testenv.Store(t)
	for _, p := range plans {
		if _, err := st.Append(context.Background(), revisions(t, p.cat, p.reports)); err != nil {
			t.Fatal(err)
		}
	}
	var svcs []*collector.Service
	for _, p := range plans {
		svc, err := collector.NewService(context.Background(), collector.ServiceConfig{
			Catalog: p.cat, Store: st, Now: func() time.Time { return now },
		})
		if err != nil {
			t.Fatal(err)
		}
		svcs = append(svcs, svc)
	}
	return svcs
}

func revisions(t testing.TB, cat *indicators.Catalog, reports []report) []indicators.Revision {
	t.Helper()
	loc := cat.Plan.Location()
	var batch []indicators.Revision
	for _, r := range reports {
		p, err := indicators.ParsePeriod(r.period)
		if err != nil {
			t.Fatal(err)
		}
		e, ok := cat.Lookup(r.indicator)
		if !ok {
			t.Fatalf("no indicator %s", r.indicator)
		}
		recv, err := time.ParseInLocation("2006-01-02", r.received, loc)
		if err != nil {
			t.Fatal(err)
		}
		rep := indicators.Report{Plan: cat.Plan.ID, Indicator: r.indicator, Period: p.String()}
		if e.Target.Measure == indicators.Milestone {
			pct := r.value
			rep.Stage, rep.Percent = r.stage, &pct
		} else {
			v := r.value
			rep.Value = &v
		}
		batch = append(batch, indicators.Revision{
			Report: rep, Department: e.Task.Lead, Sender: e.Task.Lead,
			ReceivedAt: recv.Add(9 * time.Hour), PeriodEnd: p.End(loc),
		})
	}
	return batch
}

func miniCatalog(t testing.TB) *indicators.Catalog {
	t.Helper()
	cat, err := indicators.Load(filepath.Join(testenv.RepoRoot(), "indicators", "testdata", "mini.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// miniReports give the mini catalog a mix of states: jobs lagging, PM2.5 behind,
// sent late, GDP growth within tolerance, a milestone started, investment and
// good-air days without data.
var miniReports = []report{
	{indicator: "57.1", period: "2026-10", value: 30000, received: "2026-11-06"},
	{indicator: "57.1", period: "2026-09", value: 28000, received: "2026-10-08"},
	{indicator: "69.1", period: "2026-10", value: 33, received: "2026-11-12"}, // after the 10th: late
	{indicator: "4.1", period: "2026-Q3", value: 5.8, received: "2026-10-20"},
	{indicator: "56.1", period: "2026-Q3", value: 6.1, received: "2026-10-21"},
	{indicator: "9.1", period: "2026-05", value: 40, stage: indicators.StageStarted, received: "2026-06-03"},
}

func fixedNow(t testing.TB, cat *indicators.Catalog) time.Time {
	t.Helper()
	return time.Date(2026, 11, 29, 10, 0, 0, 0, cat.Plan.Location())
}

func TestExporterMatchesGolden(t *testing.T) {
	cases := map[string]struct {
		reports []report
		golden  string
	}{
		"the mini catalog with a mix of reports exposes every state": {reports: miniReports, golden: "mini.prom"},
		"the mini catalog without reports exposes no values":         {reports: nil, golden: "mini-empty.prom"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			cat := miniCatalog(t)
			svc := newService(t, cat, fixedNow(t, cat), tc.reports)
			e, err := metrics.New(metrics.Config{Source: svc, Version: "test", Revision: "abc", BuildDate: "2026-11-30T10:10:10Z"})
			if err != nil {
				t.Fatal(err)
			}
			got := expose(t, metrics.Reference(e))
			// The Go version label changes with the toolchain; keep the golden stable.
			got = bytes.ReplaceAll(got, []byte(`goversion="`+goVersion()+`"`), []byte(`goversion="GO"`))
			path := filepath.Join("testdata", tc.golden)
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			wantText := bytes.ReplaceAll(want, []byte(`goversion="GO"`), []byte(`goversion="`+goVersion()+`"`))
			if err := testutil.CollectAndCompare(metrics.Reference(e), bytes.NewReader(wantText)); err != nil {
				t.Errorf("exposition differs from %s (run go test -update after checking): %v", path, err)
			}
		})
	}
}

func TestExporterLintsClean(t *testing.T) {
	cat := miniCatalog(t)
	svc := newService(t, cat, fixedNow(t, cat), miniReports)
	e, err := metrics.New(metrics.Config{Source: svc})
	if err != nil {
		t.Fatal(err)
	}
	problems, err := testutil.CollectAndLint(metrics.Reference(e))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint %s: %s", p.Metric, p.Text)
	}
}

func TestExporterSeriesPerIndicator(t *testing.T) {
	cases := map[string]struct {
		id      string
		reports []report
		want    int
	}{
		"a growth approx indicator with a value costs all but a completion ratio": {
			id: "4.1", reports: []report{{indicator: "4.1", period: "2026-Q3", value: 5.8, received: "2026-10-06"}},
			want: metrics.SeriesPerIndicator - 1, // a growth rate has no completion ratio
		},
		"a cumulative indicator with a value has no tolerance": {
			id: "57.1", reports: []report{{indicator: "57.1", period: "2026-10", value: 30000, received: "2026-11-06"}},
			want: metrics.SeriesPerIndicator - 1,
		},
		"a level with a value has a progress but no tolerance": {
			id: "69.2", reports: []report{{indicator: "69.2", period: "2026-10", value: 80, received: "2026-11-06"}},
			want: metrics.SeriesPerIndicator - 1,
		},
		"an indicator without data costs no value series": {id: "57.1", want: metrics.SeriesPerIndicator - 6},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			cat := miniCatalog(t)
			svc := newService(t, cat, fixedNow(t, cat), tc.reports)
			e, err := metrics.New(metrics.Config{Source: svc})
			if err != nil {
				t.Fatal(err)
			}
			got := countSeries(t, metrics.Reference(e), tc.id)
			if got != tc.want {
				t.Errorf("%s costs %d series, want %d", tc.id, got, tc.want)
			}
		})
	}
}

// countSeries counts the series carrying indicator="id".
func countSeries(t testing.TB, c prometheus.Collector, id string) int {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == conventions.LabelIndicator && l.GetValue() == id {
					n++
				}
			}
		}
	}
	return n
}

// TestHandlerAddsGoAndProcessMetrics: /metrics serves the Go and process collectors and
// the store's own beside duban's families.
func TestHandlerAddsGoAndProcessMetrics(t *testing.T) {
	cat := miniCatalog(t)
	svc := newService(t, cat, fixedNow(t, cat), miniReports)
	extra := prometheus.NewGauge(prometheus.GaugeOpts{Name: "duban_test_store_gauge", Help: "A store's own metric."})
	h, err := metrics.Handler(metrics.Config{Source: svc, Collectors: []prometheus.Collector{extra}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := scrape(t, h, "")
	for _, want := range []string{"go_goroutines", "process_start_time_seconds", "duban_test_store_gauge", conventions.MetricBuildInfo, conventions.MetricStatus, conventions.MetricDeptMissing} {
		if want == "process_start_time_seconds" && !processMetricsSupported() {
			continue
		}
		if !bytes.Contains(body, []byte("# TYPE "+want+" ")) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

func processMetricsSupported() bool {
	_, err := os.Stat("/proc/self/stat")
	return err == nil
}

func BenchmarkCollect(b *testing.B) {
	for _, n := range []int{177, 10000} {
		b.Run(fmt.Sprintf("indicators=%d", n), func(b *testing.B) {
			cat := syntheticCatalog(n)
			now := time.Date(2026, 11, 29, 10, 0, 0, 0, cat.Plan.Location())
			var reps []report
			for i, id := range cat.TargetIDs() {
				if i%4 == 3 {
					continue // a quarter without data
				}
				reps = append(reps, report{indicator: id, period: "2026-10", value: float64(500 + i%3000), received: "2026-11-06"})
			}
			svc := newService(b, cat, now, reps)
			reg := prometheus.NewRegistry()
			e, err := metrics.New(metrics.Config{Source: svc})
			if err != nil {
				b.Fatal(err)
			}
			reg.MustRegister(metrics.Reference(e))
			var buf bytes.Buffer
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				buf.Reset()
				mfs, err := reg.Gather()
				if err != nil {
					b.Fatal(err)
				}
				enc := expfmt.NewEncoder(&buf, expfmt.NewFormat(expfmt.TypeTextPlain))
				for _, mf := range mfs {
					if err := enc.Encode(mf); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(buf.Len()), "bytes/scrape")
			b.ReportMetric(float64(strings.Count(buf.String(), "\n")-2*len(mustGather(b, reg))), "series")
		})
	}
}

func mustGather(b *testing.B, g prometheus.Gatherer) []string {
	mfs, err := g.Gather()
	if err != nil {
		b.Fatal(err)
	}
	out := make([]string, len(mfs))
	for i, mf := range mfs {
		out[i] = mf.GetName()
	}
	return out
}

// syntheticCatalog builds n cumulative indicators, 200 per department.
func syntheticCatalog(n int) *indicators.Catalog {
	c := &indicators.Catalog{Plan: indicators.Plan{ID: "synthetic", Title: "合成目标清单", Year: 2026, TimeZone: "Asia/Shanghai"}}
	for i := 0; i < n; i++ {
		d := fmt.Sprintf("d%04d", i/200)
		if i%200 == 0 {
			c.Departments = append(c.Departments, indicators.Department{ID: d, Name: fmt.Sprintf("第%d部门", i/200)})
		}
		c.Tasks = append(c.Tasks, indicators.Task{Num: i + 1, Lead: d, Text: "合成任务", Targets: []indicators.Target{{
			ID: fmt.Sprintf("%d.1", i+1), Metric: fmt.Sprintf("合成指标%d", i+1), Measure: indicators.Cumulative,
			Comparator: indicators.GE, Value: float64(1000 + i%5000), Unit: "人", Due: "2026-12-31",
		}}})
	}
	c.Build()
	return c
}

func goVersion() string { return runtime.Version() }

// expose gathers c on a pedantic registry and encodes it in the text format.
func expose(t testing.TB, c prometheus.Collector) []byte {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	enc := expfmt.NewEncoder(&buf, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

func TestHandlerServesTheExposition(t *testing.T) {
	cat := miniCatalog(t)
	svc := newService(t, cat, fixedNow(t, cat), miniReports)
	h, err := metrics.Handler(metrics.Config{Source: svc})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics: %d", rec.Code)
	}
	body := rec.Body.String()
	for _, want := range []string{`duban_indicator_status{department="rsj",indicator="57.1",plan="mini-2026",status="lagging"} 1`, "go_goroutines", conventions.MetricBuildInfo} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// TestShippedCatalogStaysWithinTheSeriesBudget exposes the shipped catalog with no
// reports and checks the documented cost: at most SeriesPerIndicator per indicator,
// plus 3 gauges and the report counters per department.
func TestShippedCatalogStaysWithinTheSeriesBudget(t *testing.T) {
	cat, err := indicators.Load(filepath.Join(testenv.RepoRoot(), "indicators", "catalogs", "changzhi-2026.yaml"))
	if err != nil {
		t.Skipf("shipped catalog not available: %v", err)
	}
	svc := newService(t, cat, time.Date(2026, 11, 29, 10, 0, 0, 0, cat.Plan.Location()), nil)
	e, err := metrics.New(metrics.Config{Source: svc})
	if err != nil {
		t.Fatal(err)
	}
	n := testutil.CollectAndCount(metrics.Reference(e))
	counters := len(svc.ReceivedCounts())
	budget := metrics.SeriesPerIndicator*len(cat.TargetIDs()) + 3*len(cat.LeadDepartments()) + counters + 1 + 2 // build info, plan info and order
	t.Logf("%d indicators, %d lead departments: %d series (budget %d; %d report counters)", len(cat.TargetIDs()), len(cat.LeadDepartments()), n, budget, counters)
	if n > budget {
		t.Errorf("%d series exceed the budget of %d", n, budget)
	}
}
