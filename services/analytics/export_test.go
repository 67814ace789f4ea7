package analytics_test

import "github.com/attendify/analytics/internal/service"

type analyticsEvent = service.Event
