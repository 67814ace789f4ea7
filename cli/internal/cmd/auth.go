package cmd

import (
	"bufio"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/attendify/cli/internal/config"
	"github.com/attendify/hub"
)

// readLine reads one line of the standard input (a password or a code).
// On a terminal it prompts and, for secrets, does not echo.
func (c *CLI) readLine(prompt string, secret bool) (string, error) {
	if f, ok := c.Stdin.(*os.File); ok && isTerminal(f) {
		fmt.Fprint(c.Stderr, prompt)
		if secret {
			b, err := term.ReadPassword(int(f.Fd()))
			fmt.Fprintln(c.Stderr)
			return strings.TrimSpace(string(b)), err
		}
	}
	line, err := bufio.NewReader(c.Stdin).ReadString('\n')
	if err != nil && line == "" {
		return "", usagef("%sno answer on the standard input", prompt)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func (c *CLI) loginCmd() *cobra.Command {
	var email, app string
	var code bool
	cmd := &cobra.Command{
		Use:   "login",
		Short: "Sign in to the current profile: an organizer with e-mail and password, or a member with a sign-in code",
		Long: "Organizers sign in with their e-mail and password (hub's auth.logIn); the password is read from the\n" +
			"terminal without echo, or as one line of the standard input. Members sign in to one app with --code:\n" +
			"hub mails a six-digit code (auth.requestCode), which you type (auth.verifyCode). The token is kept\n" +
			"in the profile (config file mode 0600).",
		Example: "  attendify login --email demo@attendify.dev\n" +
			"  echo \"$PASSWORD\" | attendify login --email demo@attendify.dev\n" +
			"  attendify login --code --app app_123 --email ada@example.com",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			name, p, err := c.current()
			if err != nil {
				return err
			}
			if email == "" {
				return usagef("--email is required")
			}
			hc, err := c.client("hub")
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			if code {
				if app == "" {
					return usagef("--code needs --app: a sign-in code is for one app")
				}
				if _, err := hub.RequestCode.Call(ctx, hc, hub.RequestCodeParams{App: app, Email: email}); err != nil {
					return err
				}
				fmt.Fprintf(c.Stderr, "A sign-in code was sent to %s.\n", email)
				typed, err := c.readLine("Code: ", false)
				if err != nil {
					return err
				}
				s, err := hub.VerifyCode.Call(ctx, hc, hub.VerifyCodeParams{App: app, Email: email, Code: strings.TrimSpace(typed)})
				if err != nil {
					return err
				}
				p.SignOut()
				p.Email, p.MemberApp = email, app
				p.Member = config.Token{Token: s.Token, ExpiresAt: s.ExpiresAt}
			} else {
				pw, err := c.readLine("Password for "+email+": ", true)
				if err != nil {
					return err
				}
				s, err := hub.LogIn.Call(ctx, hc, hub.LogInParams{Email: email, Password: pw})
				if err != nil {
					return err
				}
				p.SignOut()
				p.Email = email
				p.Account = config.Token{Token: s.Token, ExpiresAt: s.ExpiresAt}
			}
			if err := c.cfg.Save(); err != nil {
				return err
			}
			fmt.Fprintf(c.Stdout, "Signed in to %s as %s.\n", name, email)
			return nil
		},
	}
	cmd.Flags().StringVar(&email, "email", "", "the organizer's or member's e-mail")
	cmd.Flags().BoolVar(&code, "code", false, "sign in as a member of --app with an e-mailed code")
	cmd.Flags().StringVar(&app, "app", "", "the app a member signs in to (with --code)")
	return cmd
}

func (c *CLI) logoutCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "logout",
		Short: "Forget the tokens of the current profile",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			name, p, err := c.current()
			if err != nil {
				return err
			}
			p.SignOut()
			if err := c.cfg.Save(); err != nil {
				return err
			}
			fmt.Fprintf(c.Stdout, "Signed out of %s.\n", name)
			return nil
		},
	}
}

func (c *CLI) useCmd() *cobra.Command {
	return &cobra.Command{
		Use:               "use PROFILE",
		Short:             "Make a profile the current one",
		Example:           "  attendify use qa",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: c.completeProfiles,
		RunE: func(_ *cobra.Command, args []string) error {
			f, err := c.load()
			if err != nil {
				return err
			}
			if _, _, err := f.Profile(args[0]); err != nil {
				return withCode(ExitUsage, err)
			}
			f.Current = args[0]
			if err := f.Save(); err != nil {
				return err
			}
			fmt.Fprintf(c.Stdout, "Using %s.\n", args[0])
			return nil
		},
	}
}

func (c *CLI) completeProfiles(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	f, err := c.load()
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return f.Names(), cobra.ShellCompDirectiveNoFileComp
}

func (c *CLI) profileCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "profile",
		Short: "List and set profiles (environments)",
	}
	list := &cobra.Command{
		Use:   "list",
		Short: "The profiles, their hub URL and who is signed in",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			f, err := c.load()
			if err != nil {
				return err
			}
			if c.json {
				type entry struct {
					Name       string            `json:"name"`
					Current    bool              `json:"current"`
					URLs       map[string]string `json:"urls"`
					Production bool              `json:"production"`
					EnvFile    string            `json:"env_file,omitempty"`
					Email      string            `json:"email,omitempty"`
				}
				var out []entry
				for _, n := range f.Names() {
					p := f.Profiles[n]
					out = append(out, entry{n, n == f.Current, p.URLs, p.Production, p.EnvFile, p.Email})
				}
				return c.printJSON(out)
			}
			var rows [][]string
			for _, n := range f.Names() {
				p := f.Profiles[n]
				cur := ""
				if n == f.Current {
					cur = "*"
				}
				prod := ""
				if p.Production {
					prod = "production"
				}
				rows = append(rows, []string{cur, n, p.URLs["hub"], prod, p.Email})
			}
			c.table([]string{"", "PROFILE", "HUB", "KIND", "SIGNED IN"}, rows)
			return nil
		},
	}
	var urls []string
	var basePort int
	var production bool
	var envFile string
	set := &cobra.Command{
		Use:   "set NAME",
		Short: "Create or change a profile: its services' URLs, whether it is production, run-as's env file",
		Example: "  attendify profile set qa --base-port 9081 --env-file ~/.config/attendify/qa.env\n" +
			"  attendify profile set prod --url hub=https://hub.example.com --url importer=https://importer.example.com --production",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := c.load()
			if err != nil {
				return err
			}
			p := f.Profiles[args[0]]
			if p == nil {
				p = &config.Profile{URLs: map[string]string{}}
				f.Profiles[args[0]] = p
			}
			before := map[string]string{}
			for svc, u := range p.URLs {
				before[svc] = config.Origin(u)
			}
			if basePort > 0 {
				p.URLs = config.LocalURLs(basePort)
			}
			for _, u := range urls {
				svc, url, ok := strings.Cut(u, "=")
				if !ok || !validBaseURL(url) {
					return usagef("--url %q is not service=http(s)://host[:port]", u)
				}
				p.URLs[svc] = url
			}
			// The tokens were given for the addresses the profile had: they
			// are not sent to another one, which might not be the service.
			moved := false
			for svc, u := range p.URLs {
				if was, ok := before[svc]; ok && was != config.Origin(u) {
					moved = true
				}
			}
			signedOut := moved && p.SignedIn()
			if signedOut {
				p.SignOut()
			}
			if cmd.Flags().Changed("production") {
				p.Production = production
			}
			if envFile != "" {
				p.EnvFile = envFile
			}
			if err := f.Save(); err != nil {
				return err
			}
			fmt.Fprintf(c.Stdout, "Profile %s saved.\n", args[0])
			if signedOut {
				fmt.Fprintf(c.Stderr, "Its services' addresses changed, so its tokens were forgotten: attendify --profile %s login\n", args[0])
			}
			return nil
		},
	}
	set.Flags().StringArrayVar(&urls, "url", nil, "a service's base URL, service=URL (repeatable)")
	set.Flags().IntVar(&basePort, "base-port", 0, "a local stack whose hub listens on this port and the others on the next ones (make run STACK_FLAGS=\"-port N\")")
	set.Flags().BoolVar(&production, "production", false, "mark the profile as production: run-as is read-only there unless --read-only=false")
	set.Flags().StringVar(&envFile, "env-file", "", "the file of KEY=value lines run-as gives a service (store URLs, keys)")
	cmd.AddCommand(list, set)
	return cmd
}

// itoa is strconv.Itoa, for table cells.
func itoa(n int) string { return strconv.Itoa(n) }

// validBaseURL reports whether u is an http(s) URL with a host.
func validBaseURL(u string) bool {
	p, err := url.Parse(u)
	return err == nil && (p.Scheme == "http" || p.Scheme == "https") && p.Host != ""
}
