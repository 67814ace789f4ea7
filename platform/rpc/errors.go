package rpc

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/obs"
)

// protocolError is a JSON-RPC protocol error (-32700 .. -32603).
type protocolError struct {
	code   int
	msg    string
	fields []errs.FieldError
	status int // HTTP status of a lone request failing so; 0 means 200
}

func (e *protocolError) Error() string { return e.msg }

func invalidParams(msg string, fields ...errs.FieldError) error {
	return &protocolError{code: CodeInvalidParams, msg: msg, fields: fields}
}

// wireError is the "error" member of a response.
type wireError struct {
	Code    int             `json:"code"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data,omitempty"`
}

// errorData is the "data" member of application errors: stable, documented
// fields a client can act on.
type errorData struct {
	Kind         string            `json:"kind,omitempty"`
	Reason       string            `json:"reason,omitempty"`
	Retryable    bool              `json:"retryable,omitempty"`
	RetryAfterMS int64             `json:"retry_after_ms,omitempty"`
	Fields       []errs.FieldError `json:"fields,omitempty"`
	RequestID    string            `json:"request_id,omitempty"`
}

// invalidParamsData is the data of an invalid params error (-32602): the
// kind and reason of errs.CodeInvalid, and the bad fields.
func invalidParamsData(fields []errs.FieldError, requestID string) errorData {
	return errorData{
		Kind:      errs.CodeInvalid.Kind().String(),
		Reason:    errs.CodeInvalid.Name(),
		Retryable: errs.CodeInvalid.Retryable(),
		Fields:    fields,
		RequestID: requestID,
	}
}

// toWire maps any error to what the client sees. Internal errors become
// -32603 with only the request id: their text goes to the log, never to the
// client.
func toWire(err error, requestID string) (wireError, time.Duration) {
	if pe, ok := err.(*protocolError); ok {
		w := wireError{Code: pe.code, Message: pe.msg}
		switch {
		case pe.code == CodeInvalidParams:
			// The caller's input, as an errs.CodeInvalid error is: the
			// same kind and reason, so that a client telling form errors
			// by reason ("invalid") finds these too.
			w.Data, _ = json.Marshal(invalidParamsData(pe.fields, requestID))
		case len(pe.fields) > 0:
			w.Data, _ = json.Marshal(errorData{Fields: pe.fields, RequestID: requestID})
		}
		return w, 0
	}
	code := errs.CodeOf(err)
	if code.Kind() == errs.Internal || !code.Known() {
		w := wireError{Code: CodeInternalError, Message: "internal error"}
		w.Data, _ = json.Marshal(errorData{Kind: errs.Internal.String(), RequestID: requestID})
		return w, 0
	}
	d := errorData{
		Kind:      code.Kind().String(),
		Reason:    code.Name(),
		Retryable: code.Retryable(),
		RequestID: requestID,
	}
	msg := code.Doc()
	var retryAfter time.Duration
	if e, ok := errs.As(err); ok {
		if e.Msg != "" {
			msg = e.Msg
		}
		d.Fields = e.Fields
		retryAfter = e.RetryAfter
		d.RetryAfterMS = e.RetryAfter.Milliseconds()
	}
	w := wireError{Code: int(code), Message: msg}
	w.Data, _ = json.Marshal(d)
	return w, retryAfter
}

// appendError appends a complete error response.
func appendError(buf, id []byte, w wireError) []byte {
	buf = append(buf, `{"jsonrpc":"2.0","error":{"code":`...)
	buf = strconv.AppendInt(buf, int64(w.Code), 10)
	buf = append(buf, `,"message":`...)
	msg, _ := json.Marshal(w.Message)
	buf = append(buf, msg...)
	if len(w.Data) > 0 {
		buf = append(buf, `,"data":`...)
		buf = append(buf, w.Data...)
	}
	buf = append(buf, `},"id":`...)
	buf = append(buf, id...)
	return append(buf, '}')
}

// appendResult appends a complete success response.
func appendResult(buf, id, result []byte) []byte {
	buf = append(buf, `{"jsonrpc":"2.0","result":`...)
	buf = append(buf, result...)
	buf = append(buf, `,"id":`...)
	buf = append(buf, id...)
	return append(buf, '}')
}

// WriteHTTPError answers a plain HTTP route of a service (an upload, a
// download) that failed with err, as a call failing with err would: the
// status of its kind (413 when a request body went over its
// http.MaxBytesReader limit), Retry-After when it carries one, and the body
// {"error": {...}}, the JSON-RPC error object of the same failure (code,
// message, data with the reason, retryability, fields). Like a call's, an
// internal error's text is not sent: it goes to log, with the route.
// A 401 carries WWW-Authenticate (auth.Challenge).
func WriteHTTPError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	if errs.KindOf(err) == errs.Internal && log != nil {
		log.ErrorContext(r.Context(), "route failed", slog.String("method", r.Method),
			slog.String("path", r.URL.Path), slog.Any("error", err))
	}
	we, retryAfter := toWire(err, obs.RequestID(r.Context()))
	status := httpStatusOfKind(errs.KindOf(err))
	if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
		status = http.StatusRequestEntityTooLarge
	}
	h := w.Header()
	if retryAfter > 0 {
		setRetryAfter(h, retryAfter)
	}
	if status == http.StatusUnauthorized {
		h.Set("WWW-Authenticate", auth.Challenge(err))
	}
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(struct {
		Error wireError `json:"error"`
	}{we})
}

// httpStatusOfKind is the HTTP status of a plain route failing with an error
// of kind k.
func httpStatusOfKind(k errs.Kind) int {
	switch k {
	case errs.Invalid:
		return http.StatusBadRequest
	case errs.NotFound:
		return http.StatusNotFound
	case errs.Conflict:
		return http.StatusConflict
	case errs.Unauthenticated:
		return http.StatusUnauthorized
	case errs.Forbidden:
		return http.StatusForbidden
	case errs.RateLimited:
		return http.StatusTooManyRequests
	case errs.Unavailable, errs.Overloaded:
		return http.StatusServiceUnavailable
	case errs.DeadlineExceeded:
		return http.StatusGatewayTimeout
	case errs.Canceled:
		return http.StatusRequestTimeout
	}
	return http.StatusInternalServerError
}
