// Package sheets is the Excel and CSV side of reporting: it writes a department's
// fill-in template (.xlsx with data validation) and decodes filled .xlsx and CSV files
// into reports, with errors that name the sheet, row and column of the bad cell.
package sheets

import (
	"fmt"
	"strings"

	"github.com/xuri/excelize/v2"
)

// Field is a column a decoder understands.
type Field string

// The fields.
const (
	FieldIndicator Field = "indicator"
	FieldPeriod    Field = "period"
	FieldValue     Field = "value"
	FieldUnit      Field = "unit"
	FieldStage     Field = "stage"
	FieldPercent   Field = "percent"
	FieldNote      Field = "note"
	FieldEvidence  Field = "evidence"
	FieldKey       Field = "idempotency_key"
)

// column is one column of the template, in order.
type column struct {
	Header string // Chinese header on the header row
	Field  Field  // empty: shown for reference, ignored when decoding
	Width  float64
}

// templateColumns is the template's layout; the decoder finds columns by header, so
// people may reorder, hide or add columns.
var templateColumns = []column{
	{Header: "指标编号", Field: FieldIndicator, Width: 10},
	{Header: "填报期间", Field: FieldPeriod, Width: 11},
	{Header: "任务", Width: 6},
	{Header: "指标名称", Width: 30},
	{Header: "目标", Width: 18},
	{Header: "单位", Field: FieldUnit, Width: 9},
	{Header: "上次填报", Width: 18},
	{Header: "本期数值", Field: FieldValue, Width: 14},
	{Header: "进度阶段", Field: FieldStage, Width: 11},
	{Header: "完成百分比", Field: FieldPercent, Width: 11},
	{Header: "情况说明", Field: FieldNote, Width: 50},
	{Header: "佐证链接", Field: FieldEvidence, Width: 20},
}

// headerAliases maps every header a decoder accepts (Chinese template headers and the
// JSON field names) to its field.
var headerAliases = map[string]Field{}

func init() {
	for _, c := range templateColumns {
		if c.Field != "" {
			headerAliases[c.Header] = c.Field
		}
	}
	for _, f := range []Field{FieldIndicator, FieldPeriod, FieldValue, FieldUnit, FieldStage, FieldPercent, FieldNote, FieldEvidence, FieldKey} {
		headerAliases[string(f)] = f
	}
	for k, f := range map[string]Field{
		"指标": FieldIndicator, "编号": FieldIndicator, "期间": FieldPeriod, "数值": FieldValue, "完成值": FieldValue,
		"阶段": FieldStage, "百分比": FieldPercent, "进度": FieldPercent, "说明": FieldNote, "备注": FieldNote,
		"进展情况": FieldNote, "佐证": FieldEvidence, "幂等键": FieldKey,
	} {
		headerAliases[k] = f
	}
}

func fieldOf(header string) (Field, bool) {
	h := strings.ToLower(strings.TrimSpace(strings.TrimPrefix(header, "\ufeff")))
	h = strings.TrimSuffix(strings.TrimSuffix(h, "*"), "(必填)")
	f, ok := headerAliases[h]
	return f, ok
}

// Header is the template's column heading of f (本期数值 for value), the Chinese header
// messages name it by.
func (f Field) Header() string { return headerOf(f) }

func headerOf(f Field) string {
	for _, c := range templateColumns {
		if c.Field == f {
			return c.Header
		}
	}
	return string(f)
}

// colName is the spreadsheet column letter of a 0-based index ("A", "AB").
func colName(i int) string {
	s, err := excelize.ColumnNumberToName(i + 1)
	if err != nil {
		return fmt.Sprint(i + 1)
	}
	return s
}
