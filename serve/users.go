package serve

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/BurntSushi/toml"
	gossh "golang.org/x/crypto/ssh"
)

// User is one person who may connect: their SSH key, their extension
// number, and their role.
type User struct {
	// Key is the SSH public key; Fingerprint its SHA256 fingerprint, which
	// names the user in the audit log and the log.
	Key         gossh.PublicKey
	Fingerprint string
	// Comment is the key's comment in users.toml (often user@host).
	Comment string
	// Extension is the extension number the user acts as.
	Extension string
	Role      Role
}

// Users is the users file as last read: who may connect.
type Users struct {
	byKey map[string]User // by the key's wire form
}

// Lookup finds the user of a key.
func (u *Users) Lookup(k gossh.PublicKey) (User, bool) {
	if u == nil || k == nil {
		return User{}, false
	}
	x, ok := u.byKey[string(k.Marshal())]
	return x, ok
}

// Len is how many users there are.
func (u *Users) Len() int { return len(u.byKey) }

// usersFile is users.toml's shape.
type usersFile struct {
	User []struct {
		Key       string `toml:"key"`
		Extension string `toml:"extension"`
		Role      string `toml:"role"`
	} `toml:"user"`
}

// LoadUsers reads the users file. A file that group or others may read
// or write is refused: it says who may change presence for whom.
func LoadUsers(path string) (*Users, error) {
	if err := checkPrivate(path, "users file"); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read the users file: %w", err)
	}
	return ParseUsers(b)
}

// ParseUsers parses a users file's contents.
func ParseUsers(b []byte) (*Users, error) {
	var f usersFile
	md, err := toml.NewDecoder(bytes.NewReader(b)).Decode(&f)
	if err != nil {
		return nil, fmt.Errorf("users file: %s", oneLine(err.Error()))
	}
	if left := md.Undecoded(); len(left) > 0 {
		return nil, fmt.Errorf("users file: unknown key %q (each [[user]] has key, extension and role)", left[0].String())
	}
	u := &Users{byKey: map[string]User{}}
	for i, x := range f.User {
		where := fmt.Sprintf("users file: user %d", i+1)
		if strings.TrimSpace(x.Key) == "" {
			return nil, fmt.Errorf("%s: no key", where)
		}
		k, comment, _, rest, err := gossh.ParseAuthorizedKey([]byte(x.Key))
		if err != nil || len(bytes.TrimSpace(rest)) > 0 {
			return nil, fmt.Errorf("%s: key is not one public key in authorized_keys format", where)
		}
		if !isNumber(x.Extension) {
			return nil, fmt.Errorf("%s: extension must be an extension number such as \"101\", got %q", where, x.Extension)
		}
		role, err := ParseRole(x.Role)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		id := string(k.Marshal())
		if _, dup := u.byKey[id]; dup {
			return nil, fmt.Errorf("%s: the same key is listed twice", where)
		}
		u.byKey[id] = User{Key: k, Fingerprint: gossh.FingerprintSHA256(k), Comment: comment, Extension: x.Extension, Role: role}
	}
	return u, nil
}

func isNumber(s string) bool {
	if s == "" || len(s) > 16 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// checkPrivate refuses a file that group or others may read or write.
func checkPrivate(path, what string) error {
	fi, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("the %s %s does not exist", what, path)
		}
		return fmt.Errorf("the %s: %w", what, err)
	}
	if mode := fi.Mode().Perm(); mode&0o077 != 0 {
		return fmt.Errorf("the %s %s is open to group or others (mode %04o): chmod 600 %s", what, path, mode, path)
	}
	return nil
}

// oneLine keeps the first line of a message.
func oneLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}
