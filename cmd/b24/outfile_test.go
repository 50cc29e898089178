//go:build unix

package main

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/b24go/b24/b24test"
)

// nullDevice returns a character device that discards what is written: a
// private copy of /dev/null when root can make one (so that a bug cannot
// replace the machine's), else /dev/null itself.
func nullDevice(t *testing.T) string {
	t.Helper()
	if os.Geteuid() == 0 {
		p := filepath.Join(t.TempDir(), "null")
		if err := mknodNull(p); err == nil {
			return p
		}
		t.Skip("root without mknod: not risking /dev/null")
	}
	return "/dev/null"
}

// TestOpenOutput checks the -o rules on each kind of path: what is
// written where, what kind of file is left there, and its mode.
func TestOpenOutput(t *testing.T) {
	old := syscall.Umask(0o027)
	defer syscall.Umask(old)
	const body = "rows\n"
	type kase struct {
		name string
		// setup returns the -o path and the path where the rows must land
		// ("" when refused).
		setup func(t *testing.T, dir string) (out, lands string)
		mode  fs.FileMode // of out after (Lstat), type and permissions
		perm  fs.FileMode // of lands after, when out is a link
		fifo  bool
		dev   bool
	}
	write := func(t *testing.T, p, s string, perm fs.FileMode) {
		t.Helper()
		if err := os.WriteFile(p, []byte(s), perm); err != nil {
			t.Fatal(err)
		}
		os.Chmod(p, perm)
	}
	tests := []kase{
		{name: "new file gets 0666 less the umask", mode: 0o640,
			setup: func(t *testing.T, dir string) (string, string) {
				p := filepath.Join(dir, "new.ndjson")
				return p, p
			}},
		{name: "regular file keeps its mode", mode: 0o600,
			setup: func(t *testing.T, dir string) (string, string) {
				p := filepath.Join(dir, "old.ndjson")
				write(t, p, "old\n", 0o600)
				return p, p
			}},
		{name: "symlink to a regular file: target replaced, link kept", mode: fs.ModeSymlink | 0o777, perm: 0o604,
			setup: func(t *testing.T, dir string) (string, string) {
				target := filepath.Join(dir, "sub", "target.ndjson")
				os.Mkdir(filepath.Dir(target), 0o755)
				write(t, target, "old\n", 0o604)
				link := filepath.Join(dir, "link")
				if err := os.Symlink(filepath.Join("sub", "target.ndjson"), link); err != nil {
					t.Fatal(err)
				}
				return link, target
			}},
		{name: "symlink to a directory: refused", mode: fs.ModeSymlink | 0o777,
			setup: func(t *testing.T, dir string) (string, string) {
				link := filepath.Join(dir, "link")
				os.Mkdir(filepath.Join(dir, "d"), 0o755)
				os.Symlink("d", link)
				return link, ""
			}},
		{name: "dangling symlink: refused, target not created", mode: fs.ModeSymlink | 0o777,
			setup: func(t *testing.T, dir string) (string, string) {
				link := filepath.Join(dir, "link")
				os.Symlink("nowhere", link)
				return link, ""
			}},
		{name: "directory: refused", mode: fs.ModeDir | 0o750,
			setup: func(t *testing.T, dir string) (string, string) {
				p := filepath.Join(dir, "d")
				os.Mkdir(p, 0o750)
				os.Chmod(p, 0o750)
				return p, ""
			}},
		{name: "FIFO written in place", mode: fs.ModeNamedPipe | 0o600, fifo: true,
			setup: func(t *testing.T, dir string) (string, string) {
				p := filepath.Join(dir, "fifo")
				if err := syscall.Mkfifo(p, 0o600); err != nil {
					t.Skip(err)
				}
				return p, p
			}},
		{name: "symlink to a device: written in place, link and device kept", mode: fs.ModeSymlink | 0o777, dev: true,
			setup: func(t *testing.T, dir string) (string, string) {
				link := filepath.Join(dir, "stdout")
				if err := os.Symlink(nullDevice(t), link); err != nil {
					t.Fatal(err)
				}
				return link, link
			}},
		{name: "device written in place, kept", dev: true,
			setup: func(t *testing.T, dir string) (string, string) {
				p := nullDevice(t)
				return p, p
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			out, lands := tt.setup(t, dir)
			before, _ := os.Lstat(out)
			got := make(chan string, 1)
			if tt.fifo {
				go func() {
					f, err := os.Open(out)
					if err != nil {
						got <- err.Error()
						return
					}
					b, _ := io.ReadAll(f)
					f.Close()
					got <- string(b)
				}()
			}
			a, err := openOutput(out)
			if lands == "" {
				if !errors.Is(err, errOutput) {
					t.Fatalf("openOutput(%s) = %v, want an errOutput refusal", out, err)
				}
				var ue *usageError
				if !errors.As(err, &ue) {
					t.Errorf("%v is not a usage error", err)
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				if _, err := a.WriteString(body); err != nil {
					t.Fatal(err)
				}
				if err := a.Commit(); err != nil {
					t.Fatal(err)
				}
				a.Abort() // after Commit: must not remove anything
			}
			fi, err := os.Lstat(out)
			if err != nil {
				t.Fatalf("%s is gone: %v", out, err)
			}
			want := tt.mode
			if want == 0 { // the device: as it was
				want = before.Mode()
			}
			if fi.Mode() != want {
				t.Errorf("%s: mode %v after, want %v", out, fi.Mode(), want)
			}
			switch {
			case tt.fifo && fi.Mode()&fs.ModeNamedPipe == 0:
				// Replaced: the reader waits for a writer forever.
			case tt.fifo:
				if s := <-got; s != body {
					t.Errorf("reader of the FIFO got %q, want %q", s, body)
				}
			case tt.dev:
				if si, err := os.Stat(out); err != nil || si.Mode()&fs.ModeCharDevice == 0 {
					t.Errorf("%s no longer leads to a device: %v %v", out, si.Mode(), err)
				}
			case lands != "":
				b, err := os.ReadFile(lands)
				if err != nil || string(b) != body {
					t.Errorf("%s holds %q (%v), want %q", lands, b, err, body)
				}
				if tt.perm != 0 {
					li, _ := os.Stat(lands)
					if li.Mode() != tt.perm {
						t.Errorf("target mode %v, want %v", li.Mode(), tt.perm)
					}
				}
			case lands == "":
				if _, err := os.Stat(filepath.Join(dir, "nowhere")); err == nil {
					t.Errorf("the dangling link's target was created")
				}
			}
			ents, _ := os.ReadDir(dir)
			for _, e := range ents {
				if strings.Contains(e.Name(), ".tmp-") {
					t.Errorf("temporary file %s left behind", e.Name())
				}
			}
		})
	}
}

// TestOpenAppendOutput checks the output of --checkpoint: a regular file
// (new: 0666 less the umask), never a symbolic link, a FIFO or a device.
func TestOpenAppendOutput(t *testing.T) {
	old := syscall.Umask(0o077)
	defer syscall.Umask(old)
	dir := t.TempDir()
	target := filepath.Join(dir, "target")
	os.WriteFile(target, []byte("keep\n"), 0o644)
	link := filepath.Join(dir, "link")
	os.Symlink("target", link)
	fifo := filepath.Join(dir, "fifo")
	syscall.Mkfifo(fifo, 0o600)
	for _, p := range []string{link, fifo, nullDevice(t)} {
		before, _ := os.Lstat(p)
		f, err := openAppendOutput(p, os.O_RDWR|os.O_CREATE)
		if err == nil {
			f.Close()
		}
		if !errors.Is(err, errOutput) {
			t.Errorf("openAppendOutput(%s) = %v, want a refusal", p, err)
		}
		if after, _ := os.Lstat(p); after.Mode() != before.Mode() {
			t.Errorf("%s: mode %v, was %v", p, after.Mode(), before.Mode())
		}
	}
	if b, _ := os.ReadFile(target); string(b) != "keep\n" {
		t.Errorf("the link's target holds %q", b)
	}
	p := filepath.Join(dir, "new")
	f, err := openAppendOutput(p, os.O_RDWR|os.O_CREATE)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if fi, _ := os.Lstat(p); fi.Mode() != 0o600 {
		t.Errorf("new file mode %v, want 0600 (umask 077)", fi.Mode())
	}
}

// TestListOutputs runs b24 list with -o - (stdout, no file named "-") and
// with --checkpoint through a symbolic link (refused, target untouched).
func TestListOutputs(t *testing.T) {
	p := newPortal(t, b24test.WithSeed(b24test.Seed{Seed: 9, Deals: 60}))
	dir := t.TempDir()
	t.Chdir(dir)
	r := p.run(t, "", "list", "crm.deal.list", "--select", "ID", "-o", "-", "--quiet")
	if r.code != exitOK || strings.Count(r.stdout, "\n") != 60 {
		t.Errorf("-o -: exit %d, %d lines on stdout: %s", r.code, strings.Count(r.stdout, "\n"), r.stderr)
	}
	if _, err := os.Lstat(filepath.Join(dir, "-")); err == nil {
		t.Errorf("-o - created a file named -")
	}
	target := filepath.Join(dir, "target.ndjson")
	os.WriteFile(target, []byte("precious\n"), 0o644)
	os.Symlink("target.ndjson", filepath.Join(dir, "link.ndjson"))
	r = p.run(t, "", "list", "crm.deal.list", "--select", "ID", "-o", "link.ndjson", "--checkpoint", "cp", "--quiet")
	if r.code != exitUsage || !strings.Contains(r.stderr, "not a symbolic link") {
		t.Errorf("--checkpoint through a link: exit %d, stderr %q", r.code, r.stderr)
	}
	if b, _ := os.ReadFile(target); string(b) != "precious\n" {
		t.Errorf("the link's target holds %q", b)
	}
	r = p.run(t, "", "list", "crm.deal.list", "--select", "ID", "-o", "link.ndjson", "--quiet")
	if fi, _ := os.Lstat("link.ndjson"); r.code != exitOK || fi.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("-o through a link: exit %d (%s), link mode %v", r.code, r.stderr, fi.Mode())
	}
	if b, _ := os.ReadFile(target); strings.Count(string(b), "\n") != 60 {
		t.Errorf("the link's target holds %d lines, want 60", strings.Count(string(b), "\n"))
	}

	// A FIFO: the rows reach its reader; it stays a FIFO.
	if err := syscall.Mkfifo("fifo", 0o600); err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 1)
	go func() {
		b, _ := os.ReadFile("fifo")
		got <- string(b)
	}()
	r = p.run(t, "", "list", "crm.deal.list", "--select", "ID", "-o", "fifo", "--format", "csv", "--quiet")
	fi, _ := os.Lstat("fifo")
	if r.code != exitOK || fi.Mode()&fs.ModeNamedPipe == 0 {
		t.Fatalf("-o fifo: exit %d (%s), mode after %v", r.code, r.stderr, fi.Mode())
	}
	if s := <-got; strings.Count(s, "\n") != 61 || !strings.HasPrefix(s, "ID\n") {
		t.Errorf("the FIFO's reader got %d lines: %.40q", strings.Count(s, "\n"), s)
	}
	// A device: written in place, still a device.
	dev := nullDevice(t)
	r = p.run(t, "", "list", "crm.deal.list", "--select", "ID", "-o", dev, "--quiet")
	if fi, _ := os.Lstat(dev); r.code != exitOK || fi.Mode()&fs.ModeCharDevice == 0 {
		t.Errorf("-o %s: exit %d (%s), mode after %v", dev, r.code, r.stderr, fi.Mode())
	}
}
