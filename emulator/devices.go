package emulator

import (
	"slices"
	"strconv"
)

// Devices: every user has a desk phone and a softphone. Their ids derive
// from the extension id (extension ids are 1000 or more apart and end in
// 004, so desk = id+11 and softphone = id+22 never collide with anything),
// so nothing is stored per device.

// Device types the emulator gives users (SPEC DeviceResource.type).
const (
	DeviceHardPhone = "HardPhone"
	DeviceSoftPhone = "SoftPhone"
)

// Device is one of a user's phones.
type Device struct {
	ID   string
	Ext  *Extension
	Type string
}

const (
	deskOffset = 11
	softOffset = 22
)

// Devices lists a user's phones, desk phone first; other extension types
// have none.
func (p *Platform) Devices(ext *Extension) []Device {
	if ext.Type != TypeUser {
		return nil
	}
	return []Device{
		{ID: strconv.FormatInt(ext.ID+deskOffset, 10), Ext: ext, Type: DeviceHardPhone},
		{ID: strconv.FormatInt(ext.ID+softOffset, 10), Ext: ext, Type: DeviceSoftPhone},
	}
}

// DeskPhone is the device the simulated people answer on.
func (p *Platform) DeskPhone(ext *Extension) Device { return p.Devices(ext)[0] }

// deviceByID resolves a device id.
func (p *Platform) deviceByID(id string) (Device, bool) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return Device{}, false
	}
	for _, off := range []int64{deskOffset, softOffset} {
		if ext, ok := p.dir.ByID[n-off]; ok && ext.Type == TypeUser {
			d := p.Devices(ext)
			return d[slices.IndexFunc(d, func(x Device) bool { return x.ID == id })], true
		}
	}
	return Device{}, false
}

// deviceJSON is DeviceResource, with what a desk phone or a softphone shows.
type deviceJSON struct {
	ID           string           `json:"id"`
	URI          string           `json:"uri"`
	SKU          string           `json:"sku"`
	Type         string           `json:"type"`
	Name         string           `json:"name"`
	Serial       string           `json:"serial"`
	Status       string           `json:"status"`
	ComputerName string           `json:"computerName,omitempty"`
	Model        *deviceModelJSON `json:"model,omitempty"`
	Extension    presenceExtRef   `json:"extension"`
	PhoneLines   []phoneLineJSON  `json:"phoneLines"`
	Site         *siteBasicJSON   `json:"site,omitempty"`
	LinePooling  string           `json:"linePooling"`
}

type deviceModelJSON struct {
	ID        string   `json:"id"`
	Name      string   `json:"name"`
	Features  []string `json:"features"`
	LineCount int      `json:"lineCount"`
}

type phoneLineJSON struct {
	ID        string        `json:"id"`
	LineType  string        `json:"lineType"`
	PhoneInfo phoneInfoJSON `json:"phoneInfo"`
}

type phoneInfoJSON struct {
	ID          int64  `json:"id"`
	PhoneNumber string `json:"phoneNumber"`
	PaymentType string `json:"paymentType"`
	Type        string `json:"type"`
	UsageType   string `json:"usageType"`
}

func (p *Platform) deviceJSON(d Device) deviceJSON {
	ext := d.Ext
	id, _ := strconv.ParseInt(d.ID, 10, 64)
	out := deviceJSON{
		ID:        d.ID,
		URI:       p.accountURI() + "/device/" + d.ID,
		Type:      d.Type,
		Status:    "Online",
		Extension: presenceExtRef{URI: p.extensionURI(ext), ID: ext.ID, ExtensionNumber: ext.Number},
		PhoneLines: []phoneLineJSON{{
			ID: strconv.FormatInt(id*10+1, 10), LineType: "Standalone",
			PhoneInfo: phoneInfoJSON{ID: ext.ID + 7, PhoneNumber: ext.Phone, PaymentType: "Local", Type: "VoiceFax", UsageType: "DirectNumber"},
		}},
		Site: siteBasic(ext.Site),
	}
	if d.Type == DeviceHardPhone {
		out.SKU, out.Name, out.Serial, out.LinePooling = "HP-136", "Polycom VVX 450", "0004F2"+strconv.FormatInt(id%1000000, 16), "Host"
		out.Model = &deviceModelJSON{ID: "136", Name: "Polycom VVX 450", Features: []string{"BLA", "Intercom", "Paging", "HELD"}, LineCount: 12}
	} else {
		out.SKU, out.Name, out.Serial, out.LinePooling = "DV-1", ext.Name+"'s RingCentral for Desktop", strconv.FormatInt(id, 36), "Guest"
		out.ComputerName = "WS-" + ext.Number
	}
	return out
}

var (
	deviceTypes    = []string{"HardPhone", "SoftPhone", "OtherPhone", "WebRTC", "Room"}
	linePoolings   = []string{"Host", "Guest", "None"}
	deviceFeatures = []string{"BLA", "CommonPhone", "Intercom", "Paging", "HELD"}
	lineTypes      = []string{"Unknown", "Standalone", "StandaloneFree", "BlaPrimary", "BlaSecondary"}
)

// listExtensionDevices serves GET .../extension/{extensionId}/device
// (SPEC listExtensionDevices; Light): the caller's own phones, or anyone's
// for an admin, filtered by type, linePooling, feature and lineType.
func listExtensionDevices(c *restCall) (reply, *apiError) {
	ext, err := c.pathExtension()
	if err != nil {
		return reply{}, err
	}
	if !c.mayActFor(ext) {
		return reply{}, errOtherExtension()
	}
	q := c.r.URL.Query()
	types, err := enumList(q["type"], "type", deviceTypes)
	if err != nil {
		return reply{}, err
	}
	pooling, err := enumList(q["linePooling"], "linePooling", linePoolings)
	if err != nil {
		return reply{}, err
	}
	features, err := enumList(q["feature"], "feature", deviceFeatures)
	if err != nil {
		return reply{}, err
	}
	lines, err := enumList(q["lineType"], "lineType", lineTypes)
	if err != nil {
		return reply{}, err
	}
	pr, err := c.pageParams(false)
	if err != nil {
		return reply{}, err
	}
	var found []deviceJSON
	for _, d := range c.p.Devices(ext) {
		j := c.p.deviceJSON(d)
		var feats []string
		if j.Model != nil {
			feats = j.Model.Features
		}
		if (len(types) == 0 || slices.Contains(types, j.Type)) &&
			(len(pooling) == 0 || slices.Contains(pooling, j.LinePooling)) &&
			(len(features) == 0 || slices.ContainsFunc(features, func(f string) bool { return slices.Contains(feats, f) })) &&
			(len(lines) == 0 || slices.Contains(lines, j.PhoneLines[0].LineType)) {
			found = append(found, j)
		}
	}
	return okJSON(paginate(c, c.p.extensionURI(ext)+"/device", pr, found, func(d deviceJSON) deviceJSON { return d }))
}
