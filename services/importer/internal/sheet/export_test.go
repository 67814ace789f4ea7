package sheet

// Exported for the tests.
var (
	PadFormat = padFormat
	PadText   = padText
)
