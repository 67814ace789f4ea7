package runner

import (
	"context"
	"log/slog"
	"time"
)

// Periodic is a background job run on a ticker (a sweeper, a reaper, a
// fold): Run runs every Interval until the service stops. A failure is
// logged with the job's name (key "error") and the next tick tries again;
// a job never stops the service. A run that outlasts Interval delays the
// next one (ticks are not queued).
//
// Services register it with Service.Periodic, which starts it as Go starts
// a worker (not at all in a run-as process without workers):
//
//	svc.Periodic(runner.Periodic{Name: "upload-sweeper", Interval: cfg.SweepInterval, Run: domain.SweepUploads})
type Periodic struct {
	// Name names the job in logs ("worker").
	Name string
	// Interval is the time between two runs; it must be positive.
	Interval time.Duration
	// AtStart runs the job once as it starts, before the first tick.
	AtStart bool
	// Wake, when set, runs the job at once each time it receives (a
	// notification that there is work), between the ticks, which keep
	// their pace. A sender that must not block sends with select/default:
	// a wake-up sent while a round runs is then either taken after it or
	// dropped as redundant.
	Wake <-chan struct{}
	// Run is one round of the job. What it did (a count) it logs itself;
	// an error it returns is logged by the loop, unless the service is
	// stopping.
	Run func(ctx context.Context) error
	// Log takes the failures (Service.Periodic sets the service's logger;
	// nil: slog.Default()).
	Log *slog.Logger
}

// Loop runs the job until ctx ends; it returns nil then.
func (p Periodic) Loop(ctx context.Context) error {
	log := p.Log
	if log == nil {
		log = slog.Default()
	}
	run := func() {
		if err := p.Run(ctx); err != nil && ctx.Err() == nil {
			log.WarnContext(ctx, "periodic job failed; retrying at the next tick", slog.String("worker", p.Name), slog.Any("error", err))
		}
	}
	if p.AtStart && ctx.Err() == nil {
		run()
	}
	t := time.NewTicker(p.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-p.Wake:
		}
		if ctx.Err() != nil {
			return nil
		}
		run()
	}
}

// Periodic registers a periodic background job (see the Periodic type),
// logging to the service's logger. It starts with Run, as workers
// registered with Go do, and stops with them.
func (s *Service) Periodic(p Periodic) {
	if p.Log == nil {
		p.Log = s.Log
	}
	if p.Interval <= 0 {
		panic("runner: periodic job " + p.Name + " without a positive interval")
	}
	s.Go(p.Name, p.Loop)
}
