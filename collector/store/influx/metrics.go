package influx

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/duban-gov/duban/conventions"
)

// Metrics is the store's prometheus.Collector: spool depth, the oldest spooled batch's
// age and failed InfluxDB writes. Register it beside the exporter.
func (s *Store) Metrics() prometheus.Collector { return &metrics{s: s} }

var (
	descSpoolDepth = prometheus.NewDesc(conventions.MetricSpoolDepth,
		"Batches waiting in the local spool for InfluxDB.", nil, nil)
	descSpoolAge = prometheus.NewDesc(conventions.MetricSpoolOldestAge,
		"Age of the oldest batch waiting in the local spool (0 when empty).", nil, nil)
	descWriteErrors = prometheus.NewDesc(conventions.MetricInfluxWriteErrors,
		"Attempts to store a batch in InfluxDB that failed (unreachable, 5xx, timeout, refused), direct or replayed from the spool.", nil, nil)
)

type metrics struct{ s *Store }

func (m *metrics) Describe(ch chan<- *prometheus.Desc) {
	ch <- descSpoolDepth
	ch <- descSpoolAge
	ch <- descWriteErrors
}

func (m *metrics) Collect(ch chan<- prometheus.Metric) {
	age := 0.0
	if oldest, ok := m.s.spool.Oldest(); ok {
		age = max(0, m.s.cfg.Now().Sub(oldest).Seconds())
	}
	ch <- prometheus.MustNewConstMetric(descSpoolDepth, prometheus.GaugeValue, float64(m.s.spool.Len()))
	ch <- prometheus.MustNewConstMetric(descSpoolAge, prometheus.GaugeValue, age)
	ch <- prometheus.MustNewConstMetric(descWriteErrors, prometheus.CounterValue, float64(m.s.writeErrors.Load()))
}
