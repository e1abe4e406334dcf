package newsletter

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crieur/crieur/internal/testsvc"
	"github.com/crieur/crieur/publishers"
)

// TestMailpit sends a newsletter through a real SMTP server, Mailpit, and
// reads it back through Mailpit's HTTP API as a mail client would see it.
func TestMailpit(t *testing.T) {
	smtpAddr, api := os.Getenv("CRIEUR_MAILPIT_SMTP"), os.Getenv("CRIEUR_MAILPIT_API")
	if smtpAddr == "" || api == "" {
		testsvc.RequireService(t, "Mailpit", "CRIEUR_MAILPIT_SMTP and CRIEUR_MAILPIT_API are unset; to run this test: "+
			`scripts/mailpit.sh install && eval "$(scripts/mailpit.sh start)"`)
	}
	host, port, err := net.SplitHostPort(smtpAddr)
	if err != nil {
		t.Fatalf("CRIEUR_MAILPIT_SMTP=%q: %v", smtpAddr, err)
	}
	settings := map[string]string{"smtp_host": host, "smtp_port": port, "tls": "none",
		"from": "Acme News <news@acme.example>", "to": "ann@readers.example, bob@readers.example",
		"list_unsubscribe": "https://acme.example/unsubscribe?list=news"}
	p, err := New(publishers.Config{Channel: "news", Settings: settings,
		Secrets: map[string]string{"smtp_user": "newsbot", "smtp_password": "any"},
		Now:     func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	if msg, err := p.(publishers.Checker).Check(context.Background()); err != nil {
		t.Fatalf("Check: %v", err)
	} else {
		t.Log(msg)
	}

	post := samplePost(t)
	post.IdempotencyKey = fmt.Sprintf("e2e-%d", time.Now().UnixNano()) // unique in a shared Mailpit
	msgID := post.IdempotencyKey + "@crieur"
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := p.Publish(ctx, post)
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}
	if res.RemoteID != "<"+msgID+">" {
		t.Errorf("RemoteID = %q", res.RemoteID)
	}

	id := findMailpit(t, api, msgID)

	var m struct {
		MessageID string
		Subject   string
		From      struct{ Name, Address string }
		To, Bcc   []struct{ Address string }
		Text      string
		HTML      string
		Inline    []struct{ FileName, ContentType, ContentID string }
	}
	getJSON(t, api+"/api/v1/message/"+id, &m)
	if m.Subject != "Launch: the red door" {
		t.Errorf("Subject = %q", m.Subject)
	}
	if m.From.Address != "news@acme.example" || m.From.Name != "Acme News" {
		t.Errorf("From = %+v", m.From)
	}
	var bcc []string
	for _, a := range m.Bcc {
		bcc = append(bcc, a.Address)
	}
	slices.Sort(bcc)
	if len(m.To) != 0 || !slices.Equal(bcc, []string{"ann@readers.example", "bob@readers.example"}) {
		t.Errorf("To = %+v, Bcc = %v: readers must be envelope-only", m.To, bcc)
	}
	for _, want := range []string{"We opened it.", "[image: the red door]", "Unsubscribe: https://acme.example/unsubscribe?list=news"} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("text part lacks %q:\n%s", want, m.Text)
		}
	}
	cid0, cid1 := "media0."+msgID, "media1."+msgID
	for _, want := range []string{"<strong>opened</strong>",
		`<img src="cid:` + cid0 + `" alt="the red door">`,
		`<img src="cid:` + cid1 + `" alt="a cat &lt;sleeping&gt;">`} {
		if !strings.Contains(m.HTML, want) {
			t.Errorf("HTML part lacks %q:\n%s", want, m.HTML)
		}
	}
	if len(m.Inline) != 2 {
		t.Fatalf("inline parts = %+v, want the two images", m.Inline)
	}
	for i, want := range []struct{ name, cid string }{{"door.png", cid0}, {"cat.png", cid1}} {
		got := m.Inline[i]
		if got.FileName != want.name || got.ContentID != want.cid || got.ContentType != "image/png" {
			t.Errorf("inline[%d] = %+v, want %s with Content-ID %s", i, got, want.name, want.cid)
		}
	}

	var headers map[string][]string
	getJSON(t, api+"/api/v1/message/"+id+"/headers", &headers)
	for k, want := range map[string]string{
		"Message-Id":            "<" + msgID + ">",
		"List-Unsubscribe":      "<https://acme.example/unsubscribe?list=news>",
		"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
		"Date":                  "Wed, 25 Nov 2026 09:00:00 +0000",
		"To":                    "undisclosed-recipients:;",
	} {
		if got := headers[k]; len(got) != 1 || got[0] != want {
			t.Errorf("header %s = %q, want %q", k, got, want)
		}
	}
}

// findMailpit returns Mailpit's id of the message with this Message-ID.
func findMailpit(t *testing.T, api, msgID string) string {
	t.Helper()
	var list struct {
		Messages []struct{ ID, MessageID string }
	}
	// Mailpit stores a message before it answers the end of DATA, so it is listed now.
	getJSON(t, api+"/api/v1/messages?limit=500", &list)
	for _, m := range list.Messages {
		if m.MessageID == msgID {
			return m.ID
		}
	}
	t.Fatalf("Mailpit holds no message with Message-ID %s", msgID)
	return ""
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}
