package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/duban-gov/duban/conventions"
	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/indicators/evaluate"
)

// Reference is every family of e as a prometheus.Collector of const metrics, the way
// client_golang would serve them: the reference the hand-written exposition is held
// to (TestFastExpositionMatchesTheCollector), and what testutil's golden and lint
// checks read. It lives in the tests because only they need a second encoder.
func Reference(e *Exporter) prometheus.Collector {
	ind := []string{conventions.LabelPlan, conventions.LabelIndicator, conventions.LabelDepartment}
	r := &reference{e: e,
		info:   prometheus.NewDesc(conventions.MetricInfo, helpInfo, infoLabelNames, nil),
		status: prometheus.NewDesc(conventions.MetricStatus, helpStatus, append(ind, conventions.LabelStatus), nil),
	}
	for _, g := range e.gauges {
		r.gauges = append(r.gauges, prometheus.NewDesc(g.name, g.help, ind, nil))
	}
	return r
}

type reference struct {
	e            *Exporter
	info, status *prometheus.Desc
	gauges       []*prometheus.Desc // in e.gauges order
}

func (r *reference) Describe(ch chan<- *prometheus.Desc) {
	ch <- r.info
	ch <- r.status
	for _, d := range r.gauges {
		ch <- d
	}
	r.e.describeRest(ch)
}

func (r *reference) Collect(ch chan<- prometheus.Metric) {
	now := r.e.cfg.Now()
	for _, i := range r.e.exposed() {
		src := r.e.sources[i]
		cat := src.Catalog()
		for _, res := range src.Evaluate(now) {
			if err := r.collectIndicator(ch, cat, &res); err != nil {
				ch <- prometheus.NewInvalidMetric(r.info, err)
			}
		}
	}
	r.e.collectRest(ch, now)
}

func (r *reference) collectIndicator(ch chan<- prometheus.Metric, cat *indicators.Catalog, res *evaluate.Result) error {
	entry, err := lookup(cat, res)
	if err != nil {
		return err
	}
	plan := cat.Plan.ID
	ch <- prometheus.MustNewConstMetric(r.info, prometheus.GaugeValue, 1, infoLabelValues(cat.Plan, res, entry)...)
	for i, g := range r.e.gauges {
		if v, ok := g.value(res); ok {
			ch <- prometheus.MustNewConstMetric(r.gauges[i], prometheus.GaugeValue, v, plan, res.Indicator, res.Department)
		}
	}
	for _, s := range evaluate.Statuses {
		ch <- prometheus.MustNewConstMetric(r.status, prometheus.GaugeValue, statusValue(res, s), plan, res.Indicator, res.Department, string(s))
	}
	return nil
}
