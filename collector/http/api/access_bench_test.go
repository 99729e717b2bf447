package api_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/duban-gov/duban/collector/http/api"
)

// BenchmarkReadThroughTheGate measures a cheap read (GET /api/v1/departments) through
// the whole handler chain, in-flight shares included, from parallel clients without the
// network: anonymous, and with a reader token (sha256 and the constant-time comparison
// with every configured hash).
func BenchmarkReadThroughTheGate(b *testing.B) {
	f := newFixtureCatalog(b, loadCatalog(b, "indicators/testdata/mini.yaml"))
	for name, read := range map[string]api.ReadAccess{"anonymous": api.ReadPublic, "reader token": api.ReadToken} {
		b.Run(name, func(b *testing.B) {
			h, err := api.New(api.Config{Service: f.svc, Auth: f.auth, Settings: api.Settings{Read: read}})
			if err != nil {
				b.Fatal(err)
			}
			b.SetParallelism(8)
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					req := httptest.NewRequest(http.MethodGet, "/api/v1/departments", nil)
					if read == api.ReadToken {
						req.Header.Set("Authorization", "Bearer "+f.reader)
					}
					rec := httptest.NewRecorder()
					h.ServeHTTP(rec, req)
					if rec.Code != http.StatusOK {
						b.Fatalf("%d %s", rec.Code, rec.Body)
					}
				}
			})
		})
	}
}
