package rc

import "testing"

// detailedPresenceFrame is one ServerNotification as the gateway sends it
// for a detailed account-presence filter: an agent on two calls, one of
// them a queue call (rc-api.md §2.5, §3.2).
const detailedPresenceFrame = `[{"type":"ServerNotification","messageId":"6a1b3f0e-5d2c-4f7a-9e8b-1c2d3e4f5a6b","status":200,` +
	`"headers":{"Content-Type":"application/json","RCRequestId":"265348d0-0000-0000-0000-005056a62c0c"},` +
	`"wsc":{"token":"RTFhRG5nfExxxxxxxxxxxcHE3bXkyRURQVQ","sequence":48213}},` +
	`{"uuid":"6a1b3f0e-5d2c-4f7a-9e8b-1c2d3e4f5a6b","event":"/restapi/v1.0/account/809646016/extension/62264425016/presence?detailedTelephonyState=true",` +
	`"timestamp":"2026-03-02T14:07:31.482Z","subscriptionId":"1b2a2e6b-2245-4278-b47c-16259ca003a8","ownerId":"62264425001",` +
	`"body":{"extensionId":"62264425016","telephonyStatus":"OnHold","activeCalls":[` +
	`{"id":"39247ebfdc324e3b96d7519672aec3e4","direction":"Inbound","queueCall":true,"from":"+18775380038","fromName":"John Wang",` +
	`"to":"+18445810019","toName":"Support","startTime":"2026-03-02T14:01:12.322Z","telephonyStatus":"OnHold",` +
	`"sessionId":"17133704004","telephonySessionId":"Y3MxNjk4ODA5MTYxMzUyOTU5OUAxMC4zMi40NS44NA","partyId":"cs171843418296416309-2"},` +
	`{"id":"8f0c1d2e3a4b5c6d7e8f9a0b1c2d3e4f","direction":"Outbound","queueCall":false,"from":"1016","fromName":"Ana Ruiz",` +
	`"to":"+14155550123","startTime":"2026-03-02T14:07:30.914Z","telephonyStatus":"CallConnected",` +
	`"sessionId":"17133704388","telephonySessionId":"Y3MxNjk4ODA5MTYxMzUyOTU5OUAxMC4zMi40NS45MQ","partyId":"cs171843418296416377-1"}],` +
	`"sequence":2698,"presenceStatus":"Busy","userStatus":"Available","meetingStatus":"Disconnected","dndStatus":"TakeAllCalls",` +
	`"message":"Back at 3","allowSeeMyPresence":true,"ringOnMonitoredCall":false,"pickUpCallsOnHold":false,"totalActiveCalls":2}}]`

// BenchmarkDecodeNotificationFrame measures what the reader spends per
// notification: the bytes of one detailed presence frame with two active
// calls, to the typed Presence the mirror applies.
func BenchmarkDecodeNotificationFrame(b *testing.B) {
	data := []byte(detailedPresenceFrame)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		f, err := decodeFrame(data)
		if err != nil || f.note == nil {
			b.Fatal(err)
		}
		n := f.note
		p, err := n.Presence()
		if err != nil || len(p.ActiveCalls) != 2 {
			b.Fatalf("%d calls, %v", len(p.ActiveCalls), err)
		}
	}
}

// telephonySessionFrame is one telephony session event as the emulator
// sends it (emulator/telephony_events.go sessionEvent, gateway_frames.go
// notificationFrame): the one party that changed, an agent answering a
// queue call.
const telephonySessionFrame = `[{"type":"ServerNotification","messageId":"0c1e7f3a-9b2d-4c5e-8f60-718293a4b5c6","status":200,` +
	`"headers":{"Content-Type":"application/json","RCRequestId":"5d0b6a4e-3c2f-41d8-9e7a-b0c1d2e3f405"},` +
	`"wsc":{"token":"RTFhRG5nfExxxxxxxxxxxcHE3bXkyRURQVQ","sequence":48214}},` +
	`{"uuid":"0c1e7f3a-9b2d-4c5e-8f60-718293a4b5c6","event":"/restapi/v1.0/account/809646016/extension/62264425016/telephony/sessions",` +
	`"timestamp":"2026-03-02T14:07:31.482Z","subscriptionId":"1b2a2e6b-2245-4278-b47c-16259ca003a8","ownerId":"62264425001",` +
	`"body":{"sequence":7,"sessionId":"17133704004","telephonySessionId":"s-a0d7e8b14c3f2e9d8c7b6a5f4e3d2c1b0","serverId":"10.13.22.81.TAM",` +
	`"eventTime":"2026-03-02T14:07:31.479Z","accountId":"809646016","extensionId":"62264425016","parties":[` +
	`{"accountId":"809646016","extensionId":"62264425016","id":"p-a0d7e8b14c3f2e9d8c7b6a5f4e3d2c1b0-4","direction":"Inbound",` +
	`"to":{"phoneNumber":"+18445810019","name":"Support","extensionId":"62264425003"},` +
	`"from":{"phoneNumber":"+18775380038","name":"John Wang"},` +
	`"status":{"code":"Answered","rcc":false},"park":{},"missedCall":false,"standAlone":false,"muted":false,"queueCall":true,` +
	`"uiCallInfo":{"primary":{"type":"QueueName","value":"Support"},"additional":{"type":"CallerIdName","value":"John Wang"}}}],` +
	`"origin":{"type":"Call"}}}]`

// BenchmarkDecodeFrameOnlyTelephonySession measures decodeFrame alone on
// a telephony session event frame: bytes to the decoded frame, without
// building the TelephonySession the tracker reads.
func BenchmarkDecodeFrameOnlyTelephonySession(b *testing.B) {
	data := []byte(telephonySessionFrame)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		f, err := decodeFrame(data)
		if err != nil || f.note == nil || f.note.body == nil || len(f.note.body.Parties) != 1 {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeFrameReference is decodeFrame's encoding/json path alone
// on the two frames above, which the hand-written path takes: the
// before of DecodeNotificationFrame and DecodeFrameOnlyTelephonySession,
// measured in the same run.
func BenchmarkDecodeFrameReference(b *testing.B) {
	for _, bc := range []struct{ name, frame string }{
		{"presence", detailedPresenceFrame},
		{"telephony", telephonySessionFrame},
	} {
		b.Run(bc.name, func(b *testing.B) {
			data := []byte(bc.frame)
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if f, err := decodeFrameRef(data); err != nil || f.note == nil {
					b.Fatal(err)
				}
			}
		})
	}
}
