package hub

import (
	"strconv"
	"strings"

	"github.com/nyaruka/phonenumbers"
	"google.golang.org/protobuf/proto"
)

// PhoneE164 is the E.164 form of a phone number as written ("+44 (0)20
// 7946 0018" is "+442079460018"), when the number says its country (a
// leading + or 00), the country calling code exists and the number has a
// length possible there (libphonenumber's metadata); "" otherwise, since a
// number without its country cannot be placed. The number's digits are
// not checked against the country's numbering plan: that costs a
// regular-expression match per number, more than hub spends on the rest
// of a member of a bulk upsert.
func PhoneE164(phone string) string {
	phone = strings.Replace(strings.TrimSpace(phone), "(0)", "", 1) // "+44 (0)20": the trunk prefix is not dialled from abroad
	var digits []byte
	for i := 0; i < len(phone); i++ {
		if c := phone[i]; c >= '0' && c <= '9' {
			digits = append(digits, c)
		}
	}
	s := string(digits)
	switch {
	case strings.HasPrefix(phone, "+"):
	case strings.HasPrefix(s, "00") && strings.HasPrefix(phone, "00"):
		s = s[2:]
	default:
		return ""
	}
	if len(s) < 8 || len(s) > 15 {
		return ""
	}
	for n := 1; n <= 3; n++ {
		cc, _ := strconv.Atoi(s[:n])
		if phonenumbers.GetRegionCodeForCountryCode(cc) == "ZZ" {
			continue
		}
		national, err := strconv.ParseUint(s[n:], 10, 64)
		if err != nil {
			return ""
		}
		num := &phonenumbers.PhoneNumber{CountryCode: proto.Int32(int32(cc)), NationalNumber: proto.Uint64(national)}
		if s[n] == '0' {
			num.ItalianLeadingZero = proto.Bool(true)
		}
		if !phonenumbers.IsPossibleNumber(num) {
			return ""
		}
		return "+" + s
	}
	return ""
}
