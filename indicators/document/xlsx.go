package document

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/xuri/excelize/v2"
)

// maxMerges bounds the merged ranges read from one sheet.
const maxMerges = 100000

// ReadXLSX reads every visible sheet of a workbook as one table: rows by their number in
// the sheet, cells as Excel shows them, a merged range's value carried down the rows it
// spans (in its first column; the other columns of the range stay empty).
func ReadXLSX(data []byte, lim Limits) (*Document, error) {
	lim = lim.withDefaults()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fmt.Errorf("not an Excel workbook (.xlsx): %w", err)
	}
	sheets, err := workbookSheets(zr, lim)
	if err != nil {
		return nil, err
	}
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{UnzipSizeLimit: lim.MaxXMLBytes * 4, UnzipXMLSizeLimit: lim.MaxXMLBytes})
	if err != nil {
		return nil, fmt.Errorf("not an Excel workbook (.xlsx): %w", err)
	}
	defer func() { _ = f.Close() }() // the workbook is read from memory; Close only removes excelize's temporary files
	doc := &Document{Format: XLSX}
	n := 0
	for _, sh := range sheets {
		if sh.hidden {
			continue
		}
		n++
		merges, err := sheetMerges(zr, sh.part, lim)
		if err != nil {
			return nil, err
		}
		if err := readSheet(f, sh.name, n, merges, lim, doc); err != nil {
			return nil, err
		}
	}
	return doc, nil
}

type sheetRef struct {
	name, part string
	hidden     bool
}

// workbookSheets lists the sheets of xl/workbook.xml in order, with their parts.
func workbookSheets(zr *zip.Reader, lim Limits) ([]sheetRef, error) {
	targets := map[string]string{}
	if r, ok, err := openPart(zr, "xl/_rels/workbook.xml.rels", lim.MaxXMLBytes); err != nil {
		return nil, err
	} else if ok {
		err := xmlWalk{start: func(se xml.StartElement) bool {
			if se.Name.Local == "Relationship" {
				id, _ := attr(se, "Id")
				t, _ := attr(se, "Target")
				if strings.HasPrefix(t, "/") {
					t = strings.TrimPrefix(t, "/")
				} else {
					t = path.Join("xl", t)
				}
				targets[id] = t
			}
			return false
		}}.run(r, "xl/_rels/workbook.xml.rels")
		_ = r.Close() // a part read from memory: closing it can only release it
		if err != nil {
			return nil, err
		}
	}
	r, ok, err := openPart(zr, "xl/workbook.xml", lim.MaxXMLBytes)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("not an Excel workbook (.xlsx): no xl/workbook.xml")
	}
	defer func() { _ = r.Close() }() // a part read from memory: closing it can only release it
	var out []sheetRef
	err = xmlWalk{start: func(se xml.StartElement) bool {
		if se.Name.Local == "sheet" {
			name, _ := attr(se, "name")
			state, _ := attr(se, "state")
			var id string
			for _, a := range se.Attr {
				if a.Name.Local == "id" && a.Name.Space != "" {
					id = a.Value
				}
			}
			out = append(out, sheetRef{name: name, part: targets[id], hidden: state == "hidden" || state == "veryHidden"})
		}
		return false
	}}.run(r, "xl/workbook.xml")
	return out, err
}

type merge struct{ c1, r1, c2, r2 int }

// sheetMerges streams a sheet's part for its merged ranges (excelize would load the whole
// sheet to list them).
func sheetMerges(zr *zip.Reader, part string, lim Limits) ([]merge, error) {
	if part == "" {
		return nil, nil
	}
	r, ok, err := openPart(zr, part, lim.MaxXMLBytes)
	if err != nil || !ok {
		return nil, err
	}
	defer func() { _ = r.Close() }() // a part read from memory: closing it can only release it
	var out []merge
	var tooMany bool
	err = xmlWalk{start: func(se xml.StartElement) bool {
		switch se.Name.Local {
		case "sheetData":
			return true
		case "mergeCell":
			ref, _ := attr(se, "ref")
			a, b, ok := strings.Cut(ref, ":")
			if !ok {
				return false
			}
			c1, r1, err1 := excelize.CellNameToCoordinates(a)
			c2, r2, err2 := excelize.CellNameToCoordinates(b)
			if err1 != nil || err2 != nil || r2 <= r1 {
				return false // a range within one row keeps its value in its first cell
			}
			if len(out) >= maxMerges {
				tooMany = true
				return false
			}
			out = append(out, merge{c1: min(c1, c2), r1: r1, c2: max(c1, c2), r2: r2})
		}
		return false
	}}.run(r, part)
	if err != nil {
		return nil, err
	}
	if tooMany {
		return nil, fmt.Errorf("%s: more than %d merged ranges: %w", part, maxMerges, ErrTooLarge)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].r1 < out[j].r1 })
	return out, nil
}

func readSheet(f *excelize.File, sheet string, table int, merges []merge, lim Limits, doc *Document) error {
	rows, err := f.Rows(sheet)
	if err != nil {
		return fmt.Errorf("sheet %q: %w", sheet, err)
	}
	defer func() { _ = rows.Close() }() // the rows iterator's Close only removes a temporary file
	var active []merge
	top := map[[2]int]string{} // the value of each merged range's top-left cell
	next, cells := 0, 0
	for r := 1; rows.Next(); r++ {
		if r > lim.MaxRows {
			return fmt.Errorf("sheet %q: more than %d rows: %w", sheet, lim.MaxRows, ErrTooLarge)
		}
		cols, err := rows.Columns()
		if err != nil {
			return fmt.Errorf("sheet %q row %d: %w", sheet, r, err)
		}
		from := next
		for next < len(merges) && merges[next].r1 <= r {
			if m := merges[next]; m.r1 == r && m.c1-1 < len(cols) {
				top[[2]int{m.r1, m.c1}] = cols[m.c1-1]
			}
			next++
		}
		kept := active[:0]
		for _, m := range active {
			if m.r2 >= r {
				kept = append(kept, m)
			}
		}
		active = kept
		for _, m := range active {
			for len(cols) < m.c1 {
				cols = append(cols, "")
			}
			cols[m.c1-1] = top[[2]int{m.r1, m.c1}]
			for c := m.c1; c < m.c2 && c < len(cols); c++ {
				cols[c] = ""
			}
		}
		for _, m := range merges[from:next] {
			if m.r1 == r {
				active = append(active, m)
			}
		}
		if cells += len(cols) + len(active); cells > lim.MaxCells {
			return fmt.Errorf("sheet %q: more than %d cells: %w", sheet, lim.MaxCells, ErrTooLarge)
		}
		for i := range cols {
			cols[i] = strings.TrimSpace(cols[i])
		}
		doc.Lines = append(doc.Lines, rowLine(cols, Pos{Table: table, Row: r, Sheet: sheet}))
	}
	return nil
}
