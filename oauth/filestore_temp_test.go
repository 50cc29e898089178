package oauth_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/b24go/b24/oauth"
)

// TestLockRemovesStaleTemps: a process killed inside FileStore.Save (after
// the temporary file was written, before the rename) leaves a file holding
// a pair of tokens beside the store. Lock removes such files once they are
// older than a minute, and keeps a younger one (a Save in progress), the
// token file and files of other stores.
func TestLockRemovesStaleTemps(t *testing.T) {
	dir := t.TempDir()
	st := oauth.FileStore{Path: filepath.Join(dir, "shop.json")}
	if err := st.Save(context.Background(), oauth.Token{RefreshToken: "rt-1"}); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-2 * time.Minute)
	files := []struct {
		name    string
		stale   bool
		removed bool
	}{
		{".shop.json-123.tmp", true, true},
		{".shop.json-456.tmp", false, false},
		{".other.json-789.tmp", true, false},
		{".shop.json-123.tmpx", true, false},
	}
	for _, f := range files {
		p := filepath.Join(dir, f.name)
		if err := os.WriteFile(p, []byte(`{"refresh_token":"old"}`), 0o600); err != nil {
			t.Fatal(err)
		}
		if f.stale {
			if err := os.Chtimes(p, old, old); err != nil {
				t.Fatal(err)
			}
		}
	}
	unlock, err := st.Lock(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	unlock()
	for _, f := range files {
		_, err := os.Stat(filepath.Join(dir, f.name))
		if gone := os.IsNotExist(err); gone != f.removed {
			t.Errorf("%s: removed %v, want %v", f.name, gone, f.removed)
		}
	}
	if tok, err := st.Load(context.Background()); err != nil || tok.RefreshToken != "rt-1" {
		t.Errorf("the token file: %v %v", tok, err)
	}
}
