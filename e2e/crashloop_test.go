// Package e2e holds whole-system proofs that drive the real duban binary.
package e2e_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/duban-gov/duban/collector/auth"
	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/internal/testenv"
)

// The crash loop: several clients push batches continuously, the collector is killed
// with SIGKILL at random moments and restarted, at least 20 times. Afterwards every
// acknowledged report must be readable with the value it was sent with, every batch is
// either wholly present or wholly absent, and the revisions of each (indicator, period)
// run 1..N without gaps or duplicates.

const (
	crashCycles  = 20
	crashClients = 4
)

type sent struct {
	batch     string // "c<client>-<n>", also the note of each report
	indicator string
	period    string
	value     float64
}

type ack struct {
	sent
	revision int
}

// crashRig is the collector of the crash loop (testenv.Serve, started and SIGKILLed
// again and again) with the tokens of the departments that push to it.
type crashRig struct {
	*testenv.Serve
	t      *testing.T
	url    string
	tokens map[string]string // department → token
	own    map[string][]string
	qtr    map[string]bool // indicators reported quarterly: they take quarters only
}

func newCrashRig(t *testing.T, storeYAML string) *crashRig {
	t.Helper()
	root := testenv.RepoRoot()
	catPath := filepath.Join(root, "indicators", "catalogs", "changzhi-2026.yaml")
	cat, err := indicators.Load(catPath)
	if err != nil {
		t.Fatal(err)
	}
	r := &crashRig{t: t, tokens: map[string]string{}, own: map[string][]string{}, qtr: map[string]bool{}}
	for _, e := range cat.Entries() {
		if e.Target.Measure != indicators.Milestone && e.Target.Relative == nil {
			r.own[e.Task.Lead] = append(r.own[e.Task.Lead], e.Target.ID)
			r.qtr[e.Target.ID] = e.Target.Cadence == indicators.Quarterly
		}
	}
	var depts []string
	for d := range r.own {
		depts = append(depts, d)
	}
	sort.Strings(depts)
	if len(depts) < crashClients {
		t.Fatalf("catalog has %d departments with numeric targets, want ≥ %d", len(depts), crashClients)
	}
	var lines []string
	for _, d := range depts[:crashClients] {
		tok, err := auth.Generate()
		if err != nil {
			t.Fatal(err)
		}
		r.tokens[d] = tok
		lines = append(lines, fmt.Sprintf("    - {department: %s, sha256: %s}", d, auth.Hash(tok)))
	}
	r.Serve = testenv.NewServe(t, testenv.ServeOptions{Ready: "/-/healthy", Timeout: 30 * time.Second, Config: func(addr, dir string) string {
		return fmt.Sprintf("listen: %s\ncatalog: %s\n%s\nlimits: {rate_per_second: -1}\nlog: {format: json, level: warn}\nauth:\n  tokens:\n%s\n",
			addr, catPath, strings.ReplaceAll(storeYAML, "$DIR", dir), strings.Join(lines, "\n"))
	}})
	r.url = r.URL
	return r
}

// pushLoop pushes batches until stop closes; acknowledged reports go to acks.
func (r *crashRig) pushLoop(client int, dept string, stop <-chan struct{}, seq *int, out chan<- []ack, sentAll chan<- []sent) {
	rng := rand.New(rand.NewPCG(uint64(client), 42))
	ids := r.own[dept]
	hc := &http.Client{Timeout: 5 * time.Second}
	for {
		select {
		case <-stop:
			return
		default:
		}
		*seq++
		batch := fmt.Sprintf("c%d-%d", client, *seq)
		n := 1 + rng.IntN(8)
		reports := make([]sent, n)
		body := struct {
			Reports []map[string]any `json:"reports"`
		}{}
		for i := range reports {
			id := ids[rng.IntN(len(ids))]
			period := fmt.Sprintf("2026-%02d", 1+rng.IntN(10)) // months that are over
			if r.qtr[id] {
				period = fmt.Sprintf("2026-Q%d", 1+rng.IntN(3))
			}
			reports[i] = sent{batch: batch, indicator: id, period: period, value: float64(rng.IntN(100000))}
			body.Reports = append(body.Reports, map[string]any{"indicator": reports[i].indicator, "period": reports[i].period, "value": reports[i].value, "note": batch})
		}
		sentAll <- reports
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest(http.MethodPost, r.url+"/api/v1/reports", bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+r.tokens[dept])
		req.Header.Set("Content-Type", "application/json")
		resp, err := hc.Do(req)
		if err != nil {
			time.Sleep(5 * time.Millisecond)
			continue // the collector is down: not acknowledged
		}
		var rb struct {
			Receipts []indicators.Receipt `json:"receipts"`
		}
		raw, rerr := io.ReadAll(resp.Body)
		if rerr = errors.Join(rerr, resp.Body.Close()); rerr != nil {
			time.Sleep(5 * time.Millisecond)
			continue // the collector went down while answering: not acknowledged
		}
		if resp.StatusCode != http.StatusCreated {
			if resp.StatusCode < 500 {
				r.t.Errorf("push %s: status %d: %s", batch, resp.StatusCode, raw)
			}
			continue
		}
		if err := json.Unmarshal(raw, &rb); err != nil || len(rb.Receipts) != n {
			r.t.Errorf("push %s: bad receipts %s (%v)", batch, raw, err)
			continue
		}
		acks := make([]ack, n)
		for i, rc := range rb.Receipts {
			if rc.Indicator != reports[i].indicator || rc.Period != reports[i].period {
				r.t.Errorf("receipt %d of %s is for %s/%s, sent %s/%s", i, batch, rc.Indicator, rc.Period, reports[i].indicator, reports[i].period)
			}
			acks[i] = ack{sent: reports[i], revision: rc.Revision}
		}
		out <- acks
	}
}

func (r *crashRig) history(id string) []indicators.Revision {
	r.t.Helper()
	resp, err := http.Get(r.url + "/api/v1/indicators/" + id + "/reports")
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		r.t.Fatalf("history %s: %d %s", id, resp.StatusCode, raw)
	}
	var body struct {
		Revisions []indicators.Revision `json:"revisions"`
	}
	if err := json.Unmarshal(raw, &body); err != nil {
		r.t.Fatalf("history %s: %v: %s", id, err, raw)
	}
	return body.Revisions
}

// runCrashLoop drives the loop. gaps allows revision numbers that were reserved by a
// batch that never landed (the InfluxDB backend reserves numbers before writing);
// numbers must still be unique and increasing, and every receipt must match.
func runCrashLoop(t *testing.T, r *crashRig, gaps bool, between func(cycle int), settle func()) {
	acksC := make(chan []ack, 1024)
	sentC := make(chan []sent, 1024)
	var acked []ack
	sentBatches := map[string][]sent{}
	var collect sync.WaitGroup
	collect.Add(2)
	go func() {
		defer collect.Done()
		for a := range acksC {
			acked = append(acked, a...)
		}
	}()
	go func() {
		defer collect.Done()
		for s := range sentC {
			sentBatches[s[0].batch] = s
		}
	}()

	depts := make([]string, 0, len(r.tokens))
	for d := range r.tokens {
		depts = append(depts, d)
	}
	sort.Strings(depts)
	seqs := make([]int, len(depts))
	rng := rand.New(rand.NewPCG(7, 7))
	deadline := time.Now().Add(3 * time.Minute)
	r.Start()
	for cycle := 0; cycle < crashCycles; cycle++ {
		if time.Now().After(deadline) {
			t.Fatalf("crash loop exceeded its time bound after %d cycles", cycle)
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for i, d := range depts {
			wg.Add(1)
			go func() { defer wg.Done(); r.pushLoop(i, d, stop, &seqs[i], acksC, sentC) }()
		}
		time.Sleep(time.Duration(50+rng.IntN(300)) * time.Millisecond)
		r.Kill() // SIGKILL while the clients are pushing
		close(stop)
		wg.Wait()
		if between != nil {
			between(cycle)
		}
		r.Start()
	}
	close(acksC)
	close(sentC)
	collect.Wait()
	if settle != nil {
		settle()
	}
	if len(acked) == 0 {
		t.Fatal("no report was acknowledged")
	}

	// Read everything back.
	ids := map[string]bool{}
	for _, s := range sentBatches {
		for _, x := range s {
			ids[x.indicator] = true
		}
	}
	stored := map[string]map[string][]indicators.Revision{} // indicator → period → revisions
	byBatch := map[string]int{}
	for id := range ids {
		stored[id] = map[string][]indicators.Revision{}
		for _, rev := range r.history(id) {
			stored[id][rev.Period] = append(stored[id][rev.Period], rev)
			byBatch[rev.Note]++
		}
	}
	// 1. Every acknowledged report is there with its value.
	for _, a := range acked {
		found := false
		for _, rev := range stored[a.indicator][a.period] {
			if rev.Revision == a.revision {
				found = true
				if rev.Value == nil || *rev.Value != a.value || rev.Note != a.batch {
					t.Errorf("%s/%s rev %d: stored value %v note %q, acknowledged %v from %s", a.indicator, a.period, a.revision, rev.Value, rev.Note, a.value, a.batch)
				}
			}
		}
		if !found {
			t.Errorf("acknowledged %s/%s revision %d (batch %s) is lost", a.indicator, a.period, a.revision, a.batch)
		}
	}
	// 2. No batch half-applied.
	for batch, n := range byBatch {
		if want := len(sentBatches[batch]); n != want {
			t.Errorf("batch %s: %d of its %d reports stored", batch, n, want)
		}
	}
	// 3. Revisions per (indicator, period): 1..N; with gaps, unique and increasing.
	for id, periods := range stored {
		for p, revs := range periods {
			sort.Slice(revs, func(i, j int) bool { return revs[i].Revision < revs[j].Revision })
			if !revisionsConsistent(revs, gaps) {
				t.Errorf("%s/%s: revisions %v, want unique, increasing from 1 (gaps allowed: %v)", id, p, revisionNumbers(revs), gaps)
			}
		}
	}
	t.Logf("%d cycles, %d acknowledged reports in %d batches sent, %d batches stored", crashCycles, len(acked), len(sentBatches), len(byBatch))
}

// revisionsConsistent checks sorted revisions: each above the one before, from 1 on,
// and without gaps unless allowed.
func revisionsConsistent(revs []indicators.Revision, gaps bool) bool {
	prev := 0
	for i, r := range revs {
		if r.Revision <= prev || (!gaps && r.Revision != i+1) {
			return false
		}
		prev = r.Revision
	}
	return true
}

func revisionNumbers(revs []indicators.Revision) []int {
	out := make([]int, len(revs))
	for i, r := range revs {
		out[i] = r.Revision
	}
	return out
}

func TestCrashLoopEmbedded(t *testing.T) {
	r := newCrashRig(t, "store: {kind: embedded, path: $DIR/data}")
	runCrashLoop(t, r, false, nil, nil)
}

func TestCrashLoopInfluxDBWithOutages(t *testing.T) {
	influx := testenv.StartInfluxd(t)
	r := newCrashRig(t, fmt.Sprintf("store:\n  kind: influxdb\n  path: $DIR/data\n  influxdb: {url: %s, org: duban, bucket: %s, timeout: 5s, refresh: 1h}", influx.URL, influx.Bucket))
	// InfluxDB goes away for a third of the cycles, so kills land both while spooling
	// and while replaying.
	down := false
	runCrashLoop(t, r, true, func(cycle int) {
		switch cycle % 6 {
		case 1:
			influx.Stop()
			down = true
		case 3:
			influx.Start()
			down = false
		}
	}, func() {
		// InfluxDB back for good: the spool must drain before everything is read back.
		if down {
			influx.Start()
		}
		r.waitReplayed(2 * time.Minute)
	})
}

// waitReplayed polls /-/ready until the collector no longer reports degraded.
func (r *crashRig) waitReplayed(timeout time.Duration) {
	r.t.Helper()
	deadline := time.Now().Add(timeout)
	last := ""
	for time.Now().Before(deadline) {
		resp, err := http.Get(r.url + "/-/ready")
		if err == nil {
			var body struct{ Status, Detail string }
			_ = json.NewDecoder(resp.Body).Decode(&body) // not ready to say: poll again
			_ = resp.Body.Close()                        // only its status and detail count
			last = body.Detail
			if resp.StatusCode == http.StatusOK && !strings.Contains(body.Detail, "degraded") {
				return
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	r.t.Fatalf("spool not replayed within %v (last /-/ready detail %q)", timeout, last)
}
