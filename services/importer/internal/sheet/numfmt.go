package sheet

import (
	"math"
	"strconv"
	"strings"
)

// Zero-padded number formats: "00000" (a zip code), "0000000000" (a
// phone number typed as a number), Excel's "Zip Code + 4" (00000\-0000)
// and "Social Security Number" (000\-00\-0000). The number in the cell
// (7501) is not what the organizer sees and means (07501): an identifier
// whose leading zeros the format keeps, read as the text shown.

// padFormat reports whether a number format code (its first section)
// only places digits, with zeros, between literal characters, at least
// two zeros: a zero-padded identifier, not a quantity.
func padFormat(code string) bool {
	if i := strings.IndexByte(code, ';'); i >= 0 {
		code = code[:i]
	}
	zeros := 0
	for i := 0; i < len(code); i++ {
		switch c := code[i]; c {
		case '0':
			zeros++
		case '\\':
			i++
		case '"':
			j := strings.IndexByte(code[i+1:], '"')
			if j < 0 {
				return false
			}
			i += j + 1
		case '-', ' ', '(', ')', '/', '+':
		default:
			return false // #, ?, decimal point, grouping, exponent, %, colours, dates
		}
	}
	return zeros >= 2
}

// padText is the text a zero-padded format (padFormat) shows of f: its
// digits right-aligned on the format's zeros, padded with zeros, between
// the format's literal characters. ok is false for a number such a format
// does not show as an identifier (negative, fractional, huge).
func padText(code string, f float64) (string, bool) {
	if f < 0 || f != math.Trunc(f) || f >= 1e15 {
		return "", false
	}
	if i := strings.IndexByte(code, ';'); i >= 0 {
		code = code[:i]
	}
	digits := strconv.FormatInt(int64(f), 10)
	zeros := strings.Count(unquoted(code), "0")
	if len(digits) < zeros {
		digits = strings.Repeat("0", zeros-len(digits)) + digits
	}
	extra := len(digits) - zeros // more digits than zeros: all before the first
	var b strings.Builder
	d := 0
	for i := 0; i < len(code); i++ {
		switch c := code[i]; c {
		case '0':
			if d == 0 && extra > 0 {
				b.WriteString(digits[:extra])
				d = extra
			}
			b.WriteByte(digits[d])
			d++
		case '\\':
			if i+1 < len(code) {
				i++
				b.WriteByte(code[i])
			}
		case '"':
			j := strings.IndexByte(code[i+1:], '"')
			b.WriteString(code[i+1 : i+1+j])
			i += j + 1
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), true
}

// unquoted is a format code without its quoted and escaped literals.
func unquoted(code string) string {
	var b strings.Builder
	for i := 0; i < len(code); i++ {
		switch c := code[i]; c {
		case '\\':
			i++
		case '"':
			j := strings.IndexByte(code[i+1:], '"')
			if j < 0 {
				return b.String()
			}
			i += j + 1
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
