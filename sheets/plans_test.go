package sheets_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/internal/testenv"
	"github.com/duban-gov/duban/internal/testplans"
	"github.com/duban-gov/duban/sheets"
)

// minshengTemplate is 市教育局's template of the sample 民生实事 plan with 1.2 (新增公办幼儿园
// 学位, 个) filled with 800.
func minshengTemplate(t *testing.T) (*indicators.Catalog, []byte) {
	t.Helper()
	cat, err := indicators.Load(testplans.WriteMinsheng(t, 2026))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := sheets.WriteTemplate(&buf, sheets.TemplateConfig{Catalog: cat, Department: "jyj", Period: "2026-05"}); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	d, _ := cat.Department("jyj")
	sheet := sheets.SheetName(*d)
	set(t, f, sheet, "H", rowOf(t, f, sheet, "1.2"), 800)
	return cat, bytesOf(t, f)
}

// TestATemplateNamesItsPlan: a template carries its plan's id (the defined name
// duban_plan), so that an upload is read with that plan's catalog whatever catalog the
// decoder was given first; a plan the decoder cannot find is unknown_plan.
func TestATemplateNamesItsPlan(t *testing.T) {
	minsheng, file := minshengTemplate(t)
	plans := func(id string) (*indicators.Catalog, bool) {
		if id == minsheng.Plan.ID {
			return minsheng, true
		}
		return nil, false
	}
	for name, tc := range map[string]struct {
		catalog *indicators.Catalog
		plans   func(string) (*indicators.Catalog, bool)
		file    func(t *testing.T) []byte
		code    string // the error's, or "" for the batch of minsheng-2026
	}{
		"read with its own plan's catalog":               {minsheng, nil, func(*testing.T) []byte { return file }, ""},
		"read with the plan it names, not the first one": {catalog(t), plans, func(*testing.T) []byte { return file }, ""},
		"a plan the decoder cannot find":                 {catalog(t), nil, func(*testing.T) []byte { return file }, "unknown_plan"},
		"saved again by LibreOffice, still naming its plan": {catalog(t), plans, func(t *testing.T) []byte {
			if testing.Short() {
				t.Skip("starts LibreOffice")
			}
			return resave(t, file)
		}, ""},
	} {
		t.Run(name, func(t *testing.T) {
			dec, err := sheets.NewDecoder(sheets.DecoderConfig{Catalog: tc.catalog, Plans: tc.plans})
			if err != nil {
				t.Fatal(err)
			}
			b, err := dec.DecodeUpload(sheets.FileXLSX, tc.file(t))
			if tc.code != "" {
				var se *sheets.Error
				if !errors.As(err, &se) || se.Code != tc.code {
					t.Fatalf("got %v, want %s", err, tc.code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if b.Plan != minsheng.Plan.ID || len(b.Reports) != 1 || b.Reports[0].Indicator != "1.2" || *b.Reports[0].Value != 800 {
				t.Fatalf("plan %q, reports %+v; want minsheng-2026's 1.2 = 800", b.Plan, b.Reports)
			}
		})
	}
}

// resave opens and saves an .xlsx with LibreOffice (headless, its own profile), as a
// clerk filling the template in Calc does.
func resave(t *testing.T, xlsx []byte) []byte {
	t.Helper()
	bin := testenv.NeedBinary(t, "soffice")
	in, out, profile := t.TempDir(), t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(in, "filled.xlsx"), xlsx, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-env:UserInstallation=file://"+profile, "--headless", "--norestore",
		"--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", out, filepath.Join(in, "filled.xlsx"))
	cmd.Env = append(os.Environ(), "HOME="+profile)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("soffice: %v\n%s", err, b)
	}
	b, err := os.ReadFile(filepath.Join(out, "filled.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
