package api_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// fetch sends a read with the given headers and returns the answer with its body read
// as sent (no transparent decompression).
func (f *fixture) fetch(method, path string, header ...string) (*http.Response, []byte) {
	f.t.Helper()
	req, err := http.NewRequest(method, f.url+path, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	tr := &http.Transport{DisableCompression: true}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	return resp, b
}

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not gzip: %v", err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestEveryReadAnswersHEADWithETagAnd304AndGzip goes through every GET route of the
// server as `duban serve` mounts it.
func TestEveryReadAnswersHEADWithETagAnd304AndGzip(t *testing.T) {
	f := newFixture(t, withEverything(t))
	f.push(f.tokens["rsj"], map[string]any{"indicator": "57.1", "period": "2026-05", "value": 18000})
	cases := map[string]struct {
		path     string
		gzip     bool // compressed when the client accepts gzip
		validate bool // has an ETag, answers 304
	}{
		"the liveness probe":        {"/-/healthy", false, true}, // under 1 KiB: not worth compressing
		"the readiness probe":       {"/-/ready", false, true},
		"the metrics":               {"/metrics", true, false}, // compresses itself; changes at every scrape
		"the OpenAPI document":      {"/api/v1/openapi.json", true, true},
		"the indicators":            {"/api/v1/indicators", true, true},
		"one indicator":             {"/api/v1/indicators/57.1", false, true},
		"one indicator's revisions": {"/api/v1/indicators/57.1/reports", false, true},
		"the departments":           {"/api/v1/departments", false, true},
		"the completeness":          {"/api/v1/completeness?period=2026-05", true, true},
		"the bulletin in Markdown":  {"/api/v1/bulletins/2026-Q1", true, true},
		"the bulletin in HTML":      {"/api/v1/bulletins/2026-Q1?format=html", true, true},
		"the bulletin in Excel":     {"/api/v1/bulletins/2026-Q1?format=xlsx", false, true}, // a zip already
		"an Excel template":         {"/api/v1/templates/rsj?period=2026-05", false, true},
		"the board":                 {"/?department=rsj", true, true},
		"the board's stylesheet":    {"/static/board.css", true, true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			get, body := f.fetch(http.MethodGet, tc.path)
			if get.StatusCode != http.StatusOK || len(body) == 0 {
				t.Fatalf("GET: %d, %d bytes", get.StatusCode, len(body))
			}
			head, hb := f.fetch(http.MethodHead, tc.path)
			if head.StatusCode != http.StatusOK || len(hb) != 0 {
				t.Fatalf("HEAD: %d with %d bytes of body, want 200 and none", head.StatusCode, len(hb))
			}
			if head.Header.Get("Content-Type") != get.Header.Get("Content-Type") {
				t.Errorf("HEAD Content-Type %q, GET %q", head.Header.Get("Content-Type"), get.Header.Get("Content-Type"))
			}
			if tc.validate {
				if cl := head.Header.Get("Content-Length"); cl != strconv.Itoa(len(body)) {
					t.Errorf("HEAD Content-Length %q, GET sent %d bytes", cl, len(body))
				}
				etag := get.Header.Get("ETag")
				if !strings.HasPrefix(etag, `"`) || head.Header.Get("ETag") != etag {
					t.Fatalf("ETag %q (HEAD %q), want a strong tag, the same for both", etag, head.Header.Get("ETag"))
				}
				nm, nb := f.fetch(http.MethodGet, tc.path, "If-None-Match", etag)
				if nm.StatusCode != http.StatusNotModified || len(nb) != 0 || nm.Header.Get("ETag") != etag {
					t.Fatalf("If-None-Match %s: %d with %d bytes, ETag %q; want 304, no body", etag, nm.StatusCode, len(nb), nm.Header.Get("ETag"))
				}
				if nm, _ := f.fetch(http.MethodGet, tc.path, "If-None-Match", `"other", W/`+etag); nm.StatusCode != http.StatusNotModified {
					t.Errorf("a weak tag in a list: %d, want 304", nm.StatusCode)
				}
				if nm, _ := f.fetch(http.MethodGet, tc.path, "If-None-Match", `"other"`); nm.StatusCode != http.StatusOK {
					t.Errorf("another tag: %d, want 200", nm.StatusCode)
				}
			}
			gz, zb := f.fetch(http.MethodGet, tc.path, "Accept-Encoding", "gzip, deflate, br")
			if got := gz.Header.Get("Content-Encoding") == "gzip"; got != tc.gzip {
				t.Fatalf("Content-Encoding %q with Accept-Encoding gzip, want gzip: %v", gz.Header.Get("Content-Encoding"), tc.gzip)
			}
			if !tc.gzip {
				return
			}
			plain := gunzip(t, zb)
			if len(zb) >= len(plain) {
				t.Errorf("gzip %d bytes for %d", len(zb), len(plain))
			}
			if !strings.Contains(gz.Header.Get("Vary"), "Accept-Encoding") {
				t.Errorf("Vary %q lacks Accept-Encoding", gz.Header.Get("Vary"))
			}
			if !tc.validate {
				return
			}
			if !bytes.Equal(plain, body) {
				t.Errorf("decompressed answer differs from the identity one")
			}
			zt := gz.Header.Get("ETag")
			if zt == get.Header.Get("ETag") || !strings.HasSuffix(zt, `-gzip"`) {
				t.Errorf("gzip ETag %q, identity %q: a strong tag must differ per coding", zt, get.Header.Get("ETag"))
			}
			if nm, nb := f.fetch(http.MethodGet, tc.path, "Accept-Encoding", "gzip", "If-None-Match", zt); nm.StatusCode != http.StatusNotModified || len(nb) != 0 {
				t.Errorf("If-None-Match with the gzip tag: %d", nm.StatusCode)
			}
			if q0, _ := f.fetch(http.MethodGet, tc.path, "Accept-Encoding", "gzip;q=0, identity"); q0.Header.Get("Content-Encoding") != "" {
				t.Errorf("gzip;q=0 got Content-Encoding %q", q0.Header.Get("Content-Encoding"))
			}
		})
	}
}

// A new report changes what the reads say, and so their ETag.
func TestETagChangesWithTheData(t *testing.T) {
	f := newFixture(t)
	before, _ := f.fetch(http.MethodGet, "/api/v1/indicators/57.1")
	f.push(f.tokens["rsj"], map[string]any{"indicator": "57.1", "period": "2026-05", "value": 18000})
	after, _ := f.fetch(http.MethodGet, "/api/v1/indicators/57.1", "If-None-Match", before.Header.Get("ETag"))
	if after.StatusCode != http.StatusOK || after.Header.Get("ETag") == before.Header.Get("ETag") {
		t.Fatalf("after a push: %d, ETag %q (before %q); want 200 and a new tag", after.StatusCode, after.Header.Get("ETag"), before.Header.Get("ETag"))
	}
}

// Errors are neither cached nor compressed, and HEAD answers them without a body.
func TestReadErrorsAnswerHEADWithoutBody(t *testing.T) {
	f := newFixture(t, withEverything(t))
	cases := map[string]struct {
		method, path string
		status       int
	}{
		"an unknown indicator":          {http.MethodHead, "/api/v1/indicators/0.0", 404},
		"a bad filter":                  {http.MethodHead, "/api/v1/indicators?status=fine", 400},
		"an unknown API path":           {http.MethodHead, "/api/v1/nothing", 404},
		"a push route read":             {http.MethodHead, "/api/v1/reports", 405},
		"a write to a read route":       {http.MethodPost, "/api/v1/indicators", 405},
		"a write to the liveness probe": {http.MethodDelete, "/-/healthy", 405},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			resp, b := f.fetch(tc.method, tc.path, "Accept-Encoding", "gzip")
			if resp.StatusCode != tc.status || resp.Header.Get("ETag") != "" || resp.Header.Get("Content-Encoding") != "" {
				t.Fatalf("%d ETag %q Content-Encoding %q, want %d without either", resp.StatusCode, resp.Header.Get("ETag"), resp.Header.Get("Content-Encoding"), tc.status)
			}
			if tc.method == http.MethodHead && len(b) != 0 {
				t.Fatalf("HEAD answered %d bytes", len(b))
			}
		})
	}
}
