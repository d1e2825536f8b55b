package state

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rchud/rchud/rc"
)

// rcCalls carries call actions through RingCentral's Call Control API.
type rcCalls struct {
	c *rc.Client
	m *Mirror
	// pickupPoll is how often a pickup of a ringing call looks for the
	// party it made on the picker's phone.
	pickupPoll time.Duration
}

// NewCallControl is the CallControl of client c, which acts for the
// people of mirror m.
func NewCallControl(c *rc.Client, m *Mirror) CallControl {
	return &rcCalls{c: c, m: m, pickupPoll: 250 * time.Millisecond}
}

func (r *rcCalls) Reason(err error) string { return rc.CallControlError(err) }

// Do sends one action. device is the device id calls are answered on.
func (r *rcCalls) Do(ctx context.Context, q CallRequest, device string) (string, error) {
	s, p := q.Call.Session, q.Call.Party
	var err error
	switch q.Kind {
	case ActAnswer:
		_, err = r.c.Answer(ctx, s, p, device)
	case ActHold:
		_, err = r.c.Hold(ctx, s, p)
	case ActUnhold:
		_, err = r.c.Unhold(ctx, s, p)
	case ActPark:
		party, err := r.c.Park(ctx, s, p)
		if err != nil {
			return "", err
		}
		if party.Status.ParkData != "" {
			return party.Status.ParkData, nil // the orbit to dial: "*802"
		}
		return string(party.Park.ID), nil
	case ActTransfer:
		var to rc.TransferTarget
		if q.To.Number != "" {
			to.PhoneNumber = q.To.Number
		} else {
			to.ExtensionID = string(q.To.Ext)
		}
		_, err = r.c.Transfer(ctx, s, p, to)
	case ActVoicemail:
		_, err = r.c.Transfer(ctx, s, p, rc.TransferTarget{Voicemail: string(q.To.Ext)})
	case ActHangUp:
		err = r.c.HangUp(ctx, s, p)
	case ActPickup:
		return "", r.pickup(ctx, q, device)
	default:
		err = fmt.Errorf("unknown call action %d", q.Kind)
	}
	return "", err
}

// pickup takes a parked call, or a colleague's ringing one, onto the
// picker's phone. The API picks up only parked calls; a ringing call is
// forwarded to the picker and answered on their device as it rings them.
func (r *rcCalls) pickup(ctx context.Context, q CallRequest, device string) error {
	s, err := r.c.TelephonySession(ctx, q.Call.Session)
	if err != nil {
		return err
	}
	var target *rc.CallParty
	for i := range s.Parties {
		if s.Parties[i].ID == q.Call.Party {
			target = &s.Parties[i]
		}
	}
	if target == nil || !target.Live() {
		return &rc.APIError{Status: 404, Code: "CMN-102", Message: "the call is gone"}
	}
	if target.Status.Code == rc.PartyParked {
		_, err := r.c.Pickup(ctx, q.Call.Session, q.Call.Party, device)
		return err
	}
	me, _ := r.m.Me()
	number := r.m.numberOf(me)
	if number == "" {
		return errors.New("my extension number is not known yet")
	}
	if _, err := r.c.Forward(ctx, q.Call.Session, q.Call.Party, rc.ForwardTarget{ExtensionNumber: number}); err != nil {
		return err
	}
	// The forward rings me in the same session: answer that party.
	t := time.NewTicker(r.pickupPoll)
	defer t.Stop()
	for {
		s, err := r.c.TelephonySession(ctx, q.Call.Session)
		if err != nil {
			return err
		}
		for _, p := range s.Parties {
			if p.Extension() == rc.ID(me) && p.Live() && (p.Status.Code == rc.PartySetup || p.Status.Code == rc.PartyProceeding) {
				_, err := r.c.Answer(ctx, q.Call.Session, p.ID, device)
				return err
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("forwarded to you, but it did not ring you in time: %w", ctx.Err())
		case <-t.C:
		}
	}
}

// numberOf is ext's extension number ("" when not known).
func (m *Mirror) numberOf(ext ID) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e := m.store.entry(ext); e != nil {
		return e.Number
	}
	return ""
}

// ChooseDevice picks the phone calls are answered on: the one named by
// want (its id, or a case-insensitive part of its name or type), else the
// first desk phone, else the first phone online. It fails when want names
// none.
func ChooseDevice(devices []rc.Device, want string) (rc.Device, error) {
	if want != "" {
		w := strings.ToLower(want)
		for _, d := range devices {
			if d.ID == want {
				return d, nil
			}
		}
		for _, d := range devices {
			if strings.Contains(strings.ToLower(d.Name), w) || strings.EqualFold(d.Type, want) {
				return d, nil
			}
		}
		var names []string
		for _, d := range devices {
			names = append(names, fmt.Sprintf("%s (%s %s)", d.ID, d.Type, Sanitize(d.Name)))
		}
		return rc.Device{}, fmt.Errorf("no phone %q among yours: %s", Sanitize(want), strings.Join(names, ", "))
	}
	for _, d := range devices {
		if d.Type == "HardPhone" && d.Status != "Offline" {
			return d, nil
		}
	}
	for _, d := range devices {
		if d.Status != "Offline" {
			return d, nil
		}
	}
	if len(devices) > 0 {
		return devices[0], nil
	}
	return rc.Device{}, errors.New("you have no phone to answer calls on")
}

// DeviceLabel names a device for the screen.
func DeviceLabel(d rc.Device) string {
	name := Sanitize(d.Name)
	kind := map[string]string{"HardPhone": "desk phone", "SoftPhone": "softphone", "WebRTC": "web phone", "OtherPhone": "phone"}[d.Type]
	switch {
	case name != "" && kind != "":
		return name + " (" + kind + ")"
	case name != "":
		return name
	case kind != "":
		return kind
	}
	return "device " + d.ID
}
