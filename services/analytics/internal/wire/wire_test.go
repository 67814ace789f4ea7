package wire_test

import (
	"testing"
	"time"

	"github.com/attendify/analytics"
	"github.com/attendify/analytics/internal/service"
	"github.com/attendify/analytics/internal/wire"
)

// TestSeriesStepOfOneBucket: a series of one bucket says the step its
// bucket has, also when the caller left the step to the range's length
// (a range within a minute is a minute's bucket, not a day's).
func TestSeriesStepOfOneBucket(t *testing.T) {
	from := time.Date(2026, 3, 14, 10, 30, 0, 0, time.UTC)
	tests := []struct {
		name string
		r    service.Range
		want string
	}{
		{"a range within a minute, step left out", service.Range{From: from, To: from.Add(30 * time.Second)}, analytics.StepMinute},
		{"a minute, step left out", service.Range{From: from, To: from.Add(time.Minute)}, analytics.StepMinute},
		{"an hour asked by the hour", service.Range{From: from, To: from.Add(time.Minute), Level: service.LevelHour}, analytics.StepHour},
		{"a day asked by the day", service.Range{From: from, To: from.Add(time.Minute), Level: service.LevelDay}, analytics.StepDay},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bs := []service.Bucket{{Start: from, Figures: service.Figures{Counts: map[string]int64{}}}}
			if got := wire.SeriesOf(tt.r, bs).Step; got != tt.want {
				t.Errorf("step %q, want %q", got, tt.want)
			}
		})
	}
}
