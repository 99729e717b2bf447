package main_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/duban-gov/duban/collector/auth"
	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/internal/testenv"
	"github.com/duban-gov/duban/internal/testplans"
)

// server is a running `duban serve` (testenv.Serve) with the tokens of its
// configuration: rsj, fgw, slj and admin on the mini catalog.
type server struct {
	*testenv.Serve
	t       *testing.T
	url     string
	tokens  map[string]string // department id or "admin" → token
	dataDir string
	cfgFile string
	client  *http.Client
}

// newServer writes a configuration (tokens for rsj, fgw, slj and admin, the mini
// catalog, a temp data dir, a free port, plus extra YAML) and starts the binary.
func newServer(t *testing.T, extra string) *server {
	t.Helper()
	s := &server{t: t, tokens: map[string]string{}, client: http.DefaultClient}
	var lines []string
	for _, who := range []string{"rsj", "fgw", "slj", "admin"} {
		tok, hash := testenv.Token(t)
		s.tokens[who] = tok
		if who == "admin" {
			lines = append(lines, fmt.Sprintf("    - {role: admin, sha256: %s}", hash))
		} else {
			lines = append(lines, fmt.Sprintf("    - {department: %s, sha256: %s}", who, hash))
		}
	}
	s.Serve = testenv.NewServe(t, testenv.ServeOptions{Config: func(addr, dir string) string {
		return fmt.Sprintf("listen: %s\ncatalog: %s\nstore: {kind: embedded, path: %s}\nlog: {format: json, level: debug}\nauth:\n  tokens:\n%s\n%s",
			addr, filepath.Join(testenv.RepoRoot(), "indicators/testdata/mini.yaml"), filepath.Join(dir, "data"), strings.Join(lines, "\n"), extra)
	}})
	s.url, s.cfgFile, s.dataDir = s.URL, s.ConfigFile, filepath.Join(s.Dir, "data")
	s.Start()
	return s
}

type receipt struct {
	Indicator, Period string
	Revision          int
}

// push sends reports; it returns the status and the receipts of a 201.
func (s *server) push(token string, reports ...map[string]any) (int, []receipt, error) {
	b, _ := json.Marshal(map[string]any{"reports": reports})
	req, _ := http.NewRequest(http.MethodPost, s.url+"/api/v1/reports", bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	var ans struct{ Receipts []receipt }
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusCreated {
		if err := json.Unmarshal(body, &ans); err != nil {
			return resp.StatusCode, nil, err
		}
	}
	return resp.StatusCode, ans.Receipts, nil
}

func (s *server) history(id string) []indicators.Revision {
	s.t.Helper()
	resp, err := s.client.Get(s.url + "/api/v1/indicators/" + id + "/reports")
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	var ans struct{ Revisions []indicators.Revision }
	if err := json.NewDecoder(resp.Body).Decode(&ans); err != nil {
		s.t.Fatal(err)
	}
	return ans.Revisions
}

// TestAcknowledgedReportsSurviveSIGKILL: several clients push two-report batches
// continuously, the collector is killed with SIGKILL at random moments and started
// again on the same data directory, a few times. Afterwards every acknowledged report
// is there with its value, no batch is half-applied, and the revisions of every
// (indicator, period) are exactly 1..n. The 20-cycle loop over both backends, with
// InfluxDB outages, is e2e.TestCrashLoop*.
func TestAcknowledgedReportsSurviveSIGKILL(t *testing.T) {
	cycles := 3
	s := newServer(t, "limits: {rate_per_second: -1}\n")
	pairs := map[string][2]string{"rsj": {"57.1", "56.1"}, "fgw": {"11.1", "4.1"}}
	type acked struct {
		receipt
		value float64
	}
	var mu sync.Mutex
	var all []acked
	var seq atomic.Int64
	deadline := time.Now().Add(60 * time.Second)
	for cycle := 0; cycle < cycles && time.Now().Before(deadline); cycle++ {
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for _, who := range []string{"rsj", "fgw", "rsj", "fgw"} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for ctx.Err() == nil {
					v := float64(seq.Add(1))
					period := fmt.Sprintf("2026-%02d", 3*(1+int(v)%3)) // quarter ends: 56.1 and 4.1 are quarterly
					ids := pairs[who]
					code, rc, err := s.push(s.tokens[who],
						map[string]any{"indicator": ids[0], "period": period, "value": v},
						map[string]any{"indicator": ids[1], "period": period, "value": v})
					if err != nil || code != http.StatusCreated {
						continue // killed mid-request: not acknowledged
					}
					mu.Lock()
					all = append(all, acked{rc[0], v}, acked{rc[1], v})
					mu.Unlock()
				}
			}()
		}
		time.Sleep(time.Duration(50+mrand.IntN(250)) * time.Millisecond)
		s.Kill()
		cancel()
		wg.Wait()
		s.Start()
	}
	mu.Lock()
	defer mu.Unlock()
	if len(all) < 20 {
		t.Fatalf("only %d reports acknowledged\n%s", len(all), s.Logs.String())
	}
	stored := map[receipt]float64{}
	byValue := map[float64]int{}
	revs := map[[2]string][]int{}
	for _, ids := range pairs {
		for _, id := range ids {
			for _, r := range s.history(id) {
				stored[receipt{r.Indicator, r.Period, r.Revision}] = *r.Value
				byValue[*r.Value]++
				k := [2]string{r.Indicator, r.Period}
				revs[k] = append(revs[k], r.Revision)
			}
		}
	}
	for _, a := range all {
		if v, ok := stored[a.receipt]; !ok || v != a.value {
			t.Fatalf("acknowledged %+v value %v: after restarts found %v, %v", a.receipt, a.value, v, ok)
		}
	}
	for v, n := range byValue {
		if n != 2 {
			t.Fatalf("batch %v is half-applied: %d of its 2 reports stored", v, n)
		}
	}
	for k, rs := range revs {
		for i, r := range rs {
			if r != i+1 {
				t.Fatalf("%v: revisions %v, want 1..%d", k, rs, len(rs))
			}
		}
	}
	t.Logf("%d kill cycles: %d acknowledged reports all read back, %d stored, no half batch", cycles, len(all), len(stored))
}

// TestSIGTERMFinishesRequestsInFlight starts a push whose body arrives after SIGTERM:
// the collector finishes it (201, stored), then exits 0.
func TestSIGTERMFinishesRequestsInFlight(t *testing.T) {
	s := newServer(t, "")
	body := `{"reports":[{"indicator":"57.1","period":"2026-03","value":11800}]}`
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := fmt.Fprintf(conn, "POST /api/v1/reports HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
		s.tokens["rsj"], len(body), body[:10]); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond) // the server is reading the body
	if err := syscall.Kill(s.Pid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	if _, err := io.WriteString(conn, body[10:]); err != nil {
		t.Fatal(err)
	}
	if err := conn.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	reply, _ := io.ReadAll(conn) // what arrived; the server closes the connection as it stops
	if !strings.HasPrefix(string(reply), "HTTP/1.1 201") {
		t.Fatalf("in-flight push answered %q\n%s", reply, s.Logs.String())
	}
	switch exited, err := s.Wait(10 * time.Second); {
	case !exited:
		t.Fatal("did not exit after SIGTERM")
	case err != nil:
		t.Fatalf("exit after SIGTERM: %v\n%s", err, s.Logs.String())
	}
	s.Start()
	if h := s.history("57.1"); len(h) != 1 || *h[0].Value != 11800 {
		t.Fatalf("after restart: %+v", h)
	}
}

// TestSlowClientsAreCutOff: a client that never finishes its headers is disconnected
// after http.read_header_timeout.
func TestSlowClientsAreCutOff(t *testing.T) {
	s := newServer(t, "http: {read_header_timeout: 300ms}\n")
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "POST /api/v1/reports HTTP/1.1\r\nHost: x\r\n"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := conn.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	_, err = io.ReadAll(conn)
	if err != nil || time.Since(start) > 3*time.Second {
		t.Fatalf("slow client kept for %v (err %v), want cut off after ~300ms", time.Since(start), err)
	}
}

// TestTLS serves HTTPS with a self-signed certificate generated here, and records no
// token in the logs.
func TestTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, pool := selfSigned(t, dir)
	s := newServerTLS(t, fmt.Sprintf("tls: {cert_file: %s, key_file: %s}\n", certFile, keyFile), pool)
	code, rc, err := s.push(s.tokens["rsj"], map[string]any{"indicator": "57.1", "period": "2026-03", "value": 1})
	if err != nil || code != 201 || len(rc) != 1 {
		t.Fatalf("push over TLS: %d %v", code, err)
	}
	plain := "http://" + strings.TrimPrefix(s.url, "https://")
	if resp, err := http.Get(plain + "/-/healthy"); err == nil {
		testenv.ReadBody(t, resp)
		if resp.StatusCode == http.StatusOK {
			t.Fatal("plain HTTP answered 200 on the TLS port")
		}
	}
	for who, tok := range s.tokens {
		if strings.Contains(s.Logs.String(), tok) || strings.Contains(s.Logs.String(), auth.Hash(tok)) {
			t.Fatalf("logs hold %s's token or its hash", who)
		}
	}
}

func newServerTLS(t *testing.T, extra string, pool *x509.CertPool) *server {
	t.Helper()
	s := &server{t: t, tokens: map[string]string{}, client: &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}}
	tok, hash := testenv.Token(t)
	s.tokens["rsj"] = tok
	s.Serve = testenv.NewServe(t, testenv.ServeOptions{Scheme: "https", Client: s.client, Config: func(addr, dir string) string {
		return fmt.Sprintf("listen: %s\ncatalog: %s\nstore: {path: %s}\nauth:\n  tokens:\n    - {department: rsj, sha256: %s}\n%s",
			addr, filepath.Join(testenv.RepoRoot(), "indicators/testdata/mini.yaml"), filepath.Join(dir, "data"), hash, extra)
	}})
	s.url, s.cfgFile, s.dataDir = s.URL, s.ConfigFile, filepath.Join(s.Dir, "data")
	s.Start()
	return s
}

// selfSigned writes a certificate for 127.0.0.1 and its key; it returns their paths and
// a pool trusting the certificate.
func selfSigned(t *testing.T, dir string) (string, string, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "duban test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// TestServeRefusesACatalogValidateRejects: a catalog with an unknown measure and an
// unknown lead was served before ("indicators=8"); now `duban serve` exits 1 before it
// listens or opens the store, with the very lines `duban validate` prints.
func TestServeRefusesACatalogValidateRejects(t *testing.T) {
	bin := testenv.DubanBinary(t)
	dir := t.TempDir()
	mini, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "indicators/testdata/mini.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	bad := strings.NewReplacer("measure: growth_rate", "measure: speed", "  - num: 9\n    lead: fgw", "  - num: 9\n    lead: xyz").Replace(string(mini))
	if bad == string(mini) {
		t.Fatal("the fixture did not change")
	}
	path := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(path, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	vout, _, vcode := runBin(t, bin, "validate", path)
	lines := strings.Split(strings.TrimSpace(vout), "\n")
	if vcode != 1 || len(lines) < 2 || !strings.Contains(vout, `unknown measure "speed"`) || !strings.Contains(vout, `lead "xyz" is not a department`) {
		t.Fatalf("duban validate: exit %d\n%s", vcode, vout)
	}
	data := filepath.Join(dir, "data")
	_, serr, code := runBin(t, bin, "serve", "--catalog", path, "--listen", testenv.FreeAddr(t), "--store-path", data)
	if code != 1 {
		t.Fatalf("duban serve on a bad catalog: exit %d, want 1\n%s", code, serr)
	}
	for _, l := range lines {
		if !strings.Contains(serr, l) {
			t.Errorf("serve does not say %q:\n%s", l, serr)
		}
	}
	if _, err := os.Stat(data); !os.IsNotExist(err) {
		t.Errorf("the store was opened (%v) before the catalog was refused", err)
	}
}

// TestServeRefusesPlansThatClash: two plans naming one department id for two units are
// refused at start with the file and line, before the store is opened.
func TestServeRefusesPlansThatClash(t *testing.T) {
	bin := testenv.DubanBinary(t)
	dir := t.TempDir()
	clash := strings.Replace(string(testplans.Minsheng2026()), "name: 市教育局", "name: 市体育局", 1)
	path := filepath.Join(dir, "minsheng.yaml")
	if err := os.WriteFile(path, []byte(clash), 0o644); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	_, serr, code := runBin(t, bin, "serve", "--plans", "embedded:changzhi-2026,"+path, "--listen", testenv.FreeAddr(t), "--store-path", data)
	if code != 1 {
		t.Fatalf("duban serve with clashing plans: exit %d, want 1\n%s", code, serr)
	}
	if want := path + `:14: department "jyj" is "市体育局" here but "市教育局" in embedded:changzhi-2026`; !strings.Contains(serr, want) {
		t.Errorf("serve does not say %q:\n%s", want, serr)
	}
	if _, err := os.Stat(data); !os.IsNotExist(err) {
		t.Errorf("the store was opened (%v) before the plans were refused", err)
	}
}

// TestServeTwoPlans: `duban serve` with plans: [the shipped 2026 list, the 民生实事
// sample] takes reports into both with one department token, reads them per plan,
// exposes both plans' series on /metrics, and keeps them across a restart (the
// embedded store holds each revision's plan).
func TestServeTwoPlans(t *testing.T) {
	tok, hash := testenv.Token(t)
	srv := testenv.StartServe(t, testenv.ServeOptions{Config: func(addr, dir string) string {
		return fmt.Sprintf("listen: %s\nplans: [embedded:changzhi-2026, %s]\nstore: {kind: embedded, path: %s}\nauth:\n  tokens:\n    - {department: jyj, sha256: %s}\nlog: {level: warn}\ntesting: {now: '2026-06-15T10:00:00+08:00'}\n",
			addr, filepath.Join(dir, "minsheng-2026.yaml"), filepath.Join(dir, "data"), hash)
	}, Files: testenv.Files{"minsheng-2026.yaml": string(testplans.Minsheng2026())}})
	testenv.Push(t, srv.URL, tok, `{"reports":[{"indicator":"1.2","period":"2026-05","value":800},{"plan":"minsheng-2026","indicator":"1.1","period":"2026-05","value":3}]}`)
	check := func() {
		t.Helper()
		for path, want := range map[string]string{
			"/api/v1/plans": `"id":"minsheng-2026"`,
			"/api/v1/plans/minsheng-2026/indicators/1.1/reports": `"plan":"minsheng-2026","indicator":"1.1","period":"2026-05","value":3,"revision":1`,
			"/api/v1/plans/minsheng-2026/indicators/1.2/reports": `"value":800,"revision":1`,
		} {
			resp, err := http.Get(srv.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			must(t, resp.Body.Close())
			if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), want) {
				t.Errorf("GET %s: %d %s, want %s", path, resp.StatusCode, b, want)
			}
		}
		resp, err := http.Get(srv.URL + "/api/v1/indicators/1.1/reports") // the default plan's 1.1: nothing
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		must(t, resp.Body.Close())
		if strings.Contains(string(b), `"revision"`) {
			t.Errorf("the default plan's 1.1 holds the sample's report: %s", b)
		}
		// /metrics: both plans' series, the same id 1.1 in each with its own plan.
		resp, err = http.Get(srv.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		b, _ = io.ReadAll(resp.Body)
		must(t, resp.Body.Close())
		for _, want := range []string{
			`duban_indicator_value{department="jyj",indicator="1.1",plan="minsheng-2026"} 3`,
			`duban_indicator_value{department="jyj",indicator="1.2",plan="minsheng-2026"} 800`,
			`duban_indicator_status{department="zfbgs",indicator="1.1",plan="changzhi-2026",status="no_data"} 1`,
			`duban_department_reports_expected{department="jyj",plan="changzhi-2026"}`,
			`duban_department_reports_expected{department="jyj",plan="minsheng-2026"}`,
			`duban_plan_info{default="true",plan="changzhi-2026",plan_title="2026年市政府工作报告重点目标任务清单",year="2026"} 1`,
			`duban_plan_order{plan="minsheng-2026"} 1`,
		} {
			if !strings.Contains(string(b), want) {
				t.Errorf("/metrics lacks %s", want)
			}
		}
	}
	check()
	// A bulletin per plan, from the server; then the same from the stopped server's
	// store (--data), per plan.
	titles := map[string]string{"minsheng-2026": "2026年市级民生实事项目清单", "": "2026年市政府工作报告重点目标任务清单"}
	served := map[string]string{}
	for plan, title := range titles {
		out, errOut, code := runBin(t, testenv.DubanBinary(t), "bulletin", "--server", srv.URL, "--plan", plan, "--period", "2026-Q2")
		if code != 0 || !strings.Contains(out, title) {
			t.Errorf("duban bulletin --plan %q: exit %d, want %s\n%.300s%s", plan, code, title, out, errOut)
		}
		served[plan] = out
	}
	if !strings.Contains(served["minsheng-2026"], "新建改扩建公办幼儿园") || strings.Contains(served[""], "新建改扩建公办幼儿园") {
		t.Errorf("the plans' bulletins are not apart:\n%.600s\n---\n%.600s", served["minsheng-2026"], served[""])
	}
	if err := srv.Stop(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	for plan := range titles {
		out, errOut, code := runBin(t, testenv.DubanBinary(t), "bulletin", "--data", filepath.Join(srv.Dir, "data"), "--config", srv.ConfigFile, "--plan", plan, "--period", "2026-Q2")
		if code != 0 || out != served[plan] {
			t.Errorf("duban bulletin --data --plan %q: exit %d, differs from the server's:\n%.600s%s\n--- server:\n%.600s", plan, code, out, errOut, served[plan])
		}
	}
	if _, errOut, code := runBin(t, testenv.DubanBinary(t), "bulletin", "--data", filepath.Join(srv.Dir, "data"), "--config", srv.ConfigFile, "--plan", "nope-2026", "--period", "2026-Q2"); code == 0 || !strings.Contains(errOut, "minsheng-2026") {
		t.Errorf("duban bulletin --data --plan nope-2026: exit %d, want an error naming the plans: %s", code, errOut)
	}
	srv.Start()
	check()
}
