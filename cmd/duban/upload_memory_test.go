package main_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/internal/testenv"
	"github.com/duban-gov/duban/sheets"
	"github.com/duban-gov/duban/sheets/sheetstest"
)

// memoryCeiling is what one upload of at most the body limit may add to the resident
// memory of the collector, whatever the file.
const memoryCeiling = 128 << 20

// TestHostileUploadsStayUnderTheMemoryCeiling uploads every workbook of
// sheetstest.Hostile (each at most 1 MiB, the default body limit: column XFD on every
// row, claims of the whole grid, shared strings, style and calculation-chain bombs,
// thousands of sheets, deep XML, a tag of a million attributes, zip bombs of a
// gigabyte, lying zip sizes, number formats of 200,000 characters, and the files that
// reach each limit exactly) with a department token to the real `duban serve`, as a form
// file and as a raw body. For each it asserts the status and code, and that the peak
// resident memory of the process (VmHWM, reset before each upload through
// /proc/PID/clear_refs) stayed within memoryCeiling of the resident memory after start
// and a warm-up upload; afterwards nothing is stored. A watchdog kills the server if it
// grows past four ceilings, so that a regression fails the test instead of the machine.
func TestHostileUploadsStayUnderTheMemoryCeiling(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads the resident memory of the server from /proc (Linux only)")
	}
	cases := sheetstest.Hostile()
	s := newServer(t, "")
	pid := s.Pid()
	status := func(field string) int64 {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		if err != nil {
			return -1
		}
		for _, line := range strings.Split(string(b), "\n") {
			if f := strings.Fields(line); len(f) == 3 && f[0] == field+":" && f[2] == "kB" {
				kb, _ := strconv.ParseInt(f[1], 10, 64)
				return kb << 10
			}
		}
		return -1
	}
	resetPeak := func() bool {
		return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0) == nil
	}

	// Warm up the upload path (an unfilled template: 400 empty_upload, nothing stored).
	cat, err := indicators.Load(filepath.Join(testenv.RepoRoot(), "indicators/testdata/mini.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var tpl bytes.Buffer
	if err := sheets.WriteTemplate(&tpl, sheets.TemplateConfig{Catalog: cat, Department: "rsj", Period: "2026-03"}); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if code, errCode := uploadXLSX(t, s, "rsj.xlsx", tpl.Bytes()); code != 400 || errCode != "empty_upload" {
			t.Fatalf("warm-up: %d %s", code, errCode)
		}
	}
	time.Sleep(200 * time.Millisecond)
	base := status("VmRSS")
	if base <= 0 {
		t.Fatalf("cannot read the resident memory of pid %d", pid)
	}
	canReset := resetPeak()
	if !canReset {
		t.Log("cannot reset the peak through clear_refs: every upload is measured against the peak since start")
	}

	var killed atomic.Int64
	stop := make(chan struct{})
	defer close(stop)
	go func() { // the watchdog
		for {
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
			}
			if rss := status("VmRSS"); rss > base+4*memoryCeiling {
				killed.Store(rss)
				s.Kill()
				return
			}
		}
	}()

	var worst int64
	for i, c := range cases {
		name := "filled.xlsx"
		if i%2 == 1 {
			name = "" // a raw body
		}
		if canReset {
			resetPeak()
		}
		code, errCode := uploadXLSX(t, s, name, c.Data)
		peak := status("VmHWM")
		if rss := killed.Load(); rss > 0 {
			t.Fatalf("%s: the server reached %d MiB resident (%d MiB at start) and was killed", c.Name, rss>>20, base>>20)
		}
		growth := peak - base
		worst = max(worst, growth)
		t.Logf("%-75s %3d %-17s peak +%3d MiB", c.Name, code, errCode, growth>>20)
		want := http.StatusBadRequest
		if c.TooLarge {
			want = http.StatusRequestEntityTooLarge
		}
		if code != want || errCode != c.Code {
			t.Errorf("%s: %d %s, want %d %s", c.Name, code, errCode, want, c.Code)
		}
		if growth > memoryCeiling {
			t.Errorf("%s: resident memory peaked %d MiB above the %d MiB after start, over the %d MiB ceiling", c.Name, growth>>20, base>>20, memoryCeiling>>20)
		}
	}
	t.Logf("resident after start %d MiB; worst peak +%d MiB (ceiling %d MiB)", base>>20, worst>>20, memoryCeiling>>20)
	for _, id := range cat.TargetIDs() {
		if h := s.history(id); len(h) != 0 {
			t.Errorf("indicator %s has %d stored revisions after hostile uploads", id, len(h))
		}
	}
}

// uploadXLSX posts a workbook with the rsj token, as the multipart field "file" named
// name, or as a raw body when name is empty; it returns the status and the error code.
func uploadXLSX(t *testing.T, s *server, name string, data []byte) (int, string) {
	t.Helper()
	body, ctype := io.Reader(bytes.NewReader(data)), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	if name != "" {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		fw, err := mw.CreateFormFile("file", name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fw.Write(data); err != nil {
			t.Fatal(err)
		}
		if err := mw.Close(); err != nil {
			t.Fatal(err)
		}
		body, ctype = &buf, mw.FormDataContentType()
	}
	req, err := http.NewRequest(http.MethodPost, s.url+"/api/v1/reports", body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+s.tokens["rsj"])
	req.Header.Set("Content-Type", ctype)
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	var ans struct {
		Error struct{ Code string } `json:"error"`
	}
	b, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(b, &ans) // an answer that is not JSON has no code: "" is what is compared
	return resp.StatusCode, ans.Error.Code
}
