// Command loadgen loads a running duban collector or a Prometheus Pushgateway on
// 127.0.0.1 with the same values, and prints one result line per scenario.
//
//	loadgen -mode duban  -url http://127.0.0.1:8080 -token-file T -conns 16 -batch 1 -duration 10s
//	loadgen -mode pushgw -url http://127.0.0.1:9091 -conns 16 -duration 10s
//	loadgen -mode scrape -url http://127.0.0.1:8080/metrics -n 20
//	loadgen -mode ids    -url http://127.0.0.1:8080 > ids   # numeric indicators, for -indicators
//	loadgen -mode influx-raw -url http://127.0.0.1:8086 -bucket db/autogen -indicators ids -batch 100
//	                     # the same reports as points, written straight to InfluxDB (/api/v2/write)
//
// -keyed gives every report its own idempotency key (-key-prefix, then a counter), so
// each request is built when sent rather than taken from the prepared ones.
//
// Requests are bounded in count and time, and only ever go to the given URL.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/duban-gov/duban/indicators"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

type options struct {
	mode, url, tokenFile, indicatorsFile, period, department string
	bucket, keyPrefix                                        string
	conns, batch, n, maxRequests                             int
	duration                                                 time.Duration
	jsonOut, gzip, keyed                                     bool
}

func run(ctx context.Context, args []string, out io.Writer) error {
	var o options
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.StringVar(&o.mode, "mode", "duban", "duban | pushgw | influx-raw | scrape | ids (print the numeric indicators of a duban)")
	fs.StringVar(&o.bucket, "bucket", "", "influx-raw: the bucket (db/rp on InfluxDB 1.8)")
	fs.BoolVar(&o.keyed, "keyed", false, "duban: an idempotency key on every report")
	fs.StringVar(&o.keyPrefix, "key-prefix", "k", "duban -keyed: prefix of the keys (a new prefix, new keys)")
	fs.StringVar(&o.url, "url", "http://127.0.0.1:8080", "base URL (scrape: the full /metrics URL)")
	fs.StringVar(&o.tokenFile, "token-file", "", "file holding the admin bearer token (duban)")
	fs.StringVar(&o.indicatorsFile, "indicators", "", "file with one indicator id per line (default: GET /api/v1/indicators)")
	fs.StringVar(&o.period, "period", "2026-03", "reporting period")
	fs.StringVar(&o.department, "department", "", "only the indicators this department leads (to push with its token)")
	fs.IntVar(&o.conns, "conns", 16, "concurrent connections")
	fs.IntVar(&o.batch, "batch", 1, "reports per request (duban)")
	fs.IntVar(&o.n, "n", 20, "scrapes (scrape mode)")
	fs.IntVar(&o.maxRequests, "max-requests", 2_000_000, "upper bound on requests")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "how long to push")
	fs.BoolVar(&o.jsonOut, "json", false, "print JSON instead of a text line")
	fs.BoolVar(&o.gzip, "gzip", true, "scrape: accept gzip as Prometheus does (the body is decompressed and counted uncompressed)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	u, err := url.Parse(o.url)
	if err != nil {
		return fmt.Errorf("url: %w", err)
	}
	if h := u.Hostname(); h != "127.0.0.1" && h != "localhost" && h != "::1" {
		return fmt.Errorf("url %s: loadgen only targets loopback", o.url)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: o.conns * 2, MaxConnsPerHost: o.conns, DisableCompression: !o.gzip}, Timeout: 60 * time.Second}
	var res result
	switch o.mode {
	case "duban", "pushgw", "influx-raw":
		ids, err := indicatorIDs(ctx, client, o)
		if err != nil {
			return err
		}
		res, err = push(ctx, client, o, ids)
		if err != nil {
			return err
		}
	case "ids":
		ids, err := indicatorIDs(ctx, client, o)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(out, strings.Join(ids, "\n"))
		return err
	case "scrape":
		res, err = scrape(ctx, client, o)
		if err != nil {
			return err
		}
	default:
		return fmt.Errorf("unknown mode %q", o.mode)
	}
	if o.jsonOut {
		return json.NewEncoder(out).Encode(res)
	}
	_, err = fmt.Fprintln(out, res.String())
	return err
}

type result struct {
	Mode       string  `json:"mode"`
	Conns      int     `json:"conns"`
	Batch      int     `json:"batch"`
	Requests   int64   `json:"requests"`
	Errors     int64   `json:"errors"`
	Seconds    float64 `json:"seconds"`
	ReqPerSec  float64 `json:"requests_per_second"`
	RepPerSec  float64 `json:"reports_per_second"`
	P50ms      float64 `json:"p50_ms"`
	P99ms      float64 `json:"p99_ms"`
	Bytes      int64   `json:"bytes,omitempty"`
	Series     int64   `json:"series,omitempty"`
	FirstError string  `json:"first_error,omitempty"`
}

func (r result) String() string {
	if r.Mode == "scrape" {
		return fmt.Sprintf("mode=scrape n=%d errors=%d p50=%.2fms p99=%.2fms bytes=%d series=%d", r.Requests, r.Errors, r.P50ms, r.P99ms, r.Bytes, r.Series)
	}
	return fmt.Sprintf("mode=%s conns=%d batch=%d requests=%d errors=%d req/s=%.0f reports/s=%.0f p50=%.2fms p99=%.2fms %s",
		r.Mode, r.Conns, r.Batch, r.Requests, r.Errors, r.ReqPerSec, r.RepPerSec, r.P50ms, r.P99ms, r.FirstError)
}

func indicatorIDs(ctx context.Context, c *http.Client, o options) (ids []string, err error) {
	if o.indicatorsFile != "" {
		b, err := os.ReadFile(o.indicatorsFile)
		if err != nil {
			return nil, err
		}
		return strings.Fields(string(b)), nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(o.url, "/")+"/api/v1/indicators", nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("list indicators: %w", err)
	}
	defer func() { err = errors.Join(err, resp.Body.Close()) }()
	var body struct {
		Indicators []struct {
			ID         string `json:"id"`
			Measure    string `json:"measure"`
			Department string `json:"department"`
			Cadence    string `json:"cadence"`
		} `json:"indicators"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return nil, fmt.Errorf("list indicators: %w", err)
	}
	period, err := indicators.ParsePeriod(o.period)
	if err != nil {
		return nil, err
	}
	for _, in := range body.Indicators {
		// A quarterly indicator takes only periods that end a quarter (period_not_in_cadence).
		inCadence := (&indicators.Target{Cadence: indicators.Cadence(in.Cadence)}).InCadence(period)
		if in.Measure != "milestone" && inCadence && (o.department == "" || in.Department == o.department) {
			ids = append(ids, in.ID)
		}
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("no numeric indicators listed by %s", o.url)
	}
	return ids, nil
}

func push(ctx context.Context, c *http.Client, o options, ids []string) (result, error) {
	token := ""
	if o.mode == "duban" {
		b, err := os.ReadFile(o.tokenFile)
		if err != nil {
			return result{}, fmt.Errorf("token: %w", err)
		}
		token = strings.TrimSpace(string(b))
	}
	// The request bodies are built before the clock starts and reused in turn, so that
	// the load generator, sharing the machine with the server, spends little CPU; each
	// body carries different indicators and values (every indicator appears in some
	// body), and re-reports are new revisions.
	nb := max(64, min(4096, (len(ids)+o.batch-1)/o.batch)) // every indicator appears
	bodies := make([][]byte, 0, nb)
	for k := 0; k < nb && o.mode == "duban"; k++ {
		bodies = append(bodies, reportsBody(o, ids, int64(k)))
	}
	ctx, cancel := context.WithTimeout(ctx, o.duration)
	defer cancel()
	l := &load{c: c, o: o, token: token, ids: ids, bodies: bodies}
	var wg sync.WaitGroup
	start := time.Now()
	for range o.conns {
		wg.Go(func() { l.worker(ctx) })
	}
	wg.Wait()
	secs := time.Since(start).Seconds()
	r := result{Mode: o.mode, Conns: o.conns, Batch: o.batch, Requests: l.reqs.Load(), Errors: l.errs.Load(), Seconds: secs}
	if o.mode == "pushgw" {
		r.Batch = 1
	}
	r.ReqPerSec = float64(r.Requests) / secs
	r.RepPerSec = r.ReqPerSec * float64(r.Batch)
	r.P50ms, r.P99ms = quantiles(l.lat)
	if v, ok := l.firstErr.Load().(string); ok {
		r.FirstError = "first_error=" + v
	}
	return r, nil
}

// load is one push run shared by its workers: what they send and what they count.
type load struct {
	c      *http.Client
	o      options
	token  string
	ids    []string
	bodies [][]byte

	seq, reqs, errs atomic.Int64
	firstErr        atomic.Value
	mu              sync.Mutex
	lat             []time.Duration
}

// worker sends requests one after another until ctx ends or the request budget is
// spent, and adds its latencies to the run's.
func (l *load) worker(ctx context.Context) {
	local := make([]time.Duration, 0, 4096)
	for ctx.Err() == nil {
		n := l.seq.Add(1)
		if n > int64(l.o.maxRequests) {
			break
		}
		req, err := buildRequest(ctx, l.o, l.token, l.ids, n, l.bodies)
		if err != nil {
			l.fail(err.Error())
			break
		}
		t0 := time.Now()
		if err := l.send(req); err != nil {
			if ctx.Err() == nil {
				l.fail(err.Error())
			}
			continue
		}
		l.reqs.Add(1)
		local = append(local, time.Since(t0))
	}
	l.mu.Lock()
	l.lat = append(l.lat, local...)
	l.mu.Unlock()
}

// send does one request and reads its answer to the end; an answer of 300 or more
// is an error carrying the start of its body.
func (l *load) send(req *http.Request) error {
	resp, err := l.c.Do(req)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(resp.Body)
	if err = errors.Join(err, resp.Body.Close()); err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		return fmt.Errorf("status %d: %.200s", resp.StatusCode, body)
	}
	return nil
}

func (l *load) fail(msg string) {
	l.errs.Add(1)
	l.firstErr.CompareAndSwap(nil, msg)
}

func buildRequest(ctx context.Context, o options, token string, ids []string, n int64, bodies [][]byte) (*http.Request, error) {
	base := strings.TrimRight(o.url, "/")
	if o.mode == "influx-raw" {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v2/write?precision=ns&bucket="+url.QueryEscape(o.bucket), bytes.NewReader(rawLines(o, ids, n)))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "text/plain; charset=utf-8")
		return req, nil
	}
	if o.keyed {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/reports", bytes.NewReader(keyedBody(o, ids, n)))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		return req, nil
	}
	if o.mode == "pushgw" {
		id := ids[int(n)%len(ids)]
		body := fmt.Sprintf("# TYPE duban_indicator_value gauge\nduban_indicator_value %d\n", n)
		req, err := http.NewRequestWithContext(ctx, http.MethodPut, base+"/metrics/job/duban/indicator/"+url.PathEscape(id), strings.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "text/plain; version=0.0.4")
		return req, nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/reports", bytes.NewReader(bodies[int(n)%len(bodies)]))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	return req, nil
}

// reportsBody is the n-th batch: o.batch reports over ids in turn, values varying.
func reportsBody(o options, ids []string, n int64) []byte {
	var buf bytes.Buffer
	buf.WriteString(`{"reports":[`)
	for i := 0; i < o.batch; i++ {
		if i > 0 {
			buf.WriteByte(',')
		}
		k := int(n)*o.batch + i
		fmt.Fprintf(&buf, `{"indicator":%q,"period":%q,"value":%d,"reason":"bench"}`, ids[k%len(ids)], o.period, k%1000+1)
	}
	buf.WriteString(`]}`)
	return buf.Bytes()
}

// keyedBody is request n with its own idempotency key on every report.
func keyedBody(o options, ids []string, n int64) []byte {
	var buf bytes.Buffer
	buf.WriteString(`{"reports":[`)
	for i := 0; i < o.batch; i++ {
		if i > 0 {
			buf.WriteByte(',')
		}
		k := int(n)*o.batch + i
		fmt.Fprintf(&buf, `{"indicator":%q,"period":%q,"value":%d,"reason":"bench","idempotency_key":"%s-%d"}`, ids[k%len(ids)], o.period, k%1000+1, o.keyPrefix, k)
	}
	buf.WriteString(`]}`)
	return buf.Bytes()
}

// rawLines is request n as a hand-written client would send the same reports to
// InfluxDB: one point per report shaped like the collector's (the same tags and
// fields), each at its own time so that none overwrites another.
func rawLines(o options, ids []string, n int64) []byte {
	var buf bytes.Buffer
	pe := time.Date(2026, 4, 1, 0, 0, 0, 0, time.FixedZone("CST", 8*3600)).UnixNano()
	now := time.Now().UnixNano()
	for i := 0; i < o.batch; i++ {
		k := int(n)*o.batch + i
		fmt.Fprintf(&buf, "report,collector=raw,department=d,indicator=%s,task=1,unit=%% revision=%di,received_at=%di,value=%d,period=\"%s\",id=\"%024x\",sender=\"d\",remote=\"127.0.0.1:5000\",reason=\"bench\" %d\n",
			strings.NewReplacer(",", `\,`, " ", `\ `, "=", `\=`).Replace(ids[k%len(ids)]), 1+k/len(ids), now, k%1000+1, o.period, k, pe+int64(1+k/len(ids))*1000+1)
	}
	return buf.Bytes()
}

func scrape(ctx context.Context, c *http.Client, o options) (result, error) {
	var lat []time.Duration
	r := result{Mode: "scrape"}
	for i := 0; i < o.n; i++ {
		t0 := time.Now()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, o.url, nil)
		if err != nil {
			return r, err
		}
		resp, err := c.Do(req)
		if err != nil {
			return r, fmt.Errorf("scrape: %w", err)
		}
		var lc lineCounter
		n, err := io.Copy(&lc, resp.Body)
		if err = errors.Join(err, resp.Body.Close()); err != nil {
			return r, fmt.Errorf("scrape: %w", err)
		}
		lat = append(lat, time.Since(t0))
		if resp.StatusCode != http.StatusOK {
			r.Errors++
		}
		r.Bytes, r.Series = n, lc.samples
		r.Requests++
	}
	r.P50ms, r.P99ms = quantiles(lat)
	return r, nil
}

// lineCounter counts the sample lines (not starting with #) of a text exposition.
type lineCounter struct {
	samples int64
	midLine bool
}

func (c *lineCounter) Write(p []byte) (int, error) {
	for _, b := range p {
		if !c.midLine && b != '#' && b != '\n' {
			c.samples++
		}
		c.midLine = b != '\n'
	}
	return len(p), nil
}

func quantiles(d []time.Duration) (p50, p99 float64) {
	if len(d) == 0 {
		return 0, 0
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	at := func(q float64) float64 {
		i := int(q * float64(len(d)-1))
		return float64(d[i].Microseconds()) / 1000
	}
	return at(0.50), at(0.99)
}
