package emulator

import (
	"bytes"
	"mime"
	"net/http"
	"strings"
)

// Call Control over REST (rc-api.md §6; SPEC "Call Control"): every
// endpoint is in the Light group and needs the app's CallControl
// permission. Sessions are visible to admins and to users with a party in
// them (or a parked call to pick up); a party can be acted on by its owner
// or an admin. Errors, in the order they are checked: 403 without the
// permission, 415 for a body that is not JSON, 404 for a session or party
// that is gone, 403 for another user's party, 400 for a bad body (zero or
// several targets, an unknown device), 409 for a party in the wrong state.

// telephonyRoutes are the Call Control and device endpoints.
func telephonyRoutes() []restRoute {
	const sess = accountPath + "/telephony/sessions/{telephonySessionId}"
	const party = sess + "/parties/{partyId}"
	return []restRoute{
		{"GET " + sess, Light, readCallSession},
		{"DELETE " + sess, Light, dropCallSession},
		{"GET " + party, Light, readCallParty},
		{"DELETE " + party, Light, hangUpCallParty},
		{"POST " + party + "/answer", Light, answerCallParty},
		{"POST " + party + "/hold", Light, holdCallParty},
		{"POST " + party + "/unhold", Light, unholdCallParty},
		{"POST " + party + "/transfer", Light, transferCallParty},
		{"POST " + party + "/forward", Light, forwardCallParty},
		{"POST " + party + "/park", Light, parkCallParty},
		{"POST " + party + "/pickup", Light, pickupCallParty},
		{"POST " + party + "/ignore", Light, ignoreCallParty},
		{"GET " + accountPath + "/extension/{extensionId}/device", Light, listExtensionDevices},
	}
}

// requireCallControl answers 403 when the app lacks the CallControl
// permission: taken away by Config.NoCallControl (the --no-call-control
// flag) or by the permissions (--deny-scope CallControl, the control API).
func requireCallControl(c *restCall) *apiError {
	if c.p.cfg.NoCallControl {
		return errCallControlPermission()
	}
	return c.requireScope(ScopeCallControl)
}

// errCallControlPermission is CMN-401, an app permission the app lacks
// (rc-api.md §5.1).
func errCallControlPermission() *apiError {
	return errAppPermission(ScopeCallControl)
}

// errAdminRequired is CMN-402 (rc-api.md §5.2).
func errAdminRequired() *apiError {
	return &apiError{Status: http.StatusForbidden, Code: "CMN-402", Message: "Admin permission required"}
}

func errUnsupportedMediaType() *apiError {
	return &apiError{Status: http.StatusUnsupportedMediaType, Code: "CMN-104", Message: "Unsupported Media Type"}
}

// callSession resolves {telephonySessionId} for action, after the
// permission, a call-control fault rule and the body's media type.
func (c *restCall) callSession(action string) (*callSession, *apiError) {
	if ae := requireCallControl(c); ae != nil {
		return nil, ae
	}
	if ae := c.p.tel.takeFault(action); ae != nil {
		return nil, ae
	}
	if len(bytes.TrimSpace(c.body)) > 0 {
		if ct := c.r.Header.Get("Content-Type"); ct != "" {
			if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
				return nil, errUnsupportedMediaType()
			}
		}
	}
	s, ok := c.p.tel.lookup(c.r.PathValue("telephonySessionId"))
	if !ok || !c.maySee(s) {
		return nil, errNotFound("telephonySessionId")
	}
	return s, nil
}

// maySee: admins see every session; users the ones they have (or had) a
// party in, and parked calls, which anyone may pick up.
func (c *restCall) maySee(s *callSession) bool {
	if c.caller.Admin {
		return true
	}
	for _, pt := range s.Parties {
		if pt.Ext == c.caller || pt.live() && pt.Status == PartyParked {
			return true
		}
	}
	return false
}

// callParty resolves {partyId} among the session's live parties; unless
// anyone may act on it (pickup), it must be the caller's or the caller an
// admin.
func (c *restCall) callParty(action string, anyone bool) (*callParty, *apiError) {
	s, ae := c.callSession(action)
	if ae != nil {
		return nil, ae
	}
	pt := s.party(c.r.PathValue("partyId"))
	if pt == nil || !pt.live() {
		return nil, errNotFound("partyId")
	}
	if !anyone && pt.Ext != c.caller && !c.caller.Admin {
		return nil, errOtherExtension()
	}
	return pt, nil
}

// partyReply renders pt as the reply of an action.
func (c *restCall) partyReply(status int, pt *callParty) (reply, *apiError) {
	return jsonReply(status, c.p.callPartyJSON(pt.view()))
}

// readCallSession serves GET .../telephony/sessions/{telephonySessionId}
// (SPEC readCallSessionStatus): the parties still in the call.
func readCallSession(c *restCall) (reply, *apiError) {
	s, ae := c.callSession("read")
	if ae != nil {
		return reply{}, ae
	}
	return okJSON(c.p.callSessionJSON(s))
}

// dropCallSession serves DELETE .../telephony/sessions/{telephonySessionId}:
// the call ends for everyone. Admins, or a user with a party in it.
func dropCallSession(c *restCall) (reply, *apiError) {
	s, ae := c.callSession("drop")
	if ae != nil {
		return reply{}, ae
	}
	if !c.caller.Admin && !ownsLiveParty(s, c.caller) {
		return reply{}, errOtherExtension()
	}
	c.p.mutateLocked(func(tx *Tx) { c.p.tel.drop(tx, s, nil) })
	return noContent()
}

func ownsLiveParty(s *callSession, ext *Extension) bool {
	for _, pt := range s.live() {
		if pt.Ext == ext {
			return true
		}
	}
	return false
}

// readCallParty serves GET .../parties/{partyId}.
func readCallParty(c *restCall) (reply, *apiError) {
	pt, ae := c.callParty("read", true)
	if ae != nil {
		return reply{}, ae
	}
	return c.partyReply(http.StatusOK, pt)
}

// hangUpCallParty serves DELETE .../parties/{partyId}: the DOCS "ending a
// call" (drop the call for all participants). The SPEC's text says only
// supervised or parked parties can be deleted; the DOCS and the official
// call-control SDK hang up this way, so every live party can.
func hangUpCallParty(c *restCall) (reply, *apiError) {
	pt, ae := c.callParty("hangup", false)
	if ae != nil {
		return reply{}, ae
	}
	var body struct {
		KeepConferenceAlive *bool `json:"keepConferenceAlive"`
	}
	if ae := c.decode(&body, true); ae != nil {
		return reply{}, ae
	}
	c.p.mutateLocked(func(tx *Tx) { c.p.tel.drop(tx, pt.sess, pt) })
	return noContent()
}

// deviceBody is AnswerTarget, PickupTarget and IgnoreRequestBody.
type deviceBody struct {
	DeviceID flexID `json:"deviceId"`
}

// device reads the body's deviceId; owner, when set, must own it.
func (c *restCall) device(owner *Extension) (Device, *apiError) {
	var b deviceBody
	if ae := c.decode(&b, false); ae != nil {
		return Device{}, ae
	}
	if !b.DeviceID.ok {
		return Device{}, errInvalidParam("deviceId")
	}
	d, ok := c.p.deviceByID(b.DeviceID.value)
	if !ok || owner != nil && d.Ext != owner {
		return Device{}, errInvalidValue("deviceId", b.DeviceID.value)
	}
	return d, nil
}

// withParty runs op on the party in one Tx and answers the party.
func (c *restCall) withParty(action string, status int, body func(pt *callParty) *apiError, op func(tx *Tx, pt *callParty) *apiError) (reply, *apiError) {
	pt, ae := c.callParty(action, false)
	if ae != nil {
		return reply{}, ae
	}
	if body != nil {
		if ae := body(pt); ae != nil {
			return reply{}, ae
		}
	}
	c.p.mutateLocked(func(tx *Tx) { ae = op(tx, pt) })
	if ae != nil {
		return reply{}, ae
	}
	if status == http.StatusNoContent {
		return noContent()
	}
	return c.partyReply(status, pt)
}

// answerCallParty serves POST .../answer {deviceId}: a ringing party is
// answered on one of its owner's devices.
func answerCallParty(c *restCall) (reply, *apiError) {
	var dev Device
	return c.withParty("answer", http.StatusOK,
		func(pt *callParty) (ae *apiError) { dev, ae = c.device(pt.Ext); return ae },
		func(tx *Tx, pt *callParty) *apiError { return c.p.tel.answer(tx, pt, dev) })
}

// holdCallParty serves POST .../hold (optional {proto}).
func holdCallParty(c *restCall) (reply, *apiError) {
	return c.withParty("hold", http.StatusOK,
		func(*callParty) *apiError {
			var b struct {
				Proto *string `json:"proto"`
			}
			if ae := c.decode(&b, true); ae != nil {
				return ae
			}
			if b.Proto != nil && !oneOf(*b.Proto, "Auto", "RC", "BroadWorks", "DisconnectHolder", "BroadWorksOrDisconnectHolder") {
				return errInvalidValue("proto", *b.Proto)
			}
			return nil
		},
		func(tx *Tx, pt *callParty) *apiError { return c.p.tel.hold(tx, pt) })
}

// unholdCallParty serves POST .../unhold.
func unholdCallParty(c *restCall) (reply, *apiError) {
	return c.withParty("unhold", http.StatusOK, nil,
		func(tx *Tx, pt *callParty) *apiError { return c.p.tel.unhold(tx, pt) })
}

// targetBody is TransferTarget / ForwardTarget: exactly one field set.
type targetBody struct {
	PhoneNumber     *string `json:"phoneNumber"`
	Voicemail       *flexID `json:"voicemail"`
	ExtensionNumber *string `json:"extensionNumber"`
	ExtensionID     *flexID `json:"extensionId"`
	ParkOrbit       *flexID `json:"parkOrbit"`
}

// target reads and resolves the body's one target; parkOrbit only for a
// transfer.
func (c *restCall) target(from *Extension, allowPark bool) (transferTarget, *apiError) {
	var b targetBody
	if ae := c.decode(&b, false); ae != nil {
		return transferTarget{}, ae
	}
	var what, value string
	n := 0
	set := func(name string, v string, present bool) {
		if present {
			n++
			what, value = name, v
		}
	}
	str := func(s *string) (string, bool) {
		if s == nil {
			return "", false
		}
		return *s, true
	}
	id := func(f *flexID) (string, bool) {
		if f == nil {
			return "", false
		}
		return f.value, true
	}
	v, ok := str(b.PhoneNumber)
	set("phoneNumber", v, ok)
	v, ok = id(b.Voicemail)
	set("voicemail", v, ok)
	v, ok = str(b.ExtensionNumber)
	set("extensionNumber", v, ok)
	v, ok = id(b.ExtensionID)
	set("extensionId", v, ok)
	names := "phoneNumber, voicemail, extensionNumber, extensionId"
	if allowPark {
		v, ok = id(b.ParkOrbit)
		set("parkOrbit", v, ok)
		names = "phoneNumber, voicemail, extensionNumber, parkOrbit, extensionId"
	} else if b.ParkOrbit != nil {
		return transferTarget{}, errInvalidParam("parkOrbit")
	}
	if n != 1 {
		e := errInvalidParam("body")
		e.Message = "Only one of [" + names + "] must be specified"
		return transferTarget{}, e
	}
	return c.p.resolveTarget(what, strings.TrimSpace(value), from)
}

// transferCallParty serves POST .../transfer: a blind transfer of an
// answered or held party; the reply is that party, Disconnected with
// reason BlindTransfer (or Parked, for a park orbit).
func transferCallParty(c *restCall) (reply, *apiError) {
	var tg transferTarget
	return c.withParty("transfer", http.StatusOK,
		func(pt *callParty) (ae *apiError) { tg, ae = c.target(pt.Ext, true); return ae },
		func(tx *Tx, pt *callParty) *apiError { return c.p.tel.transfer(tx, pt, tg) })
}

// forwardCallParty serves POST .../forward: a ringing party's call goes to
// the target unanswered (ForwardCallPartyResponse: the forwarding party).
func forwardCallParty(c *restCall) (reply, *apiError) {
	var tg transferTarget
	return c.withParty("forward", http.StatusOK,
		func(pt *callParty) (ae *apiError) { tg, ae = c.target(pt.Ext, false); return ae },
		func(tx *Tx, pt *callParty) *apiError { return c.p.tel.forward(tx, pt, tg) })
}

// parkCallParty serves POST .../park: the party is Parked in the first
// free orbit, *801 to *899 (status.parkData says which); 201.
func parkCallParty(c *restCall) (reply, *apiError) {
	return c.withParty("park", http.StatusCreated, nil,
		func(tx *Tx, pt *callParty) *apiError { return c.p.tel.park(tx, pt, transferTarget{kind: toPark}) })
}

// pickupCallParty serves POST .../pickup {deviceId}: anyone picks a parked
// call up on a device of theirs (an admin on anyone's); 201 with the new
// party. The SPEC's pickup is for parked calls only: there is no directed
// pickup of a colleague's ringing call through the API (409).
func pickupCallParty(c *restCall) (reply, *apiError) {
	pt, ae := c.callParty("pickup", true)
	if ae != nil {
		return reply{}, ae
	}
	dev, ae := c.device(nil)
	if ae != nil {
		return reply{}, ae
	}
	if dev.Ext != c.caller && !c.caller.Admin {
		return reply{}, errOtherExtension()
	}
	var np *callParty
	c.p.mutateLocked(func(tx *Tx) { np, ae = c.p.tel.pickup(tx, pt, dev) })
	if ae != nil {
		return reply{}, ae
	}
	return c.partyReply(http.StatusCreated, np)
}

// ignoreCallParty serves POST .../ignore {deviceId}: an agent lets a queue
// call ringing them go to the next agent; 204.
func ignoreCallParty(c *restCall) (reply, *apiError) {
	return c.withParty("ignore", http.StatusNoContent,
		func(pt *callParty) (ae *apiError) { _, ae = c.device(pt.Ext); return ae },
		func(tx *Tx, pt *callParty) *apiError { return c.p.tel.ignore(tx, pt) })
}
