package boltstore

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	bolt "go.etcd.io/bbolt"

	"github.com/duban-gov/duban/conventions"
)

// writeHealth is the failed-write state. A commit that fails (a write or fsync error
// from bbolt: disk full, file size limit, I/O error) puts the store in it: Ready says
// why, and a probe retries a write every ProbeInterval until one commits. Appends are
// still tried meanwhile (each one that fails stores nothing and answers an error); any
// commit that succeeds, an append's or the probe's, ends the state.
//
// The probe writes ProbeBytes (1 MiB, the default body limit, so room for one more
// full batch) under meta/probe and deletes it in a second transaction. A small probe
// would fit in a free page of the file and call the store writable while any real
// batch that needs the file to grow still fails; after this one the freed MiB is free
// space that the next appends use.
type writeHealth struct {
	mu       sync.Mutex
	err      error
	since    time.Time
	failures atomic.Uint64
}

func (h *writeHealth) failed(err error, now time.Time) {
	h.failures.Add(1)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.err == nil {
		h.since = now
	}
	h.err = err
}

// ok ends the failed state; it reports whether there was one.
func (h *writeHealth) ok() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	was := h.err != nil
	h.err = nil
	return was
}

func (h *writeHealth) state() (time.Time, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.since, h.err
}

// probe runs while the store is open: every interval, in the failed-write state, it
// tries a write.
func (s *Store) probe() {
	defer close(s.probeDone)
	t := time.NewTicker(s.cfg.ProbeInterval)
	defer t.Stop()
	var logged time.Time // a failing probe is logged once a minute, not every interval
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
		if _, err := s.health.state(); err == nil {
			logged = time.Time{}
			continue
		}
		if err := s.probeWrite(); err != nil {
			if time.Since(logged) >= time.Minute {
				s.cfg.Logger.Warn("store still cannot write; retrying", "err", err, "every", s.cfg.ProbeInterval)
				logged = time.Now()
			}
			continue
		}
		if s.health.ok() {
			s.cfg.Logger.Info("store writes again: the probe write committed")
		}
	}
}

func (s *Store) probeWrite() (err error) {
	defer s.recoverDamage("the write probe", &err)
	blob := make([]byte, s.cfg.ProbeBytes)
	if err := s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(keyProbe, blob)
	}); err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Delete(keyProbe)
	})
}

// Metrics is the store's prometheus.Collector: damage found, failed commits and
// whether the store writes. Register it beside the exporter.
func (s *Store) Metrics() prometheus.Collector { return &metrics{s: s} }

var (
	descDamaged = prometheus.NewDesc(conventions.MetricStoreDamaged,
		"Damaged records and pointers the embedded store has found since start (checksum, decoding or consistency failures); never served. Above 0 the store takes no writes.", nil, nil)
	descWriteFailures = prometheus.NewDesc(conventions.MetricStoreWriteFailures,
		"Commits of the embedded store that failed (disk full, file size limit, I/O error); nothing of them was stored.", nil, nil)
	descWritable = prometheus.NewDesc(conventions.MetricStoreWritable,
		"1 when the embedded store takes writes, 0 while it is damaged or its last write failed.", nil, nil)
)

type metrics struct{ s *Store }

func (m *metrics) Describe(ch chan<- *prometheus.Desc) {
	ch <- descDamaged
	ch <- descWriteFailures
	ch <- descWritable
}

func (m *metrics) Collect(ch chan<- prometheus.Metric) {
	writable := 1.0
	if ok, _ := m.s.Ready(context.Background()); !ok {
		writable = 0
	}
	ch <- prometheus.MustNewConstMetric(descDamaged, prometheus.GaugeValue, float64(m.s.damage.count()))
	ch <- prometheus.MustNewConstMetric(descWriteFailures, prometheus.CounterValue, float64(m.s.health.failures.Load()))
	ch <- prometheus.MustNewConstMetric(descWritable, prometheus.GaugeValue, writable)
}

// recoverDamage turns a panic inside bbolt (a page it cannot parse) or a memory fault
// in the mapped file (debug.SetPanicOnFault, set by the caller's goroutine) into an
// error that marks the store damaged. Use as: defer s.recoverDamage("what", &err).
func (s *Store) recoverDamage(what string, err *error) {
	v := recover()
	if v == nil {
		return
	}
	e := damaged("bbolt failed reading the file during %s: %v", what, v)
	s.damage.report("panic "+fmt.Sprint(v), e)
	*err = e
}
