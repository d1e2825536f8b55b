package emulator

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
)

// OAuthFaultRule makes an OAuth endpoint misbehave, for tests of a
// client's sign-in discipline. The real rate limiter works on regardless:
// a request a rule answers is not counted against the Auth budget.
type OAuthFaultRule struct {
	// Endpoint is "token", "wstoken" or "revoke".
	Endpoint string `json:"endpoint"`
	// Grant narrows a token rule to one grant type: "jwt" or
	// "refresh_token" ("refresh" is accepted); "" matches any request.
	Grant string `json:"grant,omitempty"`
	// Response is what the matching requests get:
	//   "429"           429 CMN-301 with Retry-After (RetryAfter, at least 1 s),
	//                   without X-Rate-Limit-* headers, as an account-level limit;
	//   "503"           503 CMN-201, with Retry-After when RetryAfter is set;
	//   "invalid_grant" 400 invalid_grant: OAU-140 for a JWT, OAU-210 "Token
	//                   expired" for a refresh token (token only);
	//   "403"           token: 403 unauthorized_client OAU-112; wstoken: 403
	//                   CMN-401 (no WebSocket permission); revoke: 403
	//                   access_denied OAU-116;
	//   "hang"          no answer at all, until the client gives up or the
	//                   emulator closes.
	Response   string `json:"response"`
	RetryAfter int    `json:"retryAfter,omitempty"`
	// Count is how many requests the rule answers before it is removed;
	// 0 is unlimited.
	Count int `json:"count,omitempty"`
	// Probability, when above 0, is the chance that a matching request is
	// answered by the rule (drawn from a generator seeded by Config.Seed);
	// 0 means every matching request.
	Probability float64 `json:"probability,omitempty"`
}

// OAuth fault endpoints and responses.
const (
	oauthToken   = "token"
	oauthWSToken = "wstoken"
	oauthRevoke  = "revoke"

	respRateLimited  = "429"
	respUnavailable  = "503"
	respInvalidGrant = "invalid_grant"
	respForbidden    = "403"
	respHang         = "hang"
)

// validate checks a rule and normalises its grant name.
func (r *OAuthFaultRule) validate() error {
	switch r.Endpoint {
	case oauthToken, oauthWSToken, oauthRevoke:
	default:
		return fmt.Errorf("endpoint must be token, wstoken or revoke, got %q", truncate(r.Endpoint, 40))
	}
	switch r.Grant {
	case "":
	case grantNameJWT, grantNameRefresh, "refresh":
		if r.Endpoint != oauthToken {
			return fmt.Errorf("a grant applies to the token endpoint only")
		}
		if r.Grant == "refresh" {
			r.Grant = grantNameRefresh
		}
	default:
		return fmt.Errorf("grant must be jwt or refresh_token, got %q", truncate(r.Grant, 40))
	}
	switch r.Response {
	case respRateLimited, respUnavailable, respForbidden, respHang:
	case respInvalidGrant:
		if r.Endpoint != oauthToken {
			return fmt.Errorf("invalid_grant applies to the token endpoint only")
		}
	default:
		return fmt.Errorf("response must be 429, 503, invalid_grant, 403 or hang, got %q", truncate(r.Response, 40))
	}
	switch {
	case r.Count < 0 || r.RetryAfter < 0:
		return fmt.Errorf("count and retryAfter must not be negative")
	case r.Probability < 0 || r.Probability > 1:
		return fmt.Errorf("probability must be between 0 and 1")
	}
	return nil
}

// validateOAuthRules checks every rule (and normalises them in place).
func validateOAuthRules(rules []OAuthFaultRule) error {
	for i := range rules {
		if err := rules[i].validate(); err != nil {
			return fmt.Errorf("oauthRules[%d]: %v", i, err)
		}
	}
	return nil
}

// seed seeds the generator the OAuth rules draw from.
func (b *faultBox) seed(s int64) {
	b.mu.Lock()
	b.rng = rand.New(rand.NewPCG(uint64(s), 0x0a07))
	b.mu.Unlock()
}

// isUnresponsive reports whether the server answers nothing.
func (b *faultBox) isUnresponsive() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.f.Unresponsive
}

// takeOAuthRule returns the first rule for the endpoint and grant that
// fires now, and consumes one of its uses.
func (b *faultBox) takeOAuthRule(endpoint, grant string) (OAuthFaultRule, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i := range b.f.OAuthRules {
		r := &b.f.OAuthRules[i]
		checked := *r // SetFaults takes rules unchecked: skip a bad one
		if checked.validate() != nil || r.Endpoint != endpoint || (checked.Grant != "" && checked.Grant != grant) {
			continue
		}
		if r.Probability > 0 && b.rng.Float64() >= r.Probability {
			continue
		}
		out := *r
		if r.Count > 0 {
			r.Count--
			if r.Count == 0 {
				b.f.OAuthRules = append(b.f.OAuthRules[:i], b.f.OAuthRules[i+1:]...)
			}
		}
		return out, true
	}
	return OAuthFaultRule{}, false
}

// grantName is the log's name for a token request's grant type.
func grantName(grantType string) string {
	switch grantType {
	case grantJWT:
		return grantNameJWT
	case grantRefresh:
		return grantNameRefresh
	}
	return grantNameOther
}

// oauthFault answers the request if a rule for endpoint (and grant, a
// grantName) fires, and reports whether it did. It must be called without
// Platform.mu: a hang holds nothing.
func (e *Emulator) oauthFault(w http.ResponseWriter, r *http.Request, endpoint, grant string) bool {
	rule, ok := e.faults.takeOAuthRule(endpoint, grant)
	if !ok {
		return false
	}
	switch rule.Response {
	case respHang:
		e.hang(r)
	case respRateLimited:
		errRateLimited(max(1, rule.RetryAfter)).write(w)
	case respUnavailable:
		ae := errUnavailable()
		ae.RetryAfter = rule.RetryAfter
		ae.write(w)
	case respInvalidGrant:
		if grant == grantNameRefresh {
			oauthRefreshExpired.write(w)
		} else {
			oauthInvalidCredentials.write(w)
		}
	case respForbidden:
		switch endpoint {
		case oauthWSToken:
			errAppPermission(ScopeWebSocketSubscriptions).write(w)
		case oauthRevoke:
			oauthRevokeForbidden.write(w)
		default:
			grantType := grantJWT
			if grant == grantNameRefresh {
				grantType = grantRefresh
			}
			(&oauthError{http.StatusForbidden, "unauthorized_client", "OAU-112",
				"The client is unauthorized for the required grant type: [" + grantType + "]"}).write(w)
		}
	}
	return true
}

// oauthRevokeForbidden is DOCS errors.md's OAU-116 (403).
var oauthRevokeForbidden = &oauthError{http.StatusForbidden, "access_denied", "OAU-116", "Invalid authorization method"}

// ParseOAuthFault reads the command line form of an OAuth fault rule:
//
//	endpoint[:grant]=response[,count=N][,p=P][,retry-after=S]
//
// e.g. "token:refresh=invalid_grant,count=1", "wstoken=429,retry-after=5",
// "token:jwt=hang", "revoke=503,p=0.5".
func ParseOAuthFault(s string) (OAuthFaultRule, error) {
	var r OAuthFaultRule
	head, opts, _ := strings.Cut(s, ",")
	target, resp, ok := strings.Cut(head, "=")
	if !ok {
		return r, fmt.Errorf("%q: want endpoint[:grant]=response[,count=N][,p=P][,retry-after=S]", truncate(s, 60))
	}
	r.Endpoint, r.Grant, _ = strings.Cut(strings.TrimSpace(target), ":")
	r.Response = strings.TrimSpace(resp)
	if opts != "" {
		for _, opt := range strings.Split(opts, ",") {
			k, v, ok := strings.Cut(strings.TrimSpace(opt), "=")
			if !ok {
				return r, fmt.Errorf("%q is not key=value", truncate(opt, 40))
			}
			var err error
			switch k {
			case "count":
				r.Count, err = strconv.Atoi(v)
			case "p", "probability":
				r.Probability, err = strconv.ParseFloat(v, 64)
			case "retry-after":
				r.RetryAfter, err = strconv.Atoi(v)
			default:
				return r, fmt.Errorf("unknown option %q (count, p, retry-after)", truncate(k, 40))
			}
			if err != nil {
				return r, fmt.Errorf("%s: %q is not a number", k, truncate(v, 40))
			}
		}
	}
	if err := r.validate(); err != nil {
		return r, err
	}
	return r, nil
}
