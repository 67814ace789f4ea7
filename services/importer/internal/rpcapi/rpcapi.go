// Package rpcapi exposes the importer: the JSON-RPC methods of the
// contract and the HTTP routes for files (the streaming upload, the error
// report, the template).
package rpcapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/attendify/hub"
	"github.com/attendify/importer"
	"github.com/attendify/importer/internal/mapping"
	"github.com/attendify/importer/internal/report"
	"github.com/attendify/importer/internal/service"
	"github.com/attendify/importer/internal/validate"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/rpc"
)

// Authorizer finds a caller's current standing in an app (hub's read
// model); nil trusts the token's claims alone.
type Authorizer interface {
	Authorize(ctx context.Context, c auth.Caller, app string) (hub.Membership, error)
}

// API binds the service to the transport.
type API struct {
	svc    *service.Service
	authz  Authorizer
	tokens *auth.Verifier
	log    *slog.Logger
	// MaxUploadBytes bounds an upload's body (the file plus multipart
	// framing).
	MaxUploadBytes int64
}

// New returns the API.
func New(svc *service.Service, tokens *auth.Verifier, authz Authorizer, maxUpload int64, log *slog.Logger) *API {
	return &API{svc: svc, tokens: tokens, authz: authz, MaxUploadBytes: maxUpload, log: log}
}

// Register registers the JSON-RPC methods.
func (a *API) Register(s *rpc.Server) {
	rpc.Handle(s, importer.GetImport, a.get)
	rpc.Handle(s, importer.ListImports, a.list)
	rpc.Handle(s, importer.ConfigureImport, a.configure)
	rpc.Handle(s, importer.PreviewImport, a.preview)
	rpc.Handle(s, importer.CommitImport, a.commit)
	rpc.Handle(s, importer.CancelImport, a.cancel)
}

// role is the finer check after the rpc layer's: the caller's column in
// hub's permission matrix. It is hub.RoleService for a service, else the
// collaborator role the user holds in the app now, as hub's read model has
// it (the token's claims without one); users who are not organizers of the
// app are refused.
func (a *API) role(ctx context.Context, app string) (string, error) {
	c := auth.CallerFrom(ctx)
	if c.Kind == auth.CallerService && c.User == "" {
		return hub.RoleService, nil
	}
	tokenRole := c.Role
	if a.authz != nil {
		m, err := a.authz.Authorize(ctx, c, app)
		if err != nil {
			return "", err
		}
		tokenRole = m.Role
	}
	if r := hub.CollaboratorRole(tokenRole); r != "" {
		return r, nil
	}
	return "", errs.WithCode(errs.CodeForbidden, "imports are for the app's organizers")
}

// check is role for the methods that read or cancel: any organizer.
func (a *API) check(ctx context.Context, app string) error {
	_, err := a.role(ctx, app)
	return err
}

func (a *API) get(ctx context.Context, p importer.ImportParams) (importer.Import, error) {
	if err := a.check(ctx, p.App); err != nil {
		return importer.Import{}, err
	}
	imp, err := a.svc.Get(ctx, service.ImportRef{App: p.App, ID: p.Import})
	if err != nil {
		return importer.Import{}, err
	}
	return toImport(imp), nil
}

func (a *API) list(ctx context.Context, p importer.ListParams) (importer.ImportList, error) {
	if err := a.check(ctx, p.App); err != nil {
		return importer.ImportList{}, err
	}
	imps, err := a.svc.List(ctx, p.App, service.Page{Limit: p.Limit, Before: p.Before})
	if err != nil {
		return importer.ImportList{}, err
	}
	out := importer.ImportList{Imports: make([]importer.Import, len(imps))}
	for i, imp := range imps {
		out.Imports[i] = toImport(imp)
	}
	return out, nil
}

func (a *API) configure(ctx context.Context, p importer.ConfigureParams) (importer.Import, error) {
	role, err := a.role(ctx, p.App)
	if err != nil {
		return importer.Import{}, err
	}
	imp, err := a.svc.Configure(ctx, service.ImportRef{App: p.App, ID: p.Import}, role, fromOptions(p.Options), p.EventID)
	if err != nil {
		return importer.Import{}, err
	}
	return toImport(imp), nil
}

func (a *API) preview(ctx context.Context, p importer.PreviewParams) (importer.Preview, error) {
	if err := a.check(ctx, p.App); err != nil {
		return importer.Preview{}, err
	}
	pv, err := a.svc.Preview(ctx, service.ImportRef{App: p.App, ID: p.Import}, p.Rows)
	if err != nil {
		return importer.Preview{}, err
	}
	out := importer.Preview{Import: toImport(pv.Import), Rows: make([]importer.PreviewRow, len(pv.First))}
	for i, r := range pv.First {
		out.Rows[i] = toPreviewRow(r)
	}
	return out, nil
}

func (a *API) commit(ctx context.Context, p importer.ImportParams) (importer.Import, error) {
	role, err := a.role(ctx, p.App)
	if err != nil {
		return importer.Import{}, err
	}
	imp, err := a.svc.Commit(ctx, service.ImportRef{App: p.App, ID: p.Import}, role)
	if err != nil {
		return importer.Import{}, err
	}
	return toImport(imp), nil
}

func (a *API) cancel(ctx context.Context, p importer.ImportParams) (importer.Import, error) {
	if err := a.check(ctx, p.App); err != nil {
		return importer.Import{}, err
	}
	imp, err := a.svc.Cancel(ctx, service.ImportRef{App: p.App, ID: p.Import})
	if err != nil {
		return importer.Import{}, err
	}
	return toImport(imp), nil
}

// Routes registers the HTTP routes.
func (a *API) Routes(mux chi.Router) {
	mux.Post("/imports", a.upload)
	mux.Get("/imports/template.xlsx", a.template)
	mux.Get("/imports/{id}/report.xlsx", a.report)
}

// authenticate checks an HTTP request's organizer token for app and
// returns the caller with their role (see role).
func (a *API) authenticate(r *http.Request, app string) (auth.Caller, string, error) {
	ctx, c, err := a.tokens.RouteCaller(r)
	if err != nil {
		return auth.Caller{}, "", err
	}
	if app == "" {
		return auth.Caller{}, "", errs.InvalidFields("app_id is required", errs.FieldError{Field: "/app_id", Message: "required"})
	}
	if err := c.Allows(auth.Admin, app); err != nil {
		return auth.Caller{}, "", err
	}
	role, err := a.role(ctx, app)
	if err != nil {
		return auth.Caller{}, "", err
	}
	return c, role, nil
}

func (a *API) upload(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	app := q.Get("app_id")
	c, role, err := a.authenticate(r, app)
	if err != nil {
		rpc.WriteHTTPError(w, r, a.log, err)
		return
	}
	keep, _ := strconv.ParseBool(q.Get("keep_unknown"))
	in := service.UploadInput{AppID: app, EventID: q.Get("event_id"), CreatedBy: c.User, Role: role, FileName: q.Get("name"),
		Options: service.Options{Mode: service.Mode(q.Get("mode")), DateOrder: validate.DateOrder(strings.ToUpper(q.Get("date_order"))),
			Kind: mapping.Kind(q.Get("kind")), KeepUnknown: keep}}
	if in.FileName == "" {
		in.FileName = r.Header.Get("X-File-Name")
	}
	in.Size = max(r.ContentLength, 0) // the reservation in the app's quota (multipart: a little more than the file)
	body := http.MaxBytesReader(w, r.Body, a.MaxUploadBytes)
	var file io.Reader = body
	if mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "multipart/form-data" {
		mr, err := multipartReader(body, params["boundary"])
		if err != nil {
			rpc.WriteHTTPError(w, r, a.log, err)
			return
		}
		part, name, err := filePart(mr)
		if err != nil {
			rpc.WriteHTTPError(w, r, a.log, err)
			return
		}
		file = part
		if name != "" {
			in.FileName = name
		}
	}
	in.FileName = path.Base(strings.ReplaceAll(in.FileName, "\\", "/"))
	if in.FileName == "" || in.FileName == "." || in.FileName == "/" {
		in.FileName = "upload"
	}
	imp, err := a.svc.Upload(r.Context(), in, file)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			err = &errs.Error{Code: errs.CodeInvalid, Msg: "file too large", Err: mbe,
				Fields: []errs.FieldError{{Field: "/file", Message: "the file is larger than the upload limit"}}}
		}
		rpc.WriteHTTPError(w, r, a.log, err)
		return
	}
	writeJSON(w, http.StatusAccepted, toImport(imp))
}

func (a *API) report(w http.ResponseWriter, r *http.Request) {
	app := r.URL.Query().Get("app_id")
	if _, _, err := a.authenticate(r, app); err != nil {
		rpc.WriteHTTPError(w, r, a.log, err)
		return
	}
	ref := service.ImportRef{App: app, ID: r.PathValue("id")}
	// Build the report in a buffer-free way: straight to the response,
	// after the checks that can fail cleanly.
	imp, err := a.svc.Get(r.Context(), ref)
	if err != nil {
		rpc.WriteHTTPError(w, r, a.log, err)
		return
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", `attachment; filename="`+reportName(imp.FileName)+`"`)
	cw := &countingWriter{w: w}
	if err := a.svc.Report(r.Context(), ref, cw); err != nil {
		if cw.n == 0 {
			w.Header().Del("Content-Disposition")
			rpc.WriteHTTPError(w, r, a.log, err)
		}
		return
	}
}

func reportName(file string) string {
	base := strings.TrimSuffix(file, path.Ext(file))
	base = strings.Map(func(r rune) rune {
		if r == '"' || r < 0x20 || r > 0x7e {
			return '_'
		}
		return r
	}, base)
	return base + "-report.xlsx"
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

func (a *API) template(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", `attachment; filename="attendify-import-template.xlsx"`)
	_ = report.Template(w)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
