package serve

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestUsersFileMapsKeysToExtensionsAndRoles(t *testing.T) {
	a, b := newUser(t, "101", Agent), newUser(t, "205", Supervisor)
	u, err := ParseUsers([]byte(usersTOML(a, b)))
	if err != nil {
		t.Fatal(err)
	}
	got, ok := u.Lookup(b.signer.PublicKey())
	if !ok || got.Extension != "205" || got.Role != Supervisor || got.Fingerprint != b.fingerprint() || got.Comment != "test@rchud" {
		t.Fatalf("lookup of the second key = %+v, %v", got, ok)
	}
	if _, ok := u.Lookup(newUser(t, "1", Viewer).signer.PublicKey()); ok {
		t.Fatalf("a key not in the file was found")
	}
}

func TestUsersFileErrorsAreOneClearLine(t *testing.T) {
	key := strings.TrimSpace(usersTOML(newUser(t, "101", Agent)))
	keyLine := strings.Split(key, "\n")[1]
	cases := map[string]struct{ file, want string }{
		"bad role":      {"[[user]]\n" + keyLine + "\nextension = \"101\"\nrole = \"admin\"\n", "unknown role \"admin\""},
		"no key":        {"[[user]]\nextension = \"101\"\nrole = \"agent\"\n", "user 1: no key"},
		"bad key":       {"[[user]]\nkey = \"ssh-ed25519 AAAAnotakey\"\nextension = \"101\"\nrole = \"agent\"\n", "not one public key"},
		"bad extension": {"[[user]]\n" + keyLine + "\nextension = \"10a\"\nrole = \"agent\"\n", "extension must be an extension number"},
		"unknown field": {"[[user]]\n" + keyLine + "\nextension = \"101\"\nrole = \"agent\"\npassword = \"x\"\n", "unknown key \"user.password\""},
		"twice":         {key + "\n\n" + key + "\n", "the same key is listed twice"},
		"not toml":      {"[[user]\n", "users file:"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := ParseUsers([]byte(c.file))
			if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %v, want one line with %q", err, c.want)
			}
		})
	}
}

func TestUsersFileAndHostKeyMustBePrivate(t *testing.T) {
	dir := t.TempDir()
	users := filepath.Join(dir, "users.toml")
	if err := os.WriteFile(users, []byte(usersTOML(newUser(t, "101", Agent))), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadUsers(users); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("a world-readable users file: %v, want a refusal", err)
	}
	if err := os.Chmod(users, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadUsers(users); err != nil {
		t.Fatalf("a private users file: %v", err)
	}

	key := filepath.Join(dir, "keys", "host")
	s, made, err := LoadHostKey(key)
	if err != nil || !made || s.PublicKey().Type() != "ssh-ed25519" {
		t.Fatalf("first start: %v made=%v", err, made)
	}
	fi, err := os.Stat(key)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the host key was made with mode %v (%v), want 0600", fi.Mode().Perm(), err)
	}
	again, made, err := LoadHostKey(key)
	if err != nil || made || string(again.PublicKey().Marshal()) != string(s.PublicKey().Marshal()) {
		t.Fatalf("second start: %v made=%v, or a different key", err, made)
	}
	if err := os.Chmod(key, 0o640); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadHostKey(key); err == nil || !strings.Contains(err.Error(), "open to group or others") {
		t.Fatalf("a group-readable host key: %v, want a refusal", err)
	}
}

func TestRoleTable(t *testing.T) {
	own := []Action{ActionStatus, ActionDND, ActionMessage, ActionQueueCalls, ActionMyQueue}
	for _, a := range append(append(own, ActionMember), CallActions...) {
		if Allows(Viewer, a) {
			t.Errorf("viewer may %s", a)
		}
	}
	for _, r := range []Role{Agent, Supervisor, Frontdesk} {
		for _, a := range own {
			if !Allows(r, a) {
				t.Errorf("%s may not %s", r, a)
			}
		}
	}
	if Allows(Agent, ActionMember) || Allows(Frontdesk, ActionMember) || !Allows(Supervisor, ActionMember) {
		t.Errorf("only a supervisor changes members")
	}
	for _, a := range CallActions {
		if Allows(Agent, a) || Allows(Supervisor, a) || !Allows(Frontdesk, a) {
			t.Errorf("only the front desk may %s", a)
		}
	}
	if _, err := ParseRole("root"); err == nil {
		t.Errorf("an unknown role parsed")
	}
}
