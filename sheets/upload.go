package sheets

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strings"
)

// FileKind is what an uploaded file is: the Excel template or CSV.
type FileKind string

// Kinds of uploaded files.
const (
	FileXLSX FileKind = "xlsx"
	FileCSV  FileKind = "csv"
)

// Media types of the uploads.
const (
	MediaXLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	MediaCSV  = "text/csv"
)

// KindOf says what an uploaded file is by its name (.xlsx, .csv) or, failing that, its
// media type; false for anything else.
func KindOf(name, mediaType string) (FileKind, bool) {
	switch ext := strings.ToLower(filepath.Ext(name)); {
	case ext == ".xlsx" || strings.HasPrefix(mediaType, MediaXLSX):
		return FileXLSX, true
	case ext == ".csv" || strings.HasPrefix(mediaType, MediaCSV):
		return FileCSV, true
	}
	return "", false
}

// DecodeUpload decodes a whole uploaded file (every door takes files the same way: the
// API's body or form field, the workspace's upload) and gives each report without an
// idempotency key one derived from the file's bytes and its cell, so that sending the
// same file again (a double click, a retry after a timeout) replays instead of adding
// revisions. Errors are *Error.
func (d *Decoder) DecodeUpload(kind FileKind, data []byte) (Batch, error) {
	var b Batch
	var err error
	switch kind {
	case FileXLSX:
		b, err = d.DecodeXLSX(bytes.NewReader(data))
	case FileCSV:
		b, err = d.DecodeCSV(bytes.NewReader(data))
	default:
		return Batch{}, fmt.Errorf("sheets: unknown file kind %q", kind)
	}
	if err != nil {
		return Batch{}, err
	}
	sum := sha256.Sum256(data)
	for i := range b.Reports {
		if b.Reports[i].IdempotencyKey == "" {
			o := b.Origins[i]
			b.Reports[i].IdempotencyKey = fmt.Sprintf("upload:%s:%s!%d", hex.EncodeToString(sum[:12]), o.Sheet, o.Row)
		}
	}
	return b, nil
}
