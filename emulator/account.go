package emulator

import (
	"math/rand/v2"
	"strconv"
)

// Company info: GET /restapi/v1.0/account/{accountId} (SPEC readAccountInfo,
// GetAccountInfoResponse) and GET .../business-address (SPEC
// readAccountBusinessAddress, AccountBusinessAddressResource). The account
// info has no company name field; the business address's `company` is where
// the SPEC puts it. Both are Light, app permission ReadAccounts, user
// permission ReadCompanyInfo (which every role holds).

// office is where a company with a main number in an area code is.
// maxMonitoredLines is the account's limit on monitored lines per user
// (AccountLimitsInfo.maxMonitoredExtensionsPerUser).
const maxMonitoredLines = 100

type office struct {
	city, state, zip string
	zone             timezone
}

type timezone struct {
	id, name, description, bias string
}

var (
	pacific  = timezone{"58", "US/Pacific", "Pacific Time (US & Canada)", "-480"}
	mountain = timezone{"62", "US/Mountain", "Mountain Time (US & Canada)", "-420"}
	central  = timezone{"59", "US/Central", "Central Time (US & Canada)", "-360"}
	eastern  = timezone{"60", "US/Eastern", "Eastern Time (US & Canada)", "-300"}
)

// offices maps the main number's area code (names.go areaCodes) to a city,
// so the address, the number and the time zone agree.
var offices = map[string]office{
	"650": {"Menlo Park", "CA", "94025", pacific},
	"415": {"San Francisco", "CA", "94107", pacific},
	"212": {"New York", "NY", "10013", eastern},
	"312": {"Chicago", "IL", "60607", central},
	"512": {"Austin", "TX", "78701", central},
	"303": {"Denver", "CO", "80202", mountain},
	"206": {"Seattle", "WA", "98121", pacific},
	"617": {"Boston", "MA", "02210", eastern},
	"404": {"Atlanta", "GA", "30308", eastern},
	"305": {"Miami", "FL", "33131", eastern},
	"702": {"Las Vegas", "NV", "89101", pacific},
	"919": {"Raleigh", "NC", "27601", eastern},
}

var streets = []string{
	"Harbor Boulevard", "Maple Avenue", "Commerce Street", "Market Street", "Lakeview Drive",
	"Pine Street", "Industrial Parkway", "Cedar Lane", "Main Street", "Riverside Drive",
}

// companyAddress is the account's business address, drawn from the seed.
func (p *Platform) companyAddress() (street string, o office) {
	area := "650"
	if len(p.dir.MainNumber) >= 5 {
		area = p.dir.MainNumber[2:5]
	}
	o, ok := offices[area]
	if !ok {
		o = offices["650"]
	}
	r := rand.New(rand.NewPCG(uint64(p.cfg.Seed), 0xadd7e55))
	street = strconv.Itoa(100+r.IntN(8900)) + " " + streets[r.IntN(len(streets))]
	if r.IntN(3) == 0 {
		street += ", Suite " + strconv.Itoa(100*(1+r.IntN(9))+r.IntN(20))
	}
	return street, o
}

// accountInfoJSON is GetAccountInfoResponse.
type accountInfoJSON struct {
	URI              string            `json:"uri"`
	ID               int64             `json:"id"`
	MainNumber       string            `json:"mainNumber"`
	Operator         presenceExtRef    `json:"operator"`
	ServiceInfo      serviceInfoJSON   `json:"serviceInfo"`
	SetupWizardState string            `json:"setupWizardState"`
	SignupInfo       signupInfoJSON    `json:"signupInfo"`
	Status           string            `json:"status"`
	RegionalSettings regionalJSON      `json:"regionalSettings"`
	Federated        bool              `json:"federated"`
	Limits           accountLimitsJSON `json:"limits"`
}

type serviceInfoJSON struct {
	URI         string          `json:"uri"`
	BillingPlan billingPlanJSON `json:"billingPlan"`
	Brand       brandJSON       `json:"brand"`
	ServicePlan servicePlanJSON `json:"servicePlan"`
}

type billingPlanJSON struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	DurationUnit string `json:"durationUnit"`
	Duration     int    `json:"duration"`
	Type         string `json:"type"`
}

type brandJSON struct {
	ID          string      `json:"id"`
	Name        string      `json:"name"`
	HomeCountry countryJSON `json:"homeCountry"`
}

type servicePlanJSON struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Edition string `json:"edition"`
}

type countryJSON struct {
	ID          string `json:"id"`
	URI         string `json:"uri"`
	Name        string `json:"name"`
	IsoCode     string `json:"isoCode"`
	CallingCode string `json:"callingCode"`
}

type signupInfoJSON struct {
	TosAccepted  bool     `json:"tosAccepted"`
	SignupState  []string `json:"signupState"`
	CreationTime string   `json:"creationTime"`
}

type regionalJSON struct {
	HomeCountry countryJSON  `json:"homeCountry"`
	Timezone    timezoneJSON `json:"timezone"`
	TimeFormat  string       `json:"timeFormat"`
	Currency    currencyJSON `json:"currency"`
}

type timezoneJSON struct {
	URI         string `json:"uri"`
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Bias        string `json:"bias"`
}

type currencyJSON struct {
	ID     int64  `json:"id"`
	Code   string `json:"code"`
	Name   string `json:"name"`
	Symbol string `json:"symbol"`
}

type accountLimitsJSON struct {
	FreeSoftPhoneLinesPerExtension int `json:"freeSoftPhoneLinesPerExtension"`
	MeetingSize                    int `json:"meetingSize"`
	MaxMonitoredExtensionsPerUser  int `json:"maxMonitoredExtensionsPerUser"`
	MaxExtensionNumberLength       int `json:"maxExtensionNumberLength"`
	SiteCodeLength                 int `json:"siteCodeLength"`
	ShortExtensionNumberLength     int `json:"shortExtensionNumberLength"`
}

func (p *Platform) unitedStates() countryJSON {
	return countryJSON{ID: "1", URI: p.base + "/restapi/v1.0/dictionary/country/1", Name: "United States", IsoCode: "US", CallingCode: "1"}
}

// readAccountInfo serves GET /restapi/v1.0/account/{accountId}.
func readAccountInfo(c *restCall) (reply, *apiError) {
	p, d := c.p, c.p.dir
	_, o := p.companyAddress()
	rec := d.Receptionist
	userStart, _, _ := numberPlan(p.cfg.Users)
	created := rec.Created
	return okJSON(accountInfoJSON{
		URI:        p.accountURI(),
		ID:         d.AccountID,
		MainNumber: d.MainNumber,
		Operator:   presenceExtRef{URI: p.extensionURI(rec), ID: rec.ID, ExtensionNumber: rec.Number},
		ServiceInfo: serviceInfoJSON{
			URI: p.accountURI() + "/service-info",
			BillingPlan: billingPlanJSON{ID: "25346", Name: "Monthly-RingEX Premium", DurationUnit: "Month",
				Duration: 1, Type: "Regular"},
			Brand:       brandJSON{ID: "1210", Name: "RingCentral", HomeCountry: p.unitedStates()},
			ServicePlan: servicePlanJSON{ID: "8804", Name: "RingEX Premium", Edition: "Premium"},
		},
		SetupWizardState: "Completed",
		SignupInfo: signupInfoJSON{TosAccepted: true, CreationTime: rcTime(created),
			SignupState: []string{"AccountCreated", "BillingEntered", "CreditCardApproved", "AccountConfirmed"}},
		Status: "Confirmed",
		RegionalSettings: regionalJSON{
			HomeCountry: p.unitedStates(),
			Timezone: timezoneJSON{URI: p.base + "/restapi/v1.0/dictionary/timezone/" + o.zone.id, ID: o.zone.id,
				Name: o.zone.name, Description: o.zone.description, Bias: o.zone.bias},
			TimeFormat: "12h",
			Currency:   currencyJSON{ID: 146, Code: "USD", Name: "US Dollar", Symbol: "$"},
		},
		Limits: accountLimitsJSON{
			FreeSoftPhoneLinesPerExtension: 1, MeetingSize: 100, MaxMonitoredExtensionsPerUser: maxMonitoredLines,
			MaxExtensionNumberLength: 8, SiteCodeLength: 3, ShortExtensionNumberLength: len(strconv.Itoa(userStart)),
		},
	})
}

// businessAddressJSON is AccountBusinessAddressResource.
type businessAddressJSON struct {
	URI             string              `json:"uri"`
	BusinessAddress businessAddressInfo `json:"businessAddress"`
	Company         string              `json:"company"`
	Email           string              `json:"email"`
	MainSiteName    string              `json:"mainSiteName"`
}

type businessAddressInfo struct {
	Country string `json:"country"`
	State   string `json:"state"`
	City    string `json:"city"`
	Street  string `json:"street"`
	Zip     string `json:"zip"`
}

// readBusinessAddress serves GET /restapi/v1.0/account/{accountId}/business-address:
// the company name, its address and email.
func readBusinessAddress(c *restCall) (reply, *apiError) {
	p, d := c.p, c.p.dir
	street, o := p.companyAddress()
	main := "Main Site"
	if len(d.Sites) > 0 {
		main = d.Sites[0].Name
	}
	return okJSON(businessAddressJSON{
		URI:             p.accountURI() + "/business-address",
		BusinessAddress: businessAddressInfo{Country: "United States", State: o.state, City: o.city, Street: street, Zip: o.zip},
		Company:         d.Company,
		Email:           "office@" + d.Domain,
		MainSiteName:    main,
	})
}
