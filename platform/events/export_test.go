package events

// SetRelayHook makes r call f at the points of a round named on Relay.hook.
func SetRelayHook(r *Relay, f func(point string)) { r.hook = f }

// Decode exposes decode to the tests of the entry format.
func Decode(m map[string]any) (Event, error) { return decode(m) }

// Values exposes the stream entry encoding.
func (e Event) Values() []any { return e.values() }
