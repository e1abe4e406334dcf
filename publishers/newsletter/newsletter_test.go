package newsletter

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/http/httptest"
	"net/mail"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crieur/crieur/publishers"
)

var now = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

// writePNG writes a small real PNG and returns its path.
func writePNG(t *testing.T, dir, name string) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 4, 3))
	img.Set(1, 1, color.RGBA{R: 200, A: 255})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func baseSettings() map[string]string {
	return map[string]string{"smtp_host": "127.0.0.1", "smtp_port": "2525", "tls": "none",
		"from": "Acme News <news@acme.example>", "to": "list@acme.example"}
}

func with(m map[string]string, kv ...string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			delete(out, kv[i])
		} else {
			out[kv[i]] = kv[i+1]
		}
	}
	return out
}

func TestRegistered(t *testing.T) {
	nw, err := publishers.Lookup(Name)
	if err != nil {
		t.Fatal(err)
	}
	if nw.Safety != publishers.RetryUnsafe {
		t.Errorf("Safety = %v, want unsafe: SMTP cannot deduplicate", nw.Safety)
	}
	if got := nw.Setting(nil, "smtp_port"); got != "587" {
		t.Errorf("default smtp_port = %q", got)
	}
}

func TestNew(t *testing.T) {
	cases := []struct {
		name     string
		settings map[string]string
		secrets  map[string]string
		wantErr  string // empty: must succeed
		wantTLS  string
		wantPort int // 0: not checked
	}{
		{"tls alone means port 465", with(baseSettings(), "tls", "tls", "smtp_port", "", "smtp_host", "smtp.example.org"), nil, "", "tls", 465},
		{"starttls default port 587", with(baseSettings(), "tls", "", "smtp_port", "", "smtp_host", "smtp.example.org"), nil, "", "starttls", 587},
		{"ok loopback none", baseSettings(), nil, "", "none", 0},
		{"default starttls on 587", with(baseSettings(), "tls", "", "smtp_port", "", "smtp_host", "smtp.example.org"), nil, "", "starttls", 0},
		{"default tls on 465", with(baseSettings(), "tls", "", "smtp_port", "465", "smtp_host", "smtp.example.org"), nil, "", "tls", 0},
		{"localhost may use none", with(baseSettings(), "smtp_host", "localhost"), nil, "", "none", 0},
		{"ipv6 loopback may use none", with(baseSettings(), "smtp_host", "::1"), nil, "", "none", 0},
		{"none refused off loopback", with(baseSettings(), "smtp_host", "smtp.example.org"), nil, "loopback", "", 0},
		{"unknown tls", with(baseSettings(), "tls", "ssl3"), nil, "not one of", "", 0},
		{"missing host", with(baseSettings(), "smtp_host", ""), nil, "smtp_host", "", 0},
		{"missing from", with(baseSettings(), "from", ""), nil, "from", "", 0},
		{"bad port", with(baseSettings(), "smtp_port", "70000"), nil, "smtp_port", "", 0},
		{"bad from", with(baseSettings(), "from", "not an address"), nil, "from", "", 0},
		{"bad to", with(baseSettings(), "to", "a@x.example, nope"), nil, "to", "", 0},
		{"no recipients", with(baseSettings(), "to", ""), nil, "to or to_file", "", 0},
		{"to_file alone", with(baseSettings(), "to", "", "to_file", "/some/list.txt"), nil, "", "none", 0},
		{"https unsubscribe", with(baseSettings(), "list_unsubscribe", "https://acme.example/u?id=1"), nil, "", "none", 0},
		{"mailto unsubscribe", with(baseSettings(), "list_unsubscribe", "mailto:leave@acme.example"), nil, "", "none", 0},
		{"http unsubscribe refused", with(baseSettings(), "list_unsubscribe", "http://acme.example/u"), nil, "list_unsubscribe", "", 0},
		{"user without password", baseSettings(), map[string]string{"smtp_user": "u"}, "smtp_password", "", 0},
		{"user and password", baseSettings(), map[string]string{"smtp_user": "u", "smtp_password": "s3cret"}, "", "none", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := New(publishers.Config{Settings: c.settings, Secrets: c.secrets})
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err = %v, want one mentioning %q", err, c.wantErr)
				}
				if strings.Contains(err.Error(), "s3cret") {
					t.Errorf("error leaks the password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := p.(*Publisher).tls; got != c.wantTLS {
				t.Errorf("tls = %q, want %q", got, c.wantTLS)
			}
			if got := p.(*Publisher).port; c.wantPort != 0 && got != c.wantPort {
				t.Errorf("port = %d, want %d", got, c.wantPort)
			}
		})
	}
}

func TestRecipients(t *testing.T) {
	dir := t.TempDir()
	list := filepath.Join(dir, "list.txt")
	if err := os.WriteFile(list, []byte("# readers\nann@x.example\n\n  Bob <bob@x.example>  # friend\nANN@x.example\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.txt")
	if err := os.WriteFile(bad, []byte("ok@x.example\nnot-an-address\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty.txt")
	if err := os.WriteFile(empty, []byte("# nobody yet\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name     string
		settings map[string]string
		want     []string
		wantErr  string
	}{
		{"to list", with(baseSettings(), "to", "a@x.example, B <b@x.example>"), []string{"a@x.example", "b@x.example"}, ""},
		{"file with comments and duplicates", with(baseSettings(), "to", "", "to_file", list), []string{"ann@x.example", "bob@x.example"}, ""},
		{"to and file merged", with(baseSettings(), "to", "bob@x.example, c@x.example", "to_file", list), []string{"bob@x.example", "c@x.example", "ann@x.example"}, ""},
		{"bad line named", with(baseSettings(), "to", "", "to_file", bad), nil, "line 2"},
		{"empty file", with(baseSettings(), "to", "", "to_file", empty), nil, "no recipients"},
		{"missing file", with(baseSettings(), "to", "", "to_file", filepath.Join(dir, "nope.txt")), nil, "no such file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := New(publishers.Config{Settings: c.settings})
			if err != nil {
				t.Fatal(err)
			}
			got, err := p.(*Publisher).recipients()
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err = %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var addrs []string
			for _, a := range got {
				addrs = append(addrs, a.Address)
			}
			if !slices.Equal(addrs, c.want) {
				t.Errorf("recipients = %v, want %v", addrs, c.want)
			}
		})
	}
}

func TestMessageID(t *testing.T) {
	cases := []struct {
		post publishers.Post
		want string
	}{
		{publishers.Post{IdempotencyKey: "crieur-d42-a1"}, "crieur-d42-a1@crieur"},
		{publishers.Post{IdempotencyKey: "a b@c=d<e>"}, "a=20b=40c=3Dd=3Ce=3E@crieur"},
		{publishers.Post{IdempotencyKey: "a..b."}, "a.=2Eb=2E@crieur"},
		{publishers.Post{DeliveryID: 7}, "delivery-7@crieur"},
	}
	for _, c := range cases {
		got := messageID(c.post)
		if got != c.want {
			t.Errorf("messageID(%q) = %q, want %q", c.post.IdempotencyKey, got, c.want)
		}
		if _, err := mail.ParseAddress("<" + got + ">"); err != nil {
			t.Errorf("messageID %q is not a valid msg-id: %v", got, err)
		}
	}
	if messageID(publishers.Post{IdempotencyKey: "a=20"}) == messageID(publishers.Post{IdempotencyKey: "a "}) {
		t.Error("distinct keys give the same Message-ID")
	}
}

func TestValidate(t *testing.T) {
	dir := t.TempDir()
	img := writePNG(t, dir, "ok.png")
	txt := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(txt, []byte("just words"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name     string
		settings map[string]string
		post     publishers.Post
		want     []string // problem fields
	}{
		{"title only", baseSettings(), publishers.Post{Title: "Hi"}, nil},
		{"body only", baseSettings(), publishers.Post{Text: "Hello"}, nil},
		{"empty", baseSettings(), publishers.Post{Text: "  \n"}, []string{"text"}},
		{"image ok", baseSettings(), publishers.Post{Title: "t", Media: []publishers.Media{{Path: img, Alt: "a"}}}, nil},
		{"missing and non-image media", baseSettings(), publishers.Post{Title: "t", Media: []publishers.Media{
			{Path: img}, {Path: filepath.Join(dir, "gone.png")}, {Path: txt}}}, []string{"media[1]", "media[2]"}},
		{"unreadable list", with(baseSettings(), "to", "", "to_file", filepath.Join(dir, "none.txt")), publishers.Post{Title: "t"}, []string{"to"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := New(publishers.Config{Settings: c.settings})
			if err != nil {
				t.Fatal(err)
			}
			var fields []string
			for _, pr := range p.Validate(c.post) {
				fields = append(fields, pr.Field)
			}
			if !slices.Equal(fields, c.want) {
				t.Errorf("problems = %v, want fields %v", p.Validate(c.post), c.want)
			}
		})
	}
}

// mailPart is one leaf of a parsed MIME message.
type mailPart struct {
	contentType string
	header      map[string][]string
	body        string
}

// parseMail reads a message as a mail client would: headers, then every leaf
// part decoded.
func parseMail(t *testing.T, raw string) (mail.Header, []mailPart) {
	t.Helper()
	msg, err := mail.ReadMessage(strings.NewReader(raw))
	if err != nil {
		t.Fatalf("not a mail message: %v\n%s", err, raw)
	}
	var parts []mailPart
	var walk func(ct string, header map[string][]string, body io.Reader)
	walk = func(ct string, header map[string][]string, body io.Reader) {
		media, params, err := mime.ParseMediaType(ct)
		if err != nil {
			t.Fatalf("content type %q: %v", ct, err)
		}
		if strings.HasPrefix(media, "multipart/") {
			mr := multipart.NewReader(body, params["boundary"])
			for {
				p, err := mr.NextRawPart()
				if err == io.EOF {
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				walk(p.Header.Get("Content-Type"), p.Header, p)
			}
		}
		var r io.Reader = body
		switch strings.ToLower(first(header["Content-Transfer-Encoding"])) {
		case "quoted-printable":
			r = quotedprintable.NewReader(body)
		case "base64":
			r = base64.NewDecoder(base64.StdEncoding, body)
		}
		data, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, mailPart{media, header, string(data)})
	}
	walk(msg.Header.Get("Content-Type"), msg.Header, msg.Body)
	return msg.Header, parts
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

func partOf(parts []mailPart, ct string) (mailPart, bool) {
	for _, p := range parts {
		if p.contentType == ct {
			return p, true
		}
	}
	return mailPart{}, false
}

// newPub builds a publisher against a fake server with a short timeout.
func newPub(t *testing.T, f *fakeSMTP, settings map[string]string, secrets map[string]string) *Publisher {
	t.Helper()
	host, port := f.addr()
	s := with(settings, "smtp_host", host, "smtp_port", port)
	p, err := New(publishers.Config{Channel: "news", Settings: s, Secrets: secrets, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	pub := p.(*Publisher)
	pub.timeout = 500 * time.Millisecond
	return pub
}

func samplePost(t *testing.T) publishers.Post {
	dir := t.TempDir()
	door := writePNG(t, dir, "door.png")
	cat := writePNG(t, dir, "cat.png")
	return publishers.Post{
		DeliveryID: 9, IdempotencyKey: "crieur-9-launch", Title: "Launch: the red door",
		Text:     "We **opened** it.\n\n![the red door](" + door + ")\n\nRead [more](https://acme.example/door).",
		Markdown: true,
		Media:    []publishers.Media{{Path: door, Alt: "the red door"}, {Path: cat, Alt: "a cat <sleeping>"}},
		Link:     "https://acme.example/launch",
	}
}

func TestPublishMessage(t *testing.T) {
	f := newFakeSMTP(t, script{auth: true})
	settings := with(baseSettings(), "to", "ann@x.example, bob@x.example", "list_unsubscribe", "https://acme.example/unsub?u=1")
	p := newPub(t, f, settings, map[string]string{"smtp_user": "newsbot", "smtp_password": "s3cret"})
	post := samplePost(t)
	res, err := p.Publish(context.Background(), post)
	if err != nil {
		t.Fatal(err)
	}
	if res.RemoteID != "<crieur-9-launch@crieur>" || !res.PublishedAt.Equal(now) {
		t.Errorf("result = %+v", res)
	}
	cmds := f.commands()
	for _, want := range []string{"EHLO", "AUTH", "MAIL", "RCPT", "DATA", "QUIT"} {
		if !slices.Contains(cmds, want) {
			t.Errorf("server saw %v, no %s", cmds, want)
		}
	}
	if n := strings.Count(strings.Join(cmds, " "), "RCPT"); n != 2 {
		t.Errorf("RCPT sent %d times, want 2 (one per reader)", n)
	}
	if f.creds[0] != "newsbot:s3cret" {
		t.Errorf("AUTH PLAIN credentials = %q", f.creds)
	}
	msgs := f.messages()
	if len(msgs) != 1 {
		t.Fatalf("server got %d messages", len(msgs))
	}
	hdr, parts := parseMail(t, msgs[0])
	headers := map[string]string{
		"Message-Id":            "<crieur-9-launch@crieur>",
		"Subject":               "Launch: the red door",
		"From":                  `"Acme News" <news@acme.example>`,
		"To":                    "undisclosed-recipients:;", // several readers: addresses hidden
		"Bcc":                   "",
		"List-Unsubscribe":      "<https://acme.example/unsub?u=1>",
		"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
		"Date":                  "Wed, 25 Nov 2026 09:00:00 +0000",
	}
	for k, want := range headers {
		if got := hdr.Get(k); got != want {
			t.Errorf("header %s = %q, want %q", k, got, want)
		}
	}
	if strings.Contains(msgs[0], "ann@x.example") {
		t.Error("a reader's address is visible in the message")
	}
	text, ok := partOf(parts, "text/plain")
	if !ok {
		t.Fatalf("no text part in %v", parts)
	}
	for _, want := range []string{"We opened it.", "[image: the red door]", "more (https://acme.example/door)",
		"[image: a cat <sleeping>]", "https://acme.example/launch", "Unsubscribe: https://acme.example/unsub?u=1"} {
		if !strings.Contains(text.body, want) {
			t.Errorf("text part lacks %q:\n%s", want, text.body)
		}
	}
	html, ok := partOf(parts, "text/html")
	if !ok {
		t.Fatal("no HTML part")
	}
	for _, want := range []string{"<strong>opened</strong>",
		`<img src="cid:media0.crieur-9-launch@crieur" alt="the red door">`,
		`<img src="cid:media1.crieur-9-launch@crieur" alt="a cat &lt;sleeping&gt;">`,
		`<a href="https://acme.example/launch">`, "<title>Launch: the red door</title>"} {
		if !strings.Contains(html.body, want) {
			t.Errorf("HTML part lacks %q:\n%s", want, html.body)
		}
	}
	if strings.Count(html.body, "cid:media0.") != 1 {
		t.Error("an image the Markdown shows is shown again after the body")
	}
	var cids []string
	for _, p := range parts {
		if p.contentType == "image/png" {
			cids = append(cids, first(p.header["Content-Id"]))
			if !strings.HasPrefix(p.body, "\x89PNG") {
				t.Errorf("inline image is not the PNG file")
			}
			if !strings.HasPrefix(first(p.header["Content-Disposition"]), "inline") {
				t.Errorf("image disposition = %q", p.header["Content-Disposition"])
			}
		}
	}
	if !slices.Equal(cids, []string{"<media0.crieur-9-launch@crieur>", "<media1.crieur-9-launch@crieur>"}) {
		t.Errorf("inline Content-IDs = %v", cids)
	}
}

func TestPublishSingleReaderAndPlainText(t *testing.T) {
	f := newFakeSMTP(t, script{})
	p := newPub(t, f, with(baseSettings(), "list_unsubscribe", "mailto:leave@acme.example"), nil)
	post := publishers.Post{IdempotencyKey: "k1", Text: "First line is the subject\nand <this> is text.\n\nSecond para."}
	if _, err := p.Publish(context.Background(), post); err != nil {
		t.Fatal(err)
	}
	if slices.Contains(f.commands(), "AUTH") {
		t.Error("authenticated without credentials")
	}
	hdr, parts := parseMail(t, f.messages()[0])
	if got := hdr.Get("To"); got != "<list@acme.example>" {
		t.Errorf("To = %q", got)
	}
	if got := hdr.Get("Subject"); got != "First line is the subject" {
		t.Errorf("Subject = %q", got)
	}
	if got := hdr.Get("List-Unsubscribe"); got != "<mailto:leave@acme.example>" {
		t.Errorf("List-Unsubscribe = %q", got)
	}
	if got := hdr.Get("List-Unsubscribe-Post"); got != "" {
		t.Errorf("one-click header without an https URL: %q", got)
	}
	html, _ := partOf(parts, "text/html")
	if !strings.Contains(html.body, "<p>First line is the subject<br>\nand &lt;this&gt; is text.</p>") {
		t.Errorf("plain text not shown as escaped paragraphs:\n%s", html.body)
	}
}

func TestPublishSMTPReplies(t *testing.T) {
	cases := []struct {
		name   string
		fake   script
		secret bool
		class  publishers.Class
		status int
		text   string // words the error must carry
		sent   bool   // the publish must succeed
	}{
		{name: "accepted", fake: script{}, sent: true},
		{name: "greeting 421", fake: script{greeting: "421 4.3.2 too busy"}, class: publishers.Transient, status: 421, text: "too busy"},
		{name: "mail 451", fake: script{replies: map[string]string{"MAIL": "451 4.3.0 try later"}}, class: publishers.Transient, status: 451, text: "try later"},
		{name: "rcpt 550", fake: script{replies: map[string]string{"RCPT": "550 5.1.1 no such user"}}, class: publishers.Permanent, status: 550, text: "no such user"},
		{name: "data 554", fake: script{replies: map[string]string{"DATA": "554 5.7.1 not today"}}, class: publishers.Permanent, status: 554, text: "not today"},
		{name: "after data 554", fake: script{replies: map[string]string{"DATA.": "554 5.7.1 spam"}}, class: publishers.Permanent, status: 554, text: "spam"},
		{name: "after data 451", fake: script{replies: map[string]string{"DATA.": "451 4.7.1 greylisted"}}, class: publishers.Transient, status: 451, text: "greylisted"},
		{name: "auth 535", fake: script{auth: true, replies: map[string]string{"AUTH": "535 5.7.8 bad credentials"}}, secret: true, class: publishers.Auth, status: 535, text: "bad credentials"},
		{name: "mail 530", fake: script{replies: map[string]string{"MAIL": "530 5.7.0 authentication required"}}, class: publishers.Auth, status: 530},
		{name: "no AUTH offered", fake: script{}, secret: true, class: publishers.Auth, text: "AUTH"},
		{name: "silent greeting times out", fake: script{silentAt: "GREETING"}, class: publishers.Transient},
		{name: "silent at RCPT times out", fake: script{silentAt: "RCPT"}, class: publishers.Transient},
		{name: "lost reply after data is unknown", fake: script{silentAt: "DATA."}, class: publishers.Permanent, text: "may have been delivered"},
		{name: "failed RSET after acceptance is success", fake: script{replies: map[string]string{"RSET": "421 closing"}}, sent: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFakeSMTP(t, c.fake)
			var secrets map[string]string
			if c.secret {
				secrets = map[string]string{"smtp_user": "newsbot", "smtp_password": "s3cret"}
			}
			p := newPub(t, f, baseSettings(), secrets)
			res, err := p.Publish(context.Background(), publishers.Post{IdempotencyKey: "k", Title: "t", Text: "b", Markdown: true})
			if c.sent {
				if err != nil || res.RemoteID != "<k@crieur>" {
					t.Fatalf("Publish = %+v, %v; want success", res, err)
				}
				return
			}
			if err == nil {
				t.Fatal("Publish succeeded")
			}
			pe, ok := err.(*publishers.Error)
			if !ok {
				t.Fatalf("error %T is not a *publishers.Error", err)
			}
			if pe.Class != c.class || pe.Status != c.status {
				t.Errorf("class %v status %d, want %v %d (%v)", pe.Class, pe.Status, c.class, c.status, err)
			}
			if !strings.Contains(err.Error(), c.text) {
				t.Errorf("error %q lacks %q", err, c.text)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error leaks the password: %v", err)
			}
		})
	}
}

func TestPublishConnectionRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	ln.Close()
	p, err := New(publishers.Config{Settings: with(baseSettings(), "smtp_port", port)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Publish(context.Background(), publishers.Post{Title: "t"})
	if class, _ := publishers.Classify(err); err == nil || class != publishers.Transient {
		t.Errorf("refused connection: %v (class %v), want transient", err, class)
	}
}

func TestPublishRefusesBadPost(t *testing.T) {
	f := newFakeSMTP(t, script{})
	p := newPub(t, f, baseSettings(), nil)
	_, err := p.Publish(context.Background(), publishers.Post{Title: "t", Media: []publishers.Media{{Path: "/nonexistent/x.png"}}})
	if class, _ := publishers.Classify(err); err == nil || class != publishers.Permanent {
		t.Errorf("missing media: %v, want permanent", err)
	}
	if len(f.commands()) != 0 {
		t.Errorf("connected anyway: %v", f.commands())
	}
}

// testTLS returns a server config for 127.0.0.1 and a pool that trusts it.
func testTLS(t *testing.T) (*tls.Config, *x509.CertPool) {
	srv := httptest.NewUnstartedServer(nil)
	srv.StartTLS()
	cfg := &tls.Config{Certificates: srv.TLS.Certificates}
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	srv.Close()
	return cfg, pool
}

func TestCheck(t *testing.T) {
	serverTLS, pool := testTLS(t)
	secrets := map[string]string{"smtp_user": "newsbot", "smtp_password": "s3cret"}
	cases := []struct {
		name     string
		fake     script
		tlsMode  string
		implicit bool // serve TLS from the first byte
		trust    bool
		class    publishers.Class
		ok       string
	}{
		{name: "starttls and auth", fake: script{auth: true, startTLS: serverTLS}, tlsMode: "starttls", trust: true, ok: "with STARTTLS, authentication accepted"},
		{name: "implicit tls", fake: script{auth: true}, tlsMode: "tls", implicit: true, trust: true, ok: "with TLS"},
		{name: "clear text on loopback", fake: script{auth: true}, tlsMode: "none", ok: "no encryption"},
		{name: "untrusted certificate", fake: script{auth: true, startTLS: serverTLS}, tlsMode: "starttls", class: publishers.Permanent},
		{name: "no STARTTLS offered", fake: script{auth: true}, tlsMode: "starttls", trust: true, class: publishers.Permanent},
		{name: "credentials refused", fake: script{auth: true, startTLS: serverTLS, replies: map[string]string{"AUTH": "535 5.7.8 no"}}, tlsMode: "starttls", trust: true, class: publishers.Auth},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			if c.implicit {
				ln = tls.NewListener(ln, serverTLS)
			}
			f := serveFake(t, c.fake, ln)
			p := newPub(t, f, with(baseSettings(), "tls", c.tlsMode), secrets)
			if c.trust {
				p.rootCAs = pool
			}
			msg, err := p.Check(context.Background())
			if slices.Contains(f.commands(), "MAIL") || len(f.messages()) > 0 {
				t.Errorf("Check sent mail: %v", f.commands())
			}
			if c.ok != "" {
				if err != nil {
					t.Fatalf("Check: %v", err)
				}
				if !strings.Contains(msg, c.ok) || strings.Contains(msg, "newsbot") || strings.Contains(msg, "s3cret") {
					t.Errorf("Check = %q, want %q and no credentials", msg, c.ok)
				}
				if !slices.Contains(f.commands(), "QUIT") {
					t.Errorf("Check did not QUIT: %v", f.commands())
				}
				if c.tlsMode != "none" && !slices.Contains(f.commands(), "AUTH") {
					t.Errorf("Check did not authenticate: %v", f.commands())
				}
				return
			}
			if class, _ := publishers.Classify(err); err == nil || class != c.class {
				t.Errorf("Check = %q, %v; want class %v", msg, err, c.class)
			}
		})
	}
}

func TestPreview(t *testing.T) {
	p, err := New(publishers.Config{Settings: with(baseSettings(), "list_unsubscribe", "https://acme.example/u"), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	post := samplePost(t)
	post.Media = append(post.Media, publishers.Media{Path: "/nonexistent/gone.png"})
	pv := p.(publishers.Previewer).Preview(post)
	if len(pv.Parts) != 1 {
		t.Fatalf("parts = %v", pv.Parts)
	}
	for _, want := range []string{"Subject: Launch: the red door", "Message-ID: <crieur-9-launch@crieur>",
		"To: <list@acme.example>", "List-Unsubscribe-Post: List-Unsubscribe=One-Click", "\n\nWe opened it."} {
		if !strings.Contains(pv.Parts[0], want) {
			t.Errorf("preview lacks %q:\n%s", want, pv.Parts[0])
		}
	}
	if pv.Count[0] != len([]rune(pv.Parts[0])) {
		t.Errorf("count = %d", pv.Count[0])
	}
	if !strings.Contains(pv.Extra, `<img src="cid:media0.crieur-9-launch@crieur" alt="the red door">`) {
		t.Errorf("Extra is not the HTML part:\n%s", pv.Extra)
	}
	if len(pv.Problems) != 1 || pv.Problems[0].Field != "media[2]" {
		t.Errorf("problems = %v, want the missing media", pv.Problems)
	}
}

// TestEchoedCredentialsRedacted: an SMTP server whose refusal repeats the
// AUTH PLAIN line (or the password) leaves neither in the error, through the
// publisher the registry builds.
func TestEchoedCredentialsRedacted(t *testing.T) {
	const user, pass = "newsbot", "s3cret-pass"
	plain := base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00" + pass))
	nw, err := publishers.Lookup("newsletter")
	if err != nil {
		t.Fatal(err)
	}
	for _, echo := range []string{plain, pass, user + ":" + pass} {
		f := newFakeSMTP(t, script{auth: true, replies: map[string]string{"AUTH": "535 5.7.8 refused AUTH PLAIN " + echo}})
		host, port := f.addr()
		p, err := nw.New(publishers.Config{Channel: "news", Settings: with(baseSettings(), "smtp_host", host, "smtp_port", port),
			Secrets: map[string]string{"smtp_user": user, "smtp_password": pass}, Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		_, err = p.Publish(context.Background(), publishers.Post{IdempotencyKey: "k", Title: "t", Text: "b", Markdown: true})
		if class, _ := publishers.Classify(err); err == nil || class != publishers.Auth {
			t.Fatalf("Publish = %v, want an auth error", err)
		}
		if strings.Contains(err.Error(), pass) || strings.Contains(err.Error(), plain) || !strings.Contains(err.Error(), publishers.Redacted) {
			t.Errorf("error %q: want the echo redacted", err)
		}
	}
}
