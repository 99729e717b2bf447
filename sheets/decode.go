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

	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/present"
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
	// Limit says the file passed a limit of the decoder (too many sheets, rows,
	// columns, cells or bytes) rather than being malformed: HTTP answers 413.
	Limit bool
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Sheet != "" {
		fmt.Fprintf(&b, "sheet %q", e.Sheet)
	} else {
		b.WriteString("workbook")
	}
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
	// Plan is the plan the workbook names (its defined name duban_plan, which templates
	// carry), whose catalog read it; empty for a CSV or a workbook naming none.
	Plan string
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

// DecoderConfig configures a Decoder. The limits bound the memory and time of one
// decode whatever the file claims; a file over a limit gets an *Error with Limit set
// (codes too_many_sheets, sheet_too_large, xlsx_too_large, too_many_reports, too_large).
type DecoderConfig struct {
	Catalog *indicators.Catalog // required: indicator ids and units
	// Plans finds the catalog of the plan a workbook names (PlanName), to read it with
	// that plan's ids and units (optional: without it, a workbook naming another plan
	// than Catalog's is refused, unknown_plan). A file naming none is read with Catalog.
	Plans func(id string) (*indicators.Catalog, bool)
	// Resolve, when several plans are served, gives the plans a row of a file naming no
	// plan may belong to by its indicator id and period (indicators.PlanSet.Resolve):
	// one plan reads the row with its catalog and the report names it; several are
	// plan_required; none, unknown_indicator. Optional: without it every row is read
	// with Catalog.
	Resolve func(indicator, period string) []*indicators.Catalog
	// MaxRows bounds the rows read per sheet below the header (default 5000); a filled
	// row further down is an error.
	MaxRows int
	// MaxColumns bounds the columns read (default 100, up to CV); a filled cell further
	// right is an error, an empty (formatted) one is ignored.
	MaxColumns int
	// MaxCells bounds the cells of a workbook, empty ones included (default 200,000).
	MaxCells int
	// MaxSheets bounds the sheets of a workbook (default 32).
	MaxSheets int
	// MaxReports bounds the filled rows of a file (default 0: no bound); the decoder
	// stops at the first row over it.
	MaxReports int
	// MaxUnzipped bounds the unzipped size of an .xlsx, all parts together (default 8 MiB).
	MaxUnzipped int64
	// MaxBytes bounds the size of a CSV file (default 32 MiB).
	MaxBytes int64
}

func (c *DecoderConfig) defaults() error {
	if c.Catalog == nil {
		return errors.New("sheets: catalog is required")
	}
	if c.MaxRows <= 0 {
		c.MaxRows = 5000
	}
	if c.MaxColumns <= 0 {
		c.MaxColumns = 100
	}
	if c.MaxCells <= 0 {
		c.MaxCells = 200_000
	}
	if c.MaxSheets <= 0 {
		c.MaxSheets = 32
	}
	if c.MaxUnzipped <= 0 {
		c.MaxUnzipped = 8 << 20
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

// lastRow is the last row a filled cell may be on: the header within the first rows,
// then MaxRows rows.
func (d *Decoder) lastRow() int { return headerScan + d.cfg.MaxRows }

// DecodeXLSX reads every sheet that has a header row (指标编号, 填报期间, ...); sheets
// without one (instructions) are skipped. The file is read into memory (it is at most
// the caller's body limit) and scanned against the limits before excelize opens it;
// excelize then streams the rows (Rows), so no sheet is ever held whole. Numbers are
// read as Excel shows them, to 15 significant digits. Errors are *Error.
func (d *Decoder) DecodeXLSX(r io.Reader) (b Batch, err error) {
	defer func() {
		if p := recover(); p != nil { // a malformed file must not take the server down
			b, err = Batch{}, &Error{Code: "invalid_xlsx", Sheet: "", Message: fmt.Sprintf("the file is not a readable .xlsx workbook (%v) (文件已损坏)", p)}
		}
	}()
	data, err := io.ReadAll(io.LimitReader(r, d.cfg.MaxUnzipped+1))
	if err != nil {
		return Batch{}, &Error{Code: "invalid_xlsx", Message: fmt.Sprintf("read: %v (上传内容无法读取)", err)}
	}
	if int64(len(data)) > d.cfg.MaxUnzipped {
		return Batch{}, limitError("xlsx_too_large", "", "the file is over %s (文件过大)", byteSize(d.cfg.MaxUnzipped))
	}
	flags, err := scanXLSX(data, scanLimits{unzipped: d.cfg.MaxUnzipped, sheets: d.cfg.MaxSheets, lastRow: d.lastRow(),
		columns: d.cfg.MaxColumns, cells: d.cfg.MaxCells})
	if err != nil {
		return Batch{}, err
	}
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{UnzipSizeLimit: d.cfg.MaxUnzipped, UnzipXMLSizeLimit: d.cfg.MaxUnzipped})
	if err != nil {
		return Batch{}, &Error{Code: "invalid_xlsx", Message: fmt.Sprintf("the file is not a readable .xlsx workbook: %v (文件已损坏)", err)}
	}
	// Close only removes excelize's temporary files; the batch is read either way, and
	// its errors are *Error, about the file.
	defer func() { _ = f.Close() }()
	if d, err = d.forPlan(f); err != nil {
		return Batch{}, err
	}
	b.Plan = planOf(f)
	found := false
	seen := map[string]Origin{}
	list := f.GetSheetList()
	if len(list) > d.cfg.MaxSheets { // the scan counted them already; excelize agrees
		return Batch{}, limitError("too_many_sheets", "", "the workbook has more than %d sheets (工作表过多)", d.cfg.MaxSheets)
	}
	for _, sheet := range list {
		ok, err := d.xlsxSheet(f, &b, seen, sheet, flags[sheet])
		if err != nil {
			return Batch{}, err
		}
		found = found || ok
	}
	if !found {
		return Batch{}, &Error{Code: "missing_header", Sheet: strings.Join(list, ","), Message: "no sheet has a header row with 指标编号 (indicator) and 填报期间 (period): use the template from `duban template`"}
	}
	if len(b.Reports) == 0 {
		return Batch{}, &Error{Code: "empty_upload", Sheet: strings.Join(list, ","), Message: "no row is filled: write the figure in 本期数值 (or the stage in 进度阶段 for milestones)"}
	}
	return b, nil
}

// xlsxSheet streams one sheet's stored (raw) values through excelize's row iterator.
// Formatting is left out on purpose: excelize parses a cell's number format for every
// cell it formats, which a workbook of long formats turns into minutes of work; the
// scan has noted instead which cells are percentages or logical values (kinds).
func (d *Decoder) xlsxSheet(f *excelize.File, b *Batch, seen map[string]Origin, sheet string, kinds cells) (bool, error) {
	readErr := func(err error) *Error {
		return &Error{Code: "invalid_xlsx", Sheet: sheet, Message: fmt.Sprintf("cannot read the sheet: %v (工作表无法读取)", err)}
	}
	rows, err := f.Rows(sheet)
	if err != nil {
		return false, readErr(err)
	}
	defer func() { _ = rows.Close() }() // removes excelize's temporary file of the sheet, as f.Close does
	sd := d.newSheet(b, seen, sheet)
	sd.kinds, sd.excel = kinds, true
	for row := 1; rows.Next(); row++ {
		if row > d.lastRow() { // the scan found no filled cell further down
			break
		}
		cells, err := rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return sd.header, readErr(err)
		}
		if len(cells) > d.cfg.MaxColumns { // the scan refused these already
			return sd.header, limitError("sheet_too_large", sheet, "row %d is wider than %d columns (列数超出范围)", row, d.cfg.MaxColumns)
		}
		done, err := sd.add(row, cells)
		if err != nil || done {
			return sd.header, err
		}
	}
	if err := rows.Error(); err != nil {
		return sd.header, readErr(err)
	}
	return sd.header, nil
}

// CSVSheet is the sheet name used in errors about CSV files.
const CSVSheet = "CSV"

// DecodeCSV reads a CSV file whose first non-empty row is a header (the template's
// Chinese headers or indicator,period,value,stage,percent,note,evidence,idempotency_key).
// UTF-8 (with or without BOM) and GB18030 (what Excel on Chinese Windows saves) are
// accepted; the delimiter may be a comma, semicolon or tab; lines may end in LF, CRLF
// or a lone CR (old Mac exports). Errors are *Error.
func (d *Decoder) DecodeCSV(r io.Reader) (Batch, error) {
	data, err := io.ReadAll(io.LimitReader(r, d.cfg.MaxBytes+1))
	if err != nil {
		return Batch{}, &Error{Code: "invalid_csv", Sheet: CSVSheet, Message: fmt.Sprintf("read: %v (上传内容无法读取)", err)}
	}
	if int64(len(data)) > d.cfg.MaxBytes {
		return Batch{}, &Error{Code: "too_large", Sheet: CSVSheet, Limit: true, Message: fmt.Sprintf("the file is over %d bytes (文件过大)", d.cfg.MaxBytes)}
	}
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	if !utf8.Valid(data) {
		dec, err := simplifiedchinese.GB18030.NewDecoder().Bytes(data)
		if err != nil {
			return Batch{}, &Error{Code: "invalid_csv", Sheet: CSVSheet, Message: "the file is neither UTF-8 nor GB18030 text (请以 UTF-8 或 GB18030 编码保存)"}
		}
		data = dec
	}
	data = loneCR(data)
	cr := csv.NewReader(bytes.NewReader(data))
	cr.Comma = sniffDelimiter(data)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = true
	var b Batch
	sd := d.newSheet(&b, map[string]Origin{}, CSVSheet)
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
		line, _ := cr.FieldPos(0) // spreadsheet row numbers: blank lines count
		if len(rec) > d.cfg.MaxColumns && strings.Join(rec[d.cfg.MaxColumns:], "") != "" {
			return Batch{}, &Error{Code: "sheet_too_large", Sheet: CSVSheet, Row: line, Column: colName(d.cfg.MaxColumns), Limit: true,
				Message: fmt.Sprintf("the row has a field beyond column %s; at most %d columns are read (列数超出范围)", colName(d.cfg.MaxColumns-1), d.cfg.MaxColumns)}
		}
		if line > d.lastRow() {
			return Batch{}, &Error{Code: "sheet_too_large", Sheet: CSVSheet, Row: line, Limit: true,
				Message: fmt.Sprintf("the file has more than %d lines; split it into several files (行数超出范围)", d.lastRow())}
		}
		done, err := sd.add(line, rec)
		if err != nil {
			return Batch{}, err
		}
		if done {
			break
		}
	}
	if !sd.header {
		return Batch{}, &Error{Code: "missing_header", Sheet: CSVSheet, Row: 1, Message: "the first row must be a header naming the columns: indicator,period,value (or 指标编号,填报期间,本期数值)"}
	}
	if len(b.Reports) == 0 {
		return Batch{}, &Error{Code: "empty_upload", Sheet: CSVSheet, Message: "no row is filled: give a value (or a stage for milestones)"}
	}
	return b, nil
}

// loneCR turns line ends made of a lone CR (Excel for Mac before 2016, "CSV
// (Macintosh)") into LF, which encoding/csv reads; CRLF stays as it is.
func loneCR(data []byte) []byte {
	if bytes.IndexByte(data, '\r') < 0 {
		return data
	}
	out := make([]byte, len(data))
	copy(out, data)
	for i, c := range out {
		if c == '\r' && (i+1 == len(out) || out[i+1] != '\n') {
			out[i] = '\n'
		}
	}
	return out
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

// sheetRows decodes the rows of one sheet as they stream by.
type sheetRows struct {
	d      *Decoder
	b      *Batch
	seen   map[string]Origin
	sheet  string
	header bool // the header row was found
	hdrRow int
	cols   map[Field]int
	kinds  cells // cells that are percentages or logical values (xlsx)
	excel  bool  // numbers are stored doubles, read to Excel's 15 digits (xlsx)
}

func (d *Decoder) newSheet(b *Batch, seen map[string]Origin, sheet string) *sheetRows {
	return &sheetRows{d: d, b: b, seen: seen, sheet: sheet}
}

// add decodes one row (1-based row number, the stored cell values). done says the rest
// of the sheet needs no reading: no header in the first rows.
func (s *sheetRows) add(row int, raw []string) (done bool, err error) {
	if !s.header {
		if row > headerScan {
			return true, nil
		}
		return false, s.findHeader(row, raw)
	}
	return false, s.data(row, raw)
}

func (s *sheetRows) findHeader(row int, cells []string) error {
	m := map[Field]int{}
	for j, cell := range cells {
		if f, ok := fieldOf(cell); ok {
			if _, dup := m[f]; !dup {
				m[f] = j
			}
		}
	}
	if _, ok := m[FieldIndicator]; !ok {
		return nil
	}
	s.header, s.hdrRow, s.cols = true, row, m
	if _, ok := m[FieldPeriod]; !ok {
		return &Error{Code: "missing_column", Sheet: s.sheet, Row: row, Field: FieldPeriod,
			Message: fmt.Sprintf("the header row has no %s (%s) column", headerOf(FieldPeriod), FieldPeriod)}
	}
	if _, v := m[FieldValue]; !v {
		if _, st := m[FieldStage]; !st {
			return &Error{Code: "missing_column", Sheet: s.sheet, Row: row, Field: FieldValue,
				Message: "the header row has neither a 本期数值 (value) nor a 进度阶段 (stage) column"}
		}
	}
	return nil
}

// data decodes a data row into a report of the batch: an empty row is skipped, a row
// with only a note or without an indicator is an error, and so is every cell that does
// not read (the error names the cell).
func (s *sheetRows) data(row int, raw []string) error {
	c := rowCells{s: s, row: row, raw: raw}
	in := rowInput{
		id: c.get(FieldIndicator), value: c.get(FieldValue), stage: c.get(FieldStage),
		percent: c.get(FieldPercent), note: c.get(FieldNote),
	}
	if skip, err := s.unfilled(c, in); skip || err != nil {
		return err
	}
	cat, plan, err := s.planOf(c, in.id)
	if err != nil {
		return err
	}
	entry, ok := cat.Lookup(in.id)
	if !ok {
		return c.err(FieldIndicator, "unknown_indicator", "%q is not an indicator of the catalog", in.id)
	}
	rep, err := c.report(entry.Target, in)
	if err != nil {
		return err
	}
	rep.Plan = plan
	return s.keep(c, rep)
}

// planOf is the catalog a row is read with, and the plan its report names: the
// decoder's catalog (no plan named), or with Resolve and a file naming no plan, the one
// plan the row's indicator id and period pick.
func (s *sheetRows) planOf(c rowCells, id string) (*indicators.Catalog, string, error) {
	if s.d.cfg.Resolve == nil || s.b.Plan != "" {
		return s.d.cfg.Catalog, "", nil
	}
	period, _ := parsePeriod(c.get(FieldPeriod)) // a bad period is refused with the row's other cells
	cands := s.d.cfg.Resolve(id, period)
	switch len(cands) {
	case 0:
		return s.d.cfg.Catalog, "", nil // unknown_indicator
	case 1:
		return cands[0], cands[0].Plan.ID, nil
	}
	ids := make([]string, len(cands))
	for i, cat := range cands {
		ids[i] = cat.Plan.ID
	}
	return nil, "", c.err(FieldIndicator, "plan_required", "indicator %s, period %s is in several plans (%s): upload the template of the plan (from /report?plan=PLAN or GET /api/v1/plans/PLAN/templates/DEPARTMENT), which names its plan (该指标编号属于多个计划，请使用该计划的模板)", id, period, strings.Join(ids, ", "))
}

// rowCells is one data row: its cells by field, their kinds, and errors naming a cell.
type rowCells struct {
	s   *sheetRows
	row int
	raw []string
}

func (c rowCells) get(f Field) string {
	j, ok := c.s.cols[f]
	if !ok || j >= len(c.raw) {
		return ""
	}
	return strings.TrimSpace(c.raw[j])
}

func (c rowCells) kind(f Field) cellKind {
	j, ok := c.s.cols[f]
	if !ok {
		return kindPlain
	}
	return c.s.kinds[cellKey{c.row, j + 1}]
}

func (c rowCells) err(f Field, code, format string, args ...any) *Error {
	e := &Error{Code: code, Sheet: c.s.sheet, Row: c.row, Field: f, Message: fmt.Sprintf(format, args...)}
	if j, ok := c.s.cols[f]; ok {
		e.Column = colName(j)
	}
	return e
}

// rowInput is what a row says, as text.
type rowInput struct {
	id, value, stage, percent, note string
}

// unfilled says whether the row reports nothing (skip it), or is an error: filled
// without an indicator, past the rows allowed, a note without a figure.
func (s *sheetRows) unfilled(c rowCells, in rowInput) (skip bool, err error) {
	if in.id == "" {
		if in.value != "" || in.stage != "" || in.percent != "" || in.note != "" {
			return false, c.err(FieldIndicator, "missing_indicator", "the row is filled but has no indicator id")
		}
		return true, nil
	}
	if c.row-s.hdrRow > s.d.cfg.MaxRows {
		return false, &Error{Code: "sheet_too_large", Sheet: s.sheet, Row: c.row, Limit: true,
			Message: fmt.Sprintf("more than %d rows below the header; split the file (行数超出范围)", s.d.cfg.MaxRows)}
	}
	if in.value == "" && in.stage == "" && in.percent == "" {
		if in.note != "" {
			f := FieldValue
			if _, ok := s.cols[f]; !ok {
				f = FieldStage
			}
			return false, c.err(f, "missing_value", "the row has a note but no figure: fill 本期数值 (or 进度阶段 for a milestone), or clear the note")
		}
		return true, nil // not reported this time
	}
	return false, nil
}

// report reads the row's cells for target t: the period, the value in the unit of the
// unit column, the stage and the percent.
func (c rowCells) report(t *indicators.Target, in rowInput) (indicators.Report, error) {
	rep := indicators.Report{Indicator: in.id, Note: in.note, Evidence: c.get(FieldEvidence), IdempotencyKey: c.get(FieldKey)}
	p, err := parsePeriod(c.get(FieldPeriod))
	if err != nil {
		return rep, c.err(FieldPeriod, "invalid_period", "%v", err)
	}
	rep.Period = p
	scale := 1.0
	if u := c.get(FieldUnit); u != "" && in.value != "" {
		switch {
		case t.DisplayUnit != "" && u == t.DisplayUnit:
			scale = present.Scale(t)
		case u == t.Unit:
		default:
			return rep, c.err(FieldUnit, "unit_mismatch", "unit %q does not match indicator %s (%s)", u, in.id, present.Unit(t))
		}
	}
	if in.value != "" {
		v, err := parseNumber(in.value, c.kind(FieldValue), scale, c.s.excel)
		if err != nil {
			return rep, c.err(FieldValue, "invalid_value", "%q is not a number: %v", in.value, err)
		}
		rep.Value = &v
	}
	if in.stage != "" {
		st, ok := present.ParseStage(in.stage)
		if !ok {
			return rep, c.err(FieldStage, "invalid_stage", "%q is not a stage: use 未启动, 已开工, 已完成 or 受阻 (planned, started, completed, blocked)", in.stage)
		}
		rep.Stage = st
	}
	if in.percent != "" {
		v, err := parseNumber(in.percent, c.kind(FieldPercent), 1, c.s.excel)
		if err != nil {
			return rep, c.err(FieldPercent, "invalid_percent", "%q is not a number: %v", in.percent, err)
		}
		if v < 0 || v > 100 {
			return rep, c.err(FieldPercent, "invalid_percent", "percent %s is outside 0..100", present.Number(v))
		}
		rep.Percent = &v
	}
	return rep, nil
}

// keep adds the report to the batch, once per indicator and period, within the limit.
func (s *sheetRows) keep(c rowCells, rep indicators.Report) error {
	key := rep.Indicator + "|" + rep.Period
	if prev, dup := s.seen[key]; dup {
		return c.err(FieldIndicator, "duplicate_row", "indicator %s, period %s is already on sheet %q row %d", rep.Indicator, rep.Period, prev.Sheet, prev.Row)
	}
	if limit := s.d.cfg.MaxReports; limit > 0 && len(s.b.Reports) >= limit {
		return &Error{Code: "too_many_reports", Sheet: s.sheet, Row: c.row, Limit: true,
			Message: fmt.Sprintf("more than %d filled rows; upload at most %d per file (单次最多%d条)", limit, limit, limit)}
	}
	o := Origin{Sheet: s.sheet, Row: c.row, columns: s.cols}
	s.seen[key] = o
	s.b.Reports = append(s.b.Reports, rep)
	s.b.Origins = append(s.b.Origins, o)
	return nil
}

var (
	reZhMonth   = regexp.MustCompile(`^(?P<year>\d{4})\s*年\s*(?P<month>\d{1,2})\s*月(份)?$`)
	reZhQuarter = regexp.MustCompile(`^(?P<year>\d{4})\s*年\s*第?\s*(?P<quarter>[1-4一二三四])\s*季度?$`)
	reSlash     = regexp.MustCompile(`^(?P<year>\d{4})[/.](?P<month>\d{1,2})$`)
)

// parsePeriod reads the API forms and the ways people write them in Chinese sheets.
func parsePeriod(s string) (string, error) {
	if s == "" {
		return "", errors.New("the period is empty: write it as 2026-03, 2026-Q1 or 2026-06-30")
	}
	if m := reZhMonth.FindStringSubmatch(s); m != nil {
		mo, _ := strconv.Atoi(m[reZhMonth.SubexpIndex("month")]) // digits, at most two
		s = fmt.Sprintf("%s-%02d", m[reZhMonth.SubexpIndex("year")], mo)
	} else if m := reZhQuarter.FindStringSubmatch(s); m != nil {
		q := strings.Index("1234一二三四", m[reZhQuarter.SubexpIndex("quarter")])
		if q >= 4 {
			q = (q-4)/3 + 1 // the Chinese numerals are 3 bytes each
		} else {
			q++
		}
		s = fmt.Sprintf("%s-Q%d", m[reZhQuarter.SubexpIndex("year")], q)
	} else if m := reSlash.FindStringSubmatch(s); m != nil {
		mo, _ := strconv.Atoi(m[reSlash.SubexpIndex("month")]) // digits, at most two
		s = fmt.Sprintf("%s-%02d", m[reSlash.SubexpIndex("year")], mo)
	} else if _, err := strconv.ParseFloat(s, 64); err == nil {
		return "", fmt.Errorf("%q looks like an Excel date serial: format the cell as text and write 2026-03", s)
	}
	p, err := indicators.ParsePeriod(s)
	if err != nil {
		return "", err
	}
	return p.String(), nil
}

// parseNumber reads a cell's number in the sheet's unit and returns it in the base unit
// (indicators.ParseScaled: decimal-exact, thousands separators, full-width digits, a
// typed "6.5%" means 6.5). A cell Excel formats as a percentage stores 0.065 for
// "6.5%", and people mean 6.5; a logical (TRUE/FALSE) cell is no number. A number
// stored by Excel (excel) is read to Excel's 15 significant digits, which is what the
// person typed (Excel may store 0.07 as 7.0000000000000007E-2); a CSV's text is taken
// as written.
func parseNumber(raw string, kind cellKind, scale float64, excel bool) (float64, error) {
	switch kind {
	case kindBoolean:
		word := "TRUE"
		if raw == "0" || strings.EqualFold(raw, "false") {
			word = "FALSE"
		}
		return 0, fmt.Errorf("the cell holds the logical value %s, not a number: type the figure as digits (逻辑值不是数字,请填写数值)", word)
	case kindPercent:
		scale *= 100
	}
	if excel {
		raw = excelDigits(raw)
	}
	return indicators.ParseScaled(raw, scale)
}

// excelDigits rounds a stored number to 15 significant digits, Excel's precision; other
// text is returned as it is.
func excelDigits(raw string) string {
	if strings.ContainsAny(raw, ",%") {
		return raw
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(raw), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return raw
	}
	return strconv.FormatFloat(f, 'g', 15, 64)
}

// PlanName is the workbook-level defined name holding the id of the plan a template
// belongs to (a text constant, ="changzhi-2026"): Excel and LibreOffice keep defined
// names when they save, and people do not see or edit them by accident.
const PlanName = "duban_plan"

// planOf is the plan id a workbook names, or "".
func planOf(f *excelize.File) string {
	for _, n := range f.GetDefinedName() {
		if n.Name == PlanName && n.Scope == "Workbook" {
			return strings.Trim(strings.TrimPrefix(strings.TrimSpace(n.RefersTo), "="), `"`)
		}
	}
	return ""
}

// forPlan is the decoder reading f: this one, or one with the catalog of the plan f
// names when it is another plan than the configured catalog's.
func (d *Decoder) forPlan(f *excelize.File) (*Decoder, error) {
	id := planOf(f)
	if id == "" || id == d.cfg.Catalog.Plan.ID {
		return d, nil
	}
	if d.cfg.Plans != nil {
		if c, ok := d.cfg.Plans(id); ok {
			dd := *d
			dd.cfg.Catalog = c
			return &dd, nil
		}
	}
	return nil, &Error{Code: "unknown_plan", Message: fmt.Sprintf("the workbook is a template of plan %q, which is not served here (模板所属的计划不存在): download the template again", id)}
}
