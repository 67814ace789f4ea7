package rpc

// AppRef addresses one app. Params of app-scoped methods embed it, which
// gives them the "app_id" member and makes them AppScoped:
//
//	type EventParams struct {
//		rpc.AppRef
//		EventID string `json:"event_id"`
//	}
type AppRef struct {
	App string `json:"app_id" jsonschema:"minLength=1,maxLength=64"`
}

// AppID implements AppScoped.
func (r AppRef) AppID() string { return r.App }
