package service

import (
	"context"
	"time"

	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/events"
)

// Store is hub's relational store: its ports on their own (Queries) and
// transactions in which several run together with the outbox.
type Store interface {
	Queries
	// InTx runs fn in one transaction (retried on serialization failures,
	// so fn must have no other effects) and commits it.
	InTx(ctx context.Context, fn func(q Queries) error) error
}

// Queries are the store's ports, one per aggregate, as one transaction (or
// no transaction) sees them: a use case that changes several aggregates
// does so in one InTx, with the outbox. Every method that touches app data
// takes the app id and never reads or writes another app's rows.
// Not-found is errs.NotFound, a uniqueness violation errs.Conflict. A
// function that needs only some of them takes those ports, not Queries.
// internal/store/postgres implements them on Postgres, internal/store/memstore
// in memory; both pass the contract suite of internal/store/storetest.
type Queries interface {
	Outbox
	OrganizerStore
	SignUpStore
	AppStore
	CollaboratorStore
	InvitationStore
	EventStore
	RegistrationStore
	MemberStore
	MemberBulkStore
	SignInCodeStore
	PlaceStore
	SpeakerStore
	SessionStore
	TokenStore
	ReadModelSource
	EmailCollisionStore
	Upkeep
}

// Outbox takes the events of a change and the read-model versions it
// writes.
type Outbox interface {
	// Announce adds events to the outbox (inside InTx).
	Announce(ctx context.Context, evs ...events.Event) error
	// NextVersion takes a read-model version from the sequence.
	NextVersion(ctx context.Context) (int64, error)
	// NextVersions takes n read-model versions from the sequence.
	NextVersions(ctx context.Context, n int) ([]int64, error)
}

// OrganizerStore holds organizers' accounts.
type OrganizerStore interface {
	CreateOrganizer(ctx context.Context, o Organizer) (Organizer, error)
	OrganizerByEmail(ctx context.Context, email string) (Organizer, error)
	OrganizerByID(ctx context.Context, id string, lock bool) (Organizer, error)
	// UpdateLogin reads the organizer of email under its row lock, lets
	// update change their log-in state (FailedLogins, LockedUntil) and
	// writes it when it changed, in one transaction (InTx's, or its own);
	// an error of update is returned as it is and nothing is written.
	// update must not call the store.
	UpdateLogin(ctx context.Context, email string, update func(o *Organizer) error) (Organizer, error)
	SetPassword(ctx context.Context, id, hash string) error
}

// SignUpStore holds the sign-ups waiting for their address to be
// confirmed.
type SignUpStore interface {
	AddSignUp(ctx context.Context, su SignUp) error
	// SignUpByToken finds the unexpired sign-up whose token has the hash.
	SignUpByToken(ctx context.Context, tokenHash string, now time.Time, lock bool) (SignUp, error)
	DeleteSignUp(ctx context.Context, id string) error
}

// AppStore holds apps.
type AppStore interface {
	CreateApp(ctx context.Context, a App) (App, error)
	App(ctx context.Context, id string, lock bool) (App, error)
	// AppFor is App with user's revocation mark in it (RevokeTokens,
	// RevokeOrganizerTokens; 0 when none).
	AppFor(ctx context.Context, id, user string) (App, int64, error)
	AppBySlug(ctx context.Context, slug string) (App, error)
	// UpdateApp reads the app under its row lock, lets update change it
	// and writes it with a new version; an error of update is returned as
	// it is and nothing is written.
	UpdateApp(ctx context.Context, id string, update func(a *App) error) (App, error)
	// DeleteApp deletes the app with everything in it and returns the ids
	// of its members and collaborators (for read-model tombstones).
	DeleteApp(ctx context.Context, id string) ([]string, error)
	AppsOf(ctx context.Context, organizerID string) ([]AppWithRole, error)
}

// CollaboratorStore holds the organizers' roles in apps.
type CollaboratorStore interface {
	AddCollaborator(ctx context.Context, c Collaborator) (Collaborator, error)
	Collaborator(ctx context.Context, app, organizerID string, lock bool) (Collaborator, error)
	Collaborators(ctx context.Context, app string) ([]Collaborator, error)
	// UpdateCollaborator reads the collaborator under its row lock, lets
	// update change their Role and writes it with a new version, in one
	// transaction (InTx's, or its own); an error of update is returned as
	// it is and nothing is written. update must not call the store.
	UpdateCollaborator(ctx context.Context, app, organizerID string, update func(c *Collaborator) error) (Collaborator, error)
	RemoveCollaborator(ctx context.Context, app, organizerID string) error
	// CountCollaborators counts the app's collaborators and its invitations
	// pending at now.
	CountCollaborators(ctx context.Context, app string, now time.Time) (int, error)
}

// InvitationStore holds the invitations to collaborate on apps.
type InvitationStore interface {
	// Invitations lists the app's invitations, newest first: the open ones
	// (neither accepted nor revoked) and those closed since closedSince.
	Invitations(ctx context.Context, app string, closedSince time.Time) ([]Invitation, error)
	AddInvitation(ctx context.Context, inv Invitation) error
	Invitation(ctx context.Context, app, id string, lock bool) (Invitation, error)
	// InvitationByToken finds the invitation whose token has the hash,
	// whatever its state.
	InvitationByToken(ctx context.Context, tokenHash string) (Invitation, error)
	// UpdateInvitationByToken reads the invitation whose token has the
	// hash (whatever its state) under its row lock, lets update close it
	// (AcceptedBy and AcceptedAt, or RevokedBy and RevokedAt) and writes
	// that, in one transaction (InTx's, or its own); an error of update is
	// returned as it is and nothing is written. update must not call the
	// store.
	UpdateInvitationByToken(ctx context.Context, tokenHash string, update func(inv *Invitation) error) (Invitation, error)
	// OpenInvitation finds the app's invitation of email that is neither
	// accepted nor revoked (there is at most one; it may have expired).
	OpenInvitation(ctx context.Context, app, email string) (Invitation, error)
	RevokeInvitation(ctx context.Context, app, id, organizerID string, at time.Time) error
}

// EventStore holds an app's events.
type EventStore interface {
	CreateEvent(ctx context.Context, e Event) error
	Event(ctx context.Context, app, id string, lock bool) (Event, error)
	// EventFor is Event with whether member is registered to it.
	EventFor(ctx context.Context, app, id, member string) (Event, bool, error)
	// UpdateEvent reads the event under its row lock, lets update change
	// it and writes it; an error of update is returned as it is and
	// nothing is written. When the time zone changes, the event's
	// sessions keep their wall-clock times.
	UpdateEvent(ctx context.Context, app, id string, update func(e *Event) error) (Event, error)
	DeleteEvent(ctx context.Context, app, id string) error
	Events(ctx context.Context, app string) ([]Event, error)
	// TouchEvents bumps the app's event-list version (after an event
	// change, in the same transaction) and returns it.
	TouchEvents(ctx context.Context, app string) (int64, error)
}

// RegistrationStore holds the members' registrations to events.
type RegistrationStore interface {
	// Register registers members to event and returns those that were not
	// registered yet.
	Register(ctx context.Context, app, event string, members []string) ([]string, error)
	// Unregister returns the members that were registered.
	Unregister(ctx context.Context, app, event string, members []string) ([]string, error)
	RegisteredEvents(ctx context.Context, app, member string) (map[string]bool, error)
	// Registrations returns the events each of members is registered to
	// (members without any are absent).
	Registrations(ctx context.Context, app string, members []string) (map[string][]string, error)
	// TouchMembers gives members a new read-model version (taking their
	// row locks) after their registrations changed, and returns their
	// states with their registrations as they are now.
	TouchMembers(ctx context.Context, app string, members []string) ([]MemberState, error)
}

// MemberStore holds an app's members one at a time.
type MemberStore interface {
	CreateMember(ctx context.Context, m Member) (Member, error)
	Member(ctx context.Context, app, id string, lock bool) (Member, error)
	// MemberByEmail reads the member of an email under a share lock: a
	// sign-in waits for a change of that member to commit (after which an
	// email changed away finds nobody), so that it never issues a token
	// numbered after the change's revocation mark to the old address.
	// email is in normal form (NormalizeEmail) and compared exactly: a
	// member left with a dotted spelling by migration 13, beside the one
	// that has the address, is never found by it.
	MemberByEmail(ctx context.Context, app, email string) (Member, error)
	// UpdateMember reads the member under its row lock, lets update change
	// it and writes it with a new version; an error of update is returned
	// as it is and nothing is written.
	UpdateMember(ctx context.Context, app, id string, update func(m *Member) error) (Member, error)
	// DeleteMember erases a member: the row, registrations, sign-in codes;
	// speakers linked to them are unlinked.
	DeleteMember(ctx context.Context, app, id string) error
	SearchMembers(ctx context.Context, f MemberFilter) ([]MemberHit, error)
}

// MemberBulkStore writes members by the batch (bulk upserts).
type MemberBulkStore interface {
	// MemberKeys returns the members of app that have one of the external
	// ids or emails, locked until the transaction ends (the batch compares
	// and writes them as they are).
	MemberKeys(ctx context.Context, app string, externalIDs, emails []string) ([]MemberKey, error)
	// InsertMembers adds new members, with their ids and versions set.
	InsertMembers(ctx context.Context, ms []Member) error
	// UpdateMembers sets the members named by the rows' IDs to the rows'
	// values (merged with the stored ones when merge is set: empty fields
	// keep theirs) and returns the members that changed, as stored; with
	// dryRun it writes nothing and returns what they would become.
	UpdateMembers(ctx context.Context, app string, rows []Member, merge, dryRun bool) ([]Member, error)
	// RegisterMembers registers members to an event: created were created
	// in this transaction (no registration can exist), others may be
	// registered already. It returns the members newly registered.
	RegisterMembers(ctx context.Context, app, event string, created, others []string) ([]string, error)
}

// SignInCodeStore holds members' one-time sign-in codes.
type SignInCodeStore interface {
	AddCode(ctx context.Context, c SignInCode) error
	// CodesSince counts the codes sent to email since t and returns the
	// time of the latest. It first takes a transaction-scoped lock on (app,
	// email), so that concurrent requests for one email count one after
	// another and the rate limit holds.
	CodesSince(ctx context.Context, app, email string, t time.Time) (int, time.Time, error)
	// UpdateLiveCode reads the latest code of email unused and unexpired
	// at now under its row lock, lets update change its Attempts and Used
	// and writes them, in one transaction (InTx's, or its own); an error of
	// update is returned as it is and nothing is written. update must not
	// call the store.
	UpdateLiveCode(ctx context.Context, app, email string, now time.Time, update func(c *SignInCode) error) (SignInCode, error)
}

// PlaceStore holds the rooms and tracks of events.
type PlaceStore interface {
	SaveRoom(ctx context.Context, r Room, create bool) error
	Room(ctx context.Context, app, id string) (Room, error)
	DeleteRoom(ctx context.Context, app, id string) error
	Rooms(ctx context.Context, app, event string) ([]Room, error)
	SaveTrack(ctx context.Context, t Track, create bool) error
	Track(ctx context.Context, app, id string) (Track, error)
	DeleteTrack(ctx context.Context, app, id string) error
	Tracks(ctx context.Context, app, event string) ([]Track, error)
}

// SpeakerStore holds an app's speakers.
type SpeakerStore interface {
	SaveSpeaker(ctx context.Context, s Speaker, create bool) (Speaker, error)
	Speaker(ctx context.Context, app, id string) (Speaker, error)
	DeleteSpeaker(ctx context.Context, app, id string) error
	Speakers(ctx context.Context, app string, ids []string) ([]Speaker, error)
	// SpeakerEvents maps each speaker of app who has sessions to the
	// events of those sessions.
	SpeakerEvents(ctx context.Context, app string) (map[string][]string, error)
	UpsertSpeakers(ctx context.Context, app string, rows []Speaker) (BulkCounts, []RowError, error)
}

// SessionStore holds the sessions of events' agendas.
type SessionStore interface {
	SaveSession(ctx context.Context, s Session, create bool) error
	Session(ctx context.Context, app, id string) (Session, error)
	DeleteSession(ctx context.Context, app, id string) error
	// Sessions lists an event's sessions by start, optionally of one track
	// and starting in [from, to).
	Sessions(ctx context.Context, app, event, track string, from, to time.Time) ([]Session, error)
	UpsertSessions(ctx context.Context, app, event string, rows []BulkSession) (BulkCounts, []RowError, []Upserted[Session], error)
}

// TokenStore holds what decides whether a token is still good: the
// sequence of issued tokens and the revocation marks, and the audit log
// of wrong guesses.
type TokenStore interface {
	// NextTokenSeq takes the sequence number of a token about to be issued.
	NextTokenSeq(ctx context.Context) (int64, error)
	// RevokeOrganizerTokens refuses every token of the organizer issued so
	// far (in every app) and returns the mark.
	RevokeOrganizerTokens(ctx context.Context, id string) (int64, error)
	// RevokeTokens refuses the users' tokens of app issued so far and
	// returns their marks, one per distinct user, in no order.
	RevokeTokens(ctx context.Context, app string, users ...string) ([]Revocation, error)
	// Revocations lists the revocation marks of app's users (of every
	// app's when app is ""), organizers' own marks included.
	Revocations(ctx context.Context, app string) ([]Revocation, error)
	// RecordGuess adds a wrong guess to the audit log.
	RecordGuess(ctx context.Context, g Guess) error
}

// ReadModelSource is what the read model is rebuilt and repaired from.
type ReadModelSource interface {
	// ReadModelSnapshot reads everything of an app the read model holds,
	// consistently (inside InTx with repeatable read).
	ReadModelSnapshot(ctx context.Context, app string) (Snapshot, error)
	// Users returns which of ids are members or collaborators of app now.
	Users(ctx context.Context, app string, ids []string) ([]string, error)
	// AppIDs pages through every app id, after the given one.
	AppIDs(ctx context.Context, after string, limit int) ([]string, error)
	MarkRepair(ctx context.Context, app string) error
	// RepairQueue lists queued apps with when they were (last) queued.
	RepairQueue(ctx context.Context, limit int) ([]Repair, error)
	// ClearRepair dequeues app unless it was queued again after markedAt.
	ClearRepair(ctx context.Context, app string, markedAt time.Time) error
}

// EmailCollisionStore reads the email collisions migration 13 recorded
// (email_collisions), with their entries as they are now.
type EmailCollisionStore interface {
	// EmailCollisions returns up to f.Limit+1 collisions of f.App after
	// f.After, by (Table, Email, OtherID): the app's members, speakers and
	// invitations, and the organizers' (recorded under no app) of which
	// the kept or the other account is a collaborator of f.App now; an
	// organizer's name only where they are one. Entries are matched in
	// f.App only (an id of another app's entry is an entry gone).
	EmailCollisions(ctx context.Context, f CollisionFilter) ([]EmailCollision, error)
}

// Upkeep is the store's housekeeping.
type Upkeep interface {
	// Prune forgets the guesses and the revocations older than the times
	// given.
	Prune(ctx context.Context, guessesBefore, revocationsBefore time.Time) error
	// PruneInvitations forgets the sign-ups that expired before
	// signUpsBefore and the invitations closed (accepted, revoked, expired)
	// before invitationsBefore.
	PruneInvitations(ctx context.Context, signUpsBefore, invitationsBefore time.Time) error
	// Analyze refreshes the planner's statistics of the member tables
	// (after bulk loads, before autovacuum gets to it).
	Analyze(ctx context.Context) error
}

// Upserted is a row a bulk upsert created or changed.
type Upserted[T any] struct {
	Row     T // the row as stored
	Created bool
}

// MemberKey is what identifies a stored member in a bulk upsert.
type MemberKey struct {
	ID, Email, ExternalID string
}

// Repair is an app queued for a read-model repair.
type Repair struct {
	App      string
	MarkedAt time.Time
}

// MemberHit is a member in a directory page with its sort key.
type MemberHit struct {
	Member
	SortName string
}

// BulkSession is a session row of a bulk upsert: room and track by name,
// speakers by external id or email.
type BulkSession struct {
	Session
	RoomName  string
	TrackName string
	Speakers  []string
}

// Snapshot is an app's part of the read model as Postgres has it.
type Snapshot struct {
	App           App
	Found         bool // false when the app does not exist (any more)
	Collaborators []Collaborator
	Members       []MemberState
	Events        []Event
	EventsVersion int64
	Revocations   []Revocation
}

// Revocation is a user's revocation mark in an app: their tokens whose
// sequence number is at or below Seq are refused.
type Revocation struct {
	App, User string
	Seq       int64
}

// Guess is a wrong guess of a secret, for the audit log.
type Guess struct {
	At     time.Time
	Kind   string // GuessEventCode, GuessPasscode, GuessSignInCode, GuessPassword, GuessSignUpToken, GuessInvitation
	App    string
	Target string        // what was guessed: an event id, an app id, an email
	Actor  string        // who guessed: a member id, or the email given
	Addr   string        // the client's address
	Delay  time.Duration // the wait the failure imposed
}

// MemberState is what the read model keeps of a member. Its registrations
// go with the member's version: every change of them bumps the member's
// version (under the member's row lock) and reads them all again, so the
// newest write carries the newest set.
type MemberState struct {
	ID         string
	Role       string
	Blocked    bool
	TicketType string
	Version    int64
	Registered []string // event ids
}

// ReadModel writes hub's Redis read model. Every write carries the version
// of the row it mirrors and is ignored when Redis holds a newer one.
type ReadModel interface {
	PutApp(ctx context.Context, a App) error
	// DeleteApp leaves tombstones for the app and the given users.
	DeleteApp(ctx context.Context, app string, version int64, users []string) error
	PutMembers(ctx context.Context, app string, ms []MemberState) error
	PutCollaborator(ctx context.Context, c Collaborator) error
	DeleteMembership(ctx context.Context, app, user string, version int64) error
	PutEvents(ctx context.Context, app string, version int64, evs []Event) error
	// PutRevocations writes revocation marks; a mark never goes down.
	PutRevocations(ctx context.Context, rs []Revocation) error
	// Sync writes an app's snapshot (versioned).
	Sync(ctx context.Context, s Snapshot) error
	// Users lists the users that have a membership key in app (tombstones
	// excluded).
	Users(ctx context.Context, app string) ([]string, error)
	// MarkReady records that the read model is complete; Ready reports it.
	MarkReady(ctx context.Context) error
	Ready(ctx context.Context) (bool, error)
	// LockRebuild takes the rebuild lock for ttl; false when another
	// replica holds it. UnlockRebuild releases it.
	LockRebuild(ctx context.Context, ttl time.Duration) (bool, error)
	UnlockRebuild(ctx context.Context) error
}

// Throttle keeps the counters that slow guessers down and bound how often
// mail may be asked for (a throttle is no decision a person made: Redis
// holds it, and losing it only forgives). Times are the service's clock.
type Throttle interface {
	// Wait is how long the longest-waiting of keys must still wait before
	// it may guess again (0: none).
	Wait(ctx context.Context, now time.Time, keys []GuessKey) (time.Duration, error)
	// Fail counts a wrong guess on every key and returns the longest wait
	// it imposes.
	Fail(ctx context.Context, now time.Time, keys []GuessKey) (time.Duration, error)
	// Succeed forgets the wrong guesses of keys.
	Succeed(ctx context.Context, keys []GuessKey) error
	// Take counts one use of each quota in order and stops at the first
	// that is spent: it returns how long until that one has room (0: every
	// use counted and allowed).
	Take(ctx context.Context, now time.Time, quotas []Quota) (time.Duration, error)
	// LockedOut is how long the lock-out of key still lasts (0: not
	// locked).
	LockedOut(ctx context.Context, now time.Time, key string) (time.Duration, error)
	// FailLockOut counts a wrong try on lo at once, as one step: a key
	// still locked is not counted (counted false; wait is what is left of
	// the lock); otherwise the try that reaches lo.Max locks the key for
	// lo.For and starts its count again (wait lo.For), and the tries before
	// it wait 0.
	FailLockOut(ctx context.Context, now time.Time, lo LockOut) (wait time.Duration, counted bool, err error)
}

// LockOut is a count of wrong tries in a row that locks Key for For at
// the Max-th and starts again from 0 there, forgotten Forget (longer than
// For) after its last wrong try: the lock-out of an organizer account,
// kept for emails that have none (LogIn).
type LockOut struct {
	Key    string
	Max    int
	For    time.Duration
	Forget time.Duration
}

// GuessKey is one counter of wrong guesses (of a member, an address, a
// target) and how it slows down: Free wrong guesses, then a wait of Base
// doubling with each further one, at most Max; forgotten after Forget
// without a wrong guess.
type GuessKey struct {
	Key    string
	Free   int
	Base   time.Duration
	Max    time.Duration
	Forget time.Duration
}

// Quota is at most Limit uses of Key in each Window (fixed windows).
type Quota struct {
	Key    string
	Limit  int
	Window time.Duration
}

// TokenIssuer signs tokens: *auth.Issuer.
type TokenIssuer interface {
	Issue(c auth.Claims, ttl time.Duration) (string, error)
}
