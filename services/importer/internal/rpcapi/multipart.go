package rpcapi

import (
	"errors"
	"io"
	"mime/multipart"

	"github.com/attendify/platform/errs"
)

func multipartReader(body io.Reader, boundary string) (*multipart.Reader, error) {
	if boundary == "" {
		return nil, errs.InvalidFields("bad multipart body", errs.FieldError{Field: "/file", Message: "multipart/form-data without a boundary"})
	}
	return multipart.NewReader(body, boundary), nil
}

// filePart finds the "file" part of a multipart body, streaming: the
// parts before it are skipped, the file is not buffered.
func filePart(mr *multipart.Reader) (io.Reader, string, error) {
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil, "", errs.InvalidFields("no file", errs.FieldError{Field: "/file", Message: "the form has no part named file"})
		}
		if err != nil {
			return nil, "", errs.Wrap(errs.Invalid, err, "bad multipart body")
		}
		if p.FormName() == "file" {
			return p, p.FileName(), nil
		}
	}
}
