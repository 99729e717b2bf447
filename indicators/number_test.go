package indicators_test

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/duban-gov/duban/indicators"
)

func TestParseScaledIsDecimalExact(t *testing.T) {
	cases := map[string]struct {
		text  string
		scale float64
		want  float64
		err   error
	}{
		"0.07 万人 is 700 人, not 700.0000000000001":          {"0.07", 1e4, 700, nil},
		"0.34 万人 is 3400 人, not 3400.0000000000005":        {"0.34", 1e4, 3400, nil},
		"0.34 亿元 is 34000000 元":                            {"0.34", 1e8, 34000000, nil},
		"1.2 亿元 is 120000000 元":                            {"1.2", 1e8, 120000000, nil},
		"0.1 亿元 is 10000000 元":                             {"0.1", 1e8, 10000000, nil},
		"0.3 万人, the sum 0.1+0.2 misses in float64":        {"0.3", 1e4, 3000, nil},
		"0.30000000000000004 as written stays that number": {"0.30000000000000004", 1, 0.30000000000000004, nil},
		"128.5 亿元 (an investment figure)":                  {"128.5", 1e8, 12850000000, nil},
		"4567.89 亿元 (a provincial GDP)":                    {"4567.89", 1e8, 456789000000, nil},
		"12345678.9 亿元 (beyond any real figure)":           {"12345678.9", 1e8, 1234567890000000, nil},
		"0.0123 万人 is 123 人":                               {"0.0123", 1e4, 123, nil},
		"1e-7 in base units":                               {"1e-7", 1, 1e-7, nil},
		"an exponent times a scale":                        {"4.3E-1", 1e4, 4300, nil},
		"a percentage in points: 6.5%":                     {"6.5%", 1, 6.5, nil},
		"a full-width percentage: ６．５％":                    {"６．５％", 1, 6.5, nil},
		"thousands separators":                             {"11,800", 1, 11800, nil},
		"full-width digits and comma":                      {"１１，８００", 1, 11800, nil},
		"spaces around and inside":                         {" 11 800 ", 1, 11800, nil},
		"a negative growth rate":                           {"-0.5", 1, -0.5, nil},
		"a leading plus sign":                              {"+2", 1, 2, nil},
		"a bare decimal point":                             {".5", 1e4, 5000, nil},
		"minus zero is zero":                               {"-0", 1e4, 0, nil},
		"no scale counts as 1":                             {"3.3", 0, 3.3, nil},
		"a word":                                           {"一万多", 1, 0, indicators.ErrNotANumber},
		"empty":                                            {"", 1, 0, indicators.ErrNotANumber},
		"NaN is not a number":                              {"NaN", 1, 0, indicators.ErrNotANumber},
		"Inf is not a number":                              {"Inf", 1, 0, indicators.ErrNotANumber},
		"a fraction is not a decimal":                      {"1/3", 1, 0, indicators.ErrNotANumber},
		"hexadecimal is not a decimal":                     {"0x10", 1, 0, indicators.ErrNotANumber},
		"a comma as decimal separator":                     {"6,5", 1, 0, indicators.ErrNotANumber},
		"two decimal points":                               {"1.2.3", 1, 0, indicators.ErrNotANumber},
		"a huge exponent is refused before big.Rat":        {"1e999999999", 1, 0, indicators.ErrNotANumber},
		"1e400 is out of range":                            {"1e400", 1, 0, indicators.ErrOutOfRange},
		"a huge figure times a scale is out of range":      {"1e301", 1e8, 0, indicators.ErrOutOfRange},
		"a thousand digits":                                {"1" + strings.Repeat("0", 1000), 1, 0, indicators.ErrNotANumber},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := indicators.ParseScaled(tc.text, tc.scale)
			if !errors.Is(err, tc.err) {
				t.Fatalf("ParseScaled(%q, %v) error = %v, want %v", tc.text, tc.scale, err, tc.err)
			}
			if got != tc.want || (tc.want == 0 && math.Signbit(got)) {
				t.Errorf("ParseScaled(%q, %v) = %v, want %v", tc.text, tc.scale, got, tc.want)
			}
		})
	}
}

// TestFormatScaledRoundTrips: what the template shows in a display unit reads back to
// the stored base value, for the values a sheet produces and for awkward floats.
func TestFormatScaledRoundTrips(t *testing.T) {
	tenth := 0.1 // a variable: constant arithmetic would be exact
	cases := map[string]struct {
		base  float64
		scale float64
		want  string
	}{
		"700 人 in 万人":                    {700, 1e4, "0.07"},
		"3400 人 in 万人":                   {3400, 1e4, "0.34"},
		"123 人 in 万人":                    {123, 1e4, "0.0123"},
		"34000000 元 in 亿元":               {34000000, 1e8, "0.34"},
		"12850000000 元 in 亿元":            {12850000000, 1e8, "128.5"},
		"1 元 in 亿元":                      {1, 1e8, "0.00000001"},
		"a float error stored earlier":   {700.0000000000001, 1e4, "0.07000000000000001"},
		"6.5 % without a display unit":   {6.5, 1, "6.5"},
		"0.1+0.2 without a display unit": {tenth + 2*tenth, 1, "0.30000000000000004"},
		"a negative gap in 亿元":           {-1300000000, 1e8, "-13"},
		"1e-7 in base units":             {1e-7, 1, "0.0000001"},
		"zero":                           {0, 1e4, "0"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := indicators.FormatScaled(tc.base, tc.scale)
			if got != tc.want {
				t.Errorf("FormatScaled(%v, %v) = %q, want %q", tc.base, tc.scale, got, tc.want)
			}
			back, err := indicators.ParseScaled(got, tc.scale)
			if err != nil || back != tc.base {
				t.Errorf("ParseScaled(%q, %v) = %v, %v; want %v back", got, tc.scale, back, err, tc.base)
			}
		})
	}
	// Every value a person can type with up to four decimals in 万人 and 亿元 comes back.
	for _, scale := range []float64{1, 1e4, 1e8} {
		for i := range 20000 {
			text := fixed(i)
			v, err := indicators.ParseScaled(text, scale)
			if err != nil {
				t.Fatal(err)
			}
			if shown := indicators.FormatScaled(v, scale); shown != text {
				t.Fatalf("%s × %g = %v shows as %q", text, scale, v, shown)
			}
		}
	}
}

// fixed writes i/10000 as the shortest decimal ("0.07", "1.2345", "2").
func fixed(i int) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%d.%04d", i/10000, i%10000), "0"), ".")
}
