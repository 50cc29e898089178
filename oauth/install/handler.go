package install

import (
	"errors"
	"net/http"
	"time"
)

// maxBody bounds an event's POST body.
const maxBody = 64 << 10

// EventFunc handles a verified event (its application_token matched the
// portal's).
type EventFunc func(w http.ResponseWriter, r *http.Request, e Event)

// Handler serves the application's event handler URL: ONAPPINSTALL saves
// the portal's credential (Dir.Install), ONAPPUNINSTALL removes it after
// checking its application_token (Dir.Uninstall), and any other event
// goes to next once its application_token is verified (nil next: 200).
// Answers: 405 to a method other than POST, 413 to a body over 64 KiB,
// 400 to a malformed event, 403 to a wrong application_token or a second
// install, 404 to an event of a portal not installed, 500 when the
// credential could not be saved (the portal shows the install failed).
func Handler(d Dir, next EventFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		if err := r.ParseForm(); err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
				return
			}
			http.Error(w, "malformed form", http.StatusBadRequest)
			return
		}
		e, err := ParseEvent(r.PostForm, time.Now())
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		switch e.Name {
		case "ONAPPINSTALL":
			err = d.Install(r.Context(), e)
		case "ONAPPUNINSTALL":
			err = d.Uninstall(r.Context(), e)
		default:
			if _, err = d.Verify(e.Auth.MemberID, e.Auth.ApplicationToken); err == nil && next != nil {
				next(w, r, e)
				return
			}
		}
		if err != nil {
			http.Error(w, err.Error(), status(err))
		}
	})
}

func status(err error) int {
	switch {
	case errors.Is(err, ErrInvalid):
		return http.StatusBadRequest
	case errors.Is(err, ErrWrongApp), errors.Is(err, ErrAlreadyExists):
		return http.StatusForbidden
	case errors.Is(err, ErrNotInstalled):
		return http.StatusNotFound
	}
	return http.StatusInternalServerError
}
