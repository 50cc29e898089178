package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"

	"github.com/b24go/b24"
	"github.com/b24go/b24/internal/filelock"
)

// checkpointVersion 3: the checkpoint records the portal, the webhook's
// user, the API version, the method and its parameters, and the hash of the
// output written so far (version 2 did not; version 1 held the stand-in
// walker's last id).
const checkpointVersion = 3

// checkpoint is what --checkpoint records after every synced request. It
// never holds the webhook's secret.
type checkpoint struct {
	Version int             `json:"v"`
	Portal  string          `json:"portal"`        // origin, https://host[:port]
	User    int64           `json:"user"`          // the webhook's user id, or the user an application acts for
	App     string          `json:"app,omitempty"` // an application's client id
	API     string          `json:"api"`
	Method  string          `json:"method"`
	Params  json.RawMessage `json:"params,omitempty"`
	Query   string          `json:"query"` // hash of API version, method, params, format and columns
	File    string          `json:"file"`
	Offset  int64           `json:"offset"`
	Hash    string          `json:"hash"` // "sha256:<hex>" of the file's first Offset bytes
	Rows    int64           `json:"rows"`
	Cursor  json.RawMessage `json:"cursor,omitempty"`
	Done    bool            `json:"done"`
}

// cpOutput is a checkpointed output, open and locked.
type cpOutput struct {
	cp      checkpoint
	file    *os.File  // the output, positioned at cp.Offset
	sum     hash.Hash // sha256 of the output's bytes so far
	resumed bool      // a checkpoint was found
	resume  *b24.ListCursor
	release []func()
}

// close closes the output and releases the locks.
func (o *cpOutput) close() {
	for i := len(o.release) - 1; i >= 0; i-- {
		o.release[i]()
	}
}

// hashString is the recorded form of a sha256 state.
func hashString(h hash.Hash) string { return "sha256:" + hex.EncodeToString(h.Sum(nil)) }

// openCheckpoint locks the checkpoint cpPath (through cpPath+".lock") and
// the output out, and checks that a recorded checkpoint belongs to this
// portal, user and query and that out still holds what it recorded. On a
// completed checkpoint it returns the output with cp.Done set and the file
// closed.
func openCheckpoint(api *b24.API, id identity, method string, params map[string]any, query, cpPath, out string) (_ *cpOutput, err error) {
	hook := api.Hook()
	pb, _ := json.Marshal(params)
	me := checkpoint{Version: checkpointVersion, Portal: hook.TargetOrigin(), User: id.user, App: id.app,
		API: api.Version().String(), Method: method, Params: pb, Query: query, File: out}
	o := &cpOutput{cp: me, sum: sha256.New()}
	defer func() {
		if err != nil {
			o.close()
		}
	}()
	unlock, err := lockPath(cpPath + ".lock")
	if errors.Is(err, filelock.ErrLocked) {
		return nil, usagef("--checkpoint %s is in use by another b24 list: wait for it to end", cpPath)
	} else if err != nil {
		return nil, err
	}
	o.release = append(o.release, unlock)

	if same(cpPath, out) {
		return nil, usagef("--checkpoint and -o name the same file %s", out)
	}
	b, err := os.ReadFile(cpPath)
	if os.IsNotExist(err) {
		err = o.startNew(cpPath, out)
	} else if err == nil {
		err = o.resumeRecorded(b, me, cpPath, out)
	}
	if err != nil {
		return nil, err
	}
	return o, nil
}

// startNew begins a new walk: out must be new or empty (an existing export
// is never overwritten by a mistyped checkpoint name), and the checkpoint is
// saved before the first row is written, so that a killed run always
// leaves one.
func (o *cpOutput) startNew(cpPath, out string) error {
	f, err := openLocked(out, os.O_RDWR|os.O_CREATE)
	if err != nil {
		return err
	}
	o.release = append(o.release, func() { f.Close() })
	if st, err := f.Stat(); err != nil {
		return err
	} else if st.Size() > 0 {
		return usagef("-o %s already holds %d bytes, and --checkpoint %s does not exist: give the checkpoint it was written with to resume, or remove %s (or choose another -o) to start again", out, st.Size(), cpPath, out)
	}
	o.cp.Hash = hashString(o.sum)
	if err := saveCheckpoint(cpPath, o.cp); err != nil {
		return err
	}
	o.file = f
	return nil
}

// resumeRecorded reads the recorded checkpoint b, checks that it is this
// walk's (me), and reopens out where it stopped.
func (o *cpOutput) resumeRecorded(b []byte, me checkpoint, cpPath, out string) error {
	cp, err := readCheckpoint(b, me, cpPath, out)
	if err != nil {
		return err
	}
	o.resumed = true
	if len(cp.Cursor) > 0 {
		var cur b24.ListCursor
		if err := json.Unmarshal(cp.Cursor, &cur); err != nil {
			return usagef("--checkpoint %s: unreadable cursor: %v", cpPath, err)
		}
		o.resume = &cur
	}
	f, err := o.reopenOutput(cp, cpPath, out)
	if err != nil || cp.Done {
		o.cp = cp
		return err
	}
	o.file = f
	me.Offset, me.Hash, me.Rows, me.Cursor = cp.Offset, cp.Hash, cp.Rows, cp.Cursor
	o.cp = me
	return nil
}

// readCheckpoint parses a recorded checkpoint and refuses one of another
// format, portal, user, query or output than me's.
func readCheckpoint(b []byte, me checkpoint, cpPath, out string) (checkpoint, error) {
	var cp checkpoint
	if err := json.Unmarshal(b, &cp); err != nil || cp.Version < 1 {
		return cp, usagef("--checkpoint %s is not a b24 list checkpoint", cpPath)
	}
	if cp.Version != checkpointVersion {
		return cp, usagef("--checkpoint %s was written by an older b24 (format %d), which recorded neither the portal nor the hash of %s: finish it with that b24, or remove it and %s to start again", cpPath, cp.Version, out, out)
	}
	if cp.Portal != me.Portal || cp.User != me.User || cp.App != me.App {
		return cp, usagef("--checkpoint %s belongs to portal %s (%s), not %s (%s)", cpPath, cp.Portal, who(cp.User, cp.App), me.Portal, who(me.User, me.App))
	}
	if cp.Query != me.Query {
		return cp, usagef("--checkpoint %s belongs to another API version, method, filter, select or format (it records %s %s %s)", cpPath, cp.API, cp.Method, cp.Params)
	}
	if filepath.Clean(cp.File) != filepath.Clean(out) {
		return cp, usagef("--checkpoint %s belongs to -o %s, not %s", cpPath, cp.File, out)
	}
	return cp, nil
}

// reopenOutput opens out, checks that it still holds the bytes cp records
// (hashing them into o.sum), and, unless cp is done, cuts it to cp.Offset
// and positions it there.
func (o *cpOutput) reopenOutput(cp checkpoint, cpPath, out string) (*os.File, error) {
	f, err := openLocked(out, os.O_RDWR)
	if os.IsNotExist(err) {
		return nil, usagef("--checkpoint %s records %d rows (%d bytes) written to %s, which is missing: remove %s to start again", cpPath, cp.Rows, cp.Offset, out, cpPath)
	} else if err != nil {
		return nil, err
	}
	o.release = append(o.release, func() { f.Close() })
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, usagef("-o %s is not a regular file: a checkpoint appends to a file", out)
	}
	if st.Size() < cp.Offset {
		return nil, usagef("--checkpoint %s records %d bytes written to %s, which holds %d: it was cut short or replaced; remove %s and %s to start again", cpPath, cp.Offset, out, st.Size(), cpPath, out)
	}
	if _, err := io.Copy(o.sum, io.LimitReader(f, cp.Offset)); err != nil {
		return nil, err
	}
	if hashString(o.sum) != cp.Hash {
		return nil, usagef("the first %d bytes of %s are not those --checkpoint %s recorded: the file was changed or replaced; remove %s and %s to start again", cp.Offset, out, cpPath, cpPath, out)
	}
	if cp.Done {
		if st.Size() != cp.Offset {
			return nil, usagef("%s grew after --checkpoint %s completed it (%d bytes, then %d): remove %s to export again", out, cpPath, cp.Offset, st.Size(), cpPath)
		}
		return f, nil
	}
	if err := f.Truncate(cp.Offset); err != nil {
		return nil, err
	}
	if _, err := f.Seek(cp.Offset, io.SeekStart); err != nil {
		return nil, err
	}
	return f, nil
}

// same reports whether a and b name one file (or one path, when neither
// exists yet).
func same(a, b string) bool {
	if filepath.Clean(a) == filepath.Clean(b) {
		return true
	}
	sa, err1 := os.Stat(a)
	sb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(sa, sb)
}

// openLocked opens path and locks it: a file another process has locked is
// refused with a usage error, before anything is written to it.
func openLocked(path string, flag int) (*os.File, error) {
	f, err := openAppendOutput(path, flag)
	if err != nil {
		return nil, err
	}
	if err := filelock.Lock(f); err != nil {
		f.Close()
		if errors.Is(err, filelock.ErrLocked) {
			return nil, usagef("-o %s is in use by another b24 process: wait for it to end", path)
		}
		return nil, err
	}
	return f, nil
}

// lockPath creates path and locks it; release removes it and unlocks it.
// The lock dies with the process: a file left by a killed run is taken
// over by the next.
func lockPath(path string) (release func(), err error) {
	for range 100 {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			return nil, err
		}
		if err := filelock.Lock(f); err != nil {
			f.Close()
			return nil, err
		}
		// The holder before us may have removed the file between our
		// open and our lock: then lock the new one.
		st, err1 := f.Stat()
		now, err2 := os.Stat(path)
		if err1 == nil && err2 == nil && os.SameFile(st, now) {
			return func() { os.Remove(path); f.Close() }, nil
		}
		f.Close()
	}
	return nil, fmt.Errorf("%s keeps being replaced", path)
}

func saveCheckpoint(path string, cp checkpoint) error {
	b, err := json.Marshal(cp)
	if err != nil {
		return err
	}
	return writeFileAtomic(path, append(b, '\n'))
}

// who names a user, and the application acting for it.
func who(user int64, app string) string {
	if app != "" {
		return fmt.Sprintf("user %d, application %s", user, app)
	}
	return fmt.Sprintf("user %d", user)
}
