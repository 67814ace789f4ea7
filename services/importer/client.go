package importer

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
)

// UploadParams are the query of an upload.
type UploadParams struct {
	App         string
	Event       string
	Mode        string // create, update, upsert (default)
	Kind        string // the kind of a sheet whose name says nothing (CSV)
	DateOrder   string // DMY or MDY; empty: each column's unambiguous dates decide, else day first
	KeepUnknown bool
	FileName    string
}

// Upload sends a file to the importer at baseURL with an organizer's app
// token, streaming it as the raw request body, and returns the new import
// (status analyzing).
func Upload(ctx context.Context, hc *http.Client, baseURL, token string, p UploadParams, file io.Reader) (Import, error) {
	q := url.Values{"app_id": {p.App}}
	for k, v := range map[string]string{"event_id": p.Event, "mode": p.Mode, "kind": p.Kind, "date_order": p.DateOrder, "name": p.FileName} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if p.KeepUnknown {
		q.Set("keep_unknown", "true")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(baseURL, "/")+"/imports?"+q.Encode(), file)
	if err != nil {
		return Import{}, err
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	auth.SetBearerToken(req, token)
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return Import{}, errs.Wrap(errs.Unavailable, err, "upload to the importer")
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return Import{}, errs.Wrap(errs.Unavailable, err, "read the importer's answer")
	}
	if resp.StatusCode != http.StatusAccepted {
		var e struct {
			Error struct {
				Code    int    `json:"code"`
				Message string `json:"message"`
				Data    struct {
					Fields []errs.FieldError `json:"fields"`
				} `json:"data"`
			} `json:"error"`
		}
		if json.Unmarshal(body, &e) == nil && e.Error.Code != 0 {
			return Import{}, &errs.Error{Code: errs.Code(e.Error.Code), Msg: e.Error.Message, Fields: e.Error.Data.Fields}
		}
		return Import{}, fmt.Errorf("upload: HTTP %d: %s", resp.StatusCode, body)
	}
	var imp Import
	if err := json.Unmarshal(body, &imp); err != nil {
		return Import{}, fmt.Errorf("upload: %w", err)
	}
	return imp, nil
}
