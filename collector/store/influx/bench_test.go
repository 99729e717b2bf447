package influx_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync/atomic"
	"testing"
	"time"

	influxdb2 "github.com/influxdata/influxdb-client-go/v2"
	"github.com/influxdata/influxdb-client-go/v2/api/write"

	"github.com/duban-gov/duban/collector/store/influx"
	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/internal/testenv"
)

// benchReport is report n of a stream over 300 indicators and 12 months, so that
// revisions pile up as they do in a year of reporting.
func benchReport(n int) indicators.Revision {
	period := fmt.Sprintf("2026-%02d", 1+(n/300)%12)
	p, _ := indicators.ParsePeriod(period)
	v := float64(n)
	return indicators.Revision{
		Report:     indicators.Report{Indicator: fmt.Sprintf("%d.1", 1+n%300), Period: period, Value: &v, Note: "进展顺利"},
		Department: "fgw", Sender: "fgw", ReceivedAt: time.Now(), Remote: "127.0.0.1:5000",
		PeriodEnd: p.End(time.FixedZone("CST", 8*3600)),
	}
}

// rawPoint is what a hand-written client would send for the same report.
func rawPoint(r indicators.Revision, rev int) *write.Point {
	return write.NewPoint("report",
		map[string]string{"indicator": r.Indicator, "department": r.Department},
		map[string]any{"value": *r.Value, "revision": rev, "period": r.Period, "sender": r.Sender,
			"note": r.Note, "remote": r.Remote, "received_at": r.ReceivedAt.UnixNano()},
		r.PeriodEnd.Add(time.Duration(rev)*time.Microsecond))
}

// BenchmarkInfluxAppend compares reports per second through the store (idempotency and
// revision lookups, blocking write) with the raw client writing the same points to the
// same server (one blocking write, nothing else). Figures: see README "Scaling out".
//
//	go test -run '^$' -bench BenchmarkInfluxAppend -benchtime 3s ./collector/store/influx
func BenchmarkInfluxAppend(b *testing.B) {
	db := testenv.StartInfluxd(b)
	for _, batch := range []int{1, 100, 1000} {
		for _, parallel := range []bool{false, true} {
			mode := "serial"
			if parallel {
				mode = "16-clients"
			}
			b.Run(fmt.Sprintf("store/batch=%d/%s", batch, mode), func(b *testing.B) {
				st := freshStorage(b, db)
				s, err := influx.Open(context.Background(), influx.Config{URL: db.URL, Bucket: st.bucket, SpoolDir: st.spool, Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
				if err != nil {
					b.Fatal(err)
				}
				defer s.Close()
				var seq atomic.Int64
				run(b, batch, parallel, func() error {
					rs := make([]indicators.Revision, batch)
					for i := range rs {
						rs[i] = benchReport(int(seq.Add(1)))
					}
					_, err := s.Append(context.Background(), rs)
					return err
				})
				if s.SpoolDepth() != 0 {
					b.Fatalf("the benchmark spooled %d batches: InfluxDB was not keeping up", s.SpoolDepth())
				}
			})
			b.Run(fmt.Sprintf("raw-client/batch=%d/%s", batch, mode), func(b *testing.B) {
				st := freshStorage(b, db)
				client := influxdb2.NewClient(db.URL, "")
				defer client.Close()
				w := client.WriteAPIBlocking(db.Org, st.bucket)
				var seq atomic.Int64
				run(b, batch, parallel, func() error {
					ps := make([]*write.Point, batch)
					for i := range ps {
						n := int(seq.Add(1))
						ps[i] = rawPoint(benchReport(n), 1+n/3600)
					}
					return w.WritePoint(context.Background(), ps...)
				})
			})
		}
	}
}

// BenchmarkInfluxAppendKeyed is BenchmarkInfluxAppend with an idempotency key on every
// report: one more Flux read per round (over every stored key).
//
//	go test -run '^$' -bench BenchmarkInfluxAppendKeyed -benchtime 3s ./collector/store/influx
func BenchmarkInfluxAppendKeyed(b *testing.B) {
	db := testenv.StartInfluxd(b)
	for _, batch := range []int{1, 100} {
		b.Run(fmt.Sprintf("store/batch=%d/serial", batch), func(b *testing.B) {
			st := freshStorage(b, db)
			s, err := influx.Open(context.Background(), influx.Config{URL: db.URL, Bucket: st.bucket, SpoolDir: st.spool})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			var seq atomic.Int64
			run(b, batch, false, func() error {
				rs := make([]indicators.Revision, batch)
				for i := range rs {
					n := int(seq.Add(1))
					rs[i] = benchReport(n)
					rs[i].IdempotencyKey = fmt.Sprintf("key-%d", n)
				}
				_, err := s.Append(context.Background(), rs)
				return err
			})
			if s.SpoolDepth() != 0 {
				b.Fatalf("the benchmark spooled %d batches", s.SpoolDepth())
			}
		})
	}
}

// run calls op b.N times (from 16 goroutines when parallel) and reports reports/s.
func run(b *testing.B, batch int, parallel bool, op func() error) {
	b.Helper()
	b.ResetTimer()
	start := time.Now()
	if parallel {
		b.SetParallelism(8) // 16 goroutines on 2 cores
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := op(); err != nil {
					b.Error(err)
					return
				}
			}
		})
	} else {
		for range b.N {
			if err := op(); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.N*batch)/time.Since(start).Seconds(), "reports/s")
}

// BenchmarkInfluxLatest measures the read behind start-up and every replica refresh:
// Latest over a bucket holding N revisions (written with the raw client).
//
//	go test -run '^$' -bench BenchmarkInfluxLatest -benchtime 5x ./collector/store/influx
func BenchmarkInfluxLatest(b *testing.B) {
	db := testenv.StartInfluxd(b)
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("revisions=%d", n), func(b *testing.B) {
			st := freshStorage(b, db)
			client := influxdb2.NewClient(db.URL, "")
			defer client.Close()
			w := client.WriteAPIBlocking(db.Org, st.bucket)
			for i := 0; i < n; i += 5000 {
				ps := make([]*write.Point, 0, 5000)
				for j := i; j < min(n, i+5000); j++ {
					ps = append(ps, rawPoint(benchReport(j), 1+j/3600))
				}
				if err := w.WritePoint(context.Background(), ps...); err != nil {
					b.Fatal(err)
				}
			}
			s, err := influx.Open(context.Background(), influx.Config{URL: db.URL, Bucket: st.bucket, SpoolDir: st.spool, Timeout: time.Minute})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			b.ResetTimer()
			for range b.N {
				revs, err := s.Latest(context.Background())
				if err != nil {
					b.Fatal(err)
				}
				if len(revs) != min(n, 3600) {
					b.Fatalf("Latest returned %d values, want %d", len(revs), min(n, 3600))
				}
			}
		})
	}
}
