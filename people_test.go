package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rchud/rchud/rc"
	"github.com/rchud/rchud/state"
)

// TestPeopleFileIsPrivateAndPerAccount: pins and watches survive in a
// file only the user can read, kept apart per account, holding no secret.
func TestPeopleFileIsPrivateAndPerAccount(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "rchud")
	a := rc.Config{ServerURL: "https://platform.ringcentral.com", ClientID: "app", ClientSecret: "s3cret", JWT: "jwt-of-ann"}
	b := a
	b.JWT = "jwt-of-bob"
	fa, _ := newPeopleFile(dir, a)
	fb, _ := newPeopleFile(dir, b)
	if err := fa.Save([]state.ID{"7", "9"}, []state.ID{"3"}); err != nil {
		t.Fatal(err)
	}
	if err := fb.Save([]state.ID{"1"}, nil); err != nil {
		t.Fatal(err)
	}
	pinned, watched, err := fa.Load()
	if err != nil || !slices.Equal(pinned, []state.ID{"7", "9"}) || !slices.Equal(watched, []state.ID{"3"}) {
		t.Fatalf("Ann's lists: %v %v %v", pinned, watched, err)
	}
	if pinned, _, _ := fb.Load(); !slices.Equal(pinned, []state.ID{"1"}) {
		t.Fatalf("Bob's lists: %v", pinned)
	}
	st, err := os.Stat(fa.path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("file mode %v (%v), want 0600", st.Mode().Perm(), err)
	}
	if dst, _ := os.Stat(dir); dst.Mode().Perm() != 0o700 {
		t.Fatalf("directory mode %v, want 0700", dst.Mode().Perm())
	}
	body, _ := os.ReadFile(fa.path)
	for _, secret := range []string{"s3cret", "jwt-of-ann", "jwt-of-bob"} {
		if strings.Contains(string(body), secret) {
			t.Fatalf("the file holds a secret: %s", body)
		}
	}
	if err := os.WriteFile(fa.path, []byte("not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := fa.Load(); err == nil {
		t.Fatalf("a broken file must say so")
	}
}
