package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
)

func TestScrapeCountsSamplesNotComments(t *testing.T) {
	const body = "# HELP a An a.\n# TYPE a gauge\na{x=\"1\"} 1\na{x=\"2\"} 2\n# TYPE b counter\nb 3\n"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, body) }))
	defer srv.Close()
	var out bytes.Buffer
	if err := run(t.Context(), []string{"-mode", "scrape", "-url", srv.URL + "/metrics", "-n", "3", "-json"}, &out); err != nil {
		t.Fatal(err)
	}
	var res result
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatal(err)
	}
	if res.Series != 3 || res.Requests != 3 || res.Bytes != int64(len(body)) || res.Errors != 0 {
		t.Errorf("scrape result %+v, want 3 series, 3 requests, %d bytes", res, len(body))
	}
}

func TestPushSendsBatchesOfTheGivenDepartment(t *testing.T) {
	var reports, requests atomic.Int64
	var badAuth atomic.Bool
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/indicators", func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, `{"indicators":[{"id":"1.1","measure":"cumulative","department":"a"},{"id":"2.1","measure":"cumulative","department":"b"},{"id":"3.1","measure":"milestone","department":"a"}]}`)
	})
	mux.HandleFunc("POST /api/v1/reports", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer secret" {
			badAuth.Store(true)
		}
		var body struct {
			Reports []struct {
				Indicator string `json:"indicator"`
			} `json:"reports"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		for _, rep := range body.Reports {
			if rep.Indicator != "1.1" {
				http.Error(w, "indicator "+rep.Indicator+" is not department a's numeric one", http.StatusForbidden)
				return
			}
		}
		reports.Add(int64(len(body.Reports)))
		requests.Add(1)
		w.WriteHeader(http.StatusCreated)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	tok := t.TempDir() + "/token"
	if err := writeFile(tok, "secret\n"); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err := run(t.Context(), []string{"-mode", "duban", "-url", srv.URL, "-token-file", tok, "-department", "a",
		"-conns", "2", "-batch", "10", "-max-requests", "5", "-duration", "10s", "-json"}, &out)
	if err != nil {
		t.Fatal(err)
	}
	var res result
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatal(err)
	}
	if res.Errors != 0 || res.Requests != 5 || requests.Load() != 5 || reports.Load() != 50 || badAuth.Load() {
		t.Errorf("result %+v; server saw %d requests, %d reports, bad auth %v; want 5 requests of 10", res, requests.Load(), reports.Load(), badAuth.Load())
	}
}

func TestOnlyLoopbackIsTargeted(t *testing.T) {
	err := run(t.Context(), []string{"-mode", "scrape", "-url", "http://example.com/metrics", "-n", "1"}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("err %v, want a refusal to leave loopback", err)
	}
}

func writeFile(path, s string) error { return os.WriteFile(path, []byte(s), 0o600) }
