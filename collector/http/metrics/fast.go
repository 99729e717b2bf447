package metrics

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/common/expfmt"

	"github.com/duban-gov/duban/conventions"
	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/indicators/evaluate"
)

// The fast exposition. client_golang's Gather builds a dto object per series, sorts
// labels and series and hashes every series to reject duplicates: at 10,000 indicators
// (158,000 series) that is most of a scrape. The per-indicator families are therefore
// written straight from the evaluation into the text format (version 0.0.4), through the
// same gauge table as the Collector (TestFastExpositionMatchesTheCollector parses both
// and compares every family, series and value); the few other families (build info,
// department completeness, report counters, Go and process metrics, store metrics) still
// go through a registry and expfmt. Series are written in catalog order, which the text
// format allows; labels in name order as client_golang writes them.

// ContentType is the Content-Type of the /metrics handler's responses.
const ContentType = string(expfmt.FmtText)

// labelCache holds the escaped label texts of every indicator of one catalog: the
// labels are static, so a scrape only formats values.
type labelCache struct{ p atomic.Pointer[labelSet] }

type labelSet struct {
	cat *indicators.Catalog
	by  map[string]*indicatorLabels
}

type indicatorLabels struct {
	department string // the department label value the texts were built for
	ids        string // department="…",indicator="…",plan="…"
	info       string // the whole info sample line
}

func (c *labelCache) get(cat *indicators.Catalog) *labelSet {
	if s := c.p.Load(); s != nil && s.cat == cat {
		return s
	}
	s := &labelSet{cat: cat, by: make(map[string]*indicatorLabels, len(cat.TargetIDs()))}
	for _, id := range cat.TargetIDs() {
		entry, _ := cat.Lookup(id)
		r := evaluate.Result{Indicator: id, Department: entry.Task.Lead}
		s.by[id] = newIndicatorLabels(cat.Plan, &r, entry)
	}
	c.p.Store(s)
	return s
}

// of returns the label texts of r: the cached ones, or new ones when the result's
// department is not the catalog's lead department.
func (s *labelSet) of(r *evaluate.Result, entry indicators.Entry) *indicatorLabels {
	if l := s.by[r.Indicator]; l != nil && l.department == r.Department {
		return l
	}
	return newIndicatorLabels(s.cat.Plan, r, entry)
}

var infoLabelOrder = sortedIndex(infoLabelNames)

func newIndicatorLabels(plan indicators.Plan, r *evaluate.Result, entry indicators.Entry) *indicatorLabels {
	l := &indicatorLabels{department: r.Department}
	var b []byte
	b = appendLabel(b, conventions.LabelDepartment, r.Department)
	b = append(b, ',')
	b = appendLabel(b, conventions.LabelIndicator, r.Indicator)
	b = append(b, ',')
	b = appendLabel(b, conventions.LabelPlan, plan.ID)
	l.ids = string(b)

	vals := infoLabelValues(plan, r, entry)
	b = append(b[:0], conventions.MetricInfo...)
	b = append(b, '{')
	for k, i := range infoLabelOrder {
		if k > 0 {
			b = append(b, ',')
		}
		b = appendLabel(b, infoLabelNames[i], vals[i])
	}
	b = append(b, "} 1\n"...)
	l.info = string(b)
	return l
}

// sortedIndex returns the indexes of names in name order.
func sortedIndex(names []string) []int {
	idx := make([]int, len(names))
	for i := range idx {
		idx[i] = i
	}
	for i := 1; i < len(idx); i++ {
		for j := i; j > 0 && names[idx[j]] < names[idx[j-1]]; j-- {
			idx[j], idx[j-1] = idx[j-1], idx[j]
		}
	}
	return idx
}

// appendLabel appends name="value" with the value escaped as the text format requires
// (backslash, double quote and line feed).
func appendLabel(b []byte, name, value string) []byte {
	b = append(b, name...)
	b = append(b, '=', '"')
	for i := 0; i < len(value); i++ {
		switch c := value[i]; c {
		case '\\':
			b = append(b, '\\', '\\')
		case '"':
			b = append(b, '\\', '"')
		case '\n':
			b = append(b, '\\', 'n')
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

var helpEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`)

// appendHeader appends the HELP and TYPE lines of a gauge family (help escaped: backslash
// and line feed).
func appendHeader(b []byte, name, help string) []byte {
	b = append(b, "# HELP "...)
	b = append(b, name...)
	b = append(b, ' ')
	b = append(b, helpEscaper.Replace(help)...)
	b = append(b, "\n# TYPE "...)
	b = append(b, name...)
	return append(b, " gauge\n"...)
}

// appendFloat formats v as expfmt does.
func appendFloat(b []byte, v float64) []byte {
	switch {
	case v == 1:
		return append(b, '1')
	case v == 0:
		return append(b, '0')
	case v == -1:
		return append(b, '-', '1')
	case math.IsNaN(v):
		return append(b, "NaN"...)
	case math.IsInf(v, +1):
		return append(b, "+Inf"...)
	case math.IsInf(v, -1):
		return append(b, "-Inf"...)
	}
	return strconv.AppendFloat(b, v, 'g', -1, 64)
}

const flushAt = 32 << 10

// WriteIndicators evaluates the snapshot of every plan exposed at the exporter's clock
// and writes the per-indicator families (info, status and the gauges) in the text
// exposition format, each family's samples of every plan together as the format
// requires. A result that cannot be exposed (not in the catalog, unknown status) is
// skipped and counted in the returned error; everything else is still written.
func (e *Exporter) WriteIndicators(w io.Writer) error {
	now := e.cfg.Now()
	var plans []planResults
	var skipped []string
	for _, i := range e.exposed() {
		src := e.sources[i]
		p := planResults{results: src.Evaluate(now)}
		var sk []string
		p.labels, sk = labelsOf(e.labels[i].get(src.Catalog()), p.results)
		plans = append(plans, p)
		skipped = append(skipped, sk...)
	}

	bp := bufPool.Get().(*[]byte)
	x := &expo{w: w, b: (*bp)[:0]}
	x.family(plans, conventions.MetricInfo, helpInfo, func(b []byte, l *indicatorLabels, _ *evaluate.Result) ([]byte, bool) {
		return append(b, l.info...), true
	})
	for g := range e.gauges {
		gg := &e.gauges[g]
		x.family(plans, gg.name, gg.help, func(b []byte, l *indicatorLabels, r *evaluate.Result) ([]byte, bool) {
			v, ok := gg.value(r)
			if !ok {
				return b, false
			}
			return appendSample(b, gg.name, l.ids, v), true
		})
	}
	x.family(plans, conventions.MetricStatus, helpStatus, func(b []byte, l *indicatorLabels, r *evaluate.Result) ([]byte, bool) {
		return appendStatuses(b, l.ids, r), true
	})
	x.flush(true)
	*bp = x.b[:0]
	bufPool.Put(bp)
	if x.err != nil {
		return x.err
	}
	if len(skipped) > 0 {
		return fmt.Errorf("%d indicators not exposed, first: %s", len(skipped), skipped[0])
	}
	return nil
}

// planResults is one plan's evaluation and the label texts of each result (nil for
// one that cannot be exposed).
type planResults struct {
	results []evaluate.Result
	labels  []*indicatorLabels
}

// expo buffers the exposition and writes it to w in chunks of flushAt; the first
// write error stops the writing.
type expo struct {
	w   io.Writer
	b   []byte
	err error
}

func (x *expo) flush(force bool) {
	if x.err == nil && (force || len(x.b) >= flushAt) {
		_, x.err = x.w.Write(x.b)
		x.b = x.b[:0]
	}
}

// family writes one family over every plan: sample appends the samples of one result
// (false when it has none); the HELP and TYPE lines come before the first sample, and a
// family without samples writes nothing.
func (x *expo) family(plans []planResults, name, help string, sample func(b []byte, l *indicatorLabels, r *evaluate.Result) ([]byte, bool)) {
	header := false
	for _, p := range plans {
		for i := range p.results {
			if p.labels[i] == nil {
				continue
			}
			n := len(x.b)
			if !header {
				x.b = appendHeader(x.b, name, help)
			}
			var ok bool
			if x.b, ok = sample(x.b, p.labels[i], &p.results[i]); !ok {
				x.b = x.b[:n]
				continue
			}
			header = true
			x.flush(false)
		}
	}
}

// labelsOf is the labels of each result in set (nil for one that cannot be exposed),
// and why the ones left out were.
func labelsOf(set *labelSet, results []evaluate.Result) (labels []*indicatorLabels, skipped []string) {
	labels = make([]*indicatorLabels, len(results))
	for i := range results {
		r := &results[i]
		entry, err := lookup(set.cat, r)
		if err != nil {
			skipped = append(skipped, err.Error())
			continue
		}
		labels[i] = set.of(r, entry)
	}
	return labels, skipped
}

// appendSample appends the sample name{ids} v.
func appendSample(b []byte, name, ids string, v float64) []byte {
	b = append(b, name...)
	b = append(b, '{')
	b = append(b, ids...)
	b = append(b, '}', ' ')
	b = appendFloat(b, v)
	return append(b, '\n')
}

// appendStatuses appends the status samples of r: one per status, 1 for r's own.
func appendStatuses(b []byte, ids string, r *evaluate.Result) []byte {
	for _, s := range evaluate.Statuses {
		b = append(b, conventions.MetricStatus...)
		b = append(b, '{')
		b = append(b, ids...)
		b = append(b, `,status="`...)
		b = append(b, s...)
		b = append(b, '"', '}', ' ')
		b = appendFloat(b, statusValue(r, s))
		b = append(b, '\n')
	}
	return b
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, flushAt+4096); return &b }}

var gzipPool = sync.Pool{New: func() any {
	w, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed)
	return w
}}

var bufioPool = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 64<<10) }}

// handler serves /metrics: the per-indicator families from WriteIndicators, then the
// registry (the Exporter's other families, Go, process and any extra collectors)
// through expfmt; gzip when the client accepts it, as Prometheus does.
type handler struct {
	e   *Exporter
	reg *prometheus.Registry
	log *slog.Logger
}

// Handler returns the /metrics handler over an Exporter of cfg, the Go and process
// collectors and cfg.Collectors. It writes the per-indicator families directly (see
// WriteIndicators) and the rest through client_golang's registry and encoder; a series
// that fails is logged and skipped, the others are still served.
func Handler(cfg Config) (http.Handler, error) {
	e, err := New(cfg)
	if err != nil {
		return nil, err
	}
	reg := prometheus.NewRegistry()
	cs := append([]prometheus.Collector{
		rest{e},
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	}, cfg.Collectors...)
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register collector: %w", err)
		}
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &handler{e: e, reg: reg, log: log}, nil
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	// Gather the registry first: an error there is known before the body starts.
	mfs, gerr := h.reg.Gather()
	if gerr != nil {
		h.log.Error("gather metrics", "err", gerr)
	}
	w.Header().Set("Content-Type", ContentType)
	var out io.Writer = w
	if acceptsGzip(r.Header.Get("Accept-Encoding")) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Add("Vary", "Accept-Encoding")
		gz := gzipPool.Get().(*gzip.Writer)
		gz.Reset(w)
		defer func() {
			if err := gz.Close(); err != nil {
				h.log.Debug("write metrics", "err", err)
			}
			gzipPool.Put(gz)
		}()
		out = gz
	}
	if r.Method == http.MethodHead {
		return
	}
	bw := bufioPool.Get().(*bufio.Writer)
	bw.Reset(out)
	defer func() {
		bw.Reset(nil)
		bufioPool.Put(bw)
	}()
	if err := h.e.WriteIndicators(bw); err != nil {
		h.log.Error("write indicator metrics", "err", err)
	}
	for _, mf := range mfs {
		if _, err := expfmt.MetricFamilyToText(bw, mf); err != nil {
			h.log.Debug("write metrics", "err", err)
			return
		}
	}
	if err := bw.Flush(); err != nil {
		h.log.Debug("write metrics", "err", err)
	}
}

// acceptsGzip reports whether an Accept-Encoding header accepts gzip (not with q=0).
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			continue
		}
		params = strings.ReplaceAll(params, " ", "")
		if q, ok := strings.CutPrefix(params, "q="); ok {
			if f, err := strconv.ParseFloat(q, 64); err == nil && f == 0 {
				return false
			}
		}
		return true
	}
	return false
}
