package boltstore_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/duban-gov/duban/collector/store/boltstore"
	"github.com/duban-gov/duban/indicators"
)

// Benchmarks of the embedded store. The test command runs them with -benchtime=1x so
// they cannot rot; figures come from longer runs, for example
//
//	go test -run '^$' -bench . -benchtime 3s ./collector/store/boltstore/
//	DUBAN_BENCH_STARTUP_REVISIONS=1000000 go test -run '^$' -bench Startup -benchtime 5x ./collector/store/boltstore/

var (
	benchZone = time.FixedZone("CST", 8*3600)
	benchNow  = time.Date(2026, 5, 6, 10, 0, 0, 0, time.UTC)
)

// benchRevision is report number i of a synthetic catalog: indicators × 12 months,
// so successive reports spread over keys and revisions grow as a real year's would.
func benchRevision(i, indicatorCount int) indicators.Revision {
	month := 1 + (i/indicatorCount)%12
	p := indicators.Period{Kind: indicators.PeriodMonth, Year: 2026, Month: time.Month(month), Day: 28}
	v := float64(i) * 1.5
	return indicators.Revision{
		Report: indicators.Report{
			Indicator: "B." + strconv.Itoa(i%indicatorCount),
			Period:    fmt.Sprintf("2026-%02d", month),
			Value:     &v,
			Note:      "进展情况：按计划推进",
		},
		Department: "fgw",
		Sender:     "fgw",
		ReceivedAt: benchNow.Add(time.Duration(i)),
		Remote:     "127.0.0.1:50000",
		PeriodEnd:  p.End(benchZone),
	}
}

// parallelism sets b.RunParallel to about n goroutines.
func parallelism(b *testing.B, n int) {
	b.SetParallelism(max(1, (n+runtime.GOMAXPROCS(0)-1)/runtime.GOMAXPROCS(0)))
}

func reportLatency(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	q := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
	}
	b.ReportMetric(q(0.50), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
}

// BenchmarkAppendSingle: one report per Append from 16 goroutines, each durable
// before it returns; the rate is acknowledged (fsynced) reports per second.
func BenchmarkAppendSingle(b *testing.B) { benchmarkSingle(b, false) }

// BenchmarkAppendSingleWithKey: the same with a fresh idempotency key on every report,
// as careful clients send them (one more bucket written per commit).
func BenchmarkAppendSingleWithKey(b *testing.B) { benchmarkSingle(b, true) }

func benchmarkSingle(b *testing.B, withKey bool) {
	s := open(b, b.TempDir())
	defer s.Close()
	parallelism(b, 16)
	var (
		next atomic.Int64
		mu   sync.Mutex
		lat  []time.Duration
	)
	ctx := context.Background()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		batch := make([]indicators.Revision, 1)
		for pb.Next() {
			i := int(next.Add(1))
			batch[0] = benchRevision(i, benchIndicators)
			if withKey {
				batch[0].IdempotencyKey = fmt.Sprintf("%08x-4b1c-9f2e-%012d", i*2654435761%(1<<32), i)
			}
			t := time.Now()
			if _, err := s.Append(ctx, batch); err != nil {
				b.Error(err)
				return
			}
			mine = append(mine, time.Since(t))
		}
		mu.Lock()
		lat = append(lat, mine...)
		mu.Unlock()
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "reports/s")
	reportLatency(b, lat)
}

func benchmarkBatch(b *testing.B, size int) {
	for _, clients := range []int{1, 16} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			s := open(b, b.TempDir())
			defer s.Close()
			parallelism(b, clients)
			var next atomic.Int64
			ctx := context.Background()
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				batch := make([]indicators.Revision, size)
				for pb.Next() {
					base := int(next.Add(int64(size))) - size
					for i := range batch {
						batch[i] = benchRevision(base+i, benchIndicators)
					}
					if _, err := s.Append(ctx, batch); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N*size)/time.Since(start).Seconds(), "reports/s")
		})
	}
}

// BenchmarkAppendBatch100 and 1000: reports per second in batches, from one client
// and from 16.
func BenchmarkAppendBatch100(b *testing.B)  { benchmarkBatch(b, 100) }
func BenchmarkAppendBatch1000(b *testing.B) { benchmarkBatch(b, 1000) }

// fill appends n synthetic revisions over indicatorCount indicators in batches of
// 1000, each with an idempotency key.
func fill(tb testing.TB, s *boltstore.Store, n, indicatorCount int) {
	tb.Helper()
	batch := make([]indicators.Revision, 0, 1000)
	for i := 0; i < n; i++ {
		r := benchRevision(i, indicatorCount)
		r.IdempotencyKey = fmt.Sprintf("%08x-4b1c-9f2e-%012d", i*2654435761%(1<<32), i)
		batch = append(batch, r)
		if len(batch) == cap(batch) || i == n-1 {
			if _, err := s.Append(context.Background(), batch); err != nil {
				tb.Fatal(err)
			}
			batch = batch[:0]
		}
	}
}

// BenchmarkStartup is what `duban serve` does with its data at start: open the file
// and read every latest value (ns/op); first-history-ms is when the background index
// is ready (History and appends wait for it); heap-MiB is the Go heap then, with the
// latest values still referenced. The file holds DUBAN_BENCH_STARTUP_REVISIONS revisions
// (default 20000 so that -benchtime=1x stays quick; the target is 1,000,000 under 3 s)
// over 10,000 indicators × 12 months.
func BenchmarkStartup(b *testing.B) {
	n := 20000
	if v := os.Getenv("DUBAN_BENCH_STARTUP_REVISIONS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			b.Fatalf("DUBAN_BENCH_STARTUP_REVISIONS: %v", err)
		}
	}
	dir := b.TempDir()
	s := open(b, dir)
	built := time.Now()
	fill(b, s, n, 10000)
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	b.Logf("built %d revisions in %s", n, time.Since(built))
	st, err := os.Stat(dir + "/" + boltstore.FileName)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	var (
		latest  int
		history time.Duration
		heap    uint64
	)
	for b.Loop() {
		start := time.Now()
		s := open(b, dir)
		revs, err := s.Latest(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		latest = len(revs)
		b.StopTimer()
		// The history index is scanned in the background; the first History waits.
		if _, err := s.History(context.Background(), "", "B.0"); err != nil {
			b.Fatal(err)
		}
		history = time.Since(start)
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		heap = m.HeapAlloc
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(history.Milliseconds()), "first-history-ms")
	b.ReportMetric(float64(heap)/(1<<20), "heap-MiB")
	b.ReportMetric(float64(n), "revisions")
	b.ReportMetric(float64(latest), "latest-values")
	b.ReportMetric(float64(st.Size())/(1<<20), "file-MiB")
}

// BenchmarkHistory reads one indicator's 200 revisions among 20,000.
func BenchmarkHistory(b *testing.B) {
	s := open(b, b.TempDir())
	defer s.Close()
	fill(b, s, 20_000, 100)
	b.ResetTimer()
	for b.Loop() {
		revs, err := s.History(context.Background(), "", "B.50")
		if err != nil || len(revs) != 200 {
			b.Fatalf("History: %d revisions, %v", len(revs), err)
		}
	}
}

// benchIndicators is the catalog size the append benchmarks spread reports over: the
// 2026 catalog's 177 targets by default, DUBAN_BENCH_INDICATORS to change it.
var benchIndicators = func() int {
	if n, err := strconv.Atoi(os.Getenv("DUBAN_BENCH_INDICATORS")); err == nil && n > 0 {
		return n
	}
	return 177
}()
