package metrics_test

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/duban-gov/duban/collector/http/metrics"
	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/internal/testenv"
)

func shippedCatalog(t testing.TB) *indicators.Catalog {
	t.Helper()
	cat, err := indicators.Load(filepath.Join(testenv.RepoRoot(), "indicators", "catalogs", "changzhi-2026.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// reportsForAll gives every target of cat an October report (milestones: started, 40%).
func reportsForAll(cat *indicators.Catalog) []report {
	var out []report
	for i, id := range cat.TargetIDs() {
		e, _ := cat.Lookup(id)
		r := report{indicator: id, period: "2026-10", value: float64(1 + i*37%900), received: "2026-11-06"}
		if e.Target.Measure == indicators.Milestone {
			r.value, r.stage = 40, indicators.StageStarted
		}
		out = append(out, r)
	}
	return out
}

// scrape GETs /metrics from h with the given Accept-Encoding and returns the body,
// decompressed when the response says gzip.
func scrape(t testing.TB, h http.Handler, acceptEncoding string) (body []byte, resp *http.Response) {
	t.Helper()
	body, resp, err := get(h, acceptEncoding)
	if err != nil {
		t.Fatal(err)
	}
	return body, resp
}

// get is scrape without a testing.TB, for other goroutines.
func get(h http.Handler, acceptEncoding string) ([]byte, *http.Response, error) {
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	if acceptEncoding != "" {
		req.Header.Set("Accept-Encoding", acceptEncoding)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	resp := rec.Result()
	if resp.StatusCode != http.StatusOK {
		return nil, resp, fmt.Errorf("GET /metrics: %d %s", resp.StatusCode, rec.Body)
	}
	var r io.Reader = rec.Body
	if resp.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(rec.Body)
		if err != nil {
			return nil, resp, err
		}
		r = zr
	}
	body, err := io.ReadAll(r)
	return body, resp, err
}

// families parses a text exposition (failing on any format error, such as a family
// written twice) and renders the duban_ families as sorted lines: one for the family's
// type and help, one per series with its labels in name order and its value.
func families(t testing.TB, text []byte) []string {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(bytes.NewReader(text))
	if err != nil {
		t.Fatalf("parse exposition: %v", err)
	}
	return render(mfs)
}

func render(mfs map[string]*dto.MetricFamily) []string {
	var out []string
	for name, mf := range mfs {
		if !strings.HasPrefix(name, "duban_") {
			continue
		}
		out = append(out, fmt.Sprintf("%s %s %q", name, mf.GetType(), mf.GetHelp()))
		for _, m := range mf.GetMetric() {
			var ls []string
			for _, l := range m.GetLabel() {
				ls = append(ls, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			sort.Strings(ls)
			v := m.GetGauge().GetValue()
			if mf.GetType() == dto.MetricType_COUNTER {
				v = m.GetCounter().GetValue()
			}
			out = append(out, fmt.Sprintf("%s{%s} %v", name, strings.Join(ls, ","), v))
		}
	}
	sort.Strings(out)
	return out
}

// collected is what the prometheus.Collector exposes, through client_golang.
func collected(t testing.TB, c prometheus.Collector) []string {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]*dto.MetricFamily{}
	for _, mf := range mfs {
		m[mf.GetName()] = mf
	}
	return render(m)
}

func TestFastExpositionMatchesTheCollector(t *testing.T) {
	odd := func(t testing.TB) *indicators.Catalog {
		cat := miniCatalog(t)
		e, _ := cat.Lookup("57.1")
		e.Target.Metric = "城镇\"新增\"就业\\人数\n(含\t灵活就业)"
		return cat
	}
	cases := map[string]struct {
		catalog func(testing.TB) *indicators.Catalog
		reports func(*indicators.Catalog) []report
	}{
		"the mini catalog with a mix of reports":         {catalog: miniCatalog, reports: func(*indicators.Catalog) []report { return miniReports }},
		"the mini catalog without reports":               {catalog: miniCatalog, reports: func(*indicators.Catalog) []report { return nil }},
		"the shipped catalog with a report for each":     {catalog: shippedCatalog, reports: reportsForAll},
		"the shipped catalog without reports":            {catalog: shippedCatalog, reports: func(*indicators.Catalog) []report { return nil }},
		"label values with quotes, backslashes and tabs": {catalog: odd, reports: func(*indicators.Catalog) []report { return miniReports }},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			cat := tc.catalog(t)
			svc := newService(t, cat, fixedNow(t, cat), tc.reports(cat))
			cfg := metrics.Config{Source: svc, Version: "test", Revision: "abc"}
			e, err := metrics.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			h, err := metrics.Handler(cfg)
			if err != nil {
				t.Fatal(err)
			}
			want := collected(t, metrics.Reference(e))
			for _, enc := range []string{"", "gzip"} {
				body, resp := scrape(t, h, enc)
				if ct := resp.Header.Get("Content-Type"); ct != metrics.ContentType {
					t.Errorf("Content-Type %q, want %q", ct, metrics.ContentType)
				}
				if got := resp.Header.Get("Content-Encoding"); (got == "gzip") != (enc == "gzip") {
					t.Errorf("Accept-Encoding %q answered with Content-Encoding %q", enc, got)
				}
				got := families(t, body)
				if d := diff(want, got); d != "" {
					t.Errorf("Accept-Encoding %q: the handler and the Collector disagree:\n%s", enc, d)
				}
				if !bytes.Contains(body, []byte("\ngo_goroutines ")) {
					t.Errorf("Accept-Encoding %q: no Go metrics", enc)
				}
			}
		})
	}
}

// diff lists the lines only in want (-) or only in got (+), at most 20.
func diff(want, got []string) string {
	in := func(xs []string) map[string]bool {
		m := map[string]bool{}
		for _, x := range xs {
			m[x] = true
		}
		return m
	}
	w, g := in(want), in(got)
	var out []string
	for _, x := range want {
		if !g[x] {
			out = append(out, "- "+x)
		}
	}
	for _, x := range got {
		if !w[x] {
			out = append(out, "+ "+x)
		}
	}
	if len(want) != len(got) {
		out = append(out, fmt.Sprintf("(%d lines from the Collector, %d from the handler)", len(want), len(got)))
	}
	if len(out) > 20 {
		out = append(out[:20], "…")
	}
	return strings.Join(out, "\n")
}

func TestFastExpositionLintsClean(t *testing.T) {
	cat := shippedCatalog(t)
	svc := newService(t, cat, fixedNow(t, cat), reportsForAll(cat))
	h, err := metrics.Handler(metrics.Config{Source: svc})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := scrape(t, h, "")
	problems, err := promlint.New(bytes.NewReader(body)).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint %s: %s", p.Metric, p.Text)
	}
	promtool := testenv.NeedBinary(t, "promtool")
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = bytes.NewReader(body)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}

func TestHandlerAnswersOnlyGetAndHead(t *testing.T) {
	cat := miniCatalog(t)
	svc := newService(t, cat, fixedNow(t, cat), nil)
	h, err := metrics.Handler(metrics.Config{Source: svc})
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		method   string
		wantCode int
	}{
		"GET is served":         {method: http.MethodGet, wantCode: http.StatusOK},
		"HEAD is served":        {method: http.MethodHead, wantCode: http.StatusOK},
		"POST is not allowed":   {method: http.MethodPost, wantCode: http.StatusMethodNotAllowed},
		"DELETE is not allowed": {method: http.MethodDelete, wantCode: http.StatusMethodNotAllowed},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tc.method, "/metrics", nil))
			if rec.Code != tc.wantCode {
				t.Errorf("%s /metrics: %d, want %d", tc.method, rec.Code, tc.wantCode)
			}
		})
	}
}

func TestHandlerGzipNegotiation(t *testing.T) {
	cat := miniCatalog(t)
	svc := newService(t, cat, fixedNow(t, cat), nil)
	h, err := metrics.Handler(metrics.Config{Source: svc})
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		accept string
		gzip   bool
	}{
		"no Accept-Encoding is plain text":    {accept: "", gzip: false},
		"gzip is compressed":                  {accept: "gzip", gzip: true},
		"Prometheus' header is compressed":    {accept: "gzip, deflate, br", gzip: true},
		"gzip with q=0 is refused":            {accept: "gzip;q=0, identity", gzip: false},
		"GZIP in capitals is compressed":      {accept: "identity, GZIP;q=0.5", gzip: true},
		"only identity stays plain":           {accept: "identity", gzip: false},
		"x-gzip is not gzip for this handler": {accept: "x-gzip", gzip: false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			body, resp := scrape(t, h, tc.accept)
			if got := resp.Header.Get("Content-Encoding") == "gzip"; got != tc.gzip {
				t.Errorf("Accept-Encoding %q: gzip %v, want %v", tc.accept, got, tc.gzip)
			}
			if !bytes.Contains(body, []byte("duban_indicator_status{")) {
				t.Errorf("Accept-Encoding %q: body lacks the status family", tc.accept)
			}
		})
	}
}

// BenchmarkHandler measures a whole /metrics scrape through the fast handler (evaluation,
// exposition, Go and process metrics), uncompressed and gzipped.
func BenchmarkHandler(b *testing.B) {
	for _, n := range []int{177, 10000} {
		for _, enc := range []string{"identity", "gzip"} {
			b.Run(fmt.Sprintf("indicators=%d/encoding=%s", n, enc), func(b *testing.B) {
				cat := syntheticCatalog(n)
				now := time.Date(2026, 11, 29, 10, 0, 0, 0, cat.Plan.Location())
				var reps []report
				for i, id := range cat.TargetIDs() {
					if i%4 == 3 {
						continue
					}
					reps = append(reps, report{indicator: id, period: "2026-10", value: float64(500 + i%3000), received: "2026-11-06"})
				}
				svc := newService(b, cat, now, reps)
				h, err := metrics.Handler(metrics.Config{Source: svc})
				if err != nil {
					b.Fatal(err)
				}
				req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
				req.Header.Set("Accept-Encoding", enc)
				w := &countingWriter{h: http.Header{}}
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					w.n = 0
					h.ServeHTTP(w, req)
				}
				b.StopTimer()
				b.ReportMetric(float64(w.n), "bytes/scrape")
			})
		}
	}
}

type countingWriter struct {
	h http.Header
	n int
}

func (w *countingWriter) Header() http.Header         { return w.h }
func (w *countingWriter) WriteHeader(int)             {}
func (w *countingWriter) Write(p []byte) (int, error) { w.n += len(p); return len(p), nil }

// TestOverdueIsNextReportDueInThePast is why there is no report_overdue series: on every
// day of the plan year, with reports stopping at different months, an indicator's report
// is overdue exactly when its next report due instant has passed.
func TestOverdueIsNextReportDueInThePast(t *testing.T) {
	cat := shippedCatalog(t)
	loc := cat.Plan.Location()
	var reps []report
	for i, id := range cat.TargetIDs() {
		e, _ := cat.Lookup(id)
		last := i % 11 // 0: never reported; else reported up to month `last`
		for m := 1; m <= last; m++ {
			r := report{indicator: id, period: fmt.Sprintf("2026-%02d", m), value: float64(m * 10), received: fmt.Sprintf("2026-%02d-05", m+1)}
			if e.Target.Measure == indicators.Milestone {
				r.stage = indicators.StageStarted
			}
			reps = append(reps, r)
		}
	}
	checked, overdue := 0, 0
	for day := time.Date(2026, 1, 1, 12, 0, 0, 0, loc); day.Year() == 2026; day = day.AddDate(0, 0, 1) {
		var sent []report // what has arrived by day
		for _, r := range reps {
			if r.received < day.Format("2006-01-02") {
				sent = append(sent, r)
			}
		}
		svc := newService(t, cat, day, sent)
		for _, r := range svc.Evaluate(day) {
			past := !r.NextReportDue.IsZero() && !r.NextReportDue.After(day)
			if r.ReportOverdue != past {
				t.Fatalf("%s on %s: overdue %v, next report due %s", r.Indicator, day.Format("2006-01-02"), r.ReportOverdue, r.NextReportDue)
			}
			checked++
			if past {
				overdue++
			}
		}
	}
	if overdue == 0 || overdue == checked {
		t.Fatalf("%d of %d evaluations overdue: the fixture does not exercise both cases", overdue, checked)
	}
}

// TestConcurrentScrapesGetWholeExpositions scrapes from several goroutines at once (the
// handler pools its buffers and gzip writers and shares the label cache): every scrape
// parses and holds the same per-indicator series as a lone one.
func TestConcurrentScrapesGetWholeExpositions(t *testing.T) {
	cat := shippedCatalog(t)
	svc := newService(t, cat, fixedNow(t, cat), reportsForAll(cat))
	h, err := metrics.Handler(metrics.Config{Source: svc})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := scrape(t, h, "")
	want := indicatorLines(families(t, body))
	errs := make(chan string, 16)
	done := make(chan struct{})
	for g := 0; g < 8; g++ {
		go func(g int) {
			defer func() { done <- struct{}{} }()
			for i := 0; i < 5; i++ {
				enc := []string{"", "gzip"}[(g+i)%2]
				body, _, err := get(h, enc)
				if err != nil {
					errs <- fmt.Sprintf("scrape %d/%d (%q): %v", g, i, enc, err)
					return
				}
				p := expfmt.NewTextParser(model.UTF8Validation)
				mfs, err := p.TextToMetricFamilies(bytes.NewReader(body))
				if err != nil {
					errs <- fmt.Sprintf("scrape %d/%d (%q): %v", g, i, enc, err)
					return
				}
				if d := diff(want, indicatorLines(render(mfs))); d != "" {
					errs <- fmt.Sprintf("scrape %d/%d (%q) differs:\n%s", g, i, enc, d)
					return
				}
			}
		}(g)
	}
	for g := 0; g < 8; g++ {
		<-done
	}
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// indicatorLines keeps the per-indicator families (the counters change as reports come).
func indicatorLines(lines []string) []string {
	var out []string
	for _, l := range lines {
		if strings.HasPrefix(l, "duban_indicator_") {
			out = append(out, l)
		}
	}
	return out
}

// TestInfoCarriesTheDisplayUnitAndScale: both expositions label each indicator with the
// unit people read and its factor to the base unit, as a plain decimal; a target
// without them reads in its base unit with scale 1.
func TestInfoCarriesTheDisplayUnitAndScale(t *testing.T) {
	cat := miniCatalog(t)
	jobs, _ := cat.Lookup("57.1")
	jobs.Target.DisplayUnit, jobs.Target.DisplayScale = "万人", 1e4
	cases := map[string]struct{ id, unit, scale string }{
		"万人 is 10000 people":                     {"57.1", "万人", "10000"},
		"亿元 from the catalog is 100000000 yuan":  {"11.1", "亿元", "100000000"},
		"a percent without display unit reads %": {"4.1", "%", "1"},
		"a milestone reads in percent, scale 1":  {"9.1", "%", "1"},
	}
	svc := newService(t, cat, fixedNow(t, cat), nil)
	e, err := metrics.New(metrics.Config{Source: svc, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	var fast bytes.Buffer
	if err := e.WriteIndicators(&fast); err != nil {
		t.Fatal(err)
	}
	slow := string(expose(t, metrics.Reference(e)))
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			for path, text := range map[string]string{"fast": fast.String(), "collector": slow} {
				var line string
				for _, l := range strings.Split(text, "\n") {
					if strings.HasPrefix(l, "duban_indicator_info{") && strings.Contains(l, `indicator="`+c.id+`"`) {
						line = l
					}
				}
				want := `display_scale="` + c.scale + `",display_unit="` + c.unit + `"`
				if !strings.Contains(line, want) {
					t.Errorf("%s info of %s = %q, want %s", path, c.id, line, want)
				}
			}
		})
	}
}

// TestInfoTellsFollowUpsFromTargets: on the shipped catalog both paths label every task
// follow-up kind="task" and every published target kind="target".
func TestInfoTellsFollowUpsFromTargets(t *testing.T) {
	cat := shippedCatalog(t)
	want := map[string]int{}
	for _, e := range cat.Entries() {
		if e.Target.FollowUp() {
			want[`kind="task"`]++
		} else {
			want[`kind="target"`]++
		}
	}
	if want[`kind="task"`] == 0 || want[`kind="target"`] == 0 {
		t.Fatalf("the shipped catalog should have both kinds: %v", want)
	}
	svc := newService(t, cat, fixedNow(t, cat), nil)
	cfg := metrics.Config{Source: svc, Version: "test", Revision: "abc"}
	e, err := metrics.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h, err := metrics.Handler(cfg)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := scrape(t, h, "")
	paths := map[string][]string{"the Collector": collected(t, metrics.Reference(e)), "the fast handler": families(t, body)}
	for name, lines := range paths {
		got := map[string]int{}
		for _, l := range lines {
			if !strings.HasPrefix(l, "duban_indicator_info{") {
				continue
			}
			for k := range want {
				if strings.Contains(l, k) {
					got[k]++
				}
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: info series by kind %v, want %v", name, got, want)
		}
	}
}
