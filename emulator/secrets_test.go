package emulator

import (
	"slices"
	"testing"
)

func TestFindSecrets(t *testing.T) {
	fx := newWSFixture(t, Config{})
	c, cd := fx.connect(t, "")
	_ = c
	wsc := cd.Header.WSC.Token
	e := fx.e
	for text, want := range map[string]string{
		"refresh with " + fx.tok.RefreshToken + " failed": "refresh token",
		"Authorization: Bearer " + fx.tok.AccessToken:     "access token",
		"recover with wsc=" + wsc:                         "wsc",
		"assertion=" + e.creds.UserJWT:                    "JWT",
		"secret " + e.creds.ClientSecret + "!":            "client secret",
	} {
		if got := e.FindSecrets(text); !slices.Contains(got, want) {
			t.Errorf("%s not found: %v", want, got)
		}
	}
	if got := e.FindSecrets("GET /restapi/v1.0/account/~/extension/1234567890123456/presence 200"); len(got) != 0 {
		t.Errorf("false positive: %v", got)
	}
}
