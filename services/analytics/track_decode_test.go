package analytics_test

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	invopop "github.com/invopop/jsonschema"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/attendify/analytics"
)

// trackSchema compiles track.batch's params schema as platform/rpc does
// (the same reflector options, formats asserted).
func trackSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	r := &invopop.Reflector{ExpandedStruct: true, DoNotReference: true, Anonymous: true}
	doc, err := json.Marshal(r.ReflectFromType(reflect.TypeFor[analytics.TrackParams]()))
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("urn:track", inst); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("urn:track")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var sameTime = cmp.Comparer(func(a, b time.Time) bool {
	return a.Equal(b) && a.Format(time.RFC3339Nano) == b.Format(time.RFC3339Nano)
})

// checkFast holds DecodeFast to the schema and encoding/json on raw: when
// it accepts, the schema must accept and encoding/json decode the same.
// It returns whether DecodeFast accepted.
func checkFast(t *testing.T, schema *jsonschema.Schema, raw []byte) bool {
	t.Helper()
	var fast analytics.TrackParams
	if !fast.DecodeFast(raw) {
		return false
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Errorf("DecodeFast accepted what is not JSON: %s", raw)
		return true
	}
	if err := schema.Validate(inst); err != nil {
		t.Errorf("DecodeFast accepted what the schema refuses (%v): %s", err, raw)
		return true
	}
	var slow analytics.TrackParams
	if err := json.Unmarshal(raw, &slow); err != nil {
		t.Errorf("DecodeFast accepted what encoding/json refuses (%v): %s", err, raw)
		return true
	}
	if diff := cmp.Diff(slow, fast, sameTime); diff != "" {
		t.Errorf("DecodeFast decoded %s differently (-encoding/json +DecodeFast):\n%s", raw, diff)
	}
	return true
}

// validBatches are batches the schema accepts, in the forms apps send.
func validBatches() []string {
	ev := func(fields string) string {
		return `{"app_id":"demo","install_id":"inst_ALL-09","sent_at":"2026-12-06T14:00:00Z","events":[` + fields + `]}`
	}
	return []string{
		ev(`{"id":"1","type":"screen_view","at":"2026-12-06T13:59:58.123Z","event_id":"ev1","screen":"agenda"}`),
		ev(`{"id":"1","type":"tap","at":"2026-12-06T13:59:58+01:00","target_type":"session","target_id":"s1"},{"id":"2","type":"app_open","at":"2026-12-06T13:59:58.123456789-07:30","session_id":"se1"}`),
		ev(`{"id":"9","type":"app_close","at":"2026-02-28T23:59:59Z","duration_ms":86400000},{"id":"8","type":"app_close","at":"2024-02-29T00:00:00Z","duration_ms":0}`),
		ev(`{"id":"c","type":"custom","at":"0001-01-01T00:00:00Z","name":"quiz.answer","target_type":""}`),
		ev(`{"id":"` + strings.Repeat("é", 64) + `","type":"screen_view","at":"9999-12-31T23:59:59.999999999+23:59","screen":"` + strings.Repeat("日", 64) + `","target_id":"` + strings.Repeat("x", 256) + `","name":"` + strings.Repeat("ü", 40) + `"}`),
		" \n\t{ \"events\" : [ {\"at\":\"2026-12-06T14:00:00Z\" , \"type\":\"tap\",\"id\":\"z\"} ] ,\r\n\"sent_at\":\"2026-12-06T14:00:00.5Z\",\"install_id\":\"12345678\",\"app_id\":\"" + strings.Repeat("a", 64) + "\"} \n",
		`{"app_id":"demo","install_id":"` + strings.Repeat("i", 64) + `","sent_at":"2026-12-06T14:00:00Z","events":[` +
			strings.TrimSuffix(strings.Repeat(`{"id":"x","type":"tap","at":"2026-12-06T14:00:00Z"},`, analytics.MaxBatch), ",") + `]}`,
	}
}

// TestTrackDecodeFast: track.batch's own decoder takes the batches apps
// send, decoded exactly as encoding/json decodes them, and accepts nothing
// the schema refuses: not the edge cases, and not thousands of random
// corruptions of valid batches.
func TestTrackDecodeFast(t *testing.T) {
	schema := trackSchema(t)
	valid := validBatches()
	for i, raw := range valid {
		if !checkFast(t, schema, []byte(raw)) {
			t.Errorf("batch %d: DecodeFast refused a plain valid batch: %s", i, raw)
		}
	}
	base := valid[1]
	edits := []struct{ old, new string }{
		{`"app_id":"demo"`, `"app_id":""`},
		{`"app_id":"demo"`, `"app_id":null`},
		{`"app_id":"demo"`, `"APP_ID":"demo"`},
		{`"app_id":"demo",`, ``},
		{`"app_id":"demo"`, `"app_id":"demo","app_id":"demo"`},
		{`"app_id":"demo"`, `"app_id":"d\u0065mo"`},
		{`"app_id":"demo"`, `"app_id":"` + strings.Repeat("a", 65) + `"`},
		{`"app_id":"demo"`, `"app_id":"demo","extra":1`},
		{`"install_id":"inst_ALL-09"`, `"install_id":"inst.ALL-09"`},
		{`"install_id":"inst_ALL-09"`, `"install_id":"1234567"`},
		{`"install_id":"inst_ALL-09"`, `"install_id":"` + strings.Repeat("i", 65) + `"`},
		{`"install_id":"inst_ALL-09"`, `"install_id":"inställid"`},
		{`"sent_at":"2026-12-06T14:00:00Z"`, `"sent_at":"2026-12-06t14:00:00z"`},
		{`"sent_at":"2026-12-06T14:00:00Z"`, `"sent_at":"2026-02-30T14:00:00Z"`},
		{`"sent_at":"2026-12-06T14:00:00Z"`, `"sent_at":"2026-12-06T24:00:00Z"`},
		{`"sent_at":"2026-12-06T14:00:00Z"`, `"sent_at":"2026-12-06T23:59:60Z"`},
		{`"sent_at":"2026-12-06T14:00:00Z"`, `"sent_at":"2026-12-06T14:00:00+24:00"`},
		{`"sent_at":"2026-12-06T14:00:00Z"`, `"sent_at":"2026-12-06T14:00:00.1234567890Z"`},
		{`"sent_at":"2026-12-06T14:00:00Z"`, `"sent_at":"2026-12-06T14:00:00."`},
		{`"sent_at":"2026-12-06T14:00:00Z"`, `"sent_at":"2026-12-06 14:00:00Z"`},
		{`"sent_at":"2026-12-06T14:00:00Z"`, `"sent_at":"2026-12-06T14:00:00"`},
		{`"sent_at":"2026-12-06T14:00:00Z"`, `"sent_at":1765029600`},
		{`"type":"tap"`, `"type":"Tap"`},
		{`"type":"tap"`, `"type":""`},
		{`"target_type":"session"`, `"target_type":"speakers"`},
		{`"target_type":"session"`, `"target_type":null`},
		{`"target_id":"s1"`, `"target_id":"` + strings.Repeat("x", 257) + `"`},
		{`"session_id":"se1"`, `"session_id":"se1","duration_ms":-1`},
		{`"session_id":"se1"`, `"session_id":"se1","duration_ms":86400001`},
		{`"session_id":"se1"`, `"session_id":"se1","duration_ms":1.0`},
		{`"session_id":"se1"`, `"session_id":"se1","duration_ms":1e3`},
		{`"session_id":"se1"`, `"session_id":"se1","duration_ms":01`},
		{`"session_id":"se1"`, `"session_id":"se1","duration_ms":"5"`},
		{`"session_id":"se1"`, `"session_id":"se1","name":"` + strings.Repeat("n", 41) + `"`},
		{`"session_id":"se1"`, `"session_id":"se1","props":{"a":1}`},
		{`"session_id":"se1"`, `"session_id":"se1","Screen":"x"`},
		{`"session_id":"se1"`, `"session_id":"se1","session_id":"se2"`},
		{`"session_id":"se1"`, `"session_id":"se` + "\x01" + `"`},
		{`"session_id":"se1"`, `"session_id":"se` + "\xff" + `"`},
		{`{"id":"1",`, `{`},
		{`{"id":"1",`, `{"id":"",`},
		{`{"id":"1",`, `{"id":1,`},
		{`"events":[`, `"events":[{},`},
		{`"events":[`, `"events":[[],`},
		{`]}`, `]}x`},
		{`]}`, `],}`},
		{`]}`, `]`},
		{`}]}`, `},]}`},
	}
	for _, e := range edits {
		if !strings.Contains(base, e.old) {
			t.Fatalf("edit %q: not in the base batch", e.old)
		}
		raw := strings.Replace(base, e.old, e.new, 1)
		if checkFast(t, schema, []byte(raw)) {
			t.Errorf("DecodeFast accepted an invalid batch (%q → %q)", e.old, e.new)
		}
	}
	for _, raw := range []string{
		`{"app_id":"demo","install_id":"inst_ALL-09","sent_at":"2026-12-06T14:00:00Z","events":[]}`,
		`{"app_id":"demo","install_id":"inst_ALL-09","sent_at":"2026-12-06T14:00:00Z","events":[` +
			strings.TrimSuffix(strings.Repeat(`{"id":"x","type":"tap","at":"2026-12-06T14:00:00Z"},`, analytics.MaxBatch+1), ",") + `]}`,
		``, `null`, `{}`, `[]`,
	} {
		if checkFast(t, schema, []byte(raw)) {
			t.Errorf("DecodeFast accepted an invalid batch: %.200s", raw)
		}
	}
	// Random corruptions: whatever DecodeFast accepts, the schema and
	// encoding/json must agree with.
	rng := rand.New(rand.NewPCG(15, 7))
	const alphabet = "{}[]:,\" \\0123456789-+.eEnulltrTZaz_\x00\x7f\xc3\xa9"
	accepted := 0
	for n := range 20000 {
		b := []byte(valid[n%4])
		for range 1 + rng.IntN(3) {
			i := rng.IntN(len(b))
			switch rng.IntN(3) {
			case 0:
				b[i] = alphabet[rng.IntN(len(alphabet))]
			case 1:
				b = append(b[:i], b[i+1:]...)
			default:
				b = append(b[:i], append([]byte{alphabet[rng.IntN(len(alphabet))]}, b[i:]...)...)
			}
		}
		if checkFast(t, schema, b) {
			accepted++
		}
	}
	if accepted == 0 {
		t.Error("no corruption was still a valid batch: the loop tests nothing")
	}
	t.Logf("%d corruptions accepted, each checked against the schema and encoding/json", accepted)
}
