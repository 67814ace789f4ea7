// Package web serves sponsored's plain HTTP routes: the signed click
// redirect, the sponsor's report page with its CSV and XLSX exports, and
// the organizers' lead export.
package web

import (
	"bytes"
	"log/slog"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/rpc"
	"github.com/attendify/sponsored"
	"github.com/attendify/sponsored/internal/service"
)

// Handler serves the routes.
type Handler struct {
	svc    *service.Service
	tokens *auth.Verifier
	log    *slog.Logger
}

// New returns a Handler; tokens verifies organizers' tokens.
func New(svc *service.Service, tokens *auth.Verifier, log *slog.Logger) *Handler {
	return &Handler{svc: svc, tokens: tokens, log: log}
}

// Routes registers the routes on mux.
func (h *Handler) Routes(mux chi.Router) {
	mux.HandleFunc("GET "+sponsored.ClickPath+"{token}", h.click)
	mux.HandleFunc("GET "+sponsored.ReportPath+"{token}", h.report)
	mux.HandleFunc("GET /apps/{app}/campaigns/{id}/leads.csv", h.leads)
}

// click records the click and redirects to the campaign's link. A bad or
// unknown token is 404; the link's target never comes from the request.
func (h *Handler) click(w http.ResponseWriter, r *http.Request) {
	u, err := h.svc.ClickLink(r.Context(), r.PathValue("token"))
	if err != nil {
		rpc.WriteHTTPError(w, r, h.log, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	http.Redirect(w, r, u, http.StatusFound)
}

func (h *Handler) report(w http.ResponseWriter, r *http.Request) {
	rep, err := h.svc.SharedReport(r.Context(), r.PathValue("token"))
	if err != nil {
		rpc.WriteHTTPError(w, r, h.log, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Header().Set("X-Robots-Tag", "noindex")
	var b bytes.Buffer
	switch r.URL.Query().Get("format") {
	case "":
		if err := WritePage(&b, rep, time.Now()); err != nil {
			rpc.WriteHTTPError(w, r, h.log, err)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; frame-ancestors 'none'")
	case "csv":
		if err := WriteReportCSV(&b, rep); err != nil {
			rpc.WriteHTTPError(w, r, h.log, err)
			return
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="report-`+rep.Campaign.ID+`.csv"`)
	case "xlsx":
		x, err := ReportXLSX(rep)
		if err != nil {
			rpc.WriteHTTPError(w, r, h.log, err)
			return
		}
		b.Write(x)
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		w.Header().Set("Content-Disposition", `attachment; filename="report-`+rep.Campaign.ID+`.xlsx"`)
	default:
		rpc.WriteHTTPError(w, r, h.log, errs.InvalidFields("bad format", errs.FieldError{Field: "format", Message: "must be csv or xlsx"}))
		return
	}
	_, _ = w.Write(b.Bytes())
}

// leads exports a campaign's leads as CSV to an organizer of the app
// (Authorization: Bearer <app token>).
func (h *Handler) leads(w http.ResponseWriter, r *http.Request) {
	ctx, _, err := h.tokens.RouteCaller(r)
	if err != nil {
		rpc.WriteHTTPError(w, r, h.log, err)
		return
	}
	app, id := r.PathValue("app"), r.PathValue("id")
	c, err := h.svc.GetCampaign(ctx, app, id)
	if err != nil {
		rpc.WriteHTTPError(w, r, h.log, err)
		return
	}
	var all []service.Lead
	q := service.LeadQuery{App: app, Campaign: id, Limit: 500}
	for {
		page, err := h.svc.Leads(ctx, q)
		if err != nil {
			rpc.WriteHTTPError(w, r, h.log, err)
			return
		}
		all = append(all, page...)
		if len(page) < q.Limit {
			break
		}
		q.After = page[len(page)-1].ID
	}
	var b bytes.Buffer
	if err := WriteLeadsCSV(&b, c.Creative.CTA.Fields, all); err != nil {
		rpc.WriteHTTPError(w, r, h.log, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="leads-`+id+`.csv"`)
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(b.Bytes())
}
