package auth

import (
	"context"
	"log/slog"

	"github.com/attendify/platform/errs"
)

// The roles a user token carries. An attendee token is scoped to one app;
// the organizer roles are hub's collaborator roles on one app; RoleOrganizer
// is an organizer's account token that is not scoped to any app.
const (
	RoleAttendee     = "attendee"
	RoleCollaborator = "collaborator"
	RoleModerator    = "moderator"
	RoleAdmin        = "admin"
	RoleOwner        = "owner"
	RoleOrganizer    = "organizer"
)

// IsOrganizerRole reports whether role is one of an organizer's roles
// (collaborator, moderator, admin, owner, or the app-less organizer role).
func IsOrganizerRole(role string) bool {
	switch role {
	case RoleCollaborator, RoleModerator, RoleAdmin, RoleOwner, RoleOrganizer:
		return true
	}
	return false
}

// CallerKind says how a caller authenticated.
type CallerKind uint8

// The caller kinds. The zero value is an anonymous caller.
const (
	CallerAnonymous CallerKind = iota // no credentials
	CallerUser                        // a user token
	CallerService                     // a signed service call
)

// String is the kind's name for logs.
func (k CallerKind) String() string {
	switch k {
	case CallerUser:
		return "user"
	case CallerService:
		return "service"
	}
	return "anonymous"
}

// Caller is the authenticated identity of a request. A service call may
// also carry the user token of the user it acts for; then Kind is
// CallerService and User, App and Role describe that user.
type Caller struct {
	Kind    CallerKind
	User    string // the user id (token subject)
	App     string // the app the user token is scoped to; empty for an organizer account token
	Role    string // RoleAttendee, an organizer role, or RoleOrganizer
	Service string // the calling service's name, for service calls
	KeyID   string // the key that authenticated the call: the service key id, else the token's kid
	Token   string // the raw user token, forwarded on outgoing calls; never logged
	// TokenSeq is the user token's issue sequence number (Claims.Seq), which
	// hub's revocation check compares with the user's revocation mark.
	TokenSeq int64
	// Addr is the client's IP address: the connection's peer, or the
	// address a trusted proxy reports (Authenticator.TrustedProxies). For
	// rate limits and audit logs; empty when unknown.
	Addr string
	// OpenedSession is the id of the service session this call was just
	// granted (it asked with X-Service-Session: open), which the server
	// sends back in X-Service-Session; empty otherwise.
	OpenedSession string
}

// Anonymous reports whether the caller presented no credentials.
func (c Caller) Anonymous() bool { return c.Kind == CallerAnonymous }

// LogValue renders the caller for slog without the token.
func (c Caller) LogValue() slog.Value {
	attrs := []slog.Attr{slog.String("kind", c.Kind.String())}
	if c.Service != "" {
		attrs = append(attrs, slog.String("service", c.Service))
	}
	if c.User != "" {
		attrs = append(attrs, slog.String("user", c.User), slog.String("app", c.App), slog.String("role", c.Role))
	}
	return slog.GroupValue(attrs...)
}

// Allows reports whether the caller may call a method of the given level
// addressing app (empty when the method is not app-scoped). It is the coarse
// check the rpc layer runs before a handler:
//
//	Public   everyone
//	User     a user token (or a service call carrying one)
//	Member   a user token of app (any role), or a service
//	Admin    a user token of app with an organizer role, or a service
//	Service  a service call
//
// The error is CodeUnauthenticated without credentials (NoCredentials),
// CodeTokenWrongApp for a token not scoped to app (ScopedTo), and
// CodeForbidden otherwise.
func (c Caller) Allows(level Level, app string) error {
	if level == Public {
		return nil
	}
	if c.Kind == CallerAnonymous {
		return NoCredentials()
	}
	switch level {
	case User:
		if c.User != "" {
			return nil
		}
		return errs.WithCode(errs.CodeForbidden, "this method needs a user token")
	case Member, Admin:
		if c.Kind == CallerService {
			return nil
		}
		if app == "" {
			return errs.New(errs.Invalid, "this method needs an app")
		}
		if err := c.ScopedTo(app); err != nil {
			return err
		}
		if level == Admin && !IsOrganizerRole(c.Role) {
			return errs.WithCode(errs.CodeForbidden, "this method is for the app's organizers")
		}
		return nil
	case Service:
		if c.Kind == CallerService {
			return nil
		}
		return errs.WithCode(errs.CodeForbidden, "this method is for services only")
	}
	return errs.WithCode(errs.CodeForbidden, "unknown auth level %s", level)
}

// NoCredentials is the error of a call that needs a user token and came
// without one (CodeUnauthenticated); its message names the header that
// carries the token.
func NoCredentials() error {
	return errs.WithCode(errs.CodeUnauthenticated,
		"no credentials: send a user token in the header Authorization: Bearer <token>")
}

// ScopedTo returns nil when c's user token is scoped to app, and otherwise
// a CodeTokenWrongApp error that says which token the call needs and how
// to get one: an organizer's account token (not scoped to any app) is
// exchanged for an app token with hub's auth.appToken; a member token of
// another app is no use, the member signs in to app.
func (c Caller) ScopedTo(app string) error {
	switch {
	case c.App == app:
		return nil
	case c.App == "" && c.Role == RoleOrganizer:
		return errs.WithCode(errs.CodeTokenWrongApp,
			"this is an organizer's account token, which no app method accepts: the call needs an app token of app %s; "+
				`get one with hub's auth.appToken {"app_id": %q}, called with the account token`, app, app)
	case IsOrganizerRole(c.Role):
		return errs.WithCode(errs.CodeTokenWrongApp,
			`the token is an app token of app %s, not of app %s: get one for %s with hub's auth.appToken {"app_id": %q}, called with the account token`,
			c.App, app, app, app)
	}
	return errs.WithCode(errs.CodeTokenWrongApp,
		"the token is a member token of app %s, not of app %s: sign in to %s (hub's auth.requestCode, then auth.verifyCode)",
		c.App, app, app)
}

type callerKey struct{}

// WithCaller returns a context carrying c.
func WithCaller(ctx context.Context, c Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// WithCallerRef is WithCaller without a copy of the caller into the
// context: *c must not change while ctx is in use (the rpc server's caller
// of one exchange, set once before its calls run).
func WithCallerRef(ctx context.Context, c *Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// CallerFrom returns the caller in ctx, or an anonymous caller.
func CallerFrom(ctx context.Context) Caller {
	switch c := ctx.Value(callerKey{}).(type) {
	case Caller:
		return c
	case *Caller:
		return *c
	}
	return Caller{}
}
