package api_test

import (
	"encoding/json"
	"net/http"
	"testing"
)

// FuzzPostReports sends arbitrary bodies to POST /api/v1/reports. Whatever the body,
// the answer is 201 with one receipt per report, or a 4xx error envelope with a code
// and nothing stored; never a 5xx.
func FuzzPostReports(f *testing.F) {
	seeds := []string{
		`{"reports":[{"indicator":"57.1","period":"2026-05","value":18000,"note":"1-5月","idempotency_key":"k1"}]}`,
		`{"reports":[{"indicator":"56.1","period":"2026-Q1","value":-0.5},{"indicator":"57.1","period":"2026-04-30","value":1}]}`,
		`{"reports":[{"indicator":"57.1","period":"2026-05","value":"NaN"}]}`,
		`{"reports":[{"indicator":"57.1","period":"2026-05","value":1e400}]}`,
		`{"reports":[{"indicator":"57.1","period":"2026-13","value":1}]}`,
		`{"reports":[{"indicator":"57.1","period":"2026-05","value":1,"x":1}]}`,
		`{"reports":[]}`, `{}`, `[]`, `null`, `{"reports":[null]}`, `{"reports":[{"indicator":"57.1"}]} x`,
	}
	for _, s := range seeds {
		f.Add(s)
	}
	fx := newFixtureCatalog(f, loadCatalog(f, "indicators/testdata/mini.yaml"))
	tok := fx.tokens["rsj"]
	f.Fuzz(func(t *testing.T, body string) {
		fx.t = t
		before := fx.stored()
		var ans pushAnswer
		resp := fx.do(http.MethodPost, "/api/v1/reports", tok, body, nil)
		raw := fx.lastBody
		if err := json.Unmarshal(raw, &ans); err != nil {
			t.Fatalf("%d: answer is not JSON: %q", resp.StatusCode, raw)
		}
		after := fx.stored()
		switch {
		case resp.StatusCode == http.StatusCreated:
			if ans.Accepted != len(ans.Receipts) || ans.Accepted == 0 || after-before > ans.Accepted {
				t.Fatalf("201 with %+v, stored %d more", ans, after-before)
			}
		case resp.StatusCode >= 400 && resp.StatusCode < 500:
			if ans.Error == nil || ans.Error.Code == "" || ans.Error.Message == "" {
				t.Fatalf("%d without an error envelope: %q", resp.StatusCode, raw)
			}
			if after != before {
				t.Fatalf("%d %s but %d revisions stored", resp.StatusCode, ans.Error.Code, after-before)
			}
		default:
			t.Fatalf("status %d for %q: %q", resp.StatusCode, body, raw)
		}
	})
}
