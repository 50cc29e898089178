package b24test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"syscall"
)

// Transport returns an http.RoundTripper that hands requests to the server's
// handler in the calling goroutine, without sockets, so that tests of
// timing can run under testing/synctest. Any host is accepted. Injected
// faults behave as on the network: FaultReset fails RoundTrip with
// ECONNRESET, FaultTruncated gives a body that ends with
// io.ErrUnexpectedEOF, and a slow answer ends when the request's context
// does.
func (s *Server) Transport() http.RoundTripper { return memTransport{s} }

type memTransport struct{ s *Server }

func (t memTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	sr := req.Clone(ctx)
	if req.Body == nil {
		sr.Body = http.NoBody
	}
	sr.RequestURI = req.URL.RequestURI()
	sr.RemoteAddr = "127.0.0.1:49152"
	sr.Proto, sr.ProtoMajor, sr.ProtoMinor = "HTTP/1.1", 1, 1
	mw := &memWriter{header: http.Header{}}
	t.s.ServeHTTP(mw, sr)
	if req.Body != nil {
		req.Body.Close()
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if mw.reset {
		return nil, fmt.Errorf("b24test: read tcp 127.0.0.1:49152: %w", syscall.ECONNRESET)
	}
	if mw.status == 0 {
		mw.status = http.StatusOK
	}
	resp := &http.Response{
		Status:     strconv.Itoa(mw.status) + " " + http.StatusText(mw.status),
		StatusCode: mw.status,
		Proto:      "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:  mw.header,
		Request: req,
	}
	resp.ContentLength = -1
	if cl, err := strconv.ParseInt(mw.header.Get("Content-Length"), 10, 64); err == nil {
		resp.ContentLength = cl
	}
	var body io.Reader = bytes.NewReader(mw.body.Bytes())
	if mw.truncated {
		body = io.MultiReader(body, errReader{io.ErrUnexpectedEOF})
	}
	resp.Body = io.NopCloser(body)
	return resp, nil
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// memWriter is the in-memory transport's ResponseWriter.
type memWriter struct {
	header    http.Header
	status    int
	body      bytes.Buffer
	reset     bool
	truncated bool
}

func (w *memWriter) Header() http.Header { return w.header }

func (w *memWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}

func (w *memWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.body.Write(p)
}
