package b24test

// A minimal HTTP/2 server on golang.org/x/net/http2's Framer, so that the
// fake can reset one stream with a chosen code, or send GOAWAY, after the
// method ran: net/http's own HTTP/2 server cannot. It serves the handler of
// the fake only: no push, no priorities, no trailers.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// WithHTTP2 serves HTTP/2 over TLS (ALPN "h2"; HTTP/1.1 is still offered)
// and makes Client use it. On HTTP/2, FaultStreamReset resets the call's
// stream with the code of WithResetCode and FaultGoAway sends GOAWAY; see
// their docs. An InMemory server ignores it (both faults act as FaultReset).
func WithHTTP2() Option {
	return func(cfg *config) error {
		cfg.http2 = true
		return nil
	}
}

// WithResetCode sets the HTTP/2 error code of FaultStreamReset's RST_STREAM
// (default 0x1 PROTOCOL_ERROR; 0x7 is REFUSED_STREAM, 0x8 CANCEL, ...).
func WithResetCode(code uint32) Option {
	return func(cfg *config) error {
		cfg.resetCode = &code
		return nil
	}
}

// h2MaxBody bounds a request body on HTTP/2.
const h2MaxBody = 64 << 20

// h2conn is one HTTP/2 connection.
type h2conn struct {
	s    *Server
	conn net.Conn
	fr   *http2.Framer
	bw   *bufio.Writer
	ctx  context.Context
	stop context.CancelFunc

	wmu  sync.Mutex // guards fr's writes, bw and henc
	henc *hpack.Encoder
	hbuf bytes.Buffer

	mu       sync.Mutex // guards what follows
	cond     *sync.Cond // flow control windows grew, or the connection ended
	connWin  int64
	initWin  int64
	maxFrame int
	streams  map[uint32]*h2stream
	lastID   uint32
	goAway   bool // GOAWAY sent: no new stream is served
	done     bool
}

// h2stream is one request being read or answered.
type h2stream struct {
	id     uint32
	hdr    []hpack.HeaderField
	body   bytes.Buffer
	win    int64 // send window
	cancel context.CancelFunc
}

// serveH2 serves one connection whose TLS handshake chose "h2".
func (s *Server) serveH2(c net.Conn) {
	ctx, stop := context.WithCancel(context.Background())
	hc := &h2conn{s: s, conn: c, ctx: ctx, stop: stop, bw: bufio.NewWriter(c),
		connWin: 65535, initWin: 65535, maxFrame: 16384, streams: map[uint32]*h2stream{}}
	hc.cond = sync.NewCond(&hc.mu)
	hc.henc = hpack.NewEncoder(&hc.hbuf)
	hc.fr = http2.NewFramer(hc.bw, c)
	hc.fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	hc.fr.MaxHeaderListSize = 1 << 20
	defer hc.close()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	preface := make([]byte, len(http2.ClientPreface))
	if _, err := io.ReadFull(c, preface); err != nil || string(preface) != http2.ClientPreface {
		return
	}
	c.SetReadDeadline(time.Time{})
	if hc.write(func() error {
		if err := hc.fr.WriteSettings(http2.Setting{ID: http2.SettingMaxConcurrentStreams, Val: 250},
			http2.Setting{ID: http2.SettingInitialWindowSize, Val: 1 << 20}); err != nil {
			return err
		}
		return hc.fr.WriteWindowUpdate(0, 1<<30)
	}) != nil {
		return
	}
	for {
		f, err := hc.fr.ReadFrame()
		if err != nil {
			return
		}
		if !hc.handle(f) {
			return
		}
	}
}

// handle processes one frame; false ends the connection.
func (hc *h2conn) handle(f http2.Frame) bool {
	switch f := f.(type) {
	case *http2.SettingsFrame:
		return hc.settings(f)
	case *http2.MetaHeadersFrame:
		return hc.headers(f)
	case *http2.DataFrame:
		return hc.data(f)
	case *http2.WindowUpdateFrame:
		hc.mu.Lock()
		if f.StreamID == 0 {
			hc.connWin += int64(f.Increment)
		} else if st := hc.streams[f.StreamID]; st != nil {
			st.win += int64(f.Increment)
		}
		hc.cond.Broadcast()
		hc.mu.Unlock()
	case *http2.PingFrame:
		if !f.IsAck() {
			return hc.write(func() error { return hc.fr.WritePing(true, f.Data) }) == nil
		}
	case *http2.RSTStreamFrame:
		hc.mu.Lock()
		if st := hc.streams[f.StreamID]; st != nil {
			delete(hc.streams, f.StreamID)
			if st.cancel != nil {
				st.cancel()
			}
		}
		hc.cond.Broadcast()
		hc.mu.Unlock()
	case *http2.GoAwayFrame:
		return false
	}
	return true
}

// settings applies the client's window size and frame size, and acks.
func (hc *h2conn) settings(f *http2.SettingsFrame) bool {
	if f.IsAck() {
		return true
	}
	hc.mu.Lock()
	f.ForeachSetting(func(st http2.Setting) error {
		switch st.ID {
		case http2.SettingInitialWindowSize:
			delta := int64(st.Val) - hc.initWin
			hc.initWin = int64(st.Val)
			for _, st := range hc.streams {
				st.win += delta
			}
		case http2.SettingMaxFrameSize:
			hc.maxFrame = int(st.Val)
		}
		return nil
	})
	hc.cond.Broadcast()
	hc.mu.Unlock()
	return hc.write(hc.fr.WriteSettingsAck) == nil
}

// headers opens a stream (refused after a GOAWAY); a bad stream id ends
// the connection.
func (hc *h2conn) headers(f *http2.MetaHeadersFrame) bool {
	id := f.StreamID
	hc.mu.Lock()
	if id%2 == 0 || id <= hc.lastID {
		hc.mu.Unlock()
		return false
	}
	hc.lastID = id
	if hc.goAway {
		hc.mu.Unlock()
		return hc.write(func() error { return hc.fr.WriteRSTStream(id, http2.ErrCodeRefusedStream) }) == nil
	}
	st := &h2stream{id: id, hdr: f.Fields, win: hc.initWin}
	hc.streams[id] = st
	hc.mu.Unlock()
	if f.StreamEnded() {
		hc.start(st)
	}
	return true
}

// data adds to a stream's body (refused over h2MaxBody), gives the window
// back and starts the request at the end of the stream.
func (hc *h2conn) data(f *http2.DataFrame) bool {
	hc.mu.Lock()
	st := hc.streams[f.StreamID]
	answering := st != nil && st.cancel != nil
	hc.mu.Unlock()
	n := uint32(len(f.Data()))
	if n > 0 && hc.write(func() error { return hc.fr.WriteWindowUpdate(0, n) }) != nil {
		return false
	}
	if st == nil || answering {
		return true // a stream already reset or being answered
	}
	if st.body.Len()+len(f.Data()) > h2MaxBody {
		hc.reset(st.id, http2.ErrCodeRefusedStream)
		return true
	}
	st.body.Write(f.Data())
	if f.StreamEnded() {
		hc.start(st)
	} else if n > 0 && hc.write(func() error { return hc.fr.WriteWindowUpdate(st.id, n) }) != nil {
		return false
	}
	return true
}

// write runs fn, which writes frames, under the write lock and flushes.
func (hc *h2conn) write(fn func() error) error {
	hc.wmu.Lock()
	defer hc.wmu.Unlock()
	if err := fn(); err != nil {
		return err
	}
	return hc.bw.Flush()
}

// reset ends stream id with code.
func (hc *h2conn) reset(id uint32, code http2.ErrCode) {
	hc.forget(id)
	hc.write(func() error { return hc.fr.WriteRSTStream(id, code) })
}

func (hc *h2conn) forget(id uint32) {
	hc.mu.Lock()
	delete(hc.streams, id)
	hc.mu.Unlock()
}

// close ends the connection and every stream on it.
func (hc *h2conn) close() {
	hc.stop()
	hc.mu.Lock()
	hc.done = true
	hc.cond.Broadcast()
	hc.mu.Unlock()
	hc.conn.Close()
}

// start serves st in a goroutine that Server.Close waits for.
func (hc *h2conn) start(st *h2stream) {
	s := hc.s
	s.h2mu.Lock()
	defer s.h2mu.Unlock()
	if s.h2closed {
		return
	}
	s.h2wg.Add(1)
	go func() {
		defer hc.s.h2wg.Done()
		hc.serve(st)
	}()
}

// serve runs the handler for a complete request and writes its answer.
func (hc *h2conn) serve(st *h2stream) {
	ctx, cancel := context.WithCancel(hc.ctx)
	defer cancel()
	hc.mu.Lock()
	st.cancel = cancel
	hc.mu.Unlock()
	req, err := h2request(ctx, st, hc.conn.RemoteAddr().String())
	if err != nil {
		hc.reset(st.id, http2.ErrCodeProtocol)
		return
	}
	w := &h2writer{memWriter: memWriter{header: http.Header{}}}
	if !hc.run(w, req) {
		hc.reset(st.id, http2.ErrCodeInternal)
		return
	}
	switch {
	case w.abort:
		hc.forget(st.id)
		hc.abort()
		return
	case w.goAway:
		// A graceful shutdown that claims this stream was not processed,
		// though the method ran: the last stream id is the one before.
		hc.forget(st.id)
		last := uint32(0)
		if st.id > 2 {
			last = st.id - 2
		}
		hc.mu.Lock()
		hc.goAway = true
		hc.mu.Unlock()
		hc.write(func() error { return hc.fr.WriteGoAway(last, http2.ErrCodeNo, nil) })
		// The client closes the connection; close it anyway after a while.
		time.AfterFunc(time.Second, hc.close)
		return
	case w.reset:
		code := http2.ErrCodeProtocol
		if c := hc.s.cfg.resetCode; c != nil {
			code = http2.ErrCode(*c)
		}
		hc.reset(st.id, code)
		return
	}
	hc.answer(st, w)
}

// run calls the handler; false if it panicked.
func (hc *h2conn) run(w *h2writer, req *http.Request) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	hc.s.ServeHTTP(w, req)
	return true
}

// abort drops the connection with a TCP reset (FaultReset).
func (hc *h2conn) abort() {
	var nc net.Conn = hc.conn
	if tc, ok := nc.(interface{ NetConn() net.Conn }); ok {
		nc = tc.NetConn()
	}
	if tcp, ok := nc.(*net.TCPConn); ok {
		tcp.SetLinger(0)
	}
	nc.Close()
	hc.close()
}

// h2request builds the server-side request of a stream.
func h2request(ctx context.Context, st *h2stream, remote string) (*http.Request, error) {
	var method, path, authority string
	h := http.Header{}
	for _, f := range st.hdr {
		switch f.Name {
		case ":method":
			method = f.Value
		case ":path":
			path = f.Value
		case ":authority":
			authority = f.Value
		case ":scheme":
		default:
			if strings.HasPrefix(f.Name, ":") {
				return nil, errors.New("unknown pseudo-header")
			}
			h.Add(f.Name, f.Value)
		}
	}
	if method == "" || path == "" {
		return nil, errors.New("missing pseudo-header")
	}
	u, err := url.ParseRequestURI(path)
	if err != nil {
		return nil, err
	}
	if authority == "" {
		authority = h.Get("Host")
	}
	body := st.body.Bytes()
	req := &http.Request{Method: method, URL: u, RequestURI: path, Host: authority, Header: h,
		Proto: "HTTP/2.0", ProtoMajor: 2, RemoteAddr: remote,
		Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body))}
	return req.WithContext(ctx), nil
}

// answer writes the handler's answer, within the peer's flow control windows.
func (hc *h2conn) answer(st *h2stream, w *h2writer) {
	defer hc.forget(st.id)
	if w.status == 0 {
		w.status = http.StatusOK
	}
	body := w.body.Bytes()
	err := hc.write(func() error {
		hc.hbuf.Reset()
		hc.henc.WriteField(hpack.HeaderField{Name: ":status", Value: strconv.Itoa(w.status)})
		for k, vs := range w.header {
			k = strings.ToLower(k)
			if k == "connection" || k == "transfer-encoding" || k == "keep-alive" {
				continue
			}
			for _, v := range vs {
				hc.henc.WriteField(hpack.HeaderField{Name: k, Value: v})
			}
		}
		return hc.writeHeaderBlock(st.id, len(body) == 0 && !w.truncated)
	})
	if err != nil {
		hc.close()
		return
	}
	for len(body) > 0 {
		n, ok := hc.take(st, len(body))
		if !ok {
			return
		}
		chunk := body[:n]
		body = body[n:]
		end := len(body) == 0 && !w.truncated
		if hc.write(func() error { return hc.fr.WriteData(st.id, end, chunk) }) != nil {
			hc.close()
			return
		}
	}
	if w.truncated {
		// The body ends early: the stream is reset, as net/http's server does
		// when a handler writes less than its Content-Length.
		hc.reset(st.id, http2.ErrCodeInternal)
	}
}

// writeHeaderBlock sends the encoded block in hbuf as HEADERS and CONTINUATION frames.
func (hc *h2conn) writeHeaderBlock(id uint32, endStream bool) error {
	block := hc.hbuf.Bytes()
	hc.mu.Lock()
	max := hc.maxFrame
	hc.mu.Unlock()
	first := true
	for first || len(block) > 0 {
		n := min(len(block), max)
		frag := block[:n]
		block = block[n:]
		var err error
		if first {
			err = hc.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: frag,
				EndStream: endStream, EndHeaders: len(block) == 0})
			first = false
		} else {
			err = hc.fr.WriteContinuation(id, len(block) == 0, frag)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// take waits until the windows allow sending some of want bytes and
// reserves them; false when the stream or the connection ended.
func (hc *h2conn) take(st *h2stream, want int) (int, bool) {
	hc.mu.Lock()
	defer hc.mu.Unlock()
	for {
		if hc.done || hc.streams[st.id] != st {
			return 0, false
		}
		if hc.connWin > 0 && st.win > 0 {
			n := int64(min(want, hc.maxFrame))
			n = min(n, hc.connWin, st.win)
			hc.connWin -= n
			st.win -= n
			return int(n), true
		}
		hc.cond.Wait()
	}
}

// h2writer collects a handler's answer on HTTP/2; its reset is
// FaultStreamReset (RST_STREAM instead of an answer).
type h2writer struct {
	memWriter
	goAway bool // FaultGoAway
	abort  bool // FaultReset: the connection is dropped
}
