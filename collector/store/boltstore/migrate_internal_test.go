package boltstore

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/duban-gov/duban/indicators"
)

// BenchmarkMigrate opens a format-3 store of DUBAN_BENCH_MIGRATE_REVISIONS records
// (default 20000): Open rewrites every record with its checksum and plan, and every
// latest pointer, in one transaction.
// peak-heap-MiB is the Go heap right after the commit, before a GC: what the
// transaction held. The format-3 file is made by downgrading a store written now
// (records back to version 1, the header removed), since the code that wrote format 3
// is gone; testdata/format3 is a real one for the correctness test.
func BenchmarkMigrate(b *testing.B) {
	n := 20000
	if v := os.Getenv("DUBAN_BENCH_MIGRATE_REVISIONS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			b.Fatal(err)
		}
	}
	tmpl := filepath.Join(b.TempDir(), FileName)
	format3File(b, tmpl, n)
	data, err := os.ReadFile(tmpl)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	var peak uint64
	for b.Loop() {
		b.StopTimer()
		dir := b.TempDir()
		if err := os.WriteFile(filepath.Join(dir, FileName), data, 0o600); err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		b.StartTimer()
		s, err := Open(context.Background(), Config{Dir: dir, DefaultPlan: "p"})
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		peak = max(peak, after.HeapAlloc-min(after.HeapAlloc, before.HeapAlloc))
		if s.header.Format != formatCurrent {
			b.Fatalf("format %d after Open", s.header.Format)
		}
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(n), "revisions")
}

// format3File writes a store of n records in format 3 at path.
func format3File(tb testing.TB, path string, n int) {
	tb.Helper()
	s, err := Open(context.Background(), Config{Dir: filepath.Dir(path)})
	if err != nil {
		tb.Fatal(err)
	}
	zone := time.FixedZone("CST", 8*3600)
	batch := make([]indicators.Revision, 0, 1000)
	for i := range n {
		v := float64(i) * 1.5
		month := 1 + (i/1000)%12
		batch = append(batch, indicators.Revision{
			Report: indicators.Report{
				Indicator: "M." + strconv.Itoa(i%1000), Period: fmt.Sprintf("2026-%02d", month), Value: &v,
				Note: "进展情况：按计划推进", IdempotencyKey: fmt.Sprintf("k-%d", i),
			},
			Department: "fgw", Sender: "fgw", ReceivedAt: time.Unix(1780000000+int64(i), 0).UTC(),
			PeriodEnd: time.Date(2026, time.Month(month)+1, 1, 0, 0, 0, 0, zone),
		})
		if len(batch) == cap(batch) || i == n-1 {
			if _, err := s.Append(context.Background(), batch); err != nil {
				tb.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	if err := s.Close(); err != nil {
		tb.Fatal(err)
	}
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		revs := tx.Bucket(bucketRevisions)
		c := revs.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			r, err := decodeRevision(binary.BigEndian.Uint64(k), v)
			if err != nil {
				return err
			}
			key := append([]byte(nil), k...)
			if err := revs.Put(key, appendFields([]byte{recordV1}, &r, false)); err != nil {
				return err
			}
			c.Seek(key)
		}
		// Format 3 keys the latest pointers by indicator and period, without the plan.
		type kv struct{ k, v []byte }
		var old []kv
		if err := tx.Bucket(bucketLatest).ForEach(func(k, v []byte) error {
			_, ind, per := splitLatestKey(k)
			old = append(old, kv{latestKey(ind, per), append([]byte(nil), v...)})
			return nil
		}); err != nil {
			return err
		}
		if err := tx.DeleteBucket(bucketLatest); err != nil {
			return err
		}
		latest, err := tx.CreateBucket(bucketLatest)
		if err != nil {
			return err
		}
		for _, p := range old {
			if err := latest.Put(p.k, p.v); err != nil {
				return err
			}
		}
		if err := tx.DeleteBucket(bucketReviews); err != nil {
			return err
		}
		meta := tx.Bucket(bucketMeta)
		if err := meta.Delete(keyHeader); err != nil {
			return err
		}
		return meta.Put(keyFormat, []byte("3"))
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// A downgraded file is a format-3 store as far as Open can tell, and migrates back.
func TestDowngradedStoreMigrates(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	format3File(t, path, 3000)
	rep, err := Check(context.Background(), CheckConfig{Path: path})
	if err != nil || !rep.Healthy() || rep.Format != 3 || rep.Records != 3000 {
		t.Fatalf("before: %+v %v", rep, err)
	}
	s, err := Open(context.Background(), Config{Dir: filepath.Dir(path), DefaultPlan: "p"})
	if err != nil {
		t.Fatal(err)
	}
	hist, err := s.History(context.Background(), "p", "M.7")
	if err != nil || len(hist) != 3 {
		t.Fatalf("History after the migration: %d, %v", len(hist), err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	rep, err = Check(context.Background(), CheckConfig{Path: path})
	if err != nil || !rep.Healthy() || rep.Format != formatCurrent || rep.Records != 3000 {
		t.Fatalf("after: %+v %v", rep, err)
	}
}
