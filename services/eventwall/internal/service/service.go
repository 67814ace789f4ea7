// Package service is eventwall's domain logic on plain Go types: walls and
// their settings, who may manage and moderate them, the decision about each
// post of social's feed (filters, moderation modes, blocklists, allow
// lists, blocked authors), the moderators' actions, and the ingesters that
// follow each app's feed. It declares the stores it needs (ports.go).
package service

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/attendify/eventwall"
	"github.com/attendify/hub"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/events"
	"github.com/attendify/platform/flake"
)

// Defaults of a new wall.
var DefaultTheme = Theme{Background: "#0f1724", Text: "#f4f6fb", Accent: "#ff6a3d"}

const (
	defaultDisplaySeconds = 8
)

// Service is eventwall's domain.
type Service struct {
	walls      WallStore
	moderation ModerationStore
	board      Board
	profiles   Profiles
	members    Directory
	access     Access
	log        *slog.Logger
	ids        *flake.Generator
}

// Options wire a Service.
type Options struct {
	Walls      WallStore
	Moderation ModerationStore
	Board      Board
	Profiles   Profiles
	// Members, when not nil, is asked for the profiles of authors
	// Profiles lacks.
	Members Directory
	Access  Access
	Log     *slog.Logger
}

// New returns the domain service.
func New(o Options) *Service {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &Service{walls: o.Walls, moderation: o.Moderation, board: o.Board, profiles: o.Profiles, members: o.Members, access: o.Access, log: o.Log, ids: flake.New(0)}
}

// Permission levels within an app's organizers.
type permission int

const (
	moderate permission = iota // moderator, admin, owner
	manage                     // admin, owner
)

// authorize checks the caller's current standing in hub's read model.
func (s *Service) authorize(ctx context.Context, app string, p permission) error {
	c := auth.CallerFrom(ctx)
	m, err := s.access.Authorize(ctx, c, app)
	if err != nil {
		return err
	}
	if c.Kind == auth.CallerService && c.User == "" {
		return nil
	}
	switch m.Role {
	case auth.RoleOwner, auth.RoleAdmin:
		return nil
	case auth.RoleModerator:
		if p == moderate {
			return nil
		}
		return errs.WithCode(errs.CodeForbidden, "only the app's owner and admins manage walls")
	}
	return errs.WithCode(errs.CodeForbidden, "only the app's moderators, admins and owner use walls")
}

// WallSettings is a complete set of a wall's editable settings.
type WallSettings struct {
	Title          string
	Layout         string
	Theme          Theme
	Scope          string
	Hashtags       []string
	PhotosOnly     bool
	Mode           string
	Blocklist      []string
	AllowList      []string
	DisplaySeconds int
	Public         bool
}

// CreateWall creates a wall for an event of app.
func (s *Service) CreateWall(ctx context.Context, app, event string, set WallSettings) (Wall, error) {
	if err := s.authorize(ctx, app, manage); err != nil {
		return Wall{}, err
	}
	if err := s.checkEvent(ctx, app, event); err != nil {
		return Wall{}, err
	}
	w := Wall{ID: s.ids.Next().String(), App: app, Event: event, Version: 1}
	if set.Theme == (Theme{}) {
		set.Theme = s.brandTheme(ctx, app)
	}
	if err := applySettings(&w, set); err != nil {
		return Wall{}, err
	}
	if !w.Public {
		w.ScreenKey = newSecret()
	}
	w.Token = newSecret()
	now := time.Now().UTC().Truncate(time.Microsecond)
	w.CreatedAt, w.UpdatedAt = now, now
	if err := s.walls.CreateWall(ctx, w); err != nil {
		return Wall{}, err
	}
	s.publish(ctx, w)
	return w, nil
}

// Settings returns a wall's editable settings.
func (w Wall) Settings() WallSettings {
	return WallSettings{
		Title: w.Title, Layout: w.Layout, Theme: w.Theme, Scope: w.Rules.Scope,
		Hashtags: w.Rules.Hashtags, PhotosOnly: w.Rules.PhotosOnly, Mode: w.Rules.Mode,
		Blocklist: w.Rules.Blocklist, AllowList: w.Rules.AllowList,
		DisplaySeconds: w.DisplaySeconds, Public: w.Public,
	}
}

// UpdateWall replaces a wall's settings with what change makes of them.
// With version > 0 it fails (errs.Conflict) when the wall is at another
// version.
//
// The new rules are in force when it returns: from then on the board
// refuses every decision made with the previous ones (an ingester that
// read the wall before, on any replica, reads it again and decides by the
// new rules), and the ingesters decide every post again by them. When the
// board cannot take them, the update is saved but the caller gets the
// error rather than a success the screens would not keep (the ingester
// puts the rules in force within its interval; sending the update again
// does it at once).
func (s *Service) UpdateWall(ctx context.Context, app, id string, version int64, change func(*WallSettings)) (Wall, error) {
	w, err := s.save(ctx, app, id, manage, func(w *Wall) error {
		if version > 0 && w.Version != version {
			return errs.New(errs.Conflict, "the wall changed since version %d (now %d): read it again", version, w.Version)
		}
		set := w.Settings()
		change(&set)
		wasPublic := w.Public
		if err := applySettings(w, set); err != nil {
			return err
		}
		switch {
		case w.Public:
			w.ScreenKey = ""
		case wasPublic || w.ScreenKey == "":
			w.ScreenKey = newSecret()
		}
		return nil
	})
	if err != nil {
		return Wall{}, err
	}
	if err := s.Publish(ctx, w); err != nil {
		return Wall{}, fmt.Errorf("put the rules of wall %s in force: %w", id, err)
	}
	s.notify(ctx, app, "")
	return w, nil
}

// dropAll takes every post off a wall's screens and queue.
func (s *Service) dropAll(ctx context.Context, wall string) error {
	entries, err := s.board.AllEntries(ctx, wall)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if _, err := s.apply(ctx, wall, Decision{Post: e.Post, Rev: e.Rev, Outcome: Drop, Entry: e}); err != nil {
			return err
		}
	}
	return nil
}

// GetWall reads a wall.
func (s *Service) GetWall(ctx context.Context, app, id string) (Wall, error) {
	if err := s.authorize(ctx, app, moderate); err != nil {
		return Wall{}, err
	}
	return s.walls.Wall(ctx, app, id)
}

// ListWalls lists an app's walls, or an event's.
func (s *Service) ListWalls(ctx context.Context, app, event string) ([]Wall, error) {
	if err := s.authorize(ctx, app, moderate); err != nil {
		return nil, err
	}
	return s.walls.Walls(ctx, app, event)
}

// DeleteWall deletes a wall; its screens learn that it is gone.
func (s *Service) DeleteWall(ctx context.Context, app, id string) error {
	if err := s.authorize(ctx, app, manage); err != nil {
		return err
	}
	w, err := s.walls.Wall(ctx, app, id)
	if err != nil {
		return err
	}
	if err := s.walls.DeleteWall(ctx, app, id); err != nil {
		return err
	}
	w.Version++
	rec, err := screenRecord(w)
	if err != nil {
		return err
	}
	scr := ToScreen(w)
	scr.Gone = true
	if rec.Screen, err = json.Marshal(scr); err != nil {
		return err
	}
	rec.Gone = true
	if err := s.board.RemoveWall(ctx, rec); err != nil {
		return err
	}
	s.notify(ctx, app, "")
	return nil
}

// SetPaused pauses or resumes a wall's screens.
func (s *Service) SetPaused(ctx context.Context, app, id string, paused bool) (Wall, error) {
	return s.change(ctx, app, id, moderate, func(w *Wall) error {
		w.Paused = paused
		return nil
	})
}

// RotateKey gives a private wall a new screen key.
func (s *Service) RotateKey(ctx context.Context, app, id string) (Wall, error) {
	return s.change(ctx, app, id, manage, func(w *Wall) error {
		if w.Public {
			return errs.New(errs.Invalid, "a public wall has no screen key")
		}
		w.ScreenKey = newSecret()
		return nil
	})
}

// RotateToken gives a wall a new screen URL: screens on the old one stop.
func (s *Service) RotateToken(ctx context.Context, app, id string) (Wall, error) {
	return s.change(ctx, app, id, manage, func(w *Wall) error {
		w.Token = newSecret()
		return nil
	})
}

// change changes a wall with fn, for a caller with permission p, and
// publishes its new settings.
func (s *Service) change(ctx context.Context, app, id string, p permission, fn func(*Wall) error) (Wall, error) {
	w, err := s.save(ctx, app, id, p, fn)
	if err != nil {
		return Wall{}, err
	}
	s.publish(ctx, w)
	return w, nil
}

// save changes a wall in the store with fn, for a caller with permission p.
func (s *Service) save(ctx context.Context, app, id string, p permission, fn func(*Wall) error) (Wall, error) {
	if err := s.authorize(ctx, app, p); err != nil {
		return Wall{}, err
	}
	return s.walls.UpdateWall(ctx, app, id, fn)
}

// publish tells the screens and the ingesters about a wall's new settings,
// after its commit. A failure is logged only: the ingesters compare versions
// and publish again.
func (s *Service) publish(ctx context.Context, w Wall) {
	if err := s.Publish(ctx, w); err != nil {
		s.log.Warn("publish wall settings (the ingester will retry)", "wall", w.ID, "error", err)
	}
	s.notify(ctx, w.App, "")
}

// Publish puts a wall's rules (blocked authors included) in force on the
// board, then stores its screen settings there. The rules come first: from
// then on the board refuses a decision made with older ones, so that no
// post reaches the wall by them afterwards, not even one taken off below.
//
// A private wall shows what its organizers see (hidden and restricted
// events too). When it becomes public, every post comes off its screens
// and queue before the public settings reach them (screens without the key
// are let in then); the ingester decides every post again with hub's rule
// for anonymous readers, as the rules' fingerprint changed. The check is
// against the settings the screens have, not the wall's previous version,
// so that whoever publishes (the update, its retry after a failure, the
// ingester catching up) takes the posts off first.
func (s *Service) Publish(ctx context.Context, w Wall) error {
	rec, err := screenRecord(w)
	if err != nil {
		return err
	}
	if err := s.board.SetRules(ctx, w.ID, w.Version, w.Rules.BlockedAuthors); err != nil {
		return err
	}
	if w.Public {
		st, err := s.board.State(ctx, w.ID)
		if err != nil {
			return err
		}
		if st.Settings > 0 && st.Settings < w.Version && !st.Public {
			if err := s.dropAll(ctx, w.ID); err != nil {
				return err
			}
		}
	}
	return s.board.PublishConfig(ctx, rec)
}

// Republish publishes a wall's settings from the store again (the screens'
// side calls it when Redis has lost them); errs.NotFound when the wall
// does not exist.
func (s *Service) Republish(ctx context.Context, id string) error {
	w, err := s.walls.WallByID(ctx, id)
	if err != nil {
		return err
	}
	return s.Publish(ctx, w)
}

// WallOfToken returns the id of the wall whose screen token is token;
// errs.NotFound when there is none. Screens know walls by token only.
func (s *Service) WallOfToken(ctx context.Context, token string) (string, error) {
	w, err := s.walls.WallByToken(ctx, token)
	if err != nil {
		return "", err
	}
	return w.ID, nil
}

// Restore loads a wall's moderators' decisions and blocked authors from
// Postgres into the board (after Redis lost them, or missed a write).
func (s *Service) Restore(ctx context.Context, wall string) error {
	m, err := s.moderation.Moderations(ctx, wall)
	if err != nil {
		return err
	}
	w, err := s.walls.WallByID(ctx, wall)
	if err != nil {
		return err
	}
	return s.board.Restore(ctx, wall, m, w.Version, w.Rules.BlockedAuthors)
}

// apply applies a decision on a wall's board, loading the wall's
// moderators' decisions first when the board lacks them: no decision is
// ever applied without them. A wall deleted meanwhile takes no decision.
func (s *Service) apply(ctx context.Context, wall string, d Decision) (Applied, error) {
	a, err := s.board.Apply(ctx, wall, d)
	if !errors.Is(err, ErrUnloaded) {
		return a, err
	}
	if err := s.Restore(ctx, wall); err != nil {
		if errors.Is(err, errs.NotFound) {
			return Applied{}, nil
		}
		return Applied{}, fmt.Errorf("load the moderation of wall %s: %w", wall, err)
	}
	return s.board.Apply(ctx, wall, d)
}

func (s *Service) notify(ctx context.Context, app, member string) {
	if err := s.board.NotifyWalls(ctx, app, member); err != nil {
		s.log.Warn("notify ingesters (they poll too)", "app", app, "error", err)
	}
}

func screenRecord(w Wall) (ScreenRecord, error) {
	scr, err := json.Marshal(ToScreen(w))
	if err != nil {
		return ScreenRecord{}, err
	}
	return ScreenRecord{Wall: w.ID, App: w.App, Version: w.Version, Public: w.Public, Key: w.ScreenKey, Token: w.Token, Screen: scr}, nil
}

// ToScreen is what screens see of a wall's settings.
func ToScreen(w Wall) eventwall.Screen {
	return eventwall.Screen{
		ID: w.ID, Title: w.Title, Layout: w.Layout,
		Theme:          eventwall.Theme{Background: w.Theme.Background, Text: w.Theme.Text, Accent: w.Theme.Accent, LogoURL: w.Theme.Logo},
		DisplaySeconds: w.DisplaySeconds, Paused: w.Paused, Version: w.Version,
	}
}

func (s *Service) checkEvent(ctx context.Context, app, event string) error {
	evs, err := s.access.Events(ctx, app)
	if err != nil {
		return err
	}
	for _, e := range evs {
		if e.ID == event {
			return nil
		}
	}
	return errs.InvalidFields("no such event in this app", errs.FieldError{Field: "/event_id", Message: "not an event of the app"})
}

var hashtagRE = regexp.MustCompile(`^[\p{L}\p{N}_]{1,64}$`)

// applySettings validates set and writes it into w.
func applySettings(w *Wall, set WallSettings) error {
	var bad []errs.FieldError
	fail := func(field, msg string) { bad = append(bad, errs.FieldError{Field: field, Message: msg}) }

	set.Title = strings.TrimSpace(set.Title)
	if set.Title == "" || len([]rune(set.Title)) > 120 {
		fail("/title", "between 1 and 120 characters")
	}
	if set.Layout == "" {
		set.Layout = eventwall.LayoutGrid
	}
	if !slices.Contains([]string{eventwall.LayoutGrid, eventwall.LayoutMasonry, eventwall.LayoutSpotlight}, set.Layout) {
		fail("/layout", "grid, masonry or spotlight")
	}
	if set.Theme.Background == "" {
		set.Theme.Background = DefaultTheme.Background
	}
	if set.Theme.Text == "" {
		set.Theme.Text = DefaultTheme.Text
	}
	if set.Theme.Accent == "" {
		set.Theme.Accent = DefaultTheme.Accent
	}
	for field, c := range map[string]string{"/theme/background": set.Theme.Background, "/theme/text": set.Theme.Text, "/theme/accent": set.Theme.Accent} {
		if !validColor(c) {
			fail(field, "a colour #rrggbb")
		}
	}
	// Readable from the back of the room: text that does not contrast
	// enough with the background becomes white or black, an accent that
	// does not becomes the default one, or the text colour.
	if validColor(set.Theme.Background) && validColor(set.Theme.Text) && validColor(set.Theme.Accent) {
		set.Theme.Text = Readable(set.Theme.Background, set.Theme.Text, MinContrast)
		if Contrast(set.Theme.Background, set.Theme.Accent) < MinAccentContrast {
			set.Theme.Accent = DefaultTheme.Accent
			if Contrast(set.Theme.Background, set.Theme.Accent) < MinAccentContrast {
				set.Theme.Accent = set.Theme.Text
			}
		}
	}
	if set.Theme.Logo != "" && !validLogo(set.Theme.Logo) {
		fail("/theme/logo_url", "an http(s) URL, a path, or a data:image URL of at most 64 KiB")
	}
	if set.Scope == "" {
		set.Scope = eventwall.ScopeEvent
	}
	if set.Scope != eventwall.ScopeEvent && set.Scope != eventwall.ScopeApp {
		fail("/filters/scope", "event or app")
	}
	tags := make([]string, 0, len(set.Hashtags))
	for _, h := range set.Hashtags {
		h = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(h), "#"))
		if !hashtagRE.MatchString(h) {
			fail("/filters/hashtags", fmt.Sprintf("%q is not a hashtag (letters, digits, _)", h))
			continue
		}
		if !slices.Contains(tags, h) {
			tags = append(tags, h)
		}
	}
	if len(tags) > eventwall.MaxHashtags {
		fail("/filters/hashtags", fmt.Sprintf("at most %d", eventwall.MaxHashtags))
	}
	if set.Mode == "" {
		set.Mode = eventwall.ModerationAuto
	}
	if !slices.Contains([]string{eventwall.ModerationAuto, eventwall.ModerationManual, eventwall.ModerationOff}, set.Mode) {
		fail("/moderation/mode", "auto, manual or off")
	}
	phrases := make([]string, 0, len(set.Blocklist))
	for _, p := range set.Blocklist {
		p = strings.Join(strings.Fields(p), " ")
		if p == "" || len([]rune(p)) > 100 {
			fail("/moderation/blocklist", "phrases of 1 to 100 characters")
			continue
		}
		if !slices.Contains(phrases, p) {
			phrases = append(phrases, p)
		}
	}
	if len(phrases) > eventwall.MaxBlocklist {
		fail("/moderation/blocklist", fmt.Sprintf("at most %d phrases", eventwall.MaxBlocklist))
	}
	allow := dedupe(set.AllowList)
	if len(allow) > eventwall.MaxAllowList {
		fail("/moderation/allow_list", fmt.Sprintf("at most %d members", eventwall.MaxAllowList))
	}
	if set.DisplaySeconds == 0 {
		set.DisplaySeconds = defaultDisplaySeconds
	}
	if set.DisplaySeconds < eventwall.MinDisplaySeconds || set.DisplaySeconds > eventwall.MaxDisplaySeconds {
		fail("/display_seconds", fmt.Sprintf("between %d and %d", eventwall.MinDisplaySeconds, eventwall.MaxDisplaySeconds))
	}
	if len(bad) > 0 {
		return errs.InvalidFields("invalid wall settings", bad...)
	}
	w.Title, w.Layout, w.Theme, w.DisplaySeconds, w.Public = set.Title, set.Layout, set.Theme, set.DisplaySeconds, set.Public
	w.Rules.Event = w.Event
	w.Rules.Scope, w.Rules.Hashtags, w.Rules.PhotosOnly = set.Scope, tags, set.PhotosOnly
	w.Rules.Mode, w.Rules.Blocklist, w.Rules.AllowList = set.Mode, phrases, allow
	if w.Rules.BlockedAuthors == nil {
		w.Rules.BlockedAuthors = []string{}
	}
	return nil
}

func dedupe(ss []string) []string {
	out := make([]string, 0, len(ss))
	for _, s := range ss {
		s = strings.TrimSpace(s)
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

func validColor(c string) bool {
	if len(c) != 7 || c[0] != '#' {
		return false
	}
	for _, r := range c[1:] {
		if !unicode.Is(unicode.ASCII_Hex_Digit, r) {
			return false
		}
	}
	return true
}

// validLogo reports whether u may be a wall's logo: an absolute http(s)
// URL with a host, a path on eventwall, or a data:image URL (a venue without
// internet still shows it). The page only ever puts it in an img's src.
func validLogo(u string) bool {
	if strings.ContainsFunc(u, func(r rune) bool {
		return unicode.IsControl(r) || unicode.IsSpace(r) || strings.ContainsRune("\"'<>\\", r)
	}) {
		return false
	}
	switch {
	case strings.HasPrefix(u, "https://"), strings.HasPrefix(u, "http://"):
		p, err := url.Parse(u)
		return len(u) <= 2048 && err == nil && p.Host != "" && p.User == nil
	case strings.HasPrefix(u, "/") && !strings.HasPrefix(u, "//"):
		return len(u) <= 2048
	case strings.HasPrefix(u, "data:image/"):
		return len(u) <= 64<<10
	}
	return false
}

// newSecret returns 192 random bits, base64url: a screen token or key,
// which grants access by being known.
func newSecret() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// ---------------------------------------------------------------------------
// Moderation.

// Queue returns a page of a wall's moderation queue.
func (s *Service) Queue(ctx context.Context, app, wall string, offset, limit int) ([]Entry, int64, error) {
	if err := s.authorize(ctx, app, moderate); err != nil {
		return nil, 0, err
	}
	if _, err := s.walls.Wall(ctx, app, wall); err != nil {
		return nil, 0, err
	}
	if limit <= 0 {
		limit = 50
	}
	return s.board.Queue(ctx, wall, offset, limit)
}

// Revision names a revision of a post.
type Revision struct {
	Post string
	Rev  int64
}

// ApproveResult says what Approve did with each post.
type ApproveResult struct {
	Done     []string
	NotFound []string // never kept by the wall
	// Refused are the posts not approved, and why; nothing changed for
	// them.
	Refused []Refusal
}

// Refusal says why a post was not approved.
type Refusal struct {
	Post    string
	Reason  string // eventwall.Refused*
	Message string // for the moderator
}

var refusalMessages = map[string]string{
	eventwall.RefusedChanged:       "The post changed since you read it: read it again.",
	eventwall.RefusedRemoved:       "The post is no longer on the wall: hidden, deleted or its author blocked in social, rejected, or kept off by the wall's rules.",
	eventwall.RefusedRulesChanged:  "The wall's rules changed since the post was judged: it is being judged again by them. Read the queue again.",
	eventwall.RefusedAuthorBlocked: "The post's author is blocked on this wall.",
	eventwall.RefusedNotPublic:     "The wall is public and a reader who is not signed in may not see this post: its event is hidden or for registered members only, or the app is not published.",
}

func refusal(post, reason string) Refusal {
	return Refusal{Post: post, Reason: reason, Message: refusalMessages[reason]}
}

// Approve shows waiting posts; each approval holds for the post's text.
// A post is approved at the revision the moderator saw (given in seen), or
// else at the one the wall keeps when the call arrives, and only if, when
// the approval is applied, the post is still that revision, still on the
// wall, judged by the wall's rules in force, its author not blocked on the
// wall and, on a public wall, of an event hub lets a reader who is not
// signed in see (hub's rule, read by the call): the board checks it in the
// same step as it shows the post (Board.Approve). Otherwise nothing changes
// for the post, and the answer says why (a post edited, hidden in social,
// dropped by new rules while the moderator read, or of an event hidden in
// hub since it was queued never reaches the screens). When hub's rule
// cannot be read, nothing is approved on a public wall: errs.Unavailable.
func (s *Service) Approve(ctx context.Context, app, wall string, posts []string, seen []Revision) (ApproveResult, error) {
	revs := make(map[string]int64, len(posts))
	var bad []errs.FieldError
	for i, r := range seen {
		field := fmt.Sprintf("/revisions/%d/post_id", i)
		if _, twice := revs[r.Post]; twice {
			bad = append(bad, errs.FieldError{Field: field, Message: "a post given twice"})
		} else if !slices.Contains(posts, r.Post) {
			bad = append(bad, errs.FieldError{Field: field, Message: "not among post_ids"})
		}
		revs[r.Post] = r.Rev
	}
	if len(bad) > 0 {
		return ApproveResult{}, errs.InvalidFields("revisions of posts not approved", bad...)
	}
	if err := s.authorize(ctx, app, moderate); err != nil {
		return ApproveResult{}, err
	}
	w, err := s.walls.Wall(ctx, app, wall)
	if err != nil {
		return ApproveResult{}, err
	}
	posts = dedupe(posts)
	var unseen []string
	for _, p := range posts {
		if _, ok := revs[p]; !ok {
			unseen = append(unseen, p)
		}
	}
	kept, err := s.board.Entries(ctx, wall, unseen)
	if err != nil {
		return ApproveResult{}, err
	}
	for p, e := range kept {
		revs[p] = e.Rev
	}
	out := ApproveResult{Done: []string{}, NotFound: []string{}, Refused: []Refusal{}}
	for _, p := range posts {
		a, err := s.approve(ctx, &w, Approval{Post: p, Rev: revs[p]})
		switch {
		case errors.Is(err, errs.NotFound):
			out.NotFound = append(out.NotFound, p)
			continue
		case err != nil:
			return ApproveResult{}, err
		case a.Refused != "":
			out.Refused = append(out.Refused, refusal(p, a.Refused))
			continue
		}
		// The board shows the post and holds the approval; Postgres, the
		// truth, records it, and its version reaches the board.
		m, err := s.moderate(ctx, PostRef{App: app, Wall: wall, Post: p}, func(m *Moderation) {
			// A rejection recorded since the board's check (another
			// moderator's, whose copy had not reached the board) stands.
			if m.Verdict != "r" {
				m.Verdict = "a:" + a.Hash
			}
		})
		if err != nil {
			return ApproveResult{}, err
		}
		if m.Verdict == "r" {
			if _, err := s.apply(ctx, wall, Decision{Post: p, Rev: a.Rev, Outcome: Drop, Entry: Entry{Post: p, Rev: a.Rev}}); err != nil {
				return ApproveResult{}, err
			}
			out.Refused = append(out.Refused, refusal(p, eventwall.RefusedRemoved))
			continue
		}
		out.Done = append(out.Done, p)
	}
	return out, nil
}

// approve applies an approval on the board by the rules of *w, the wall as
// the approver read it, with hub's rule for anonymous readers when it is
// public (read once into w.Rules.Audience; errs.Unavailable, approving
// nothing, when hub cannot answer). It loads the wall's moderation first
// when the board lacks it, and reads the wall again into *w when its rules
// changed since (the board refuses an approval by older rules): past
// maxRulesReads the post is refused. errs.NotFound when the wall is gone.
func (s *Service) approve(ctx context.Context, w *Wall, a Approval) (ApprovalOutcome, error) {
	for reads := 0; ; reads++ {
		a.Rules, a.RulesID, a.Audience = w.Version, w.RulesID(), nil
		if w.Public {
			if w.Rules.Audience == nil {
				aud, err := s.audience(ctx, w.App)
				if err != nil {
					return ApprovalOutcome{}, errs.Wrap(errs.Unavailable, err, "hub's rule for the readers of a public wall cannot be read now: nothing was approved; try again")
				}
				w.Rules.Audience = aud
			}
			a.Audience = w.Rules.Audience
		}
		out, err := s.board.Approve(ctx, w.ID, a)
		if errors.Is(err, ErrUnloaded) {
			if err := s.Restore(ctx, w.ID); err != nil {
				return ApprovalOutcome{}, fmt.Errorf("load the moderation of wall %s: %w", w.ID, err)
			}
			out, err = s.board.Approve(ctx, w.ID, a)
		}
		if !errors.Is(err, ErrStaleRules) {
			return out, err
		}
		if reads == maxRulesReads {
			return ApprovalOutcome{Refused: eventwall.RefusedRulesChanged}, nil
		}
		fresh, err := s.walls.Wall(ctx, w.App, w.ID)
		if err != nil {
			return ApprovalOutcome{}, err
		}
		*w = fresh
	}
}

// Reject keeps posts off the wall, also after their authors edit them.
func (s *Service) Reject(ctx context.Context, app, wall string, posts []string) (done, notFound []string, err error) {
	if err := s.authorize(ctx, app, moderate); err != nil {
		return nil, nil, err
	}
	if _, err := s.walls.Wall(ctx, app, wall); err != nil {
		return nil, nil, err
	}
	entries, err := s.board.Entries(ctx, wall, posts)
	if err != nil {
		return nil, nil, err
	}
	done, notFound = []string{}, []string{}
	for _, p := range dedupe(posts) {
		e, ok := entries[p]
		if !ok {
			notFound = append(notFound, p)
			continue
		}
		if _, err := s.moderate(ctx, PostRef{App: app, Wall: wall, Post: p}, func(m *Moderation) { m.Verdict = "r" }); err != nil {
			return nil, nil, err
		}
		// The rejection just copied drops whatever revision comes, this
		// one too.
		if _, err := s.apply(ctx, wall, Decision{Post: p, Rev: e.Rev, Outcome: Drop, Entry: e}); err != nil {
			return nil, nil, err
		}
		done = append(done, p)
	}
	return done, notFound, nil
}

// moderate records a moderator's decision in Postgres (the truth), then in
// the board, which the follower's decisions meet, and returns it. When the
// board's copy fails, the ingester loads it again from Postgres within its
// interval (the board's moderation version is behind the wall's).
func (s *Service) moderate(ctx context.Context, ref PostRef, change func(*Moderation)) (Moderation, error) {
	m, err := s.moderation.Moderate(ctx, ref, change)
	if err != nil {
		return Moderation{}, err
	}
	return m, s.board.SetModeration(ctx, ref.Wall, m)
}

// Mark pins or highlights a post shown on a wall ("" clears it).
func (s *Service) Mark(ctx context.Context, ref PostRef, mark string) error {
	app, wall, post := ref.App, ref.Wall, ref.Post
	if err := s.authorize(ctx, app, moderate); err != nil {
		return err
	}
	if _, err := s.walls.Wall(ctx, app, wall); err != nil {
		return err
	}
	entries, err := s.board.Entries(ctx, wall, []string{post})
	if err != nil {
		return err
	}
	e, ok := entries[post]
	shown := false
	if ok {
		if shown, err = s.board.Shown(ctx, wall, post); err != nil {
			return err
		}
	}
	if !shown {
		return errs.New(errs.NotFound, "the post is not on the wall")
	}
	if _, err := s.moderate(ctx, ref, func(m *Moderation) { m.Mark = mark }); err != nil {
		return err
	}
	_, err = s.apply(ctx, wall, Decision{Post: post, Rev: e.Rev, Outcome: Refresh, Entry: e})
	return err
}

// AuthorRef names a member who writes on one of an app's walls.
type AuthorRef struct {
	App, Wall, Member string
}

// BlockAuthor takes an author's posts off a wall, past and future.
func (s *Service) BlockAuthor(ctx context.Context, a AuthorRef, block bool) (Wall, error) {
	app, wall, member := a.App, a.Wall, a.Member
	if err := s.authorize(ctx, app, moderate); err != nil {
		return Wall{}, err
	}
	unblocked := false
	w, err := s.walls.UpdateWall(ctx, app, wall, func(w *Wall) error {
		has := slices.Contains(w.Rules.BlockedAuthors, member)
		unblocked = !block && has
		switch {
		case block && !has:
			if len(w.Rules.BlockedAuthors) >= eventwall.MaxBlockedAuthors {
				return errs.New(errs.Invalid, "at most %d blocked authors", eventwall.MaxBlockedAuthors)
			}
			w.Rules.BlockedAuthors = append(w.Rules.BlockedAuthors, member)
		case !block && has:
			w.Rules.BlockedAuthors = slices.DeleteFunc(w.Rules.BlockedAuthors, func(m string) bool { return m == member })
		}
		return nil
	})
	if err != nil {
		return Wall{}, err
	}
	if err := s.Publish(ctx, w); err != nil {
		return Wall{}, err
	}
	if unblocked {
		// Blocking took the author's posts off at once, behind the
		// ingester's back: the rules may now be those the wall was last
		// filled with, so forget that fill and the ingester decides every
		// post again (bringing the author's back).
		if err := s.board.SetFilled(ctx, wall, ""); err != nil {
			return Wall{}, err
		}
	}
	if block {
		// Past posts now; the ingester re-decides everything with the new
		// rules too.
		entries, err := s.board.AllEntries(ctx, wall)
		if err != nil {
			return Wall{}, err
		}
		for _, e := range entries {
			if e.Author != member {
				continue
			}
			if _, err := s.apply(ctx, wall, Decision{Post: e.Post, Rev: e.Rev, Outcome: Drop, Entry: e}); err != nil {
				return Wall{}, err
			}
		}
	}
	s.notify(ctx, app, "")
	return w, nil
}

// ---------------------------------------------------------------------------
// Profiles from hub's member events.

// profile returns an author's profile as eventwall keeps it, or, when it
// never heard of the member (a hub event it missed), as hub's directory has
// it, which it then keeps. When hub cannot answer, the post is shown
// without a name until the member's next change.
func (s *Service) profile(ctx context.Context, app, member string) (Profile, error) {
	ps, err := s.profiles.Profiles(ctx, app, []string{member})
	if err != nil {
		return Profile{}, err
	}
	if p, ok := ps[member]; ok || s.members == nil {
		return p, nil
	}
	p, at, err := s.members.Profile(ctx, app, member)
	switch {
	case errors.Is(err, errs.NotFound):
		return Profile{}, nil
	case err != nil:
		s.log.Warn("read an author's profile from hub", "app", app, "member", member, "error", err)
		return Profile{}, nil
	}
	if err := s.profiles.SaveProfile(ctx, app, member, p, at); err != nil {
		return Profile{}, err
	}
	return p, nil
}

// HandleMemberEvent keeps the authors' profiles (consumer of hub's
// "member" topic) in Postgres. Idempotent: a replay writes the same
// profile, and an older event never overwrites a newer one.
func (s *Service) HandleMemberEvent(ctx context.Context, ev events.Event) error {
	switch ev.Type {
	case hub.EventMemberCreated, hub.EventMemberUpdated, hub.EventMemberBlocked, hub.EventMemberUnblocked:
		var p hub.MemberPayload
		if err := json.Unmarshal(ev.Data, &p); err != nil {
			return events.Permanent(fmt.Errorf("decode %s: %w", ev.Type, err))
		}
		if p.ID == "" || p.AppID == "" {
			return events.Permanent(errors.New("member event without ids"))
		}
		if err := s.profiles.SaveProfile(ctx, p.AppID, p.ID, Profile{Name: p.Name, PhotoURL: p.PhotoURL}, ev.Time); err != nil {
			return err
		}
		s.notify(ctx, p.AppID, p.ID)
	case hub.EventMemberDeleted:
		var p hub.IDsPayload
		if err := json.Unmarshal(ev.Data, &p); err != nil {
			return events.Permanent(fmt.Errorf("decode %s: %w", ev.Type, err))
		}
		if err := s.profiles.DeleteProfile(ctx, p.AppID, p.ID, ev.Time); err != nil {
			return err
		}
		s.notify(ctx, p.AppID, p.ID)
	}
	return nil
}

// brandTheme is the theme of a wall created without one: the app's own
// brand (hub's app settings) on the default dark background, which a
// projector shows best: its primary colour as the accent, its icon as the
// logo. applySettings then keeps it readable. The default theme when the
// app has no brand or the read model does not answer.
func (s *Service) brandTheme(ctx context.Context, app string) Theme {
	cfg, err := s.access.App(ctx, app)
	if err != nil {
		return Theme{}
	}
	t := Theme{}
	if b := cfg.Branding; validColor(b.PrimaryColor) {
		t.Accent = b.PrimaryColor
	} else if validColor(b.AccentColor) {
		t.Accent = b.AccentColor
	}
	if validLogo(cfg.Branding.IconURL) {
		t.Logo = cfg.Branding.IconURL
	}
	return t
}
