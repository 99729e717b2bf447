package workspace

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"

	"github.com/duban-gov/duban/collector"
	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/sheets"
)

// template: GET /report/template?period=2026-11 (the office adds &department=rsj). The
// department's Excel template (sheets.WriteTemplate, the one `duban template` and the
// API give), with the last reports in 上次填报.
func (w *Workspace) template(rw http.ResponseWriter, r *http.Request) {
	u, ok := w.user(r)
	if !ok {
		w.signIn(rw, r)
		return
	}
	q := r.URL.Query()
	if w, ok = w.planned(rw, r, &u, q.Get("plan")); !ok {
		return
	}
	dept, ok := w.department(rw, r, u, q.Get("department"))
	if !ok {
		return
	}
	per, ok := w.period(rw, r, u, q.Get("period"))
	if !ok {
		return
	}
	var buf bytes.Buffer
	err := sheets.WriteTemplate(&buf, sheets.TemplateConfig{Catalog: w.svc.Catalog(), Department: dept, Period: per.String(), Last: func(id string) (indicators.Revision, bool) {
		s := w.received(id)
		if len(s) == 0 {
			return indicators.Revision{}, false
		}
		return s[len(s)-1], true
	}})
	if err != nil {
		w.problem(rw, r, &u, http.StatusBadRequest, "无法生成模板:"+err.Error())
		return
	}
	h := rw.Header()
	h.Set("Content-Type", sheets.MediaXLSX)
	name := fmt.Sprintf("duban-template-%s-%s.xlsx", dept, per.String())
	if len(w.plans) > 1 {
		name = fmt.Sprintf("duban-template-%s-%s-%s.xlsx", w.svc.Catalog().Plan.ID, dept, per.String())
	}
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"`, name))
	h.Set("Cache-Control", "no-store")
	rw.Write(buf.Bytes()) // the client went away: errcheck is told so in .golangci.yml
}

// decodeUpload reads the uploaded file fh (at most limit bytes) and decodes it with the
// API's decoder; on failure, the status and the message the page shows (msg != "").
func (w *Workspace) decodeUpload(fh *multipart.FileHeader, limit int64) (b sheets.Batch, status int, msg string) {
	kind, ok := sheets.KindOf(fh.Filename, fh.Header.Get("Content-Type"))
	if !ok {
		return sheets.Batch{}, http.StatusUnsupportedMediaType, fmt.Sprintf("“%s”不是 .xlsx 或 .csv 文件:请上传从本页下载的模板(Excel 2007及以上格式)。", fh.Filename)
	}
	f, err := fh.Open()
	if err != nil {
		return sheets.Batch{}, http.StatusBadRequest, "上传内容无法读取,请重新上传。"
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	_ = f.Close() // a part of a form parsed in memory: closing it can only release it
	if err != nil || int64(len(data)) > limit {
		return sheets.Batch{}, http.StatusRequestEntityTooLarge, fmt.Sprintf("文件过大(上限%d KB),没有保存任何数据。", limit>>10)
	}
	dec, err := sheets.NewDecoder(sheets.DecoderConfig{Catalog: w.svc.Catalog(), Plans: w.catalog, MaxReports: collector.MaxBatch, MaxBytes: limit})
	if err != nil {
		w.cfg.Logger.Error("workspace: decoder", "err", err)
		return sheets.Batch{}, http.StatusInternalServerError, "暂时无法读取上传的文件。"
	}
	b, err = dec.DecodeUpload(kind, data)
	if err != nil {
		var se *sheets.Error
		if errors.As(err, &se) {
			status = http.StatusBadRequest
			if se.Limit {
				status = http.StatusRequestEntityTooLarge
			}
			return sheets.Batch{}, status, sheetMessage(se) + "。整个文件没有保存,请改正后重新上传。"
		}
		return sheets.Batch{}, http.StatusBadRequest, "文件无法读取:" + err.Error()
	}
	if len(b.Reports) > collector.MaxBatch {
		return sheets.Batch{}, http.StatusRequestEntityTooLarge, fmt.Sprintf("文件中填写了%d行,一次最多%d行:请分成几个文件上传。", len(b.Reports), collector.MaxBatch)
	}
	return b, 0, ""
}

// upload: POST /report/upload, a multipart form with the filled template in "file" and
// the page's "csrf" (and "period", "department" to come back to the same page). The
// file is read within the body limit, in memory, decoded by the decoder the API uses
// (its limits, its keys: the same file twice replays), and the reports go through
// Submit: all or nothing, errors naming the sheet, row and column.
func (w *Workspace) upload(rw http.ResponseWriter, r *http.Request) {
	u, ok := w.user(r)
	if !ok {
		w.signIn(rw, r)
		return
	}
	limit := w.cfg.MaxBodyBytes()
	r.Body = http.MaxBytesReader(rw, r.Body, limit+64<<10) // the file plus the form's few fields
	// Everything stays in memory (maxMemory above the body limit): no temp files.
	if err := r.ParseMultipartForm(limit + 1<<20); err != nil { //nolint:gosec // G120: the body is bounded by the MaxBytesReader above
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			w.problem(rw, r, &u, http.StatusRequestEntityTooLarge, fmt.Sprintf("文件过大(上限%d KB),没有保存任何数据:请分成几个文件上传。", limit>>10))
			return
		}
		w.problem(rw, r, &u, http.StatusBadRequest, "上传内容无法读取,没有保存任何数据。请重新选择文件上传。")
		return
	}
	defer r.MultipartForm.RemoveAll() //nolint:errcheck // nothing on disk
	form := r.MultipartForm.Value
	first := func(k string) string {
		if v := form[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	if !w.csrfOK(r, u, first("csrf")) {
		w.cfg.Logger.Warn("workspace: an upload without a valid CSRF token", "sender", u.id.Principal.Name(), "remote", w.cfg.ClientIP(r))
		w.forbidden(rw, r, &u, csrfMessage)
		return
	}
	if w, ok = w.planned(rw, r, &u, first("plan")); !ok {
		return
	}
	dept, ok := w.department(rw, r, u, first("department"))
	if !ok {
		return
	}
	per := w.collecting()
	if s := first("period"); s != "" {
		if per, ok = w.period(rw, r, u, s); !ok {
			return
		}
	}
	refuse := func(status int, msg string) {
		v := w.reportView(u, dept, per, nil)
		v.Upload = msg
		w.render(rw, status, "report", v)
	}
	files := r.MultipartForm.File["file"]
	if len(files) == 0 {
		refuse(http.StatusBadRequest, "请选择填好的模板文件(.xlsx 或 .csv)再上传。")
		return
	}
	fh := files[0]
	b, status, msg := w.decodeUpload(fh, limit)
	if msg != "" {
		refuse(status, msg)
		return
	}
	if b.Plan != "" && b.Plan != w.svc.Catalog().Plan.ID {
		w = w.inPlan(b.Plan) // a template names its plan: its reports go there, whatever page sent it
	}
	p := u.id.Principal
	receipts, err := w.svc.Submit(r.Context(), p, b.Reports, w.cfg.ClientIP(r))
	if err != nil {
		var ie *collector.InputError
		if !errors.As(err, &ie) {
			w.cfg.Logger.Error("workspace: store", "sender", p.Name(), "err", err)
			refuse(http.StatusServiceUnavailable, "暂时无法保存(存储不可用),没有保存任何数据:请稍后重新上传。")
			return
		}
		msg := inputMessage(ie, nil)
		if ie.Index >= 0 && ie.Index < len(b.Reports) {
			if e, ok := w.svc.Catalog().Lookup(b.Reports[ie.Index].Indicator); ok {
				msg = inputMessage(ie, e.Target)
			}
			se := b.Locate(ie.Index, ie.Field, ie.Code, msg)
			msg = cellMessage(se.Sheet, se.Row, se.Column, se.Field, msg)
		}
		refuse(kindStatus(ie.Kind), msg+"。整个文件没有保存,请改正后重新上传。")
		return
	}
	w.receipt(rw, r, u, dept, "Excel上传:"+fh.Filename, b.Reports, receipts)
}
