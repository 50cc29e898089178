package b24test

import (
	"bytes"
	"context"
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
// does (the handler runs on: FaultLateRun writes after the client gave up).
func (s *Server) Transport() http.RoundTripper { return memTransport{s} }

type memTransport struct{ s *Server }

// detachKey holds, in an in-memory request's context, the channel a handler
// closes when it runs on whether the client waits or not (detach).
type detachKey struct{}

// detach tells the in-memory transport that r's handler runs on without
// its client; elsewhere it does nothing.
func detach(r *http.Request) {
	if ch, ok := r.Context().Value(detachKey{}).(chan struct{}); ok {
		close(ch)
	}
}

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
	// A handler that runs on without the client (FaultLateRun) says so; the
	// client then gives up when its context ends.
	done, detached := make(chan struct{}), make(chan struct{})
	sr = sr.WithContext(context.WithValue(ctx, detachKey{}, detached))
	go func() {
		defer close(done)
		t.s.ServeHTTP(mw, sr)
		if req.Body != nil {
			req.Body.Close()
		}
	}()
	select {
	case <-done:
	case <-detached:
		select {
		case <-done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
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
