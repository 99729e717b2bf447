package influx_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/duban-gov/duban/collector/auth"
	"github.com/duban-gov/duban/conventions"
	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/internal/testenv"
)

// collectorProc is a real `duban serve` process with the InfluxDB store (testenv.Serve).
type collectorProc struct {
	*testenv.Serve
	t   *testing.T
	url string
}

// tokens are shared by every collector of a test: department → token.
type tokens map[string]string

func newTokens(t *testing.T) tokens {
	tk := tokens{}
	for _, d := range []string{"rsj", "fgw"} {
		tok, err := auth.Generate()
		if err != nil {
			t.Fatal(err)
		}
		tk[d] = tok
	}
	return tk
}

// newCollector writes a configuration for the mini catalog, the InfluxDB store on db's
// bucket and its own data dir, and starts the binary. The InfluxDB token travels in the
// environment, as operators are told to pass it.
func newCollector(t *testing.T, db *testenv.Influxd, bucket string, tk tokens) *collectorProc {
	t.Helper()
	var lines []string
	for d, tok := range tk {
		lines = append(lines, fmt.Sprintf("    - {department: %s, sha256: %s}", d, auth.Hash(tok)))
	}
	srv := testenv.StartServe(t, testenv.ServeOptions{
		Env: append(os.Environ(), "DUBAN_STORE_INFLUXDB_TOKEN=secret-influx-token"),
		Config: func(addr, dir string) string {
			return fmt.Sprintf(`listen: %s
catalog: %s
store:
  kind: influxdb
  path: %s
  influxdb: {url: %q, org: duban, bucket: %q, timeout: 2s, refresh: 200ms}
log: {format: json, level: info}
auth:
  tokens:
%s
`, addr, filepath.Join(testenv.RepoRoot(), "indicators/testdata/mini.yaml"), filepath.Join(dir, "data"), db.URL, bucket, strings.Join(lines, "\n"))
		},
	})
	return &collectorProc{Serve: srv, t: t, url: srv.URL}
}

// push sends one report and returns its receipt; it fails the test unless 201.
func (c *collectorProc) push(token string, report map[string]any) indicators.Receipt {
	c.t.Helper()
	b, _ := json.Marshal(map[string]any{"reports": []any{report}})
	req, _ := http.NewRequest(http.MethodPost, c.url+"/api/v1/reports", bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("push: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		c.t.Fatalf("push %v: %d %s\n%s", report, resp.StatusCode, body, c.Logs.String())
	}
	var ans struct{ Receipts []indicators.Receipt }
	if err := json.Unmarshal(body, &ans); err != nil || len(ans.Receipts) != 1 {
		c.t.Fatalf("push: answer %s: %v", body, err)
	}
	return ans.Receipts[0]
}

func (c *collectorProc) getJSON(path string, into any) {
	c.t.Helper()
	resp, err := http.Get(c.url + path)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(into); err != nil {
		c.t.Fatalf("GET %s: %v", path, err)
	}
}

// series returns GET /api/v1/indicators/ID's series (latest revision per period).
func (c *collectorProc) series(id string) []indicators.Revision {
	var d struct {
		Series []indicators.Revision `json:"series"`
	}
	c.getJSON("/api/v1/indicators/"+id, &d)
	return d.Series
}

// metric returns the value of the first /metrics sample whose name is name and whose
// line contains every one of the fragments.
func (c *collectorProc) metric(name string, fragments ...string) (float64, bool) {
	c.t.Helper()
	resp, err := http.Get(c.url + "/metrics")
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
next:
	for sc.Scan() {
		l := sc.Text()
		if !strings.HasPrefix(l, name+"{") && !strings.HasPrefix(l, name+" ") {
			continue
		}
		for _, f := range fragments {
			if !strings.Contains(l, f) {
				continue next
			}
		}
		v, err := strconv.ParseFloat(l[strings.LastIndexByte(l, ' ')+1:], 64)
		return v, err == nil
	}
	return 0, false
}

func eventually(t *testing.T, what string, within time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: %s", within, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestTwoCollectorsShareOneInfluxDB: reports pushed through collector A are read through
// collector B (API and /metrics) after B's refresh, and revisions count across both.
func TestTwoCollectorsShareOneInfluxDB(t *testing.T) {
	db := testenv.StartInfluxd(t)
	tk := newTokens(t)
	a := newCollector(t, db, db.Bucket, tk)
	b := newCollector(t, db, db.Bucket, tk)

	rc := a.push(tk["rsj"], map[string]any{"indicator": "57.1", "period": "2026-03", "value": 12345})
	if rc.Revision != 1 {
		t.Fatalf("first report through A: revision %d, want 1", rc.Revision)
	}
	eventually(t, "B's API shows the value pushed through A", 10*time.Second, func() bool {
		s := b.series("57.1")
		return len(s) == 1 && s[0].Value != nil && *s[0].Value == 12345 && s[0].Revision == 1
	})
	v, ok := b.metric(conventions.MetricValue, `indicator="57.1"`)
	if !ok || v != 12345 {
		t.Errorf("B /metrics %s{indicator=57.1} = %v (found %v), want 12345", conventions.MetricValue, v, ok)
	}
	if n, ok := b.metric(conventions.MetricSpoolDepth); !ok || n != 0 {
		t.Errorf("B /metrics %s = %v (found %v), want 0", conventions.MetricSpoolDepth, n, ok)
	}

	// A correction through B is revision 2 (B asks InfluxDB for the highest), and A
	// sees it after its refresh.
	rc = b.push(tk["rsj"], map[string]any{"indicator": "57.1", "period": "2026-03", "value": 12400})
	if rc.Revision != 2 {
		t.Errorf("correction through B: revision %d, want 2", rc.Revision)
	}
	eventually(t, "A's API shows the correction pushed through B", 10*time.Second, func() bool {
		s := a.series("57.1")
		return len(s) == 1 && s[0].Value != nil && *s[0].Value == 12400 && s[0].Revision == 2
	})
	var hist struct{ Revisions []indicators.Revision }
	a.getJSON("/api/v1/indicators/57.1/reports", &hist)
	if len(hist.Revisions) != 2 {
		t.Errorf("history through A has %d revisions, want 2", len(hist.Revisions))
	}
	for _, c := range []*collectorProc{a, b} {
		if strings.Contains(c.Logs.String(), "secret-influx-token") {
			t.Errorf("the InfluxDB token appears in the logs:\n%s", c.Logs.String())
		}
	}
}

// TestCollectorBinaryOutage runs the outage through the real binary: InfluxDB killed,
// reports pushed and acknowledged (the collector says degraded, /metrics shows the
// spool), the collector SIGKILLed and restarted during the outage (it still serves the
// spooled values), InfluxDB back: exactly the acknowledged reports in InfluxDB, once
// each, and the spool empty.
func TestCollectorBinaryOutage(t *testing.T) {
	db := testenv.StartInfluxd(t)
	tk := newTokens(t)
	c := newCollector(t, db, db.Bucket, tk)
	type sent struct {
		value float64
		rc    indicators.Receipt
	}
	var all []sent
	push := func(i int) {
		v := float64(1000 + i)
		id, token := "57.1", tk["rsj"]
		if i%2 == 1 {
			id, token = "11.1", tk["fgw"]
		}
		rc := c.push(token, map[string]any{"indicator": id, "period": fmt.Sprintf("2026-%02d", 1+i%4), "value": v})
		all = append(all, sent{v, rc})
	}
	for i := range 6 {
		push(i)
	}
	db.Stop()
	for i := 6; i < 26; i++ {
		push(i)
	}
	var ready struct{ Detail string }
	c.getJSON("/-/ready", &ready)
	if !strings.HasPrefix(ready.Detail, "degraded") {
		t.Errorf("/-/ready detail during the outage = %q, want degraded", ready.Detail)
	}
	if n, _ := c.metric(conventions.MetricSpoolDepth); n != 20 {
		t.Errorf("%s during the outage = %v, want 20", conventions.MetricSpoolDepth, n)
	}
	c.Kill()
	t0 := time.Now()
	c.Start() // still during the outage
	t.Logf("collector restarted during the outage in %s", time.Since(t0).Round(time.Millisecond))
	for i := 26; i < 40; i++ {
		push(i)
	}
	last := all[len(all)-1]
	if s := c.series(last.rc.Indicator); len(s) == 0 || func() bool {
		for _, r := range s {
			if r.Period == last.rc.Period {
				return *r.Value != last.value
			}
		}
		return true
	}() {
		t.Errorf("during the outage the API does not show the spooled value %v: %+v", last.value, s)
	}
	t0 = time.Now()
	db.Start()
	t.Logf("influxd restarted in %s", time.Since(t0).Round(time.Millisecond))
	eventually(t, "the spool drains", 30*time.Second, func() bool {
		n, ok := c.metric(conventions.MetricSpoolDepth)
		return ok && n == 0
	})
	t.Logf("spool drained %s after InfluxDB came back", time.Since(t0).Round(time.Millisecond))
	if errs, _ := c.metric(conventions.MetricInfluxWriteErrors); errs == 0 {
		t.Errorf("%s = 0 after an outage, want > 0", conventions.MetricInfluxWriteErrors)
	}
	b, err := db.QueryJSON(`SELECT "value", "revision", "period", "indicator" FROM "report"`)
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		Results []struct {
			Series []struct{ Values [][]any } `json:"series"`
		} `json:"results"`
	}
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	total := 0
	for _, r := range res.Results {
		for _, s := range r.Series {
			for _, v := range s.Values {
				total++
				count[fmt.Sprintf("%v %v %v %v", v[4], v[3], v[2], v[1])]++
			}
		}
	}
	if total != len(all) {
		t.Errorf("InfluxDB holds %d reports, %d were acknowledged", total, len(all))
	}
	for _, s := range all {
		k := fmt.Sprintf("%v %v %v %v", s.rc.Indicator, s.rc.Period, float64(s.rc.Revision), s.value)
		if count[k] != 1 {
			t.Errorf("acknowledged %s is stored %d times", k, count[k])
		}
	}
	t.Logf("%d acknowledged (20 spooled before the kill, 14 after the restart), %d in InfluxDB", len(all), total)
}
