package influx_test

import (
	"bytes"
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/internal/testenv"
)

// rowCounter is a transparent proxy in front of a real influxd that counts the rows
// InfluxDB answered to the statements containing match.
type rowCounter struct {
	match string
	rows  atomic.Int64
}

func (c *rowCounter) serve(t *testing.T, target string) string {
	t.Helper()
	return inFront(t, target, func(w http.ResponseWriter, r *http.Request, body []byte, proxy http.Handler) bool {
		form, _ := url.ParseQuery(string(body))
		if r.URL.Path != "/query" || !strings.Contains(form.Get("q"), c.match) {
			return false
		}
		r.Header.Del("Accept-Encoding") // count plain JSON
		rec := httptest.NewRecorder()
		proxy.ServeHTTP(rec, r)
		c.rows.Add(int64(strings.Count(rec.Body.String(), `],[`) + strings.Count(rec.Body.String(), `"values":[[`)))
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
		return true
	})
}

// inFront starts a transparent proxy in front of a real influxd (target): intercept sees
// every request with its body read (and left readable) and the proxy, and answers it
// itself by returning true; else the proxy passes it on.
func inFront(t *testing.T, target string, intercept func(w http.ResponseWriter, r *http.Request, body []byte, proxy http.Handler) bool) string {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(u)
	proxy.ErrorLog = log.New(io.Discard, "", 0) // refused while influxd is stopped: the outage
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		if !intercept(w, r, body, proxy) {
			proxy.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestAReplayReadsOnlyWhatTheOutageCouldHaveAdded: a spooled report of an (indicator,
// period) with a long history is replayed after reading the revisions from the spooled
// one up (what an earlier attempt or another replica could have stored meanwhile), not
// the whole history. A replay that read the history (every revision of the period, a
// million after a million keyed pushes to one period) timed out at every attempt while
// holding the write lock: the spool never drained and no push was answered for seconds
// at a time.
func TestAReplayReadsOnlyWhatTheOutageCouldHaveAdded(t *testing.T) {
	const history = 3000
	db := testenv.StartInfluxd(t)
	counter := &rowCounter{match: `"id", "indicator"`} // the replay's read of what is stored
	st := storage{bucket: db.Bucket, spool: t.TempDir()}
	s := openStore(t, &testenv.Influxd{URL: counter.serve(t, db.URL), Org: db.Org}, st)
	defer s.Close()
	batch := make([]indicators.Revision, history)
	for i := range batch {
		batch[i] = report("h.1", "2026-03", "", "", float64(i))
	}
	if _, err := s.Append(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	db.Stop()
	rc, err := s.Append(context.Background(), []indicators.Revision{report("h.1", "2026-03", "", "spooled", 1)})
	if err != nil || rc[0].Revision != history+1 || s.SpoolDepth() != 1 {
		t.Fatalf("Append during the outage = %+v, %v (spool %d); want revision %d spooled", rc, err, s.SpoolDepth(), history+1)
	}
	db.Start()
	eventually(t, "the spool drains", 20*time.Second, func() bool { return s.SpoolDepth() == 0 })
	if n := counter.rows.Load(); n > 10 {
		t.Errorf("the replay read %d stored revisions, want at most a few (those from the spooled revision up)", n)
	}
	out, err := db.QueryJSON(`SELECT revision, note FROM report WHERE indicator = 'h.1' AND time > '2026-03-31T16:00:00.0030005Z'`)
	if err != nil {
		t.Fatal(err)
	}
	if want := `"values":[["2026-03-31T16:00:00.003001001Z",3001,"spooled"]]`; !strings.Contains(string(out), want) {
		t.Errorf("stored: %s; want %s", out, want)
	}
}
