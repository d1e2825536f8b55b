package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/rchud/rchud/rc"
	"github.com/rchud/rchud/state"
)

// peopleFile keeps the people a user pinned to the top and waits for, per
// account and user, in the user's config directory: a small JSON file,
// written atomically with mode 0600 in a 0700 directory. It holds no
// secret: accounts are keyed by a hash of the credentials.
type peopleFile struct {
	path string
	key  string
}

// peopleDoc is the file's content.
type peopleDoc struct {
	Accounts map[string]peopleLists `json:"accounts"`
}

type peopleLists struct {
	Pinned  []state.ID `json:"pinned,omitempty"`
	Watched []state.ID `json:"watched,omitempty"`
}

// newPeopleFile keeps cfg's user's lists in dir (os.UserConfigDir()/rchud
// when dir is "").
func newPeopleFile(dir string, cfg rc.Config) (*peopleFile, error) {
	if dir == "" {
		base, err := os.UserConfigDir()
		if err != nil {
			return nil, fmt.Errorf("no config directory for pins and watches: %w", err)
		}
		dir = filepath.Join(base, "rchud")
	}
	sum := sha256.Sum256([]byte(cfg.ServerURL + "\x00" + cfg.ClientID + "\x00" + cfg.JWT))
	return &peopleFile{path: filepath.Join(dir, "people.json"), key: hex.EncodeToString(sum[:12])}, nil
}

func (p *peopleFile) read() (peopleDoc, error) {
	doc := peopleDoc{Accounts: map[string]peopleLists{}}
	b, err := os.ReadFile(p.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return doc, nil
	case err != nil:
		return doc, err
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return doc, fmt.Errorf("%s is not a pins and watches file: %v", p.path, err)
	}
	if doc.Accounts == nil {
		doc.Accounts = map[string]peopleLists{}
	}
	return doc, nil
}

// Load returns the user's pins and watches.
func (p *peopleFile) Load() (pinned, watched []state.ID, err error) {
	doc, err := p.read()
	if err != nil {
		return nil, nil, err
	}
	l := doc.Accounts[p.key]
	return l.Pinned, l.Watched, nil
}

// Save replaces the user's pins and watches, keeping other accounts'.
func (p *peopleFile) Save(pinned, watched []state.ID) error {
	doc, err := p.read()
	if err != nil {
		return err
	}
	if len(pinned) == 0 && len(watched) == 0 {
		delete(doc.Accounts, p.key)
	} else {
		doc.Accounts[p.key] = peopleLists{Pinned: slices.Clone(pinned), Watched: slices.Clone(watched)}
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	return writePrivate(p.path, b)
}

// writePrivate writes data to path atomically (a temporary file renamed
// over it), readable by the user alone, in a directory only the user can
// enter.
func writePrivate(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after the rename, nothing is left to remove
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
