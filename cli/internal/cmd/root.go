// Package cmd is the attendify command line: its commands (cobra), how
// they sign in, call the services and print, and its exit codes.
package cmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/attendify/cli/internal/config"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/rpc"
)

// Exit codes (the README lists them).
const (
	ExitOK          = 0 // done
	ExitFailure     = 1 // anything else: the network, a service's internal error
	ExitUsage       = 2 // bad flags or arguments, params the method's schema refuses (nothing was sent)
	ExitAuth        = 3 // not signed in, or the token expired or was revoked: attendify login
	ExitRefused     = 4 // the service refused: not found, forbidden (read-only run-as included), conflict, invalid
	ExitUnavailable = 5 // unavailable, overloaded, rate limited or out of time: try again later
	ExitRejected    = 6 // import: committed, but some rows were rejected (see the error workbook)
	ExitDeclined    = 7 // import: not committed (declined at the confirmation, or the file failed analysis)
)

// exitError carries the exit code of a failure.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func withCode(code int, err error) error { return &exitError{code: code, err: err} }

func usagef(format string, args ...any) error {
	return withCode(ExitUsage, fmt.Errorf(format, args...))
}

// ExitCode is the exit code of err.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	e, ok := errs.As(err)
	if !ok {
		return ExitFailure
	}
	switch e.Code {
	case errs.CodeUnauthenticated, errs.CodeTokenExpired, errs.CodeTokenInvalid, errs.CodeTokenWrongApp:
		return ExitAuth
	case errs.CodeInvalid, errs.CodeNotFound, errs.CodeConflict, errs.CodeForbidden:
		return ExitRefused
	case errs.CodeUnavailable, errs.CodeOverloaded, errs.CodeRateLimited, errs.CodeDeadlineExceeded, errs.CodeInsufficientBudget:
		return ExitUnavailable
	}
	return ExitFailure
}

// CLI is one run of the command line.
type CLI struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Now is the clock (tests fix it for golden files).
	Now func() time.Time

	profile string // --profile
	json    bool   // --json
	cfg     *config.File
	hc      *http.Client
}

// Run runs the command line with args (without the program's name) and
// returns its exit code.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := &CLI{Stdin: stdin, Stdout: stdout, Stderr: stderr, Now: time.Now, hc: &http.Client{}}
	root := c.Root()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err != nil {
		c.printError(err)
	}
	return ExitCode(err)
}

// Root is the root command.
func (c *CLI) Root() *cobra.Command {
	root := &cobra.Command{
		Use:   "attendify",
		Short: "Organize Attendify apps and call the services from a terminal",
		Long: "attendify signs in to an environment (a profile: local, qa, prod), runs organizers' common tasks,\n" +
			"calls any method of any service with its params checked against the method's schema, imports\n" +
			"spreadsheets, follows an event wall, and runs a local build of a service against another environment.",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVarP(&c.profile, "profile", "p", "", "the profile to use (default: the current one, see attendify use)")
	root.PersistentFlags().BoolVar(&c.json, "json", false, "print JSON for scripts instead of tables")
	_ = root.RegisterFlagCompletionFunc("profile", c.completeProfiles)
	root.AddCommand(c.loginCmd(), c.logoutCmd(), c.useCmd(), c.profileCmd(), c.callCmd(), c.methodsCmd(),
		c.appsCmd(), c.eventsCmd(), c.membersCmd(), c.importCmd(), c.wallCmd(), c.runAsCmd())
	return root
}

func (c *CLI) printError(err error) {
	if e, ok := errs.As(err); ok && e.Code != 0 {
		// The whole message: what was being done, and the cause (a refused
		// connection, a name that does not resolve, a certificate).
		fmt.Fprintf(c.Stderr, "error: %s (%d): %s\n", e.Code.Name(), int(e.Code), err.Error())
		for _, f := range e.Fields {
			fmt.Fprintf(c.Stderr, "  %s: %s\n", f.Field, f.Message)
		}
		if ExitCode(err) == ExitAuth {
			fmt.Fprintln(c.Stderr, "sign in again: attendify login")
		}
		return
	}
	fmt.Fprintln(c.Stderr, "error:", err)
}

// load reads the configuration once.
func (c *CLI) load() (*config.File, error) {
	if c.cfg != nil {
		return c.cfg, nil
	}
	f, err := config.Load()
	if err != nil {
		return nil, err
	}
	c.cfg = f
	return f, nil
}

// current returns the profile the command works on.
func (c *CLI) current() (string, *config.Profile, error) {
	f, err := c.load()
	if err != nil {
		return "", nil, err
	}
	name, p, err := f.Profile(c.profile)
	if err != nil {
		return "", nil, withCode(ExitUsage, err)
	}
	return name, p, nil
}

// client returns a JSON-RPC client of service in the current profile.
func (c *CLI) client(service string) (*rpc.Client, error) {
	_, p, err := c.current()
	if err != nil {
		return nil, err
	}
	u, err := p.URL(service)
	if err != nil {
		return nil, withCode(ExitUsage, err)
	}
	return rpc.NewClient(rpc.ClientOptions{Endpoints: []string{u}, HTTPClient: c.hc})
}

// as returns ctx carrying token as the caller's.
func as(ctx context.Context, token string) context.Context {
	if token == "" {
		return ctx
	}
	return auth.WithCaller(ctx, auth.Caller{Kind: auth.CallerUser, Token: token})
}

var errNotSignedIn = withCode(ExitAuth, errors.New("not signed in to this profile: attendify login"))

// token returns the token a call of a method at level (x-auth) needs, for
// app when the method is addressed to one: the account token for user
// methods; for member and admin methods the member token of that app, or
// an app token exchanged from the account token (kept until it expires).
func (c *CLI) token(ctx context.Context, level, app string) (string, error) {
	_, p, err := c.current()
	if err != nil {
		return "", err
	}
	now := c.Now()
	switch level {
	case "public":
		return "", nil
	case "service":
		return "", usagef("service-level methods are called by services (HMAC-signed), not by people")
	case "user":
		if p.Account.Valid(now) {
			return p.Account.Token, nil
		}
		if p.Member.Valid(now) {
			return p.Member.Token, nil
		}
		return "", errNotSignedIn
	}
	if app == "" {
		return "", usagef("this method is addressed to an app: give app_id")
	}
	if p.Member.Valid(now) && p.MemberApp == app {
		return p.Member.Token, nil
	}
	if t, ok := p.AppTokens[app]; ok && t.Valid(now) {
		return t.Token, nil
	}
	if !p.Account.Valid(now) {
		return "", errNotSignedIn
	}
	hc, err := c.client("hub")
	if err != nil {
		return "", err
	}
	var at struct {
		Token     string    `json:"token"`
		ExpiresAt time.Time `json:"expires_at"`
	}
	if err := hc.Call(as(ctx, p.Account.Token), "auth.appToken", false, map[string]string{"app_id": app}, &at); err != nil {
		return "", fmt.Errorf("an app token for %s: %w", app, err)
	}
	if p.AppTokens == nil {
		p.AppTokens = map[string]config.Token{}
	}
	p.AppTokens[app] = config.Token{Token: at.Token, ExpiresAt: at.ExpiresAt}
	return at.Token, c.cfg.Save()
}

// printJSON prints v as indented JSON.
func (c *CLI) printJSON(v any) error {
	enc := json.NewEncoder(c.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// table prints rows under header, in aligned columns.
func (c *CLI) table(header []string, rows [][]string) {
	tw := tabwriter.NewWriter(c.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	_ = tw.Flush()
}

// isTerminal reports whether f is a terminal.
func isTerminal(f any) bool {
	file, ok := f.(*os.File)
	if !ok {
		return false
	}
	st, err := file.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
