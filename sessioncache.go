package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/rchud/rchud/rc"
)

// The session cache keeps a signed-in session between runs, so that a
// restart spends no Auth request while the access token lives (a refresh
// after), and sessions do not pile up to RingCentral's cap of five. It is
// one file per credentials under the user's cache directory:
//
//	<os.UserCacheDir()>/rchud/session-<16 hex>.json   mode 0600, in a 0700 directory
//
// named and keyed by a SHA-256 of the server, app id, app secret and JWT,
// none of which is written. It holds the tokens, their expiry, the
// extension and session they belong to, and the requests of the last
// minute per rate-limit group (so the next start knows the budget already
// spent). Writes go to a temporary file renamed over the old one. A file
// others could read is not used (its tokens may have leaked) but removed;
// a directory others could read is repaired to 0700. The log says which.

// userCacheDir is where caches live (tests point it at a temporary one).
var userCacheDir = os.UserCacheDir

// cacheVersion is the file format's version.
const cacheVersion = 1

// sessionCache is the file of one set of credentials: an rc.TokenStore.
type sessionCache struct {
	dir, path, key string
	log            *slog.Logger
}

// cacheFile is the file's JSON.
type cacheFile struct {
	Version        int                    `json:"version"`
	Key            string                 `json:"key"`
	Owner          string                 `json:"owner,omitempty"`
	SessionID      string                 `json:"sessionId,omitempty"`
	AccessToken    string                 `json:"accessToken,omitempty"`
	AccessExpires  time.Time              `json:"accessExpires"`
	AccessTTL      int64                  `json:"accessTtlSeconds,omitempty"`
	RefreshToken   string                 `json:"refreshToken,omitempty"`
	RefreshExpires time.Time              `json:"refreshExpires"`
	Budget         map[string]cacheBudget `json:"budget,omitempty"`
	Saved          time.Time              `json:"saved"`
}

// cacheBudget is one rate-limit group's recent spending.
type cacheBudget struct {
	Limit         int         `json:"limit,omitempty"`
	WindowSeconds int64       `json:"windowSeconds,omitempty"`
	Sent          []time.Time `json:"sent,omitempty"`
	PenaltyUntil  *time.Time  `json:"penaltyUntil,omitempty"`
}

// cacheKey identifies credentials without revealing them.
func cacheKey(cfg rc.Config) string {
	h := sha256.New()
	for _, part := range []string{"rchud session cache v1", cfg.ServerURL, cfg.ClientID, cfg.ClientSecret, cfg.JWT} {
		io.WriteString(h, part)
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// openSessionCache finds the cache of cfg's credentials (nothing is read
// or written yet).
func openSessionCache(cfg rc.Config, log *slog.Logger) (*sessionCache, error) {
	base, err := userCacheDir()
	if err != nil {
		return nil, fmt.Errorf("no cache directory for the session: %w", err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	key := cacheKey(cfg)
	dir := filepath.Join(base, "rchud")
	return &sessionCache{dir: dir, path: filepath.Join(dir, "session-"+key[:16]+".json"), key: key, log: log}, nil
}

// private reports whether the platform's permission bits mean something.
func private() bool { return runtime.GOOS != "windows" }

// Load reads the session, refusing a file others could read.
func (c *sessionCache) Load() (rc.Session, error) {
	fi, err := os.Lstat(c.path)
	if errors.Is(err, fs.ErrNotExist) {
		return rc.Session{}, rc.ErrNoSession
	}
	if err != nil {
		return rc.Session{}, err
	}
	if !fi.Mode().IsRegular() {
		c.log.Info("session cache is not a regular file: not used", "path", c.path)
		return rc.Session{}, rc.ErrNoSession
	}
	if private() && fi.Mode().Perm()&0o077 != 0 {
		c.log.Info("session cache could be read by others: not used, removed (sign in again)",
			"path", c.path, "mode", fmt.Sprintf("%04o", fi.Mode().Perm()))
		_ = os.Remove(c.path)
		return rc.Session{}, rc.ErrNoSession
	}
	f, ok := c.read()
	if !ok {
		return rc.Session{}, rc.ErrNoSession
	}
	return f.session(), nil
}

// read decodes the file; false when it is missing, unreadable, of another
// version or for other credentials.
func (c *sessionCache) read() (cacheFile, bool) {
	b, err := os.ReadFile(c.path)
	if err != nil {
		return cacheFile{}, false
	}
	var f cacheFile
	if len(b) > 1<<20 || json.Unmarshal(b, &f) != nil || f.Version != cacheVersion {
		c.log.Info("session cache unreadable: ignored", "path", c.path)
		return cacheFile{}, false
	}
	if f.Key != c.key {
		c.log.Info("session cache is for other credentials: ignored", "path", c.path)
		return cacheFile{}, false
	}
	return f, true
}

// Save writes the session atomically, keeping the requests another
// process recorded meanwhile.
func (c *sessionCache) Save(s rc.Session) error {
	if err := c.ensureDir(); err != nil {
		return err
	}
	f := fileOf(c.key, s)
	if old, ok := c.read(); ok {
		f.mergeBudget(old.Budget)
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(c.dir, ".session-*.tmp")
	if err != nil {
		return fmt.Errorf("save the session: %w", err)
	}
	defer os.Remove(tmp.Name()) // gone once renamed
	if err := tmp.Chmod(0o600); err != nil && private() {
		tmp.Close()
		return fmt.Errorf("save the session: %w", err)
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("save the session: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("save the session: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save the session: %w", err)
	}
	if err := os.Rename(tmp.Name(), c.path); err != nil {
		return fmt.Errorf("save the session: %w", err)
	}
	return nil
}

// Clear removes the file.
func (c *sessionCache) Clear() error {
	if err := os.Remove(c.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// ensureDir makes the directory 0700, repairing one others could read.
func (c *sessionCache) ensureDir() error {
	if err := os.MkdirAll(c.dir, 0o700); err != nil {
		return fmt.Errorf("save the session: %w", err)
	}
	if !private() {
		return nil
	}
	fi, err := os.Stat(c.dir)
	if err != nil {
		return fmt.Errorf("save the session: %w", err)
	}
	if perm := fi.Mode().Perm(); perm != 0o700 {
		if err := os.Chmod(c.dir, 0o700); err != nil {
			return fmt.Errorf("the session cache directory %s has mode %04o and cannot be made private: %w", c.dir, perm, err)
		}
		c.log.Info("session cache directory could be read by others: repaired to 0700",
			"path", c.dir, "was", fmt.Sprintf("%04o", perm))
	}
	return nil
}

// fileOf is the file's content for a session.
func fileOf(key string, s rc.Session) cacheFile {
	f := cacheFile{Version: cacheVersion, Key: key, Owner: string(s.Owner), SessionID: s.SessionID,
		AccessToken: s.AccessToken, AccessExpires: s.AccessExpiry, AccessTTL: int64(s.AccessTTL / time.Second),
		RefreshToken: s.RefreshToken, RefreshExpires: s.RefreshExpiry, Saved: time.Now(),
		Budget: map[string]cacheBudget{}}
	for grp, gb := range s.Budget {
		cb := cacheBudget{Limit: gb.Limit, WindowSeconds: int64(gb.Window / time.Second), Sent: gb.Sent}
		if !gb.PenaltyUntil.IsZero() {
			p := gb.PenaltyUntil
			cb.PenaltyUntil = &p
		}
		f.Budget[string(grp)] = cb
	}
	return f
}

// mergeBudget adds what another process recorded (the same instant
// counts once) within the last few minutes.
func (f *cacheFile) mergeBudget(old map[string]cacheBudget) {
	recent := time.Now().Add(-5 * time.Minute)
	for grp, ob := range old {
		nb := f.Budget[grp]
		seen := map[int64]bool{}
		for _, t := range nb.Sent {
			seen[t.UnixNano()] = true
		}
		for _, t := range ob.Sent {
			if t.After(recent) && !seen[t.UnixNano()] {
				nb.Sent = append(nb.Sent, t)
			}
		}
		if nb.Limit == 0 {
			nb.Limit, nb.WindowSeconds = ob.Limit, ob.WindowSeconds
		}
		if ob.PenaltyUntil != nil && (nb.PenaltyUntil == nil || ob.PenaltyUntil.After(*nb.PenaltyUntil)) {
			nb.PenaltyUntil = ob.PenaltyUntil
		}
		f.Budget[grp] = nb
	}
}

// session is the file's content for the client.
func (f cacheFile) session() rc.Session {
	s := rc.Session{AccessToken: f.AccessToken, AccessExpiry: f.AccessExpires, AccessTTL: time.Duration(f.AccessTTL) * time.Second,
		RefreshToken: f.RefreshToken, RefreshExpiry: f.RefreshExpires, Owner: rc.ID(f.Owner), SessionID: f.SessionID,
		Budget: rc.Budget{}}
	for grp, cb := range f.Budget {
		gb := rc.GroupBudget{Limit: cb.Limit, Window: time.Duration(cb.WindowSeconds) * time.Second, Sent: cb.Sent}
		if cb.PenaltyUntil != nil {
			gb.PenaltyUntil = *cb.PenaltyUntil
		}
		s.Budget[rc.Group(grp)] = gb
	}
	return s
}
