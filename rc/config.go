// Package rc is a RingCentral platform client: OAuth with a JWT credential,
// the REST calls a presence console needs, a rate-limit governor, and the
// WebSocket gateway session that carries one subscription. It knows nothing
// of the UI or of rchud's domain rules. Wire facts come from
// ../shared/rc-api.md, cited by section.
package rc

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"strings"
)

// Server URLs RingCentral publishes (rc-api.md §0).
const (
	ProductionURL = "https://platform.ringcentral.com"
	SandboxURL    = "https://platform.devtest.ringcentral.com"
)

// Config is what it takes to sign in: the app's credentials and the user's
// JWT credential. Its String method never shows the secrets.
type Config struct {
	ServerURL    string
	ClientID     string
	ClientSecret string
	JWT          string
}

// String describes the config without its secrets.
func (c Config) String() string {
	return fmt.Sprintf("server %s, app %s", c.ServerURL, c.ClientID)
}

// Environment variable names, as RingCentral's own samples use them.
const (
	EnvServerURL    = "RC_SERVER_URL"
	EnvClientID     = "RC_APP_CLIENT_ID"
	EnvClientSecret = "RC_APP_CLIENT_SECRET"
	EnvJWT          = "RC_USER_JWT"
)

// LoadConfig reads the credentials from the environment (lookup), falling
// back to a .env file at envFile for names the environment lacks. A
// missing .env file is not an error; a malformed one is.
func LoadConfig(lookup func(string) (string, bool), envFile string) (Config, error) {
	return LoadConfigFrom(lookup, envFile, false)
}

// LoadConfigFrom is LoadConfig; required makes a missing envFile an error
// (one the user named, not the default .env).
func LoadConfigFrom(lookup func(string) (string, bool), envFile string, required bool) (Config, error) {
	file := map[string]string{}
	if envFile != "" {
		var err error
		file, err = readDotEnv(envFile)
		switch {
		case errors.Is(err, fs.ErrNotExist) && required:
			return Config{}, fmt.Errorf("--env-file %s: no such file", envFile)
		case err != nil && !errors.Is(err, fs.ErrNotExist):
			return Config{}, err
		}
	}
	get := func(k string) string {
		if v, ok := lookup(k); ok && v != "" {
			return v
		}
		return file[k]
	}
	c := Config{
		ServerURL:    get(EnvServerURL),
		ClientID:     get(EnvClientID),
		ClientSecret: get(EnvClientSecret),
		JWT:          get(EnvJWT),
	}
	var missing []string
	for _, m := range []struct{ name, v string }{
		{EnvClientID, c.ClientID}, {EnvClientSecret, c.ClientSecret}, {EnvJWT, c.JWT},
	} {
		if m.v == "" {
			missing = append(missing, m.name)
		}
	}
	if len(missing) > 0 {
		return Config{}, fmt.Errorf("missing %s (set them in the environment or a .env file)", strings.Join(missing, ", "))
	}
	server, err := ServerURL(c.ServerURL)
	if err != nil {
		return Config{}, err
	}
	c.ServerURL = server
	return c, nil
}

// ServerURL resolves the shorthands "production" (also the default when
// empty) and "sandbox", and checks anything else is an http(s) URL.
func ServerURL(s string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "production":
		return ProductionURL, nil
	case "sandbox", "devtest":
		return SandboxURL, nil
	}
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", fmt.Errorf("%s must be an http(s) URL, production or sandbox, got %q", EnvServerURL, s)
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// readDotEnv parses KEY=value lines; blank lines and # comments are
// skipped, an optional "export " prefix and surrounding quotes are allowed.
func readDotEnv(path string) (map[string]string, error) {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return nil, fmt.Errorf("%s is a directory, not a .env file", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		text := sc.Text()
		if n == 1 {
			text = strings.TrimPrefix(text, "\ufeff") // a byte order mark, as some editors on Windows write
		}
		line := strings.TrimSpace(text)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		k, v, ok := strings.Cut(line, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			// Never echo the line: it may hold a secret.
			return nil, fmt.Errorf("%s line %d is not KEY=value", path, n)
		}
		v = strings.TrimSpace(v)
		if len(v) > 0 && (v[0] == '"' || v[0] == '\'') {
			end := strings.IndexByte(v[1:], v[0])
			if end < 0 {
				return nil, fmt.Errorf("%s line %d has an unclosed quote", path, n)
			}
			v = v[1 : end+1]
		} else if i := strings.Index(v, " #"); i >= 0 {
			v = strings.TrimSpace(v[:i])
		}
		out[k] = v
	}
	if err := sc.Err(); err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the path is said once
		}
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return out, nil
}
