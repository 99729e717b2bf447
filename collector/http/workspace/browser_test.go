package workspace_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/duban-gov/duban/internal/testenv"
)

// artifactDir is where the browser tests leave their screenshots: $DUBAN_ARTIFACTS, or
// $TMPDIR/duban-artifacts (as the board's browser test).
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

// chrome starts Debian's Chromium, headless, with a fresh profile, under chromedp; the
// browser ends with the test.
func chrome(t *testing.T, width, height int) context.Context {
	t.Helper()
	bin := testenv.NeedBinary(t, "chromium")
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.NoFirstRun,
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(width, height),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(int64(width), int64(height))); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// step runs actions within a minute and fails the test with what went wrong.
func step(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := chromedp.Do(sctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func read[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	v, err := chromedp.Run(sctx, a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// shot saves a full-page screenshot in the artifacts folder.
func shot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png := read(t, ctx, chromedp.FullScreenshot(100))
	if len(png) < 5000 {
		t.Fatalf("screenshot %s: %d bytes", name, len(png))
	}
	p := filepath.Join(artifactDir(t), name)
	if err := os.WriteFile(p, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot %s", p)
}

// by is a CSS selector of the element whose attribute is value (ids and names hold dots).
func by(attr, value string) chromedp.CSS { return chromedp.CSS(fmt.Sprintf(`[%s=%q]`, attr, value)) }

// browserNow is the server's clock in the browser tests (testing.now, test-only), so
// that they run the same on any date: in November 2026 the month collected is October.
const (
	browserNow    = "2026-11-05T10:00:00+08:00"
	browserPeriod = "2026-10"
)

type apiIndicator struct {
	Latest *struct {
		Period   string   `json:"period"`
		Value    *float64 `json:"value"`
		Revision int      `json:"revision"`
	} `json:"latest"`
}

func apiGet(t *testing.T, url, token string) []byte {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %s", url, resp.Status, b)
	}
	return b
}

func latest(t *testing.T, base, token, id string) *float64 {
	t.Helper()
	var v apiIndicator
	if err := json.Unmarshal(apiGet(t, base+"/api/v1/indicators/"+id, token), &v); err != nil {
		t.Fatal(err)
	}
	if v.Latest == nil {
		return nil
	}
	return v.Latest.Value
}

// TestBrowserReport is a clerk of 市人社局 reporting in Chromium against the real
// `duban serve` (auth.read: token, so that the board opens through the session):
// sign in, a bad value refused beside its field with everything typed kept and nothing
// stored, two numbers and a milestone stored with a receipt, the values on the board,
// the template filled with excelize uploaded through the file input, the page at
// 1366×768 and at phone width with every input labelled and the keyboard following
// the table, then signing out.
func TestBrowserReport(t *testing.T) {
	period := browserPeriod
	rsjTok, rsjHash := testenv.Token(t)
	readerTok, readerHash := testenv.Token(t)
	srv := testenv.StartServe(t, testenv.ServeOptions{Config: func(addr, dir string) string {
		return servedConfig(addr, dir, "token", "testing: {now: '"+browserNow+"'}\n", tokenLine("rsj", rsjHash), tokenLine("reader", readerHash))
	}})
	base := srv.URL
	ctx := chrome(t, 1366, 768)

	// Sign in: the page sends the browser to /login and back.
	step(t, ctx, "open the report page", chromedp.Navigate(base+"/report"), chromedp.WaitVisible(chromedp.ID("token")))
	if loc := read(t, ctx, chromedp.Location()); !strings.Contains(loc, "/login?next=%2Freport") {
		t.Fatalf("signed out, /report went to %s", loc)
	}
	shot(t, ctx, "workspace-login.png")
	step(t, ctx, "sign in", chromedp.SendKeys(chromedp.ID("token"), rsjTok), chromedp.Click(chromedp.ID("signin")), chromedp.WaitVisible(chromedp.ID("report-form")))
	if title := read(t, ctx, chromedp.Text(chromedp.ID("title"))); !strings.Contains(title, "市人社局") {
		t.Fatalf("the page is %q", title)
	}

	// Accessible: a label for every field, no tab order of its own, numbers right-aligned
	// with their unit beside them.
	unlabelled := read(t, ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('input:not([type=hidden]), select, textarea')].filter(e => e.labels.length === 0).map(e => e.name || e.id)`))
	if len(unlabelled) != 0 {
		t.Errorf("inputs without a label: %v", unlabelled)
	}
	if n := read(t, ctx, chromedp.Evaluate[int](`[...document.querySelectorAll('[tabindex]')].filter(e => e.tabIndex > 0).length`)); n != 0 {
		t.Errorf("%d elements reorder the keyboard", n)
	}
	align := read(t, ctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector('[name="value.57.1"]')).textAlign + " " + document.querySelector('[name="value.57.1"]').nextElementSibling.textContent`))
	if align != "right 万人" {
		t.Errorf("57.1's input: %q, want right-aligned with 万人 after it", align)
	}
	// The keyboard follows the table: from 57.1's value through its notes to 58.1's stage.
	step(t, ctx, "focus 57.1", chromedp.Focus(by("name", "value.57.1")))
	var order []string
	for range 6 {
		step(t, ctx, "tab", chromedp.KeyEvent("\t"))
		order = append(order, read(t, ctx, chromedp.Evaluate[string](`document.activeElement.name || document.activeElement.className`)))
	}
	if want := []string{"note.57.1", "problems.57.1", "plans.57.1", "hist", "stage.58.1", "percent.58.1"}; strings.Join(order, " ") != strings.Join(want, " ") {
		t.Errorf("Tab goes %v, want %v", order, want)
	}
	shot(t, ctx, "workspace-report-1366.png")

	// A bad value: refused beside its field, every typed value kept, nothing stored.
	step(t, ctx, "fill the form with a bad value",
		chromedp.SendKeys(by("name", "value.57.1"), "4.1"),
		chromedp.SendKeys(by("name", "note.57.1"), "1-11月新增城镇就业4.1万人。"),
		chromedp.SendKeys(by("name", "problems.57.1"), "部分行业用工需求下降。"),
		chromedp.SendKeys(by("name", "value.60.1"), "八千五"),
		chromedp.SetValue(by("name", "stage.58.1"), "started"),
		chromedp.SendKeys(by("name", "percent.58.1"), "60"),
		chromedp.Click(chromedp.ID("submit")),
		chromedp.WaitVisible(chromedp.ID("summary")),
	)
	if msg := read(t, ctx, chromedp.Text(by("id", "err-value.60.1"))); !strings.Contains(msg, "“八千五”不是数字") || !strings.Contains(msg, "万人") {
		t.Errorf("beside 60.1: %q", msg)
	}
	kept := map[string]string{"value.57.1": "4.1", "value.60.1": "八千五", "stage.58.1": "started", "percent.58.1": "60", "problems.57.1": "部分行业用工需求下降。"}
	for name, want := range kept {
		if got := read(t, ctx, chromedp.Value(by("name", name))); got != want {
			t.Errorf("%s shows %q after the refusal, want %q", name, got, want)
		}
	}
	for _, id := range []string{"57.1", "58.1", "60.1"} {
		if v := latest(t, base, readerTok, id); v != nil {
			t.Fatalf("%s was stored from a refused form: %v", id, *v)
		}
	}
	shot(t, ctx, "workspace-error.png")

	// Fixed and sent: the receipt.
	step(t, ctx, "fix and submit",
		chromedp.Clear(by("name", "value.60.1")),
		chromedp.SendKeys(by("name", "value.60.1"), "0.85"),
		chromedp.Click(chromedp.ID("submit")),
		chromedp.WaitVisible(chromedp.ID("receipt")),
	)
	receipt := read(t, ctx, chromedp.Text(chromedp.ID("receipt")))
	for _, want := range []string{"57.1", "4.1万人", "60.1", "0.85万人", "58.1", "推进中 60%", period, "第 1 次"} {
		if !strings.Contains(receipt, want) {
			t.Errorf("the receipt lacks %q:\n%s", want, receipt)
		}
	}
	if v := latest(t, base, readerTok, "57.1"); v == nil || *v != 41000 {
		t.Fatalf("57.1 stored %v, want exactly 41000 人", v)
	}
	if v := latest(t, base, readerTok, "60.1"); v == nil || *v != 8500 {
		t.Fatalf("60.1 stored %v, want exactly 8500 人", v)
	}
	shot(t, ctx, "workspace-receipt.png")

	// The board shows them at once, opened through the session (auth.read: token).
	step(t, ctx, "open the board", chromedp.Click(chromedp.ID("board-link")), chromedp.WaitVisible(by("id", "ind-57.1")))
	row := read(t, ctx, chromedp.OuterHTML(by("id", "ind-57.1")))
	if !strings.Contains(row, "4.1万人") || !strings.Contains(row, period) || !strings.Contains(row, "1-11月新增城镇就业4.1万人") {
		t.Errorf("the board's 57.1 row:\n%s", row)
	}
	shot(t, ctx, "workspace-board.png")

	// Excel: the template filled with excelize, uploaded through the file input.
	xlsx := fill(t, apiGet(t, base+"/api/v1/templates/rsj?period="+period, readerTok), map[string]any{"57.1": 4.2})
	file := filepath.Join(t.TempDir(), "rsj-"+period+".xlsx")
	if err := os.WriteFile(file, xlsx, 0o644); err != nil {
		t.Fatal(err)
	}
	step(t, ctx, "upload the template",
		chromedp.Navigate(base+"/report"), chromedp.WaitVisible(chromedp.ID("file")),
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{file}),
		chromedp.Click(chromedp.ID("upload")),
		chromedp.WaitVisible(chromedp.ID("receipt")),
	)
	receipt = read(t, ctx, chromedp.Text(chromedp.ID("receipt")))
	if !strings.Contains(receipt, "4.2万人") || !strings.Contains(receipt, "第 2 次") {
		t.Errorf("the upload's receipt:\n%s", receipt)
	}
	if v := latest(t, base, readerTok, "57.1"); v == nil || *v != 42000 {
		t.Fatalf("57.1 after the upload: %v, want 42000", v)
	}
	shot(t, ctx, "workspace-upload-receipt.png")

	// The page shows what is stored, and fits a phone's width.
	step(t, ctx, "phone width", chromedp.EmulateViewport(390, 844), chromedp.Navigate(base+"/report"), chromedp.WaitVisible(chromedp.ID("report-form")))
	if got := read(t, ctx, chromedp.Value(by("name", "value.57.1"))); got != "4.2" {
		t.Errorf("57.1 shows %q, want the stored 4.2", got)
	}
	if over := read(t, ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`)); over {
		t.Error("the page is wider than a phone's screen")
	}
	shot(t, ctx, "workspace-report-phone.png")
	step(t, ctx, "back to 1366", chromedp.EmulateViewport(1366, 768))

	// Sign out: the page asks to sign in again.
	step(t, ctx, "sign out", chromedp.Navigate(base+"/report"), chromedp.WaitVisible(chromedp.ID("logout")), chromedp.Click(chromedp.ID("logout")), chromedp.WaitVisible(chromedp.ID("token")))
	if loc := read(t, ctx, chromedp.Location()); !strings.HasSuffix(loc, "/login?out=1") {
		t.Errorf("after signing out: %s", loc)
	}
	step(t, ctx, "the page after signing out", chromedp.Navigate(base+"/report"), chromedp.WaitVisible(chromedp.ID("token")))
}

// TestBrowserExpiredSession: with workspace.session_ttl: 3s, a page opened after the
// session ended sends the browser to sign in, saying so.
func TestBrowserExpiredSession(t *testing.T) {
	tok, hash := testenv.Token(t)
	srv := testenv.StartServe(t, testenv.ServeOptions{Config: func(addr, dir string) string {
		return servedConfig(addr, dir, "public", "workspace: {session_ttl: 3s}\n", tokenLine("rsj", hash))
	}})
	ctx := chrome(t, 1366, 768)
	step(t, ctx, "sign in",
		chromedp.Navigate(srv.URL+"/login"), chromedp.WaitVisible(chromedp.ID("token")),
		chromedp.SendKeys(chromedp.ID("token"), tok), chromedp.Click(chromedp.ID("signin")),
		chromedp.WaitVisible(chromedp.ID("report-form")),
	)
	time.Sleep(4 * time.Second)
	step(t, ctx, "open the page again", chromedp.Navigate(srv.URL+"/report"), chromedp.WaitVisible(chromedp.ID("expired")))
	if loc := read(t, ctx, chromedp.Location()); !strings.Contains(loc, "/login?next=%2Freport&expired=1") {
		t.Errorf("the expired session went to %s", loc)
	}
	shot(t, ctx, "workspace-expired.png")
}
