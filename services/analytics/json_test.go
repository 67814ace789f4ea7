package analytics

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"
	"time"
)

// TestSeriesJSON holds Series' own encoder to encoding/json's
// bytes for their fields, on ordinary series and on the unusual cases that
// take the fallback.
func TestSeriesJSON(t *testing.T) {
	at := time.Date(2026, 12, 6, 14, 0, 0, 0, time.UTC)
	paris := time.FixedZone("", 3600)
	odd := time.FixedZone("", 3600*24+30) // an offset RFC 3339 cannot write
	cases := map[string]Series{
		"empty":               {},
		"nil maps and slices": {From: at, To: at.Add(time.Hour), Step: StepHour},
		"week": func() Series {
			s := Series{From: at, To: at.Add(169 * time.Hour), Step: StepHour, Totals: map[string]int64{}}
			for i := range 169 {
				c := map[string]int64{CountScreenViews: int64(i * 3), CountTaps: int64(i)}
				if i%7 == 0 {
					c = map[string]int64{}
				}
				if i%11 == 0 {
					c = nil
				}
				for k, v := range c {
					s.Totals[k] += v
				}
				s.Buckets = append(s.Buckets, Bucket{Start: at.Add(time.Duration(i) * time.Hour), Counts: c, Members: int64(i), Installs: -int64(i)})
			}
			return s
		}(),
		"every counter, extremes": func() Series {
			c := map[string]int64{}
			for i, k := range Counters {
				c[k] = int64(i) * math.MaxInt64 / 16
			}
			c["zz_other"] = math.MinInt64
			return Series{From: at.In(paris).Add(123456789), To: at.Add(time.Nanosecond), Step: "day", Totals: c,
				Buckets: []Bucket{{Start: at.In(paris), Counts: c, Members: math.MaxInt64, Installs: math.MinInt64}}}
		}(),
		"keys that need escaping": {Step: "a<b", Totals: map[string]int64{"a\"b": 1, "é": 2, "x&y": 3},
			Buckets: []Bucket{{Counts: map[string]int64{"\n": 1}}}},
		"a time encoding/json refuses":    {From: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)},
		"an offset encoding/json refuses": {Buckets: []Bucket{{Start: at.In(odd)}}},
		"a year before 0":                 {To: time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)},
		"early years":                     {From: time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(999, 9, 9, 9, 9, 9, 0, time.UTC), Buckets: []Bucket{{Start: time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)}}},
	}
	for name, s := range cases {
		t.Run(name, func(t *testing.T) {
			want, wantErr := json.Marshal(plainSeries(s))
			got, err := json.Marshal(s)
			if (err != nil) != (wantErr != nil) {
				t.Fatalf("error %v, encoding/json's %v", err, wantErr)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("got\n%s\nencoding/json writes\n%s", got, want)
			}
			appended, err := s.AppendJSON([]byte("prefix"))
			if (err != nil) != (wantErr != nil) {
				t.Fatalf("AppendJSON: error %v, encoding/json's %v", err, wantErr)
			}
			if err == nil && (string(appended) != "prefix"+string(want) || !json.Valid(appended[len("prefix"):])) {
				t.Errorf("AppendJSON appended\n%s\nencoding/json writes\n%s", appended, want)
			}
			if wantErr != nil {
				return
			}
			var back Series
			if err := json.Unmarshal(got, &back); err != nil {
				t.Fatalf("decode: %v", err)
			}
		})
	}
}

// weekSeries is a week by the hour as the dashboard asks for it.
func weekSeries() Series {
	at := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	s := Series{From: at, To: at.Add(169 * time.Hour), Step: StepHour, Totals: map[string]int64{}}
	for i := range 169 {
		c := map[string]int64{CountScreenViews: int64(300 + i), CountTaps: int64(100 + i)}
		s.Totals[CountScreenViews] += c[CountScreenViews]
		s.Totals[CountTaps] += c[CountTaps]
		s.Buckets = append(s.Buckets, Bucket{Start: at.Add(time.Duration(i) * time.Hour), Counts: c, Members: 40, Installs: 55})
	}
	return s
}

// BenchmarkWeekJSON compares encoding/json with the series' own encoder
// (what the server sends: AppendJSON) on a week by the hour.
func BenchmarkWeekJSON(b *testing.B) {
	s := weekSeries()
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(plainSeries(s)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("AppendJSON", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.AppendJSON(nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("MarshalJSON-via-encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(s); err != nil {
				b.Fatal(err)
			}
		}
	})
}
