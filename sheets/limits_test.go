package sheets_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/duban-gov/duban/sheets"
	"github.com/duban-gov/duban/sheets/sheetstest"
)

// TestHostileWorkbooksAreRefusedWithTheirCode: every workbook of sheetstest.Hostile
// (column XFD on every row, claims of the whole grid, shared strings and style bombs,
// thousands of sheets, deep XML, a tag of a million attributes, zip bombs, lying zip
// sizes, number formats of 200,000 characters, and files at each limit) gets its coded
// error, with Limit set exactly for the 413 ones. The memory each costs is measured
// through the real binary in cmd/duban (TestHostileUploadsStayUnderTheMemoryCeiling).
func TestHostileWorkbooksAreRefusedWithTheirCode(t *testing.T) {
	d := decoder(t)
	for _, c := range sheetstest.Hostile() {
		t.Run(c.Name, func(t *testing.T) {
			_, err := d.DecodeXLSX(bytes.NewReader(c.Data))
			var se *sheets.Error
			if !errors.As(err, &se) {
				t.Fatalf("err = %v, want *sheets.Error %s", err, c.Code)
			}
			if se.Code != c.Code || se.Limit != c.TooLarge {
				t.Errorf("got %s (limit %v), want %s (limit %v): %v", se.Code, se.Limit, c.Code, c.TooLarge, err)
			}
			if strings.TrimSpace(se.Message) == "" {
				t.Error("no message")
			}
		})
	}
}

func TestLimitsAreConfigurable(t *testing.T) {
	f, sheet := template(t, "rsj")
	r := rowOf(t, f, sheet, "57.1")
	set(t, f, sheet, "H", r, 100)
	set(t, f, sheet, "H", rowOf(t, f, sheet, "56.1"), 5)
	set(t, f, sheet, "M", r, "a note in a thirteenth column")
	data := bytesOf(t, f)
	cases := map[string]struct {
		cfg  sheets.DecoderConfig
		code string
		row  int
	}{
		"two filled rows over MaxReports 1":           {sheets.DecoderConfig{MaxReports: 1}, "too_many_reports", max(r, rowOf(t, f, sheet, "56.1"))},
		"a thirteenth column over MaxColumns 12":      {sheets.DecoderConfig{MaxColumns: 12}, "sheet_too_large", r},
		"two sheets over MaxSheets 1":                 {sheets.DecoderConfig{MaxSheets: 1}, "too_many_sheets", 0},
		"the template's cells over MaxCells 20":       {sheets.DecoderConfig{MaxCells: 20}, "sheet_too_large", 0},
		"the unzipped template over MaxUnzipped 4096": {sheets.DecoderConfig{MaxUnzipped: 4096}, "xlsx_too_large", 0},
		"rows below the header over MaxRows 1":        {sheets.DecoderConfig{MaxRows: 1}, "sheet_too_large", 0},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			tc.cfg.Catalog = catalog(t)
			d, err := sheets.NewDecoder(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			_, err = d.DecodeXLSX(bytes.NewReader(data))
			var se *sheets.Error
			if !errors.As(err, &se) || se.Code != tc.code || !se.Limit {
				t.Fatalf("err = %v, want %s with Limit", err, tc.code)
			}
			if tc.row != 0 && se.Row != tc.row {
				t.Errorf("row %d, want %d", se.Row, tc.row)
			}
		})
	}
	// Within the defaults the same file decodes.
	if b, err := decoder(t).DecodeXLSX(bytes.NewReader(data)); err != nil || len(b.Reports) != 2 {
		t.Fatalf("%d reports, %v", len(b.Reports), err)
	}
}

func TestCSVLimits(t *testing.T) {
	cases := map[string]struct {
		in   string
		code string
	}{
		"a field beyond column CV": {"indicator,period,value" + strings.Repeat(",", 100) + "x\n57.1,2026-03,1\n", "sheet_too_large"},
		"more lines than the rows": {"indicator,period,value\n" + strings.Repeat("\n", 5100) + "57.1,2026-03,1\n", "sheet_too_large"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := decoder(t).DecodeCSV(strings.NewReader(tc.in))
			var se *sheets.Error
			if !errors.As(err, &se) || se.Code != tc.code || !se.Limit {
				t.Fatalf("err = %v, want %s", err, tc.code)
			}
		})
	}
	// Empty trailing fields beyond the limit are padding, not data.
	in := "indicator,period,value" + strings.Repeat(",", 150) + "\n57.1,2026-03,1" + strings.Repeat(",", 150) + "\n"
	if b, err := decoder(t).DecodeCSV(strings.NewReader(in)); err != nil || len(b.Reports) != 1 {
		t.Fatalf("%d reports, %v", len(b.Reports), err)
	}
}
