package emulator

import (
	"fmt"
	"net/http"
	"testing"
)

// BenchmarkGatewayNotification measures one presence change travelling
// through the hub and the gateway to a WebSocket client over loopback.
func BenchmarkGatewayNotification(b *testing.B) {
	fx := newWSFixture(b, Config{Users: 500})
	c, _ := fx.connect(b, "")
	f := c.request(b, "POST", subscriptionPath, map[string]any{
		"eventFilters": []string{"/restapi/v1.0/account/~/presence?detailedTelephonyState=true"},
		"deliveryMode": map[string]any{"transportType": "WebSocket"},
	})
	if f.Header.Status != 200 {
		b.Fatalf("subscribe: %s", f.Raw)
	}
	var users []int64
	for _, e := range fx.e.p.dir.Extensions {
		if e.HasPresence() {
			users = append(users, e.ID)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		msg := fmt.Sprintf("bench %d", i)
		if err := fx.e.SetPresence(users[i%len(users)], PresenceUpdate{Message: &msg}); err != nil {
			b.Fatal(err)
		}
		// Drain as we go: the test client buffers frames in a bounded channel.
		if i%64 == 63 {
			for range 64 {
				c.expect(b, typeNotification)
			}
		}
	}
	for range b.N % 64 {
		c.expect(b, typeNotification)
	}
}

// BenchmarkGatewayDeliver measures the part of a notification that runs
// under Platform.mu: framing, the wsc and the recovery ring.
func BenchmarkGatewayDeliver(b *testing.B) {
	e := startEmu(b, Config{RateLimitsOff: true})
	p, g := e.p, e.gw
	p.mu.Lock()
	defer p.mu.Unlock()
	oauth := p.newSession(p.dir.Receptionist, &http.Request{}, p.now())
	s := g.newSession(oauth)
	sub, err := p.hub.create(oauth, []string{"/restapi/v1.0/account/~/presence"}, s)
	if err != nil {
		b.Fatal(err)
	}
	s.sub = sub
	env := []byte(`{"uuid":"045b81dc-9f73-4864-84de-08aa6324a7f5","event":"/restapi/v1.0/account/1/extension/2/presence","timestamp":"2016-02-18T09:37:24.597Z","subscriptionId":"9d38419f-645f-4ee3-a053-8cf1368c21c4","ownerId":"2","body":{"extensionId":"2","telephonyStatus":"NoCall","sequence":2698,"presenceStatus":"Available","userStatus":"Available","dndStatus":"TakeAllCalls"}}`)
	b.ReportAllocs()
	for b.Loop() {
		s.deliver(sub, "045b81dc-9f73-4864-84de-08aa6324a7f5", env)
	}
}
