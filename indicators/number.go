package indicators

import (
	"errors"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"
)

// Errors of ParseScaled.
var (
	// ErrNotANumber: the text is not a decimal number.
	ErrNotANumber = errors.New("write digits only, e.g. 11800 or 6.5 (请只填写数字)")
	// ErrOutOfRange: the number does not fit a float64 (1e400).
	ErrOutOfRange = errors.New("the number is out of range (数值超出范围)")
)

// numberWidth normalises what people type into the ASCII a decimal number is made of.
var numberWidth = strings.NewReplacer(
	"０", "0", "１", "1", "２", "2", "３", "3", "４", "4", "５", "5", "６", "6", "７", "7", "８", "8", "９", "9",
	"．", ".", "，", ",", "－", "-", "−", "-", "＋", "+", "％", "%", "　", "", " ", "", "\u00a0", "", "\t", "")

var (
	reDecimal = regexp.MustCompile(`^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d{1,4})?$`)
	// reGrouped: an integer part with thousands separators (11,800 or 1,234,567.5).
	reGrouped = regexp.MustCompile(`^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$`)
)

// maxNumberLen bounds the text ParseScaled computes with (a float64 holds 17 significant
// digits; a longer text is a mistake or an attack on big.Rat).
const maxNumberLen = 64

// ParseScaled reads a number as a person writes it in a form field, a CSV cell or a
// sheet cell's text, in a display unit, and returns it in the base unit: text × scale,
// computed on the decimal text rather than on a float, then rounded once to the nearest
// float64. So 0.07 万人 (scale 10000) is exactly 700 人 and 0.34 亿元 (scale 1e8)
// exactly 34000000 元, where 0.07*10000 in float64 is 700.0000000000001.
//
// Accepted: an optional sign, digits with an optional decimal point and exponent
// (1e-7), thousands separators in groups of three (11,800), full-width digits and
// punctuation (１１，８００), spaces, and a trailing % that is dropped: a percentage is
// written in points (6.5% is 6.5). A scale that is not positive and finite counts as 1.
// Errors are ErrNotANumber or ErrOutOfRange.
func ParseScaled(text string, scale float64) (float64, error) {
	s := numberWidth.Replace(strings.TrimSpace(text))
	s = strings.TrimSuffix(s, "%")
	if strings.Contains(s, ",") {
		if !reGrouped.MatchString(s) {
			return 0, ErrNotANumber
		}
		s = strings.ReplaceAll(s, ",", "")
	}
	if len(s) > maxNumberLen || !reDecimal.MatchString(s) {
		return 0, ErrNotANumber
	}
	x, ok := new(big.Rat).SetString(s)
	if !ok {
		return 0, ErrNotANumber
	}
	if scale > 0 && !math.IsInf(scale, 0) && scale != 1 {
		x.Mul(x, new(big.Rat).SetFloat64(scale))
	}
	v, _ := x.Float64()
	if math.IsInf(v, 0) {
		return 0, ErrOutOfRange
	}
	if v == 0 {
		v = 0 // no -0
	}
	return v, nil
}

// FormatScaled writes a base-unit value in a display unit (value ÷ scale) as the
// shortest decimal that ParseScaled reads back to the same value: 700 人 in 万人 is
// "0.07", 34000000 元 in 亿元 "0.34", 123 人 in 万人 "0.0123". It is exact for scales
// that are powers of ten (every display scale of a catalog); other scales give the
// float quotient. Not finite values give "".
func FormatScaled(v, scale float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return ""
	}
	if !(scale > 0) || math.IsInf(scale, 0) || scale == 1 {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	x, ok := new(big.Rat).SetString(strconv.FormatFloat(v, 'g', -1, 64))
	if !ok {
		return strconv.FormatFloat(v/scale, 'f', -1, 64)
	}
	x.Quo(x, new(big.Rat).SetFloat64(scale))
	n, exact := x.FloatPrec()
	if !exact || n > 400 {
		return strconv.FormatFloat(v/scale, 'f', -1, 64)
	}
	s := x.FloatString(n)
	if s == "-0" {
		s = "0"
	}
	return s
}
