package b24test

func init() { registerFamily(eventFamily) }

// errWrongAuthType is a real portal's answer to an event method called
// through a webhook: they need an application's (OAuth) authorization.
var errWrongAuthType = &Error{Status: 403, Code: "WRONG_AUTH_TYPE", Description: "Current authorization type is denied for this method"}

// eventFamily serves event.bind, event.get, event.unbind and event.offline.*,
// which refuse a webhook as a real portal does (a stub can make them answer).
func eventFamily(*Data) []Method {
	refuse := func(*Call) (Result, *Error) { return Result{}, errWrongAuthType }
	var ms []Method
	for _, n := range []string{"event.bind", "event.get", "event.unbind",
		"event.offline.get", "event.offline.clear", "event.offline.error", "event.offline.list"} {
		ms = append(ms, Method{Name: n, API: V2, Handler: refuse})
	}
	return ms
}
