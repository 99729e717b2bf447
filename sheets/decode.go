package sheets

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/duban-gov/duban/bulletin/present"
	"github.com/duban-gov/duban/indicators"
)

// Error is a problem with one cell (or row, or sheet) of an uploaded file. Codes are
// snake_case and stable; Message says what to fix.
type Error struct {
	Code    string
	Sheet   string // sheet name; "CSV" for CSV files
	Row     int    // 1-based spreadsheet row; 0 when the whole sheet is at fault
	Column  string // column letter ("H"); empty when the whole row is at fault
	Field   Field
	Message string
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "sheet %q", e.Sheet)
	if e.Row > 0 {
		fmt.Fprintf(&b, ", row %d", e.Row)
	}
	if e.Column != "" {
		fmt.Fprintf(&b, ", column %s", e.Column)
		if e.Field != "" {
			fmt.Fprintf(&b, " (%s)", headerOf(e.Field))
		}
	}
	b.WriteString(": ")
	b.WriteString(e.Message)
	return b.String()
}

// Origin is where one decoded report came from.
type Origin struct {
	Sheet   string
	Row     int
	columns map[Field]int
}

// Column is the letter of the column holding field in the report's sheet ("" if absent).
func (o Origin) Column(field string) string {
	if i, ok := o.columns[Field(field)]; ok {
		return colName(i)
	}
	return ""
}

// Batch is a decoded file: reports in file order, each with its origin.
type Batch struct {
	Reports []indicators.Report
	Origins []Origin
}

// Locate turns a problem with report index (and field, as named in the JSON API)
// into an error naming its sheet, row and column.
func (b Batch) Locate(index int, field, code, message string) *Error {
	e := &Error{Code: code, Message: message, Field: Field(field)}
	if index >= 0 && index < len(b.Origins) {
		o := b.Origins[index]
		e.Sheet, e.Row, e.Column = o.Sheet, o.Row, o.Column(field)
	}
	return e
}

// DecoderConfig configures a Decoder.
type DecoderConfig struct {
	Catalog *indicators.Catalog // required: indicator ids and units
	// MaxRows bounds the rows read per sheet (default 5000); more is an error.
	MaxRows int
	// MaxBytes bounds the unzipped size of an .xlsx (default 32 MiB).
	MaxBytes int64
}

func (c *DecoderConfig) defaults() error {
	if c.Catalog == nil {
		return errors.New("sheets: catalog is required")
	}
	if c.MaxRows <= 0 {
		c.MaxRows = 5000
	}
	if c.MaxBytes <= 0 {
		c.MaxBytes = 32 << 20
	}
	return nil
}

// Decoder reads filled templates (.xlsx) and CSV files. Safe for concurrent use.
type Decoder struct {
	cfg DecoderConfig
}

// NewDecoder builds a decoder.
func NewDecoder(cfg DecoderConfig) (*Decoder, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	return &Decoder{cfg: cfg}, nil
}

// DecodeXLSX reads every sheet that has a header row (指标编号, 填报期间, ...); sheets
// without one (instructions) are skipped. Errors are *Error.
func (d *Decoder) DecodeXLSX(r io.Reader) (b Batch, err error) {
	defer func() {
		if p := recover(); p != nil { // a malformed file must not take the server down
			b, err = Batch{}, &Error{Code: "invalid_xlsx", Sheet: "", Message: fmt.Sprintf("the file is not a readable .xlsx workbook (%v)", p)}
		}
	}()
	f, err := excelize.OpenReader(r, excelize.Options{UnzipSizeLimit: d.cfg.MaxBytes, UnzipXMLSizeLimit: d.cfg.MaxBytes})
	if err != nil {
		return Batch{}, &Error{Code: "invalid_xlsx", Message: fmt.Sprintf("the file is not a readable .xlsx workbook: %v", err)}
	}
	defer f.Close()
	found := false
	seen := map[string]Origin{}
	for _, sheet := range f.GetSheetList() {
		raw, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
		if err != nil {
			return Batch{}, &Error{Code: "invalid_xlsx", Sheet: sheet, Message: fmt.Sprintf("cannot read the sheet: %v", err)}
		}
		shown, err := f.GetRows(sheet)
		if err != nil {
			return Batch{}, &Error{Code: "invalid_xlsx", Sheet: sheet, Message: fmt.Sprintf("cannot read the sheet: %v", err)}
		}
		ok, err := d.rows(&b, seen, sheet, raw, shown)
		if err != nil {
			return Batch{}, err
		}
		found = found || ok
	}
	if !found {
		return Batch{}, &Error{Code: "missing_header", Sheet: strings.Join(f.GetSheetList(), ","), Message: "no sheet has a header row with 指标编号 (indicator) and 填报期间 (period): use the template from `duban template`"}
	}
	if len(b.Reports) == 0 {
		return Batch{}, &Error{Code: "empty_upload", Sheet: strings.Join(f.GetSheetList(), ","), Message: "no row is filled: write the figure in 本期数值 (or the stage in 进度阶段 for milestones)"}
	}
	return b, nil
}

// CSVSheet is the sheet name used in errors about CSV files.
const CSVSheet = "CSV"

// DecodeCSV reads a CSV file whose first non-empty row is a header (the template's
// Chinese headers or indicator,period,value,stage,percent,note,evidence,idempotency_key).
// UTF-8 (with or without BOM) and GB18030 (what Excel on Chinese Windows saves) are
// accepted; the delimiter may be a comma, semicolon or tab. Errors are *Error.
func (d *Decoder) DecodeCSV(r io.Reader) (Batch, error) {
	data, err := io.ReadAll(io.LimitReader(r, d.cfg.MaxBytes+1))
	if err != nil {
		return Batch{}, &Error{Code: "invalid_csv", Sheet: CSVSheet, Message: fmt.Sprintf("read: %v", err)}
	}
	if int64(len(data)) > d.cfg.MaxBytes {
		return Batch{}, &Error{Code: "too_large", Sheet: CSVSheet, Message: fmt.Sprintf("the file is over %d bytes", d.cfg.MaxBytes)}
	}
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	if !utf8.Valid(data) {
		dec, err := simplifiedchinese.GB18030.NewDecoder().Bytes(data)
		if err != nil {
			return Batch{}, &Error{Code: "invalid_csv", Sheet: CSVSheet, Message: "the file is neither UTF-8 nor GB18030 text"}
		}
		data = dec
	}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.Comma = sniffDelimiter(data)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	var rows [][]string
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			line := 0
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.Line
			}
			return Batch{}, &Error{Code: "invalid_csv", Sheet: CSVSheet, Row: line, Message: err.Error()}
		}
		line, _ := cr.FieldPos(0)
		for len(rows) < line-1 { // keep spreadsheet row numbers: blank lines count
			rows = append(rows, nil)
		}
		rows = append(rows, rec)
		if len(rows) > d.cfg.MaxRows+10 {
			return Batch{}, &Error{Code: "too_many_rows", Sheet: CSVSheet, Message: fmt.Sprintf("more than %d rows", d.cfg.MaxRows)}
		}
	}
	var b Batch
	ok, err := d.rows(&b, map[string]Origin{}, CSVSheet, rows, rows)
	if err != nil {
		return Batch{}, err
	}
	if !ok {
		return Batch{}, &Error{Code: "missing_header", Sheet: CSVSheet, Row: 1, Message: "the first row must be a header naming the columns: indicator,period,value (or 指标编号,填报期间,本期数值)"}
	}
	if len(b.Reports) == 0 {
		return Batch{}, &Error{Code: "empty_upload", Sheet: CSVSheet, Message: "no row is filled: give a value (or a stage for milestones)"}
	}
	return b, nil
}

func sniffDelimiter(data []byte) rune {
	line := data
	if i := bytes.IndexByte(data, '\n'); i >= 0 {
		line = data[:i]
	}
	best, n := ',', bytes.Count(line, []byte{','})
	for _, c := range []rune{';', '\t'} {
		if k := bytes.Count(line, []byte(string(c))); k > n {
			best, n = c, k
		}
	}
	return best
}

const headerScan = 10 // rows searched for the header

// rows decodes one sheet into b. It reports whether the sheet had a header row.
// raw holds unformatted cell values, shown the values as displayed (for "6.5%").
func (d *Decoder) rows(b *Batch, seen map[string]Origin, sheet string, raw, shown [][]string) (bool, error) {
	hdr := -1
	var cols map[Field]int
	for i := 0; i < len(raw) && i < headerScan; i++ {
		m := map[Field]int{}
		for j, cell := range raw[i] {
			if f, ok := fieldOf(cell); ok {
				if _, dup := m[f]; !dup {
					m[f] = j
				}
			}
		}
		if _, ok := m[FieldIndicator]; ok {
			hdr, cols = i, m
			break
		}
	}
	if hdr < 0 {
		return false, nil
	}
	for _, need := range []Field{FieldPeriod} {
		if _, ok := cols[need]; !ok {
			return true, &Error{Code: "missing_column", Sheet: sheet, Row: hdr + 1, Field: need,
				Message: fmt.Sprintf("the header row has no %s (%s) column", headerOf(need), need)}
		}
	}
	if _, v := cols[FieldValue]; !v {
		if _, s := cols[FieldStage]; !s {
			return true, &Error{Code: "missing_column", Sheet: sheet, Row: hdr + 1, Field: FieldValue,
				Message: "the header row has neither a 本期数值 (value) nor a 进度阶段 (stage) column"}
		}
	}
	if len(raw)-hdr-1 > d.cfg.MaxRows {
		return true, &Error{Code: "too_many_rows", Sheet: sheet, Message: fmt.Sprintf("more than %d rows", d.cfg.MaxRows)}
	}
	for i := hdr + 1; i < len(raw); i++ {
		row := i + 1
		get := func(f Field) string {
			j, ok := cols[f]
			if !ok || j >= len(raw[i]) {
				return ""
			}
			return strings.TrimSpace(raw[i][j])
		}
		getShown := func(f Field) string {
			j, ok := cols[f]
			if !ok || i >= len(shown) || j >= len(shown[i]) {
				return ""
			}
			return strings.TrimSpace(shown[i][j])
		}
		cellErr := func(f Field, code, format string, args ...any) *Error {
			e := &Error{Code: code, Sheet: sheet, Row: row, Field: f, Message: fmt.Sprintf(format, args...)}
			if j, ok := cols[f]; ok {
				e.Column = colName(j)
			}
			return e
		}
		id := get(FieldIndicator)
		value, stage, percent, note := get(FieldValue), get(FieldStage), get(FieldPercent), get(FieldNote)
		if id == "" {
			if value != "" || stage != "" || percent != "" || note != "" {
				return true, cellErr(FieldIndicator, "missing_indicator", "the row is filled but has no indicator id")
			}
			continue
		}
		if value == "" && stage == "" && percent == "" {
			if note != "" {
				f := FieldValue
				if _, ok := cols[f]; !ok {
					f = FieldStage
				}
				return true, cellErr(f, "missing_value", "the row has a note but no figure: fill 本期数值 (or 进度阶段 for a milestone), or clear the note")
			}
			continue // not reported this time
		}
		entry, ok := d.cfg.Catalog.Lookup(id)
		if !ok {
			return true, cellErr(FieldIndicator, "unknown_indicator", "%q is not an indicator of the catalog", id)
		}
		t := entry.Target
		rep := indicators.Report{Indicator: id, Note: note, Evidence: get(FieldEvidence), IdempotencyKey: get(FieldKey)}
		p, err := parsePeriod(get(FieldPeriod))
		if err != nil {
			return true, cellErr(FieldPeriod, "invalid_period", "%v", err)
		}
		rep.Period = p
		scale := 1.0
		if u := get(FieldUnit); u != "" && value != "" {
			switch {
			case t.DisplayUnit != "" && u == t.DisplayUnit:
				scale = present.Scale(t)
			case u == t.Unit:
			default:
				return true, cellErr(FieldUnit, "unit_mismatch", "unit %q does not match indicator %s (%s)", u, id, present.Unit(t))
			}
		}
		if value != "" {
			v, err := parseNumber(value, getShown(FieldValue))
			if err != nil {
				return true, cellErr(FieldValue, "invalid_value", "%q is not a number: %v", value, err)
			}
			v *= scale
			rep.Value = &v
		}
		if stage != "" {
			st, ok := present.ParseStage(stage)
			if !ok {
				return true, cellErr(FieldStage, "invalid_stage", "%q is not a stage: use 未启动, 已开工, 已完成 or 受阻 (planned, started, completed, blocked)", stage)
			}
			rep.Stage = st
		}
		if percent != "" {
			v, err := parseNumber(percent, getShown(FieldPercent))
			if err != nil {
				return true, cellErr(FieldPercent, "invalid_percent", "%q is not a number: %v", percent, err)
			}
			if v < 0 || v > 100 {
				return true, cellErr(FieldPercent, "invalid_percent", "percent %s is outside 0..100", present.Number(v))
			}
			rep.Percent = &v
		}
		key := rep.Indicator + "|" + rep.Period
		if prev, dup := seen[key]; dup {
			return true, cellErr(FieldIndicator, "duplicate_row", "indicator %s, period %s is already on sheet %q row %d", id, rep.Period, prev.Sheet, prev.Row)
		}
		o := Origin{Sheet: sheet, Row: row, columns: cols}
		seen[key] = o
		b.Reports = append(b.Reports, rep)
		b.Origins = append(b.Origins, o)
	}
	return true, nil
}

var (
	reZhMonth   = regexp.MustCompile(`^(\d{4})\s*年\s*(\d{1,2})\s*月(份)?$`)
	reZhQuarter = regexp.MustCompile(`^(\d{4})\s*年\s*第?\s*([1-4一二三四])\s*季度?$`)
	reSlash     = regexp.MustCompile(`^(\d{4})[/.](\d{1,2})$`)
)

// parsePeriod reads the API forms and the ways people write them in Chinese sheets.
func parsePeriod(s string) (string, error) {
	if s == "" {
		return "", errors.New("the period is empty: write it as 2026-03, 2026-Q1 or 2026-06-30")
	}
	if m := reZhMonth.FindStringSubmatch(s); m != nil {
		mo, _ := strconv.Atoi(m[2])
		s = fmt.Sprintf("%s-%02d", m[1], mo)
	} else if m := reZhQuarter.FindStringSubmatch(s); m != nil {
		q := strings.Index("1234一二三四", m[2])
		if q >= 4 {
			q = (q-4)/3 + 1 // the Chinese numerals are 3 bytes each
		} else {
			q++
		}
		s = fmt.Sprintf("%s-Q%d", m[1], q)
	} else if m := reSlash.FindStringSubmatch(s); m != nil {
		mo, _ := strconv.Atoi(m[2])
		s = fmt.Sprintf("%s-%02d", m[1], mo)
	} else if _, err := strconv.ParseFloat(s, 64); err == nil {
		return "", fmt.Errorf("%q looks like an Excel date serial: format the cell as text and write 2026-03", s)
	}
	p, err := indicators.ParsePeriod(s)
	if err != nil {
		return "", err
	}
	return p.String(), nil
}

var fullWidth = strings.NewReplacer("０", "0", "１", "1", "２", "2", "３", "3", "４", "4", "５", "5", "６", "6", "７", "7", "８", "8", "９", "9",
	"．", ".", "，", ",", "－", "-", "＋", "+", "％", "%", "　", "")

// parseNumber reads a number as typed: thousands separators, full-width digits and a
// trailing % are accepted. shown is the cell as displayed: a cell Excel formats as a
// percentage holds 0.065 for "6.5%", and people mean 6.5.
func parseNumber(raw, shown string) (float64, error) {
	s := strings.ReplaceAll(fullWidth.Replace(raw), " ", "")
	pct := strings.HasSuffix(s, "%")
	s = strings.TrimSuffix(s, "%")
	s = strings.ReplaceAll(s, ",", "")
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, errors.New("write digits only, e.g. 11800 or 6.5")
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, errors.New("not a finite number")
	}
	if !pct && strings.HasSuffix(shown, "%") && shown != raw {
		v *= 100
		v = math.Round(v*1e9) / 1e9
	}
	return v, nil
}
