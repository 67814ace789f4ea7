package rpcapi

import (
	"encoding/json"

	"github.com/attendify/importer"
	"github.com/attendify/importer/internal/mapping"
	"github.com/attendify/importer/internal/service"
	"github.com/attendify/importer/internal/validate"
)

func toProblems(ps []validate.Problem) []importer.Problem {
	out := make([]importer.Problem, len(ps))
	for i, p := range ps {
		out[i] = importer.Problem{Sheet: p.Sheet, Row: p.Row, Column: p.Column, Field: p.Field, Message: p.Message, Warning: p.Warning}
	}
	return out
}

func toOptions(o service.Options) importer.Options {
	out := importer.Options{Mode: string(o.Mode), DateOrder: string(o.DateOrder), Kind: string(o.Kind), KeepUnknown: o.KeepUnknown}
	for _, x := range o.Overrides {
		out.Overrides = append(out.Overrides, importer.Override{Sheet: x.Sheet, Kind: x.Kind, HeaderRow: x.HeaderRow, Columns: x.Columns})
	}
	return out
}

func fromOptions(o importer.Options) service.Options {
	out := service.Options{Mode: service.Mode(o.Mode), DateOrder: validate.DateOrder(o.DateOrder), Kind: mapping.Kind(o.Kind), KeepUnknown: o.KeepUnknown}
	for _, x := range o.Overrides {
		out.Overrides = append(out.Overrides, mapping.Override{Sheet: x.Sheet, Kind: x.Kind, HeaderRow: x.HeaderRow, Columns: x.Columns})
	}
	return out
}

func toImport(imp *service.Import) importer.Import {
	out := importer.Import{
		ID: imp.ID, AppID: imp.AppID, EventID: imp.EventID, CreatedBy: imp.CreatedBy, FileName: imp.FileName, FileSize: imp.FileSize,
		Format: imp.Format, Status: string(imp.Status), Options: toOptions(imp.Options), Problems: toProblems(imp.Problems),
		Counts: map[string]importer.ActionCounts{}, RowsInFile: imp.RowsTotal, CreatedAt: imp.CreatedAt, UpdatedAt: imp.UpdatedAt,
		FinishedAt: imp.FinishedAt, ExpiredAt: imp.ExpiredAt, Mapping: []importer.SheetMapping{},
	}
	if imp.ErrorCode != "" {
		out.Error = &importer.FileError{Code: imp.ErrorCode, Message: imp.ErrorMessage}
	}
	for _, m := range imp.Mapping {
		sm := importer.SheetMapping{Name: m.Name, Kind: string(m.Kind), HeaderRow: m.HeaderRow, Unknown: m.Unknown, Columns: []importer.Column{}}
		for _, c := range m.Columns {
			sm.Columns = append(sm.Columns, importer.Column{Letter: c.Letter, Header: c.Header, Field: string(c.Field), Custom: c.Custom})
		}
		for _, f := range m.Missing {
			sm.Missing = append(sm.Missing, string(f))
		}
		out.Mapping = append(out.Mapping, sm)
	}
	commitTotal := 0
	for k, m := range imp.Counts {
		out.Counts[string(k)] = importer.ActionCounts{Create: m[service.ActCreate], Update: m[service.ActUpdate], Skip: m[service.ActSkip], Reject: m[service.ActReject]}
		commitTotal += m[service.ActCreate] + m[service.ActUpdate]
	}
	if len(imp.Result) > 0 {
		out.Result = map[string]importer.KindResult{}
		for k, r := range imp.Result {
			out.Result[string(k)] = importer.KindResult{Created: r.Created, Updated: r.Updated, Unchanged: r.Unchanged, Skipped: r.Skipped, Rejected: r.Rejected}
		}
	}
	out.Progress = importer.Progress{RowsDone: imp.RowsDone, RowsTotal: commitTotal, BatchesDone: imp.BatchesDone}
	return out
}

func toPreviewRow(r service.StagedRow) importer.PreviewRow {
	out := importer.PreviewRow{Kind: string(r.Kind), Sheet: r.Sheet, Row: r.Num, Action: string(r.Action), Reason: r.Reason, Key: r.Key}
	if len(r.Problems) > 0 {
		out.Problems = toProblems(r.Problems)
	}
	if r.Input != nil {
		_ = json.Unmarshal(r.Input, &out.Values)
	}
	return out
}
