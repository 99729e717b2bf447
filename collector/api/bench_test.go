package api_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/duban-gov/duban/collector/api"
)

// BenchmarkPushSingleReport measures durable single-report pushes through the whole
// handler chain (auth, rate limit off, decode, validate, bbolt append with fsync,
// snapshot update) from parallel clients, without the network.
func BenchmarkPushSingleReport(b *testing.B) {
	f := newFixtureCatalog(b, loadCatalog(b, "indicators/testdata/mini.yaml"), func(c *api.Config) { c.Logger = nil })
	h, err := api.New(api.Config{Service: f.svc, Auth: f.auth, RatePerSecond: -1})
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
