package api_test

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// FuzzPostReports sends arbitrary bodies to POST /api/v1/reports. Whatever the body,
// the answer is 201 with one receipt per report, or a 4xx error envelope with a code
// and nothing stored; never a 5xx.
func FuzzPostReports(f *testing.F) {
	seeds := []string{
		`{"reports":[{"indicator":"57.1","period":"2026-05","value":18000,"note":"1-5月","idempotency_key":"k1"}]}`,
		`{"reports":[{"indicator":"56.1","period":"2026-Q1","value":-0.5},{"indicator":"57.1","period":"2026-04-30","value":1}]}`,
		`{"reports":[{"indicator":"57.1","period":"2026-05","value":"NaN"}]}`,
		`{"reports":[{"indicator":"57.1","period":"2026-05","value":1e400}]}`,
		`{"reports":[{"indicator":"57.1","period":"2026-13","value":1}]}`,
		`{"reports":[{"indicator":"57.1","period":"2026-05","value":1,"x":1}]}`,
		`{"reports":[]}`, `{}`, `[]`, `null`, `{"reports":[null]}`, `{"reports":[{"indicator":"57.1"}]} x`,
	}
	for _, s := range seeds {
		f.Add(s)
	}
	fx := newFixtureCatalog(f, loadCatalog(f, "indicators/testdata/mini.yaml"))
	tok := fx.tokens["rsj"]
	f.Fuzz(func(t *testing.T, body string) {
		fx.t = t
		before := fx.stored()
		var ans pushAnswer
		resp := fx.do(http.MethodPost, "/api/v1/reports", tok, body, nil)
		raw := fx.lastBody
		if err := json.Unmarshal(raw, &ans); err != nil {
			t.Fatalf("%d: answer is not JSON: %q", resp.StatusCode, raw)
		}
		after := fx.stored()
		switch {
		case resp.StatusCode == http.StatusCreated:
			if ans.Accepted != len(ans.Receipts) || ans.Accepted == 0 || after-before > ans.Accepted {
				t.Fatalf("201 with %+v, stored %d more", ans, after-before)
			}
		case resp.StatusCode >= 400 && resp.StatusCode < 500:
			if ans.Error == nil || ans.Error.Code == "" || ans.Error.Message == "" {
				t.Fatalf("%d without an error envelope: %q", resp.StatusCode, raw)
			}
			if after != before {
				t.Fatalf("%d %s but %d revisions stored", resp.StatusCode, ans.Error.Code, after-before)
			}
		default:
			t.Fatalf("status %d for %q: %q", resp.StatusCode, body, raw)
		}
	})
}

// FuzzUploadXLSX sends random workbooks through POST /api/v1/reports as a department
// would: a filled template (sheets.WriteTemplate, two cells filled) whose zip entries are
// mutated (bytes inserted and repeated up to megabytes, an entry replaced or dropped) or
// whose zipped bytes are flipped, as a form file or a raw body. Whatever the file, the
// answer is 201 with receipts, or a 4xx envelope with nothing stored, never a 5xx; and
// the resident memory of the process never peaks more than 128 MiB above where it was
// before the upload (VmHWM after resetting it through /proc/self/clear_refs, Linux).
func FuzzUploadXLSX(f *testing.F) {
	fx := newFixtureCatalog(f, loadCatalog(f, "indicators/testdata/mini.yaml"))
	base := filledTemplate(f, fx, "fgw", "2026-05", map[string]map[string]any{"11.1": {"H": 82.5}, "9.1": {"I": "已开工", "J": 30}})
	entries := unzipEntries(f, base)
	index := func(name string) uint8 {
		for i, e := range entries {
			if e.name == name {
				return uint8(i)
			}
		}
		f.Fatalf("no %s in the template", name)
		return 0
	}
	at := func(name, marker string) uint32 {
		return uint32(strings.Index(string(entries[index(name)].data), marker))
	}
	sheet, sst, styles, wb := "xl/worksheets/sheet1.xml", "xl/sharedStrings.xml", "xl/styles.xml", "xl/workbook.xml"
	f.Add(uint8(0), uint32(0), []byte{}, uint16(0), uint8(0))
	f.Add(index(sheet), at(sheet, "</sheetData>"), []byte(`<row><c r="XFD9"><v>1</v></c></row>`), uint16(20000), uint8(0))
	f.Add(index(sheet), at(sheet, "</sheetData>"), []byte(`<row><c><v>1</v></c><c><v>2</v></c></row>`), uint16(60000), uint8(0))
	f.Add(index(sheet), at(sheet, "<sheetData>"), []byte(`<dimension ref="A1:XFD1048576"/>`), uint16(1), uint8(0))
	f.Add(index(sst), at(sst, "</sst>"), []byte(`<si><t>a</t></si>`), uint16(60000), uint8(0))
	f.Add(index(styles), at(styles, "</cellXfs>"), []byte(`<xf numFmtId="10"/>`), uint16(30000), uint8(0))
	f.Add(index(styles), at(styles, "<cellXfs"), []byte(`<numFmts><numFmt numFmtId="300" formatCode="0.00%"/></numFmts>`), uint16(1), uint8(0))
	f.Add(index(wb), at(wb, "</sheets>"), []byte(`<sheet name="x" sheetId="9" r:id="rId1"/>`), uint16(100), uint8(0))
	f.Add(index(sheet), at(sheet, "</sheetData>"), []byte(`<a>`), uint16(60000), uint8(0))
	f.Add(index(sheet), at(sheet, "<row"), []byte(` a=""`), uint16(60000), uint8(0))
	f.Add(index(sheet), uint32(0), []byte(" "), uint16(65535), uint8(2))
	f.Add(index(styles), uint32(0), []byte{}, uint16(0), uint8(3))
	f.Add(uint8(0), uint32(200), []byte{0xff, 0x00, 0x10}, uint16(1), uint8(1))
	f.Add(uint8(0), uint32(400), []byte("PK"), uint16(1), uint8(5))
	tok := fx.tokens["fgw"]
	f.Fuzz(func(t *testing.T, entry uint8, pos uint32, insert []byte, times uint16, mode uint8) {
		fx.t = t
		data := mutateXLSX(t, base, entries, int(entry), int(pos), insert, int(times), mode)
		name, ctype := "fgw.xlsx", ""
		if mode&4 != 0 {
			name, ctype = "", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
		}
		before := fx.stored()
		peak := startPeak()
		resp, ans := fx.upload(tok, name, ctype, data)
		if growth, ok := peak(); ok && growth > 128<<20 {
			t.Fatalf("resident memory peaked %d MiB above its level before the upload (ceiling 128 MiB); answer %d %+v", growth>>20, resp.StatusCode, ans.Error)
		}
		after := fx.stored()
		switch {
		case resp.StatusCode == http.StatusCreated:
			if ans.Accepted != len(ans.Receipts) || ans.Accepted == 0 || after-before > ans.Accepted {
				t.Fatalf("201 with %+v, stored %d more", ans, after-before)
			}
		case resp.StatusCode >= 400 && resp.StatusCode < 500:
			if ans.Error == nil || ans.Error.Code == "" || ans.Error.Message == "" {
				t.Fatalf("%d without an error envelope", resp.StatusCode)
			}
			if after != before {
				t.Fatalf("%d %s but %d revisions stored", resp.StatusCode, ans.Error.Code, after-before)
			}
		default:
			t.Fatalf("status %d: %+v", resp.StatusCode, ans.Error)
		}
	})
}

type zipEntry struct {
	name string
	data []byte
}

func unzipEntries(t testing.TB, data []byte) []zipEntry {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var out []zipEntry
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		if err = errors.Join(err, rc.Close()); err != nil {
			t.Fatal(err)
		}
		out = append(out, zipEntry{f.Name, b})
	}
	return out
}

// mutateXLSX builds the workbook of one fuzz input. mode&3: 0 inserts insert×times at
// pos of entry, 2 replaces the entry with insert×times, 3 drops the entry, 1 flips the
// zipped bytes at pos with insert. What is inserted is capped at 1 MiB (the seeds reach
// further, with repetitions that zip well).
func mutateXLSX(t *testing.T, base []byte, entries []zipEntry, entry, pos int, insert []byte, times int, mode uint8) []byte {
	if mode&3 == 1 {
		out := bytes.Clone(base)
		for i, b := range insert {
			out[(pos+i)%len(out)] ^= b
		}
		return out
	}
	if len(insert) > 0 && times > (1<<20)/len(insert) {
		times = (1 << 20) / len(insert)
	}
	target := entry % len(entries)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for i, e := range entries {
		content := e.data
		if i == target {
			switch mode & 3 {
			case 0:
				p := pos % (len(content) + 1)
				content = slices.Concat(content[:p], bytes.Repeat(insert, times), content[p:])
			case 2:
				content = bytes.Repeat(insert, times)
			case 3:
				continue
			}
		}
		w, err := zw.Create(e.name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(content); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// startPeak returns the resident memory of this process after a full collection and
// resets its peak; the function it returns tells how far the peak rose since (false
// where /proc/self/clear_refs is not available).
func startPeak() func() (int64, bool) {
	debug.FreeOSMemory()
	if runtime.GOOS != "linux" || os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) != nil {
		return func() (int64, bool) { return 0, false }
	}
	base := procStatus("VmRSS")
	return func() (int64, bool) {
		peak := procStatus("VmHWM")
		return peak - base, base > 0 && peak > 0
	}
}

// procStatus reads a size field of /proc/self/status in bytes (-1 if absent).
func procStatus(field string) int64 {
	b, err := os.ReadFile("/proc/self/status")
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
