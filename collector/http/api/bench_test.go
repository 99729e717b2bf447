package api_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/duban-gov/duban/collector"
	"github.com/duban-gov/duban/collector/auth"
	"github.com/duban-gov/duban/collector/http/api"
	"github.com/duban-gov/duban/collector/store/boltstore"
	"github.com/duban-gov/duban/indicators"
)

// BenchmarkPushSingleReport measures durable single-report pushes through the whole
// handler chain (auth, rate limit off, decode, validate, bbolt append with fsync,
// snapshot update) from parallel clients, without the network.
func BenchmarkPushSingleReport(b *testing.B) {
	f := newFixtureCatalog(b, loadCatalog(b, "indicators/testdata/mini.yaml"), func(c *api.Config) { c.Logger = nil })
	h, err := api.New(api.Config{Service: f.svc, Auth: f.auth, Settings: api.Settings{RatePerSecond: -1}})
	if err != nil {
		b.Fatal(err)
	}
	var seq atomic.Int64
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := seq.Add(1)
			body := fmt.Sprintf(`{"reports":[{"indicator":"57.1","period":"2026-%02d","value":%d}]}`, 1+n%5, n)
			req := httptest.NewRequest(http.MethodPost, "/api/v1/reports", strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+f.tokens["rsj"])
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusCreated {
				b.Fatalf("%d %s", rec.Code, rec.Body)
			}
		}
	})
}

// BenchmarkPushBatch1000 measures durable batches of 1000 reports through the whole
// handler chain (decode, validate, one bbolt commit with fsync, snapshot update) from 16
// parallel clients, without the network; the rate is reports per second.
func BenchmarkPushBatch1000(b *testing.B) {
	cat := loadCatalog(b, "indicators/catalogs/changzhi-2026.yaml")
	st, err := boltstore.Open(context.Background(), boltstore.Config{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if err := st.Close(); err != nil {
			b.Error(err)
		}
	})
	admin, _ := auth.Generate()
	a, err := auth.New(auth.Config{Tokens: []auth.Token{{Role: auth.RoleAdmin, SHA256: auth.Hash(admin)}}})
	if err != nil {
		b.Fatal(err)
	}
	svc, err := collector.NewService(context.Background(), collector.ServiceConfig{Catalog: cat, Store: st, Now: func() time.Time { return now }})
	if err != nil {
		b.Fatal(err)
	}
	h, err := api.New(api.Config{Service: svc, Auth: auth.NewLive(a), Settings: api.Settings{RatePerSecond: -1}})
	if err != nil {
		b.Fatal(err)
	}
	var ids []string
	for _, e := range cat.Entries() {
		if e.Target.Measure != indicators.Milestone && e.Target.Cadence != indicators.Quarterly { // months: monthly indicators only
			ids = append(ids, e.Target.ID)
		}
	}
	var seq atomic.Int64
	b.SetParallelism(8) // 16 clients on 2 cores, as bench/run.sh
	start := time.Now()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var buf bytes.Buffer
		for pb.Next() {
			n := int(seq.Add(1))
			buf.Reset()
			buf.WriteString(`{"reports":[`)
			for i := 0; i < 1000; i++ {
				if i > 0 {
					buf.WriteByte(',')
				}
				k := n*1000 + i
				fmt.Fprintf(&buf, `{"indicator":%q,"period":"2026-%02d","value":%d,"reason":"bench"}`, ids[k%len(ids)], 1+k%5, k%1000+1)
			}
			buf.WriteString(`]}`)
			req := httptest.NewRequest(http.MethodPost, "/api/v1/reports", bytes.NewReader(buf.Bytes()))
			req.Header.Set("Authorization", "Bearer "+admin)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusCreated {
				b.Fatalf("%d %.300s", rec.Code, rec.Body)
			}
		}
	})
	b.ReportMetric(float64(b.N*1000)/time.Since(start).Seconds(), "reports/s")
}

// BenchmarkReadIndicators measures GET /api/v1/indicators over the shipped catalog with
// reports (211 targets, about 150 KB of JSON) through the whole read chain: identity,
// gzip-coded, and a revalidation answered 304. The difference between identity and the
// evaluation itself is the cost of buffering and hashing the answer for its ETag.
func BenchmarkReadIndicators(b *testing.B) {
	cat := loadCatalog(b, "indicators/catalogs/changzhi-2026.yaml")
	f := newFixtureCatalog(b, cat)
	var reports []map[string]any
	for _, e := range cat.Entries() {
		r := map[string]any{"indicator": e.Target.ID, "period": "2026-05", "reason": "bench"}
		if e.Target.Cadence == indicators.Quarterly {
			r["period"] = "2026-Q1"
		}
		if e.Target.Measure == indicators.Milestone {
			r["stage"] = "started"
		} else {
			r["value"] = 1
		}
		reports = append(reports, r)
	}
	if resp, ans := f.push(f.admin, reports...); resp.StatusCode != http.StatusCreated {
		b.Fatalf("%d %+v", resp.StatusCode, ans.Error)
	}
	h, err := api.New(api.Config{Service: f.svc, Auth: f.auth})
	if err != nil {
		b.Fatal(err)
	}
	get := func(header ...string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, "/api/v1/indicators", nil)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	etag := get().Header().Get("ETag")
	for _, c := range []struct {
		name   string
		header []string
	}{
		{"identity", nil},
		{"gzip", []string{"Accept-Encoding", "gzip"}},
		{"not-modified", []string{"If-None-Match", etag}},
	} {
		name, header := c.name, c.header
		b.Run(name, func(b *testing.B) {
			var n int
			for b.Loop() {
				rec := get(header...)
				if rec.Code != http.StatusOK && rec.Code != http.StatusNotModified {
					b.Fatalf("%d", rec.Code)
				}
				n = rec.Body.Len()
			}
			b.ReportMetric(float64(n), "bytes/op")
		})
	}
}
