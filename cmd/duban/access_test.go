package main_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/duban-gov/duban/collector/auth"
	"github.com/duban-gov/duban/internal/testenv"
)

// authExtra returns YAML for newServer's extra that adds tokens to auth.tokens and sets
// auth.read (newServer writes extra right after the token list, inside auth:).
func authExtra(read string, tokens ...auth.Token) string {
	var b strings.Builder
	for _, t := range tokens {
		fmt.Fprintf(&b, "    - {role: %s, sha256: %s}\n", t.Role, t.SHA256)
	}
	fmt.Fprintf(&b, "  read: %s\n", read)
	return b.String()
}

// TestOneDepartmentsSlowUploadsStarveNobody replays the attack on the real binary with
// the default limits (max_concurrent 256, per_token_share 0.125) and a short
// http.min_body_rate_grace: rsj opens 270 uploads that stall after their first bytes.
// rsj gets its share (32) and 503 beyond it at once; meanwhile fgw and the admin push
// and an anonymous reader reads; the stalled uploads are cut with 408 once the grace
// has passed, and nothing of them is stored.
func TestOneDepartmentsSlowUploadsStarveNobody(t *testing.T) {
	const uploads, share = 270, 32
	s := newServer(t, "http: {min_body_rate_grace: 2s}\n")
	addr := strings.TrimPrefix(s.url, "http://")
	answers := make(chan int, uploads)
	for range uploads {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = conn.Close() }) // the server has cut it already, or the test failed
		if _, err := fmt.Fprintf(conn, "POST /api/v1/reports HTTP/1.1\r\nHost: duban\r\nAuthorization: Bearer %s\r\nContent-Type: text/csv\r\nContent-Length: 5000\r\n\r\nindicator,period,value\n57.1,", s.tokens["rsj"]); err != nil {
			t.Fatal(err)
		}
		if err := conn.SetReadDeadline(time.Now().Add(30 * time.Second)); err != nil {
			t.Fatal(err)
		}
		go func() {
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				answers <- 0
				return
			}
			_ = resp.Body.Close() // only the status is counted
			answers <- resp.StatusCode
		}()
	}
	got := map[int]int{}
	for range uploads - share { // all but rsj's share answer at once
		got[<-answers]++
	}
	if got[http.StatusServiceUnavailable] != uploads-share {
		t.Fatalf("rsj's stalled uploads beyond its share: %v, want %d × 503", got, uploads-share)
	}
	if code, _, err := s.push(s.tokens["fgw"], map[string]any{"indicator": "11.1", "period": "2026-03", "value": 1}); err != nil || code != http.StatusCreated {
		t.Fatalf("fgw's push while rsj's uploads stall: %d %v", code, err)
	}
	if code, _, err := s.push(s.tokens["admin"], map[string]any{"indicator": "57.1", "period": "2026-02", "value": 1}); err != nil || code != http.StatusCreated {
		t.Fatalf("the admin's push while rsj's uploads stall: %d %v", code, err)
	}
	for _, p := range []string{"/", "/api/v1/indicators", "/metrics"} {
		resp, err := http.Get(s.url + p)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("an anonymous GET %s while rsj's uploads stall: %v %v", p, resp, err)
		}
		testenv.ReadBody(t, resp)
	}
	t0 := time.Now()
	for range share { // those within the share: cut after the grace
		if code := <-answers; code != http.StatusRequestTimeout {
			t.Fatalf("a stalled upload within rsj's share answered %d, want 408", code)
		}
	}
	t.Logf("cut after %v", time.Since(t0))
	if h := s.history("57.1"); len(h) != 1 || h[0].Sender != "admin" {
		t.Fatalf("57.1 holds %+v, want the admin's report alone: nothing from the stalled uploads", h)
	}
	if code, _, err := s.push(s.tokens["rsj"], map[string]any{"indicator": "57.1", "period": "2026-03", "value": 1}); err != nil || code != http.StatusCreated {
		t.Fatalf("rsj's push once its uploads were cut: %d %v", code, err)
	}
}

// TestPrometheusScrapesWithTheScrapeToken: a real Prometheus scrapes a collector with
// auth.read: token using a scrape token from a credentials_file: the target is up and
// the series arrive; a job without the token, and one with a wrong token, are down
// with 401, and an anonymous GET /metrics answers 401.
func TestPrometheusScrapesWithTheScrapeToken(t *testing.T) {
	testenv.NeedBinary(t, "prometheus")
	scrape, scrapeHash := testenv.Token(t)
	s := newServer(t, authExtra("token", auth.Token{Role: auth.RoleMetrics, SHA256: scrapeHash}))
	addr := strings.TrimPrefix(s.url, "http://")
	if code, _, err := s.push(s.tokens["rsj"], map[string]any{"indicator": "57.1", "period": "2026-03", "value": 9000}); err != nil || code != http.StatusCreated {
		t.Fatalf("push: %d %v", code, err)
	}
	resp, err := http.Get(s.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	testenv.ReadBody(t, resp)
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("anonymous GET /metrics: %d, want 401", resp.StatusCode)
	}
	prom := testenv.StartPrometheus(t, fmt.Sprintf(`global: {scrape_interval: 1s, scrape_timeout: 1s}
scrape_configs:
  - job_name: duban
    authorization: {credentials_file: scrape.token}
    static_configs: [{targets: ['%[1]s']}]
  - job_name: duban-anonymous
    static_configs: [{targets: ['%[1]s']}]
  - job_name: duban-wrong-token
    authorization: {credentials: not-a-token}
    static_configs: [{targets: ['%[1]s']}]
`, addr), testenv.Files{"scrape.token": scrape + "\n"})

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	want := map[string]string{"duban": "1", "duban-anonymous": "0", "duban-wrong-token": "0"}
	for {
		up := map[string]string{}
		if v, err := prom.Vector(ctx, "up"); err == nil {
			for _, smp := range v {
				up[smp.Metric["job"]] = fmt.Sprint(smp.Value[1])
			}
		}
		series, _ := prom.Vector(ctx, `duban_build_info{job="duban"}`)
		if fmt.Sprint(up) == fmt.Sprint(want) && len(series) == 1 {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("up %v, want %v; duban_build_info %v\n%s", up, want, series, prom.Log())
		}
		time.Sleep(250 * time.Millisecond)
	}
	// Prometheus says why the others are down.
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, prom.URL+"/api/v1/targets", nil)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var targets struct {
		Data struct {
			ActiveTargets []struct {
				ScrapePool string `json:"scrapePool"`
				Health     string `json:"health"`
				LastError  string `json:"lastError"`
			} `json:"activeTargets"`
		} `json:"data"`
	}
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &targets); err != nil {
		t.Fatalf("targets: %v %s", err, b)
	}
	for _, tg := range targets.Data.ActiveTargets {
		if tg.ScrapePool != "duban" && !strings.Contains(tg.LastError, "401") {
			t.Errorf("job %s: last error %q, want a 401", tg.ScrapePool, tg.LastError)
		}
	}
}
