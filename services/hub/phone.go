package hub

import "github.com/nyaruka/phonenumbers"

// PhoneE164 is the E.164 form of a phone number as written ("+44 20 7946
// 0018" is "+442079460018"), when the number says its country (a leading
// + or 00) and is a valid number there; "" otherwise, since a number
// without its country cannot be placed.
func PhoneE164(phone string) string {
	digits := make([]byte, 0, len(phone))
	for i := 0; i < len(phone); i++ {
		if c := phone[i]; c >= '0' && c <= '9' || c == '+' && len(digits) == 0 {
			digits = append(digits, c)
		}
	}
	s := string(digits)
	if len(s) > 2 && s[:2] == "00" {
		s = "+" + s[2:]
	}
	if len(s) < 2 || s[0] != '+' {
		return ""
	}
	n, err := phonenumbers.Parse(s, "ZZ")
	if err != nil || !phonenumbers.IsValidNumber(n) {
		return ""
	}
	return phonenumbers.Format(n, phonenumbers.E164)
}
