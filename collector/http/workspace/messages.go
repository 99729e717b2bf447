package workspace

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/duban-gov/duban/collector"
	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/present"
	"github.com/duban-gov/duban/sheets"
)

// What a clerk reads beside a field. The collector's messages are English with a
// Chinese hint at the end (for the API's callers and the logs); a page shows the
// sentence a clerk acts on, in Chinese, with the unit of the field where it helps, and
// falls back to the message's own hint for codes it has no sentence for.

// inputMessage is the Chinese message of one of Submit's input errors about target t
// (nil for an error about the whole batch).
func inputMessage(e *collector.InputError, t *indicators.Target) string {
	unit := ""
	if t != nil {
		unit = present.Unit(t)
	}
	switch e.Code {
	case collector.CodeInvalidValue:
		return withUnit("数值无效:请只填写数字", unit)
	case collector.CodeNegativeValue:
		return withUnit("本年累计数不能为负数", unit)
	case collector.CodeMissingField:
		switch e.Field {
		case "value":
			return withUnit("请填写本期数值", unit)
		case "stage":
			return "请选择进度阶段(节点类任务)"
		}
	case collector.CodeValueOnMilestone:
		return "节点类任务请选择进度阶段并填写完成百分比,不填数值"
	case collector.CodeStageOnNumeric:
		return withUnit("数值类指标请填写数值,不选进度阶段、不填完成百分比", unit)
	case collector.CodeInvalidStage:
		return "请从列表中选择进度阶段"
	case collector.CodeFieldTooLong:
		return fmt.Sprintf("内容过长:情况说明合计不超过%d字节(约%d个汉字),请精简", collector.MaxNoteBytes, collector.MaxNoteBytes/3)
	case collector.CodeReasonRequired:
		return "该期已报送,督查室更正须填写更正原因"
	case collector.CodeForbiddenIndicator:
		return "只能报送本单位牵头的指标"
	case collector.CodePeriodNotOver:
		return "该报送期尚未结束:本年累计数在期末之后才能报送"
	case collector.CodePeriodInFuture:
		return "该报送期尚未开始"
	case collector.CodePeriodNotInCadence:
		return "该指标按季度报送:请在季末月份(3、6、9、12月)报送"
	case collector.CodePeriodOutsideYear:
		return "报送期不在计划年度内"
	case collector.CodeIdempotencyConflict:
		return "这张表单已提交过其他内容:请刷新页面后重新填写"
	case collector.CodePlanClosed:
		if h := hint(e.Message); h != "" {
			return h // names the plan and when it closed
		}
		return "该计划已关闭(年度结束、终期通报已发布),不再接受各单位报送;如需更正,请联系督查室"
	}
	if h := hint(e.Message); h != "" {
		return h
	}
	return e.Message
}

func withUnit(msg, unit string) string {
	if unit == "" {
		return msg
	}
	return msg + "(单位:" + unit + ")"
}

// parseMessage is the message of a field the form could not read as a number.
func parseMessage(text string, err error, unit string) string {
	if errors.Is(err, indicators.ErrOutOfRange) {
		return fmt.Sprintf("“%s”超出数值范围", text)
	}
	return withUnit(fmt.Sprintf("“%s”不是数字:请只填写数字,例如 3.9", text), unit)
}

// hint is the Chinese part of a message: its last parenthesis holding Chinese text.
func hint(msg string) string {
	for end := len(msg); end > 0; {
		closing := strings.LastIndexAny(msg[:end], ")）")
		if closing < 0 {
			return ""
		}
		open := strings.LastIndexAny(msg[:closing], "(（")
		if open < 0 {
			return ""
		}
		_, w := utf8.DecodeRuneInString(msg[open:])
		inner := msg[open+w : closing]
		if hasHan(inner) {
			return inner
		}
		end = open
	}
	return ""
}

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

// sheetMessage names the cell of an upload's error in Chinese: 工作表“市人社局”第4行H列:….
func sheetMessage(e *sheets.Error) string {
	msg := hint(e.Message)
	if msg == "" {
		msg = e.Message
	}
	return cellMessage(e.Sheet, e.Row, e.Column, e.Field, msg)
}

func cellMessage(sheet string, row int, column string, field sheets.Field, msg string) string {
	var where strings.Builder
	if sheet == sheets.CSVSheet {
		where.WriteString("CSV文件")
	} else if sheet != "" {
		fmt.Fprintf(&where, "工作表“%s”", sheet)
	}
	if row > 0 {
		fmt.Fprintf(&where, "第%d行", row)
	}
	if column != "" {
		fmt.Fprintf(&where, "%s列", column)
		if field != "" {
			fmt.Fprintf(&where, "(%s)", field.Header())
		}
	}
	if where.Len() == 0 {
		return msg
	}
	return where.String() + ":" + msg
}

// kindStatus is the HTTP status of an input error's kind, as the API answers it.
func kindStatus(k collector.Kind) int {
	switch k {
	case collector.KindForbidden:
		return http.StatusForbidden
	case collector.KindConflict:
		return http.StatusConflict
	case collector.KindTooLarge:
		return http.StatusRequestEntityTooLarge
	case collector.KindUnsupported:
		return http.StatusUnsupportedMediaType
	}
	return http.StatusBadRequest
}
