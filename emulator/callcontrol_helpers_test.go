package emulator

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// partyResp is the part of CallParty the tests read.
type partyResp struct {
	ID          string `json:"id"`
	ExtensionID string `json:"extensionId"`
	Direction   string `json:"direction"`
	Status      struct {
		Code     string `json:"code"`
		Reason   string `json:"reason"`
		ParkData string `json:"parkData"`
	} `json:"status"`
	Park *struct {
		ID string `json:"id"`
	} `json:"park"`
	From, To struct {
		PhoneNumber string `json:"phoneNumber"`
		Name        string `json:"name"`
		ExtensionID string `json:"extensionId"`
		DeviceID    string `json:"deviceId"`
	}
	Owner *struct {
		AccountID   string `json:"accountId"`
		ExtensionID string `json:"extensionId"`
	} `json:"owner"`
}

// sessionResp is CallSessionObject.
type sessionResp struct {
	ID     string `json:"id"`
	Origin struct {
		Type string `json:"type"`
	} `json:"origin"`
	Parties      []partyResp `json:"parties"`
	CreationTime string      `json:"creationTime"`
}

// partyOf finds the party of ext (by id) in a session, or the one with no
// extension when ext is nil.
func (s sessionResp) partyOf(ext *Extension) (partyResp, bool) {
	for _, p := range s.Parties {
		if ext == nil && p.ExtensionID == "" || ext != nil && p.ExtensionID == ext.IDString() {
			return p, true
		}
	}
	return partyResp{}, false
}

func sessPath(tsid string) string { return acct + "/telephony/sessions/" + tsid }

func partyPath(tsid, pid string) string { return sessPath(tsid) + "/parties/" + pid }

// ringVia makes a call from outside ring ext through the control API.
func (f *restFixture) ringVia(t *testing.T, ext *Extension, body string) CallRef {
	t.Helper()
	if body == "" {
		body = `{"callerNumber":"+14155550142","callerName":"Globex Corp"}`
	}
	resp, b := control(t, f.e, "POST", "/_emulator/extensions/"+ext.IDString()+"/ring", body)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("ring %s: %d %s", ext.Name, resp.StatusCode, b)
	}
	var ref CallRef
	mustJSON(t, b, &ref)
	return ref
}

// session reads a telephony session with token (200 expected).
func (f *restFixture) session(t *testing.T, token, tsid string) sessionResp {
	t.Helper()
	var s sessionResp
	f.get(t, token, sessPath(tsid), &s)
	return s
}

// act posts a call-control action and returns the response.
func (f *restFixture) act(t *testing.T, token, tsid, pid, action string, body any) (*http.Response, []byte) {
	t.Helper()
	path := partyPath(tsid, pid)
	if action != "" {
		path += "/" + action
	}
	return call(t, f.e, token, "POST", path, body)
}

// mustAct posts an action that must succeed with status, and decodes the party.
func (f *restFixture) mustAct(t *testing.T, token, tsid, pid, action string, body any, status int) partyResp {
	t.Helper()
	resp, b := f.act(t, token, tsid, pid, action, body)
	if resp.StatusCode != status {
		t.Fatalf("%s %s: %d %s", action, pid, resp.StatusCode, b)
	}
	var p partyResp
	if len(b) > 0 {
		mustJSON(t, b, &p)
	}
	return p
}

// desk is ext's desk phone id.
func (f *restFixture) desk(ext *Extension) string { return f.e.p.DeskPhone(ext).ID }

// callsOf returns ext's active calls from the ground truth.
func (f *restFixture) callsOf(t *testing.T, ext *Extension) []activeCall {
	t.Helper()
	return f.truthOf(t, ext).Presence.ActiveCalls
}

// sessionEvents are the telephony session notifications a sink got.
type sessionEvent struct {
	event string
	body  struct {
		Sequence           int64  `json:"sequence"`
		TelephonySessionID string `json:"telephonySessionId"`
		SessionID          string `json:"sessionId"`
		EventTime          string `json:"eventTime"`
		Parties            []struct {
			partyResp
			MissedCall bool `json:"missedCall"`
			QueueCall  bool `json:"queueCall"`
			UICallInfo *struct {
				Primary struct {
					Type, Value string
				} `json:"primary"`
			} `json:"uiCallInfo"`
		} `json:"parties"`
	}
}

func (f *restFixture) sessionEvents(t *testing.T, sink *captureSink) []sessionEvent {
	t.Helper()
	var out []sessionEvent
	for _, c := range f.delivered(sink) {
		var ev sessionEvent
		ev.event, _ = c.envelope["event"].(string)
		b, _ := json.Marshal(c.envelope["body"])
		mustJSON(t, b, &ev.body)
		out = append(out, ev)
	}
	return out
}

// statusesOf lists the status codes a party went through in the events.
func statusesOf(evs []sessionEvent, pid string) []string {
	var out []string
	for _, ev := range evs {
		for _, p := range ev.body.Parties {
			if p.ID == pid {
				out = append(out, p.Status.Code)
			}
		}
	}
	return out
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func stringsReader(s string) *strings.Reader { return strings.NewReader(s) }

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatalf("%q is not an integer", s)
	}
	return n
}
