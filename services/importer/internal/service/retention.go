package service

import (
	"context"
	"fmt"
	"time"

	"github.com/attendify/platform/errs"
)

// The defaults of the retention and the quotas (see Config and the
// README's "Lifetime of the data").
const (
	// DefaultRetention: an ended import's file and rows serve its error
	// report and preview while the organizer acts on them (fixes the
	// rejected rows, checks the history before the event); a month covers
	// that, and files full of personal data already in hub are kept no
	// longer than that.
	DefaultRetention = 30 * 24 * time.Hour
	// DefaultUnfinished: an analysis compares the file with hub as it was
	// then; one left uncommitted a week is stale and abandoned, and a week
	// covers a weekend and a colleague's sign-off.
	DefaultUnfinished = 7 * 24 * time.Hour
	// DefaultMaxAppBytes: ten files of the largest size, or hundreds of
	// ordinary ones (a 10,000-attendee workbook is about 1 MB), per
	// retention period.
	DefaultMaxAppBytes = 2 << 30
	// DefaultMaxAppAnalyses: the attendees, speakers and agenda of an
	// event at once, and one more; a replica runs IMPORTER_WORKERS (2)
	// jobs at a time, so one app's further analyses would only queue
	// ahead of other apps'.
	DefaultMaxAppAnalyses = 4
	// UploadTimeout is how long after its start an upload still running
	// is taken for dead (its process died mid-upload): the retention job
	// cancels it then, freeing its reservation.
	UploadTimeout = time.Hour
	// ExpireBatch is the imports marked, and the staged rows deleted, per
	// statement of the retention job.
	ExpireBatch = 1000
	// analysisRetry is the retry-after hint when an app has too many
	// analyses running: most take seconds.
	analysisRetry = 10 * time.Second
)

// ErrExpired is the failure code of an import the retention job canceled
// (left uncommitted, or an upload that never ended).
const ErrExpired = "expired"

// admit lets an upload that reserves reserve bytes start if the app's
// usage leaves room for it: refused with rate_limited (retryable soon)
// when the app has MaxAppAnalyses imports being uploaded or analyzed,
// with invalid on /file (not retryable: room comes back when imports
// expire, days later) when its stored files would exceed MaxAppBytes.
func (s *Service) admit(u Usage, reserve int64) error {
	if u.Analyses >= s.cfg.MaxAppAnalyses {
		return &errs.Error{Code: errs.CodeRateLimited, RetryAfter: analysisRetry,
			Msg: fmt.Sprintf("the app has %d imports being uploaded or analyzed, its most at once: retry when one is analyzed", u.Analyses)}
	}
	if u.Bytes+reserve > s.cfg.MaxAppBytes {
		return errs.InvalidFields("over the app's storage quota", errs.FieldError{Field: "/file", Message: fmt.Sprintf(
			"the app's imports keep %s of files and its quota is %s, too little room for this upload (%s); "+
				"a file is deleted %s after its import ended, %s after an import left uncommitted",
			mb(u.Bytes), mb(s.cfg.MaxAppBytes), mb(reserve), days(s.cfg.Retention), days(s.cfg.Unfinished))})
	}
	return nil
}

func mb(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/(1<<20)) }

// days writes a retention period: "30 days", or as a duration when it is
// not whole days.
func days(d time.Duration) string {
	if d >= 24*time.Hour && d%(24*time.Hour) == 0 {
		if n := d / (24 * time.Hour); n > 1 {
			return fmt.Sprintf("%d days", n)
		}
		return "1 day"
	}
	return d.String()
}

// expired is the answer about the file or rows of an expired import.
func (s *Service) expired(imp *Import) error {
	after := days(s.cfg.Retention) + " after the import ended"
	if imp.ErrorCode == ErrExpired {
		after = days(s.cfg.Unfinished) + " without a commit"
	}
	return errs.New(errs.NotFound, "the file and rows of import %s were deleted %s (retention); its summary remains: upload the file again to import it", imp.ID, after)
}

// Expire deletes the file and staged rows of the imports whose time is up
// at now (see Config.Retention), and returns how many imports expired.
// The retention job runs it periodically on every replica; replicas skip
// each other's imports.
func (s *Service) Expire(ctx context.Context, now time.Time) (int, error) {
	return s.store.Expire(ctx, Expiry{
		Ended: now.Add(-s.cfg.Retention), Abandoned: now.Add(-s.cfg.Unfinished), Interrupted: now.Add(-UploadTimeout),
		AbandonedFailure: Failure{Code: ErrExpired, Message: "not committed within " + days(s.cfg.Unfinished) +
			": the import was canceled and its file deleted; upload the file again to import it"},
		InterruptedFailure: Failure{Code: ErrExpired, Message: "the upload was interrupted: upload the file again"},
		Batch:              ExpireBatch,
	})
}
