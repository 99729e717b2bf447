package board_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/duban-gov/duban/collector/auth"
	"github.com/duban-gov/duban/internal/testenv"
)

// artifactDir is where the browser test leaves its screenshot and DOM dump:
// $DUBAN_ARTIFACTS, or $TMPDIR/duban-artifacts.
func artifactDir(t *testing.T) string {
	dir := os.Getenv("DUBAN_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "duban-artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// group runs cmd in its own process group so that it and its children can be stopped
// together.
func group(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
}

// TestBrowserBoard runs the real `duban serve` with a temp data dir and auth.read: token,
// sends reports with `duban push` (CSV, the Excel template from `duban template`, and
// JSON), loads the board in headless Chromium, checks the rendered DOM for the pushed
// values and the statuses the API reports, and saves a screenshot.
func TestBrowserBoard(t *testing.T) {
	chromium := testenv.NeedBinary(t, "chromium")
	bin := testenv.DubanBinary(t)
	root := testenv.RepoRoot()
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	// The server's clock is set (testing.now, a test-only setting) to mid-June 2026, so
	// the test runs the same on any date: it reports May.
	const now, period = "2026-06-15T10:00:00+08:00", "2026-05"

	tokens := map[string]string{}
	var lines []string
	for _, d := range []string{"rsj", "fgw", "sthjj"} {
		tok, _ := auth.Generate()
		tokens[d] = tok
		lines = append(lines, fmt.Sprintf("    - {department: %s, sha256: %s}", d, auth.Hash(tok)))
		if err := os.WriteFile(filepath.Join(dir, d+".token"), []byte(tok+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	boardToken, _ := auth.Generate()
	srv := testenv.StartServe(t, testenv.ServeOptions{Timeout: 30 * time.Second, Config: func(addr, _ string) string {
		return fmt.Sprintf("listen: %s\ncatalog: %s\nstore: {kind: embedded, path: %s}\nauth:\n  read: token\n  tokens:\n%s\n    - {role: reader, sha256: %s}\nlog: {level: warn}\ntesting: {now: %q}\n",
			addr, filepath.Join(root, "indicators", "catalogs", "changzhi-2026.yaml"), filepath.Join(dir, "data"), strings.Join(lines, "\n"), auth.Hash(boardToken), now)
	}})
	base := srv.URL

	duban := func(wantOK bool, args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if (err == nil) != wantOK {
			t.Fatalf("duban %s: err %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}

	// rsj: CSV in base units.
	csv := "indicator,period,value,note\n57.1," + period + ",39000,进展情况:新增城镇就业3.9万人。存在问题:部分行业用工需求下降。\n"
	if err := os.WriteFile(filepath.Join(dir, "rsj.csv"), []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	duban(true, "push", "rsj.csv", "--server", base, "--token-file", "rsj.token")

	// fgw: the Excel template from the server, filled with excelize, pushed as .xlsx.
	duban(true, "template", "--server", base, "--department", "fgw", "--period", period, "--out", "fgw.xlsx", "--token-file", "fgw.token")
	fill := func(name, id, col string, v any) {
		f, err := excelize.OpenFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		sheet := f.GetSheetList()[0]
		rows, _ := f.GetRows(sheet)
		for i, r := range rows {
			if len(r) > 0 && r[0] == id {
				if err := f.SetCellValue(sheet, fmt.Sprintf("%s%d", col, i+1), v); err != nil {
					t.Fatal(err)
				}
				if err := f.Save(); err != nil {
					t.Fatal(err)
				}
				return
			}
		}
		t.Fatalf("%s not in %s", id, name)
	}
	fill("fgw.xlsx", "11.1", "H", 200)
	fill("fgw.xlsx", "11.1", "K", "重点项目加快推进,四季度集中投放。")
	// A bad cell first: the push fails naming the cell, and nothing is stored.
	bad, _ := os.ReadFile(filepath.Join(dir, "fgw.xlsx"))
	if err := os.WriteFile(filepath.Join(dir, "fgw-bad.xlsx"), bad, 0o644); err != nil {
		t.Fatal(err)
	}
	fill("fgw-bad.xlsx", "11.1", "H", "两百")
	msg := duban(false, "push", "fgw-bad.xlsx", "--server", base, "--token-file", "fgw.token")
	if !regexp.MustCompile(`sheet "市发改委", row \d+, column H`).MatchString(msg) {
		t.Errorf("the refused push does not name the cell: %s", msg)
	}
	if got := apiIndicator(t, base, tokens["fgw"], "11.1"); got.Latest != nil {
		t.Fatalf("a refused upload stored something: %+v", got.Latest)
	}
	out := duban(true, "push", "fgw.xlsx", "--server", base, "--token-file", "fgw.token")
	if !strings.Contains(out, "11.1\t"+period+"\trevision 1") {
		t.Errorf("push output: %s", out)
	}

	// sthjj: JSON.
	if err := os.WriteFile(filepath.Join(dir, "sthjj.json"), []byte(`{"reports":[{"indicator":"69.1","period":"`+period+`","value":28,"note":"秋冬季大气污染防治攻坚启动。"},{"indicator":"69.2","period":"`+period+`","value":71.5}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	duban(true, "push", "sthjj.json", "--server", base, "--token-file", "sthjj.token")

	// The board in Chromium.
	arts := artifactDir(t)
	dom := chrome(t, ctx, chromium, "--dump-dom", base+"/?token="+boardToken)
	if err := os.WriteFile(filepath.Join(arts, "board.html"), []byte(dom), 0o644); err != nil {
		t.Fatal(err)
	}
	wants := map[string][]string{
		"57.1": {"3.9万人", period, "新增城镇就业3.9万人"},
		"11.1": {"200亿元", "350亿元以上", "四季度集中投放"},
		"69.1": {"28微克/立方米", "秋冬季大气污染防治攻坚启动"},
		"69.2": {"71.5%"},
	}
	for id, texts := range wants {
		row := domRow(t, dom, id)
		for _, w := range texts {
			if !strings.Contains(row, w) {
				t.Errorf("board row %s lacks %q:\n%s", id, w, row)
			}
		}
		api := apiIndicator(t, base, boardToken, id)
		if api.Evaluation == nil || !strings.Contains(row, `data-status="`+api.Evaluation.Status+`"`) {
			t.Errorf("board row %s does not show the API's status %+v", id, api.Evaluation)
		}
		t.Logf("%s: %s", id, api.Evaluation.Status)
	}
	if n := strings.Count(dom, `<tr class="task"`); n != 177 {
		t.Errorf("%d tasks on the board, want all 177", n)
	}
	if !strings.Contains(dom, "报送情况") {
		t.Error("the completeness of the month is missing")
	}

	// Filters work in the browser as plain links (no JavaScript).
	filtered := chrome(t, ctx, chromium, "--dump-dom", base+"/?department=rsj&token="+boardToken)
	if !strings.Contains(filtered, `id="ind-57.1"`) || strings.Contains(filtered, `id="ind-11.1"`) {
		t.Error("the department filter does not filter")
	}
	// Without the token the board and the API are closed.
	for _, path := range []string{"/", "/api/v1/indicators/57.1"} {
		if resp, err := http.Get(base + path); err != nil || resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s without token: %v %v", path, resp.StatusCode, err)
		}
	}

	shot := filepath.Join(arts, "board.png")
	if err := os.Remove(shot); err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	chrome(t, ctx, chromium, "--screenshot="+shot, "--window-size=1400,2000", base+"/?token="+boardToken)
	if st, err := os.Stat(shot); err != nil || st.Size() < 10000 {
		t.Fatalf("screenshot: %v", err)
	}
	t.Logf("artifacts (screenshot, DOM) in %s", arts)
}

// chrome runs headless Chromium with a fresh profile and returns its standard output.
func chrome(t *testing.T, ctx context.Context, bin string, args ...string) string {
	t.Helper()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--no-first-run", "--user-data-dir=" + t.TempDir()}
	cctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(cctx, bin, append(base, args...)...)
	group(cmd)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, stderr.String())
	}
	return stdout.String()
}

func domRow(t *testing.T, dom, id string) string {
	t.Helper()
	m := regexp.MustCompile(`(?s)<tr class="indicator" id="ind-` + regexp.QuoteMeta(id) + `".*?</tr>`).FindString(dom)
	if m == "" {
		t.Fatalf("the rendered board has no row for %s", id)
	}
	return m
}

type apiInd struct {
	Latest     *struct{ Period string } `json:"latest"`
	Evaluation *struct {
		Status string `json:"status"`
	} `json:"evaluation"`
}

func apiIndicator(t *testing.T, base, token, id string) apiInd {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+"/api/v1/indicators/"+id, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v apiInd
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}
