package main_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/sys/unix"

	"github.com/duban-gov/duban/collector/store/boltstore"
	"github.com/duban-gov/duban/internal/testenv"
)

// The store damage cases of issue 11, through the real binary: a damaged data file is
// refused with a message and an exit code, nothing is served, and the file is left as
// it was; `duban store check` finds the damage; `duban store backup` copies a serving
// store; /-/ready says when the store cannot write.

// runBin runs the duban binary and returns its output and exit code.
func runBin(t *testing.T, bin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		code = exit.ExitCode()
	default:
		t.Fatal(err)
	}
	return out.String(), errOut.String(), code
}

// storedServer is a server that has stored reports of 57.1 (three months, March
// corrected once: revision 2) and 11.1, then stopped with SIGTERM. Its duban.db is
// returned as pristine bytes.
func storedServer(t *testing.T) (*server, []byte) {
	t.Helper()
	s := newServer(t, "")
	for _, r := range []map[string]any{
		{"indicator": "57.1", "period": "2026-01", "value": 3900, "note": "mark-jan"},
		{"indicator": "57.1", "period": "2026-02", "value": 7600, "note": "mark-feb"},
		{"indicator": "57.1", "period": "2026-03", "value": 11700, "note": "mark-mar-1"},
		{"indicator": "57.1", "period": "2026-03", "value": 11800, "note": "mark-mar-2"},
	} {
		if code, _, err := s.push(s.tokens["rsj"], r); err != nil || code != http.StatusCreated {
			t.Fatalf("push %v: %d %v", r, code, err)
		}
	}
	if code, _, err := s.push(s.tokens["fgw"], map[string]any{"indicator": "11.1", "period": "2026-03", "value": 4.1e9}); err != nil || code != 201 {
		t.Fatalf("push 11.1: %d %v", code, err)
	}
	s.stop()
	b, err := os.ReadFile(s.dbPath())
	if err != nil {
		t.Fatal(err)
	}
	return s, b
}

func (s *server) dbPath() string { return filepath.Join(s.dataDir, boltstore.FileName) }

// stop ends the server with SIGTERM and waits for it: it must exit 0.
func (s *server) stop() {
	s.t.Helper()
	if err := s.Stop(30 * time.Second); err != nil {
		s.t.Fatalf("duban serve after SIGTERM: %v\n%s", err, s.Logs.String())
	}
}

func waitStatus(url string, status int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last string
	for time.Now().Before(deadline) {
		resp, err := http.Get(url)
		if err == nil {
			b, rerr := io.ReadAll(resp.Body)
			if rerr = errors.Join(rerr, resp.Body.Close()); rerr != nil {
				return rerr
			}
			if resp.StatusCode == status {
				return nil
			}
			last = fmt.Sprintf("%d %s", resp.StatusCode, b)
		} else {
			last = err.Error()
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%s did not answer %d in %v (last: %s)", url, status, timeout, last)
}

// startHealthy starts the server and waits for /-/healthy only (a damaged store is
// not ready).
func (s *server) startHealthy() {
	s.t.Helper()
	s.StartReady("/-/healthy")
}

// refusedStart runs `duban serve` on the damaged file and polls its API meanwhile:
// it must exit with code, say want, and never answer.
func (s *server) refusedStart(t *testing.T, code int, want ...string) {
	t.Helper()
	before := len(s.Logs.String())
	s.StartNoWait()
	answered := 0
	deadline := time.Now().Add(15 * time.Second)
	var err error
	for {
		var exited bool
		if exited, err = s.Wait(0); exited {
			break
		}
		if time.Now().After(deadline) {
			s.Kill()
			t.Fatalf("duban serve kept running on a damaged store\n%s", s.Logs.String()[before:])
		}
		if resp, herr := http.Get(s.url + "/api/v1/indicators/57.1"); herr == nil {
			_ = resp.Body.Close() // it answered; what it said is not the point here
			answered++
		}
		time.Sleep(5 * time.Millisecond)
	}
	logs := s.Logs.String()[before:]
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != code {
		t.Errorf("exit %v, want code %d\n%s", err, code, logs)
	}
	for _, w := range want {
		if !strings.Contains(logs, w) {
			t.Errorf("output does not say %q:\n%s", w, logs)
		}
	}
	if strings.Contains(logs, "goroutine ") || strings.Contains(logs, "SIGBUS") {
		t.Errorf("a crash, not a refusal:\n%s", logs)
	}
	if answered > 0 {
		t.Errorf("the API answered %d times while the damaged store was being opened", answered)
	}
}

func boltGeometry(t *testing.T, path string) (pageSize int, used int64) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.View(func(tx *bolt.Tx) error { used = tx.Size(); return nil }); err != nil {
		t.Fatal(err)
	}
	return db.Info().PageSize, used
}

func flipBit(t *testing.T, path string, at int64, bit uint) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[at] ^= 1 << bit
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func boltUpdate(t *testing.T, path string, fn func(tx *bolt.Tx) error) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(fn)
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
}

// TestServeRefusesADamagedStore: every kind of damage to duban.db, and every file
// that is not a store this build can use, is refused at start with a message and an
// exit code (3 damaged, 4 not a usable store); the API never answers; the file is
// left byte for byte as it was. Before, a 0-byte file started "ready" and empty and a
// cut one died with SIGBUS.
func TestServeRefusesADamagedStore(t *testing.T) {
	s, pristine := storedServer(t)
	path := s.dbPath()
	cases := map[string]struct {
		damage func(t *testing.T)
		code   int
		want   []string
	}{
		"a 0-byte file": {
			func(t *testing.T) { must(t, os.Truncate(path, 0)) },
			3, []string{"refusing to open " + path, "damaged: the file is empty (0 bytes)", "Backup and restore"},
		},
		"a file cut inside meta page 0": {
			func(t *testing.T) { must(t, os.Truncate(path, 50)) },
			3, []string{"damaged: the file is 50 bytes, shorter than bbolt's first meta page"},
		},
		"a file cut inside meta page 1": {
			func(t *testing.T) {
				ps, _ := boltGeometry(t, path)
				must(t, os.Truncate(path, int64(ps)+50))
			},
			3, []string{"damaged: bbolt meta page 1 missing"},
		},
		"a file cut in the middle of its data": {
			func(t *testing.T) {
				_, used := boltGeometry(t, path)
				must(t, os.Truncate(path, used/2))
			},
			3, []string{"it was cut short"},
		},
		"a file cut one page short": {
			func(t *testing.T) {
				ps, used := boltGeometry(t, path)
				must(t, os.Truncate(path, used-int64(ps)))
			},
			3, []string{"it was cut short"},
		},
		"a flipped bit in meta page 0": {
			func(t *testing.T) { flipBit(t, path, 16+40, 2) },
			3, []string{"damaged: bbolt meta page 0 fails its checksum", "one transaction older"},
		},
		"a flipped bit in meta page 1": {
			func(t *testing.T) {
				ps, _ := boltGeometry(t, path)
				flipBit(t, path, int64(ps)+16+48, 0)
			},
			3, []string{"damaged: bbolt meta page 1 fails its checksum"},
		},
		"a bbolt file of another program": {
			func(t *testing.T) {
				must(t, os.Remove(path))
				boltUpdate(t, path, func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("members")); return err })
			},
			4, []string{"not a duban store", `buckets "members"`},
		},
		"a store written by a newer duban": {
			func(t *testing.T) {
				boltUpdate(t, path, func(tx *bolt.Tx) error {
					h := []byte(`{"store":"duban","format":7,"created_at":"2027-03-01T00:00:00Z"}`)
					h = binary.BigEndian.AppendUint32(h, crc32.Checksum(h, crc32.MakeTable(crc32.Castagnoli)))
					meta := tx.Bucket([]byte("meta"))
					must(t, meta.Put([]byte("format"), []byte("7")))
					return meta.Put([]byte("header"), h)
				})
			},
			4, []string{"the store is in format 7, written by a newer duban; this build reads formats 3 to 6"},
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			must(t, os.WriteFile(path, pristine, 0o600))
			c.damage(t)
			before, err := os.ReadFile(path)
			must(t, err)
			s.refusedStart(t, c.code, c.want...)
			after, err := os.ReadFile(path)
			must(t, err)
			if !bytes.Equal(before, after) {
				t.Error("the refused file was changed")
			}
			out, _, code := runBin(t, testenv.DubanBinary(t), "store", "check", "--data", s.dataDir)
			if code != 1 || !strings.Contains(out, "DAMAGED") {
				t.Errorf("duban store check: exit %d\n%s", code, out)
			}
		})
	}
	// And the pristine file still serves.
	must(t, os.WriteFile(path, pristine, 0o600))
	s.Start()
	if h := s.history("57.1"); len(h) != 4 {
		t.Fatalf("pristine store: %d revisions of 57.1, want 4", len(h))
	}
}

// TestADamagedRecordIsFoundAndNeverServed: one flipped bit in the value of the latest
// revision of 57.1 for March (11800). `duban store check` names it and exits 1; the
// server starts but says not ready and why, serves neither 11800 nor anything else
// for March (not the superseded 11700 either), answers 503 for the indicator's
// history, refuses pushes, counts the damage in /metrics, and serves the rest.
func TestADamagedRecordIsFoundAndNeverServed(t *testing.T) {
	s, _ := storedServer(t)
	path := s.dbPath()
	b, err := os.ReadFile(path)
	must(t, err)
	n := 0
	// The record: version, revision, flags, then the value's 8 bytes; every copy of it
	// in the file (bbolt leaves stale ones in free pages) gets the same flip.
	for off := 0; ; {
		i := bytes.Index(b[off:], []byte("mark-mar-2"))
		if i < 0 {
			break
		}
		rec := off + i
		start := bytes.LastIndex(b[:rec], []byte{3, 2, 1}) // version 3, revision 2, value set
		if start < 0 || rec-start > 64 {
			t.Fatal("record start not found")
		}
		b[start+3+2] ^= 0x10 // 11800 becomes another number
		n++
		off = rec + 1
	}
	if n == 0 {
		t.Fatal("record not found in the file")
	}
	must(t, os.WriteFile(path, b, 0o600))

	out, _, code := runBin(t, testenv.DubanBinary(t), "store", "check", "--data", s.dataDir)
	if code != 1 || !strings.Contains(out, "indicator 57.1, period 2026-03") || !strings.Contains(out, "fails its checksum") {
		t.Errorf("duban store check: exit %d\n%s", code, out)
	}

	s.startHealthy()
	resp, err := http.Get(s.url + "/-/ready")
	must(t, err)
	var ready struct{ Status, Detail string }
	must(t, json.Unmarshal(testenv.ReadBody(t, resp), &ready))
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(ready.Detail, "damaged") || !strings.Contains(ready.Detail, "indicator 57.1, period 2026-03") {
		t.Errorf("/-/ready: %d %+v, want 503 naming the damaged record", resp.StatusCode, ready)
	}
	body := get(t, s.url+"/api/v1/indicators/57.1", 200)
	if !strings.Contains(body, "2026-02") || strings.Contains(body, "11800") || strings.Contains(body, "11700") || strings.Contains(body, `"period":"2026-03"`) {
		t.Errorf("/api/v1/indicators/57.1 serves March or misses February:\n%s", body)
	}
	if body := get(t, s.url+"/api/v1/indicators/57.1/reports", 503); !strings.Contains(body, "store_unavailable") {
		t.Errorf("history of 57.1: %s", body)
	}
	if body := get(t, s.url+"/api/v1/indicators/11.1/reports", 200); !strings.Contains(body, "4100000000") {
		t.Errorf("history of 11.1, intact: %s", body)
	}
	metrics := get(t, s.url+"/metrics", 200)
	for _, want := range []string{"duban_store_damaged_records 1", "duban_store_writable 0"} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if strings.Contains(metrics, "11800") {
		t.Error("/metrics serves the damaged value")
	}
	if code, _, _ := s.push(s.tokens["rsj"], map[string]any{"indicator": "57.1", "period": "2026-04", "value": 15000}); code != 503 {
		t.Errorf("push to a damaged store: %d, want 503", code)
	}
	if !strings.Contains(s.Logs.String(), "store damaged") {
		t.Errorf("the logs do not report the damage:\n%s", s.Logs.String())
	}
}

func get(t *testing.T, url string, status int) string {
	t.Helper()
	resp, err := http.Get(url)
	must(t, err)
	b := testenv.ReadBody(t, resp)
	if resp.StatusCode != status {
		t.Errorf("GET %s: %d, want %d: %.300s", url, resp.StatusCode, status, b)
	}
	return string(b)
}

func TestStoreCheckOnAHealthyStore(t *testing.T) {
	s, _ := storedServer(t)
	out, errOut, code := runBin(t, testenv.DubanBinary(t), "store", "check", "--config", s.cfgFile)
	if code != 0 || !strings.Contains(out, "format 6") || !strings.Contains(out, "records  5 read") ||
		!strings.Contains(out, "latest   4 values") || !strings.Contains(out, "healthy") {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}
	s.Start()
	_, errOut, code = runBin(t, testenv.DubanBinary(t), "store", "check", "--data", s.dataDir, "--timeout", "200ms")
	if code != 1 || !strings.Contains(errOut, "locked by another process") || !strings.Contains(errOut, "store backup") {
		t.Errorf("check of a serving store: exit %d: %s", code, errOut)
	}
}

// TestStoreBackupWhileServing: four clients push without pause; `duban store backup
// FILE --server URL` copies the serving store meanwhile. The copy passes `duban store
// check` and holds every report acknowledged before the backup began, with its value.
func TestStoreBackupWhileServing(t *testing.T) {
	s := newServer(t, "limits: {rate_per_second: -1}\n")
	tokenFile := filepath.Join(t.TempDir(), "admin")
	must(t, os.WriteFile(tokenFile, []byte(s.tokens["admin"]), 0o600))
	type acked struct {
		receipt
		value float64
	}
	var (
		mu   sync.Mutex
		all  []acked
		seq  atomic.Int64
		stop atomic.Bool
		wg   sync.WaitGroup
	)
	for _, who := range []string{"rsj", "fgw", "rsj", "fgw"} {
		id := map[string]string{"rsj": "57.1", "fgw": "11.1"}[who]
		wg.Go(func() {
			for !stop.Load() {
				v := float64(seq.Add(1))
				code, rc, err := s.push(s.tokens[who], map[string]any{"indicator": id, "period": fmt.Sprintf("2026-%02d", 1+int(v)%9), "value": v})
				if err != nil || code != http.StatusCreated {
					t.Errorf("push: %d %v", code, err)
					return
				}
				mu.Lock()
				all = append(all, acked{rc[0], v})
				mu.Unlock()
			}
		})
	}
	time.Sleep(300 * time.Millisecond)
	mu.Lock()
	before := append([]acked(nil), all...)
	mu.Unlock()
	file := filepath.Join(t.TempDir(), "duban-backup.db")
	out, errOut, code := runBin(t, testenv.DubanBinary(t), "store", "backup", file, "--server", s.url, "--token-file", tokenFile)
	time.Sleep(100 * time.Millisecond)
	stop.Store(true)
	wg.Wait()
	if code != 0 || !strings.Contains(out, "passes duban store check") {
		t.Fatalf("backup: exit %d\n%s%s", code, out, errOut)
	}
	mu.Lock()
	after := len(all) - len(before)
	mu.Unlock()
	if len(before) < 20 || after < 5 {
		t.Fatalf("%d pushes acknowledged before the backup, %d during and after: too few to prove anything", len(before), after)
	}
	if out, _, code := runBin(t, testenv.DubanBinary(t), "store", "check", file); code != 0 || !strings.Contains(out, "healthy") {
		t.Fatalf("check of the backup: exit %d\n%s", code, out)
	}

	dir := t.TempDir()
	must(t, os.Rename(file, filepath.Join(dir, boltstore.FileName)))
	st, err := boltstore.Open(context.Background(), boltstore.Config{Dir: dir})
	must(t, err)
	defer st.Close()
	stored := map[receipt]float64{}
	for _, id := range []string{"57.1", "11.1"} {
		hist, err := st.History(context.Background(), "mini-2026", id)
		must(t, err)
		for _, r := range hist {
			stored[receipt{r.Indicator, r.Period, r.Revision}] = *r.Value
		}
	}
	for _, a := range before {
		if v, ok := stored[a.receipt]; !ok || v != a.value {
			t.Fatalf("acknowledged before the backup began: %+v = %v; the backup has %v, %v", a.receipt, a.value, v, ok)
		}
	}
	t.Logf("backup holds %d revisions: all %d acknowledged before it began; %d more were acknowledged during and after", len(stored), len(before), after)

	// A department token gets no copy, and the data directory of a serving store
	// cannot be copied directly.
	deptFile := filepath.Join(t.TempDir(), "rsj")
	must(t, os.WriteFile(deptFile, []byte(s.tokens["rsj"]), 0o600))
	if _, errOut, code := runBin(t, testenv.DubanBinary(t), "store", "backup", file, "--server", s.url, "--token-file", deptFile); code != 1 || !strings.Contains(errOut, "admin_only") {
		t.Errorf("backup with a department token: exit %d: %s", code, errOut)
	}
	if _, errOut, code := runBin(t, testenv.DubanBinary(t), "store", "backup", file, "--data", s.dataDir); code != 1 || !strings.Contains(errOut, "--server") {
		t.Errorf("backup of a serving data directory: exit %d: %s", code, errOut)
	}
	if _, err := os.Stat(file); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused backup left %s behind (%v)", file, err)
	}
}

// TestReadyWhileTheDiskIsFull: the server's file size limit (RLIMIT_FSIZE, set on the
// running process with prlimit, as unprivileged as a full disk is likely) is lowered
// to about the store's size: a push that needs the file to grow fails with 503 and
// stores nothing, /-/ready answers 503 saying the store cannot write, /metrics says
// duban_store_writable 0. Once the limit is lifted, the write probe succeeds, the
// server is ready again and every acknowledged report is there.
func TestReadyWhileTheDiskIsFull(t *testing.T) {
	s := newServer(t, "limits: {rate_per_second: -1}\n")
	note := strings.Repeat("进展情况：按计划推进。", 60) // ~1.8 KB per report
	batch := func(from int) []map[string]any {
		b := make([]map[string]any, 200)
		for i := range b {
			b[i] = map[string]any{"indicator": "57.1", "period": fmt.Sprintf("2026-%02d", 1+(from+i)%9), "value": from + i, "note": note}
		}
		return b
	}
	acked := 0
	if code, rc, err := s.push(s.tokens["rsj"], batch(0)...); err != nil || code != 201 {
		t.Fatalf("push: %d %v", code, err)
	} else {
		acked += len(rc)
	}
	used := s.backupSize() // the bytes the store's pages reach (the file is longer: bbolt grows it ahead)
	pid := s.Pid()
	var saved unix.Rlimit
	must(t, unix.Prlimit(pid, unix.RLIMIT_FSIZE, nil, &saved))
	limit := used + 256<<10
	must(t, unix.Prlimit(pid, unix.RLIMIT_FSIZE, &unix.Rlimit{Cur: uint64(limit), Max: saved.Max}, nil))
	failed := false
	for i := 1; i <= 30 && !failed; i++ {
		code, rc, err := s.push(s.tokens["rsj"], batch(i*200)...)
		switch {
		case err != nil:
			t.Fatal(err)
		case code == 201:
			acked += len(rc)
		case code == 503:
			failed = true
		default:
			t.Fatalf("push %d: %d", i, code)
		}
	}
	if !failed {
		t.Fatal("30 batches fitted under the file size limit")
	}
	body := get(t, s.url+"/-/ready", 503)
	if !strings.Contains(body, "cannot write") || !strings.Contains(body, "file too large") {
		t.Errorf("/-/ready while the disk is full: %s", body)
	}
	if m := get(t, s.url+"/metrics", 200); !strings.Contains(m, "duban_store_writable 0") || strings.Contains(m, "duban_store_write_failures_total 0") {
		t.Errorf("/metrics while the disk is full lacks writable 0 or counts no failure")
	}
	time.Sleep(3 * time.Second) // a probe or two: none fits
	get(t, s.url+"/-/ready", 503)

	must(t, unix.Prlimit(pid, unix.RLIMIT_FSIZE, &saved, nil))
	if err := waitStatus(s.url+"/-/ready", 200, 15*time.Second); err != nil {
		t.Fatalf("not ready after the space came back: %v\n%s", err, s.Logs.String())
	}
	if code, rc, err := s.push(s.tokens["rsj"], batch(9000)...); err != nil || code != 201 {
		t.Fatalf("push after the space came back: %d %v", code, err)
	} else {
		acked += len(rc)
	}
	s.Kill()
	s.Start()
	if h := s.history("57.1"); len(h) != acked {
		t.Errorf("after a restart 57.1 has %d revisions, %d were acknowledged", len(h), acked)
	}
}

// backupSize is the size of the store's copy: the bytes its pages reach.
func (s *server) backupSize() int64 {
	s.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.url+"/-/backup", nil)
	req.Header.Set("Authorization", "Bearer "+s.tokens["admin"])
	resp, err := http.DefaultClient.Do(req)
	must(s.t, err)
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	must(s.t, err)
	if resp.StatusCode != http.StatusOK || n != resp.ContentLength {
		s.t.Fatalf("GET /-/backup: %d, %d of %d bytes", resp.StatusCode, n, resp.ContentLength)
	}
	return n
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
