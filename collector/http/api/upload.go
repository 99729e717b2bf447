package api

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/duban-gov/duban/collector"
	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/sheets"
)

// Media types of the spreadsheet uploads accepted by POST /api/v1/reports besides JSON.
const (
	mediaXLSX = sheets.MediaXLSX
	mediaCSV  = sheets.MediaCSV
)

// locator turns an error of Submit into one that names the sheet cell of the report at
// fault (identity for JSON bodies).
type locator func(error) error

func noLocate(err error) error { return err }

// decodeBody reads the reports of POST /api/v1/reports by Content-Type: JSON (the API's
// own form), the Excel template (.xlsx, raw or as the multipart field "file"), or CSV
// (raw text/csv or a multipart .csv file). Spreadsheet errors answer 400 with a message
// naming sheet, row and column, or 413 when the file passes a limit of the decoder
// (sheets, rows, columns, cells, unzipped size, reports); the reports then go through the
// same Submit as JSON, so validation and all-or-nothing are identical. A workbook
// naming its plan (sheets.PlanName, which templates carry) is read with that plan's
// catalog and its reports name the plan; in a file naming none (a CSV), each row is read
// with the plan its indicator id and period pick when several plans are served.
func decodeBody(c *gin.Context, svc Service, plans *planSet, maxBody int64) ([]indicators.Report, int, locator, error) {
	ct := c.GetHeader("Content-Type")
	mt, _, perr := mime.ParseMediaType(ct)
	var kind sheets.FileKind
	var body io.Reader
	switch {
	case ct == "" || (perr == nil && isJSON(mt)): // no Content-Type: JSON, the API's own form
		reports, n, err := decodeReports(c, maxBody)
		return reports, n, noLocate, err
	case perr != nil:
		return nil, 1, noLocate, unsupported(ct, "it is not a valid media type ("+perr.Error()+")")
	case mt == "application/x-www-form-urlencoded":
		return nil, 1, noLocate, unsupported(ct, "curl -d sends this type by default: add -H 'Content-Type: application/json' for a JSON body, or send the template with -F file=@FILE.xlsx")
	case mt == mediaXLSX:
		kind, body = sheets.FileXLSX, c.Request.Body
	case mt == mediaCSV || mt == "application/csv":
		kind, body = sheets.FileCSV, c.Request.Body
	case mt == "multipart/form-data":
		name, ctype, file, err := formFile(c, maxBody)
		if err != nil {
			return nil, 1, noLocate, err
		}
		k, ok := sheets.KindOf(name, ctype)
		if !ok {
			return nil, 1, noLocate, collector.NewInputError(collector.KindUnsupported, codeUnsupportedMedia, -1, "file",
				"file %q is neither .xlsx nor .csv; upload the template from `duban template` (仅支持 .xlsx 和 .csv)", name)
		}
		kind, body = k, bytes.NewReader(file)
	default:
		return nil, 1, noLocate, unsupported(ct, "")
	}
	data, err := io.ReadAll(http.MaxBytesReader(c.Writer, io.NopCloser(body), maxBody))
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return nil, 1, noLocate, tooLarge(maxBody)
		}
		return nil, 1, noLocate, collector.Invalid(codeInvalidUpload, -1, "", "could not read the body: %v", err)
	}
	// The decoder bounds its own work (sheets, rows, columns, cells, unzipped bytes) and
	// stops at the first row past the batch limit; rows without a key get one derived
	// from the file and the cell, so the same file sent twice replays.
	dec, err := sheets.NewDecoder(sheets.DecoderConfig{Catalog: svc.Catalog(), Plans: plans.catalog, Resolve: plans.resolver(), MaxReports: collector.MaxBatch, MaxBytes: maxBody})
	if err != nil {
		return nil, 1, noLocate, err
	}
	b, err := dec.DecodeUpload(kind, data)
	if err != nil {
		var se *sheets.Error
		if errors.As(err, &se) {
			kind := collector.KindInvalid
			if se.Limit {
				kind = collector.KindTooLarge
			}
			return nil, 1, noLocate, collector.NewInputError(kind, se.Code, -1, string(se.Field), "%s", se.Error())
		}
		return nil, 1, noLocate, collector.Invalid(codeInvalidUpload, -1, "", "%v", err)
	}
	if len(b.Reports) > collector.MaxBatch {
		return nil, len(b.Reports), noLocate, collector.NewInputError(collector.KindTooLarge, collector.CodeTooManyReports, -1, "",
			"%d filled rows; upload at most %d per file (单次最多%d条)", len(b.Reports), collector.MaxBatch, collector.MaxBatch)
	}
	for i := range b.Reports {
		if b.Plan != "" && b.Reports[i].Plan == "" {
			b.Reports[i].Plan = b.Plan
		}
	}
	return b.Reports, len(b.Reports), locateIn(b), nil
}

// isJSON: application/json, with or without parameters (charset=utf-8).
func isJSON(mt string) bool { return mt == "application/json" }

// unsupported answers a request media type POST /api/v1/reports does not read.
func unsupported(ct, hint string) error {
	if hint != "" {
		hint = "; " + hint
	}
	return collector.NewInputError(collector.KindUnsupported, codeUnsupportedMedia, -1, "",
		"Content-Type %q is not accepted%s. Send JSON (Content-Type: application/json), CSV (text/csv), the Excel template (%s) or a multipart form with the file in field \"file\" (请求的Content-Type不受支持，请设置为application/json)", ct, hint, mediaXLSX)
}

// formFile reads the multipart field "file" as a stream, within the body limit: fields
// before it are read and dropped, the rest of the body is not read. Nothing is buffered
// beyond the limit and nothing goes to disk, where ParseMultipartForm (c.FormFile) would
// keep up to 32 MiB in memory and spill larger parts to temp files.
func formFile(c *gin.Context, limit int64) (name, ctype string, data []byte, err error) {
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit)
	readErr := func(err error) error {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return tooLarge(limit)
		}
		return collector.Invalid(codeInvalidUpload, -1, "file", "the multipart body cannot be read: %v (上传内容无法读取)", err)
	}
	mr, err := c.Request.MultipartReader()
	if err != nil {
		return "", "", nil, collector.Invalid(collector.CodeMissingField, -1, "file",
			"send the filled template as the multipart form field \"file\" (.xlsx or .csv): %v (缺少上传文件)", err)
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return "", "", nil, collector.Invalid(collector.CodeMissingField, -1, "file",
				"send the filled template as the multipart form field \"file\" (.xlsx or .csv) (缺少上传文件)")
		}
		if err != nil {
			return "", "", nil, readErr(err)
		}
		if part.FormName() != "file" {
			if _, err := io.Copy(io.Discard, part); err != nil {
				return "", "", nil, readErr(err)
			}
			continue
		}
		data, err := io.ReadAll(part)
		if err != nil {
			return "", "", nil, readErr(err)
		}
		return part.FileName(), part.Header.Get("Content-Type"), data, nil
	}
}

// locateIn rewrites a report-level input error so its message names the cell.
func locateIn(b sheets.Batch) locator {
	return func(err error) error {
		var ie *collector.InputError
		if !errors.As(err, &ie) || ie.Index < 0 || ie.Index >= len(b.Reports) {
			return err
		}
		se := b.Locate(ie.Index, ie.Field, ie.Code, ie.Message)
		out := *ie
		out.Message = se.Error()
		return &out
	}
}

func tooLarge(limit int64) error {
	return collector.NewInputError(collector.KindTooLarge, collector.CodeBodyTooLarge, -1, "",
		"the upload is larger than %s; split it into several files (文件过大)", byteSize(limit))
}

func byteSize(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// Codes of upload errors answered before the collector's validation.
const (
	codeUnsupportedMedia = "unsupported_media_type"
	codeInvalidUpload    = "invalid_upload"
)
