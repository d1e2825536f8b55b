package emulator

import (
	"regexp"
	"sort"
	"strings"
)

// tokenLike matches runs that could be a token, a JWT or a wsc.
var tokenLike = regexp.MustCompile(`[A-Za-z0-9_\-.]{16,}`)

// rememberSecret records a token the emulator issued (p.mu held), so tests
// can search logs and error texts for it later.
func (p *Platform) rememberSecret(kind, tok string) {
	if p.issued == nil {
		p.issued = map[string]string{}
	}
	p.issued[tok] = kind
}

// FindSecrets reports every secret the emulator ever issued that appears
// in text: the client secret, a JWT credential, an access, refresh or
// WebSocket token, or a wsc (checked by its MAC). It returns the kinds
// found ("access token", "wsc", ...), never the secrets themselves.
func (e *Emulator) FindSecrets(text string) []string {
	p := e.p
	p.mu.Lock()
	defer p.mu.Unlock()
	found := map[string]bool{}
	if strings.Contains(text, e.creds.ClientSecret) {
		found["client secret"] = true
	}
	for jwt := range p.auth.jwts {
		if strings.Contains(text, jwt) {
			found["JWT"] = true
		}
	}
	for _, run := range tokenLike.FindAllString(text, -1) {
		for _, part := range append([]string{run}, strings.Split(run, ".")...) {
			if kind, ok := p.issued[part]; ok {
				found[kind] = true
			}
			if _, _, ok := e.gw.parseWSC(part); ok {
				found["wsc"] = true
			}
		}
	}
	for tok, kind := range p.issued {
		if len(tok) >= 16 && strings.Contains(text, tok) {
			found[kind] = true
		}
	}
	var out []string
	for k := range found {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
