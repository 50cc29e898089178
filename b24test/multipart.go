package b24test

import (
	"errors"
	"mime/multipart"
	"net/http"
)

func multipartReader(r *http.Request, boundary string) (*multipart.Reader, error) {
	if boundary == "" {
		return nil, errors.New("no boundary")
	}
	return multipart.NewReader(r.Body, boundary), nil
}
