package emulator

import (
	"net/url"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// loginScoped signs in with jwt asking for a narrower scope, as an app
// that was not granted everything would be.
func loginScoped(t *testing.T, e *Emulator, jwt, scope string) string {
	t.Helper()
	resp, body := postForm(t, e, "/restapi/oauth/token", url.Values{"grant_type": {grantJWT}, "assertion": {jwt}, "scope": {scope}})
	if resp.StatusCode != 200 {
		t.Fatalf("login with scope %q: %d %s", scope, resp.StatusCode, body)
	}
	var tr tokenResp
	mustJSON(t, body, &tr)
	return tr.AccessToken
}

type accountInfo struct {
	URI        string `json:"uri"`
	ID         int64  `json:"id"`
	MainNumber string `json:"mainNumber"`
	Status     string `json:"status"`
	Operator   struct {
		ID              int64  `json:"id"`
		ExtensionNumber string `json:"extensionNumber"`
	} `json:"operator"`
	ServiceInfo struct {
		Brand struct {
			Name string `json:"name"`
		} `json:"brand"`
		ServicePlan struct {
			Name string `json:"name"`
		} `json:"servicePlan"`
	} `json:"serviceInfo"`
	RegionalSettings struct {
		Timezone struct {
			Name string `json:"name"`
		} `json:"timezone"`
	} `json:"regionalSettings"`
	Limits struct {
		MaxMonitoredExtensionsPerUser int `json:"maxMonitoredExtensionsPerUser"`
	} `json:"limits"`
}

type businessAddress struct {
	URI             string `json:"uri"`
	Company         string `json:"company"`
	Email           string `json:"email"`
	MainSiteName    string `json:"mainSiteName"`
	BusinessAddress struct {
		Country, State, City, Street, Zip string
	} `json:"businessAddress"`
}

func TestCompanyInfoNamesTheAccountAndItsCompany(t *testing.T) {
	f := newRESTFixture(t, Config{})
	d := f.e.p.dir
	var info accountInfo
	f.get(t, f.agent, acct, &info)
	if info.ID != d.AccountID || info.MainNumber != d.MainNumber || info.Status != "Confirmed" ||
		info.URI != f.e.URL()+"/restapi/v1.0/account/"+strconv.FormatInt(d.AccountID, 10) {
		t.Fatalf("account info: %+v", info)
	}
	if info.Operator.ID != f.rec.ID || info.Operator.ExtensionNumber != f.rec.Number {
		t.Fatalf("the operator is the receptionist: %+v", info.Operator)
	}
	if info.ServiceInfo.Brand.Name != "RingCentral" || info.ServiceInfo.ServicePlan.Name == "" || info.Limits.MaxMonitoredExtensionsPerUser != maxMonitoredLines {
		t.Fatalf("service info and limits: %+v", info)
	}
	var byID accountInfo
	f.get(t, f.admin, "/restapi/v1.0/account/"+strconv.FormatInt(d.AccountID, 10), &byID)
	if byID.ID != info.ID {
		t.Fatalf("by the real account id: %+v", byID)
	}
	resp, body := call(t, f.e, f.agent, "GET", "/restapi/v1.0/account/"+strconv.FormatInt(d.AccountID+1, 10), nil)
	wantError(t, "another account", resp, body, 404, "CMN-102", "accountId")

	var addr businessAddress
	f.get(t, f.agent, acct+"/business-address", &addr)
	if addr.Company != d.Company || addr.Company == "" || addr.Email != "office@"+d.Domain || addr.MainSiteName != "Main Site" {
		t.Fatalf("business address: %+v", addr)
	}
	o := offices[d.MainNumber[2:5]]
	if addr.BusinessAddress.City != o.city || addr.BusinessAddress.State != o.state || info.RegionalSettings.Timezone.Name != o.zone.name {
		t.Fatalf("the address (%+v) and time zone (%s) must match the main number %s", addr.BusinessAddress, info.RegionalSettings.Timezone.Name, d.MainNumber)
	}
	if addr.BusinessAddress.Street == "" || addr.BusinessAddress.Zip == "" || addr.BusinessAddress.Country != "United States" {
		t.Fatalf("business address: %+v", addr.BusinessAddress)
	}

	// The same seed gives the same company and address.
	again := startEmu(t, Config{})
	tok := login(t, again, again.creds.Agents[0].JWT).AccessToken
	var addr2 businessAddress
	_, body = call(t, again, tok, "GET", acct+"/business-address", nil)
	mustJSON(t, body, &addr2)
	if addr2.Company != addr.Company || addr2.BusinessAddress != addr.BusinessAddress {
		t.Fatalf("the same seed gave %+v and %+v", addr, addr2)
	}
}

func TestCompanyInfoNeedsReadAccounts(t *testing.T) {
	f := newRESTFixture(t, Config{})
	tok := loginScoped(t, f.e, f.e.creds.Agents[0].JWT, "ReadPresence EditPresence WebSocket")
	for _, path := range []string{acct, acct + "/business-address"} {
		resp, body := call(t, f.e, tok, "GET", path, nil)
		wantPermissionError(t, path+" without ReadAccounts", resp, body, "CMN-401", "InsufficientPermissions", ScopeReadAccounts)
	}
}

// TestCompanyNamesReadWellInAHeader keeps the generated company names
// short plain text: the HUD puts the name in its one-line header.
func TestCompanyNamesReadWellInAHeader(t *testing.T) {
	for _, name := range companyNames {
		if len(name) > 28 || strings.TrimSpace(name) != name || strings.Contains(name, "  ") {
			t.Errorf("company name %q is too long or badly spaced for a header", name)
		}
		for _, r := range name {
			if !unicode.IsPrint(r) || r > unicode.MaxASCII {
				t.Errorf("company name %q has %q", name, r)
			}
		}
	}
	if d := generateDirectory(Config{Users: 120, Queues: 6, Seed: 1}.withDefaults()); d.Company == "" {
		t.Fatal("the demo account has no company name")
	}
}
