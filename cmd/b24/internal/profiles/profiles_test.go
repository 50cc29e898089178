package profiles

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
)

const hookA = "https://a.bitrix24.com/rest/1/aaaaaaaaaaaaaaaa/"

func TestAddUseRemove(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "b24")
	s := New(dir)
	if names, active, err := s.List(); err != nil || names != nil || active != "" {
		t.Fatalf("empty store: %v %q %v", names, active, err)
	}
	if _, err := s.Add(ctx, "work", hookA); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Add(ctx, "home", "https://b.bitrix24.com/rest/2/bbbb/"); err != nil {
		t.Fatal(err)
	}
	names, active, err := s.List()
	if err != nil || !slices.Equal(names, []string{"home", "work"}) || active != "work" {
		t.Fatalf("List = %v %q %v; want [home work], the first added active", names, active, err)
	}
	if err := s.Use(ctx, "home"); err != nil {
		t.Fatal(err)
	}
	if n, w, err := s.Active(); err != nil || n != "home" || w.Webhook != "https://b.bitrix24.com/rest/2/bbbb/" {
		t.Fatalf("Active = %q %q %v", n, w, err)
	}
	if err := s.Use(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Use(nope) = %v, want ErrNotFound", err)
	}
	if err := s.Remove(ctx, "home"); err != nil {
		t.Fatal(err)
	}
	if n, _, err := s.Active(); err != nil || n != "" {
		t.Fatalf("after removing the active one: %q %v, want none active", n, err)
	}
	if w, err := s.Webhook("work"); err != nil || w != hookA {
		t.Fatalf("Webhook(work) = %q %v", w, err)
	}
	if !slices.Equal(Names(dir), []string{"work"}) || Names(t.TempDir()) != nil {
		t.Fatal("Names")
	}
	if runtime.GOOS != "windows" {
		for p, want := range map[string]os.FileMode{dir: 0o700, s.Path(): 0o600} {
			if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != want {
				t.Errorf("%s: mode %v, want %04o", p, fi.Mode().Perm(), want)
			}
		}
	}
}

func TestBadNames(t *testing.T) {
	s := New(t.TempDir())
	for _, n := range []string{"", "-x", "a b", "../x", "a/b", string(make([]byte, 65))} {
		if _, err := s.Add(context.Background(), n, hookA); !errors.Is(err, ErrBadName) {
			t.Errorf("Add(%q) = %v, want ErrBadName", n, err)
		}
	}
}

// TestRefusesExposedFile: a file group or others can read, a symbolic
// link and a damaged file are refused, never read or rewritten.
func TestRefusesExposedFile(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no mode bits")
	}
	ctx := context.Background()
	cases := []struct {
		name    string
		prepare func(t *testing.T, s *Store)
		want    error
	}{
		{"mode 0644", func(t *testing.T, s *Store) { os.Chmod(s.Path(), 0o644) }, ErrExposed},
		{"mode 0640", func(t *testing.T, s *Store) { os.Chmod(s.Path(), 0o640) }, ErrExposed},
		{"a symbolic link", func(t *testing.T, s *Store) {
			other := filepath.Join(t.TempDir(), "x.json")
			os.Rename(s.Path(), other)
			os.Symlink(other, s.Path())
		}, ErrExposed},
		{"damaged", func(t *testing.T, s *Store) { os.WriteFile(s.Path(), []byte("{\"profiles\":"), 0o600) }, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := New(t.TempDir())
			if _, err := s.Add(ctx, "work", hookA); err != nil {
				t.Fatal(err)
			}
			c.prepare(t, s)
			_, _, err := s.List()
			if err == nil || (c.want != nil && !errors.Is(err, c.want)) {
				t.Fatalf("List = %v, want %v", err, c.want)
			}
			if _, err := s.Add(ctx, "other", hookA); err == nil {
				t.Fatal("Add rewrote a refused file")
			}
			if Names(s.dir) != nil {
				t.Fatal("Names read a refused file")
			}
		})
	}
}

// TestConcurrentAdds: adds from many goroutines (each its own open file,
// as processes) all survive: the lock serialises read-modify-write.
func TestConcurrentAdds(t *testing.T) {
	s := New(t.TempDir())
	var wg sync.WaitGroup
	const n = 12
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := New(s.dir).Add(context.Background(), fmt.Sprintf("p%02d", i), hookA)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if names, _, _ := s.List(); len(names) != n {
		t.Fatalf("%d profiles survived of %d: %v", len(names), n, names)
	}
	if left, _ := filepath.Glob(filepath.Join(s.dir, ".profiles.json-*")); len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
}

func TestReplace(t *testing.T) {
	s := New(t.TempDir())
	ctx := context.Background()
	if r, _ := s.Add(ctx, "w", hookA); r {
		t.Fatal("first add reported a replacement")
	}
	if r, err := s.Add(ctx, "w", "https://c.bitrix24.com/rest/3/cc/"); !r || err != nil {
		t.Fatalf("second add = %v %v", r, err)
	}
	if w, _ := s.Webhook("w"); w != "https://c.bitrix24.com/rest/3/cc/" {
		t.Fatal(w)
	}
}

// TestAppProfile: an application's profile is stored with its kind, prints
// without its client secret, has no webhook (ErrNotWebhook), and removing
// or replacing it deletes its token file.
func TestAppProfile(t *testing.T) {
	dir := t.TempDir()
	s := New(dir)
	ctx := context.Background()
	app := Profile{Kind: KindApp, Portal: "https://a.bitrix24.com", ClientID: "local.1", ClientSecret: "clientsecretvalue"}
	if _, err := s.Put(ctx, "shop", app); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, "bad", Profile{Kind: "other"}); err == nil {
		t.Fatal("an unknown kind was stored")
	}
	got, err := s.Get("shop")
	if err != nil || got != app {
		t.Fatalf("Get = %v, %v", got, err)
	}
	if str := fmt.Sprintf("%v %+v %#v %s", got, got, got, got); strings.Contains(str, "clientsecretvalue") {
		t.Fatalf("a Profile prints its secret: %s", str)
	}
	if _, err := s.Webhook("shop"); !errors.Is(err, ErrNotWebhook) {
		t.Fatalf("Webhook of an application: %v", err)
	}
	for _, change := range []func() error{
		func() error { _, err := s.Put(ctx, "shop", app); return err },
		func() error { return s.Remove(ctx, "shop") },
	} {
		if err := s.MkTokenDir(); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(s.TokenPath("shop"), []byte("{}"), 0o600)
		if err := change(); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(s.TokenPath("shop")); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("the old tokens survived: %v", err)
		}
	}
}
