// Package newsletter publishes a post as an email over SMTP: an HTML part
// rendered from the Markdown, a plain-text alternative, images embedded inline,
// and a Message-ID derived from the delivery so a repeated send is
// recognisable. SMTP has no idempotency, so the network is RetryUnsafe.
package newsletter

import (
	"bufio"
	"bytes"
	"crypto/x509"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/crieur/crieur/publishers"
)

// Name is the network's name in the registry.
const Name = "newsletter"

// TLS modes.
const (
	tlsStartTLS = "starttls" // plain connection upgraded with STARTTLS (587)
	tlsImplicit = "tls"      // TLS from the first byte (465)
	tlsNone     = "none"     // clear text: loopback test servers only
)

var network = publishers.Network{
	Name:        Name,
	Description: "email newsletter over SMTP (HTML + text, inline images)",
	Settings: []publishers.Field{
		{Name: "smtp_host", Required: true, Help: "SMTP server host name"},
		{Name: "smtp_port", Default: "587", Help: "SMTP port (587 STARTTLS, 465 TLS)"},
		{Name: "from", Required: true, Help: "sender address, e.g. News <news@example.org>"},
		{Name: "to", Help: "recipient address(es), comma separated (or to_file)"},
		{Name: "to_file", Help: "file of recipient addresses, one a line, # comments (or to)"},
		{Name: "tls", Help: "starttls (default; tls on port 465) | tls | none (loopback only)"},
		{Name: "list_unsubscribe", Help: "unsubscribe URL: mailto: or https: (https enables one-click)"},
	},
	Secrets: []publishers.Field{
		{Name: "smtp_user", Help: "SMTP user name (with smtp_password)"},
		{Name: "smtp_password", Help: "SMTP password (with smtp_user)"},
	},
	Safety: publishers.RetryUnsafe,
}

func init() {
	network.New = New // set here: New reads network, a cycle in a var initialiser
	// Its rules need the settings only (the sender, the recipients): never
	// the SMTP login.
	network.Offline = func(settings map[string]string) (publishers.Validator, error) { return fromSettings(settings) }
	publishers.Register(network)
}

// defaultTimeout bounds each SMTP step when the context has no deadline.
const defaultTimeout = 30 * time.Second

// Publisher sends posts to one newsletter channel.
type Publisher struct {
	cfg         publishers.Config
	host        string
	port        int
	tls         string
	from        *mail.Address
	to          []*mail.Address // from the to setting
	toFile      string
	unsubscribe string
	user, pass  string
	timeout     time.Duration
	rootCAs     *x509.CertPool // nil: the system's; tests trust their own server
}

var (
	_ publishers.Publisher = (*Publisher)(nil)
	_ publishers.Checker   = (*Publisher)(nil)
	_ publishers.Previewer = (*Publisher)(nil)
)

// New builds a publisher from a channel's settings; it refuses a setting it
// cannot use rather than failing at publish time.
func New(cfg publishers.Config) (publishers.Publisher, error) {
	if missing := network.Missing(cfg.Settings, cfg.Secrets); len(missing) > 0 {
		return nil, fmt.Errorf("newsletter: missing %s", strings.Join(missing, ", "))
	}
	p, err := fromSettings(cfg.Settings)
	if err != nil {
		return nil, err
	}
	p.cfg = cfg
	p.user, p.pass = cfg.Secrets["smtp_user"], cfg.Secrets["smtp_password"]
	if (p.user == "") != (p.pass == "") {
		return nil, fmt.Errorf("newsletter: give both secrets smtp_user and smtp_password, or neither")
	}
	return p, nil
}

// fromSettings reads the channel's settings: all its rules need, with no
// login (Offline), which New adds.
func fromSettings(settings map[string]string) (*Publisher, error) {
	if missing := network.Missing(settings, nil); len(missing) > 0 {
		return nil, fmt.Errorf("newsletter: missing %s", strings.Join(missing, ", "))
	}
	cfg := publishers.Config{Settings: settings}
	p := &Publisher{cfg: cfg, host: strings.TrimSpace(cfg.Settings["smtp_host"]), timeout: defaultTimeout}
	p.tls = strings.ToLower(strings.TrimSpace(cfg.Settings["tls"]))
	portSetting := strings.TrimSpace(cfg.Settings["smtp_port"])
	if portSetting == "" && p.tls == tlsImplicit {
		portSetting = "465" // the submission port for implicit TLS, not the 587 default
	}
	if portSetting == "" {
		portSetting = network.Setting(cfg.Settings, "smtp_port")
	}
	port, err := strconv.Atoi(portSetting)
	if err != nil || port < 1 || port > 65535 {
		return nil, fmt.Errorf("newsletter: smtp_port %q is not a port number", cfg.Settings["smtp_port"])
	}
	p.port = port
	if p.tls == "" {
		p.tls = tlsStartTLS
		if port == 465 {
			p.tls = tlsImplicit
		}
	}
	switch p.tls {
	case tlsStartTLS, tlsImplicit:
	case tlsNone:
		if !isLoopback(p.host) {
			return nil, fmt.Errorf("newsletter: tls=none would send mail and passwords in clear text to %s; it is allowed only for a loopback test server", p.host)
		}
	default:
		return nil, fmt.Errorf("newsletter: tls %q is not one of starttls, tls, none", p.tls)
	}

	if p.from, err = mail.ParseAddress(cfg.Settings["from"]); err != nil {
		return nil, fmt.Errorf("newsletter: from %q is not an email address: %v", cfg.Settings["from"], err)
	}
	if to := strings.TrimSpace(cfg.Settings["to"]); to != "" {
		if p.to, err = mail.ParseAddressList(to); err != nil {
			return nil, fmt.Errorf("newsletter: to %q is not a list of email addresses: %v", to, err)
		}
	}
	p.toFile = strings.TrimSpace(cfg.Settings["to_file"])
	if len(p.to) == 0 && p.toFile == "" {
		return nil, fmt.Errorf("newsletter: missing setting to or to_file (the recipients)")
	}

	if u := strings.TrimSpace(cfg.Settings["list_unsubscribe"]); u != "" {
		parsed, err := url.Parse(u)
		if err != nil || !(parsed.Scheme == "mailto" && parsed.Opaque != "" || parsed.Scheme == "https" && parsed.Host != "") {
			return nil, fmt.Errorf("newsletter: list_unsubscribe %q must be a mailto: or https:// URL", u)
		}
		p.unsubscribe = u
	}
	return p, nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// recipients is the to setting plus the to_file, read at each send so an
// edited list applies to the next issue; duplicates are dropped.
func (p *Publisher) recipients() ([]*mail.Address, error) {
	out := append([]*mail.Address(nil), p.to...)
	if p.toFile != "" {
		data, err := os.ReadFile(p.toFile)
		if err != nil {
			return nil, fmt.Errorf("to_file: %w", err)
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		for n := 1; sc.Scan(); n++ {
			line := strings.TrimSpace(sc.Text())
			if i := strings.IndexByte(line, '#'); i >= 0 {
				line = strings.TrimSpace(line[:i])
			}
			if line == "" {
				continue
			}
			a, err := mail.ParseAddress(line)
			if err != nil {
				return nil, fmt.Errorf("to_file %s line %d: %q is not an email address", p.toFile, n, line)
			}
			out = append(out, a)
		}
	}
	seen := map[string]bool{}
	uniq := out[:0]
	for _, a := range out {
		k := strings.ToLower(a.Address)
		if !seen[k] {
			seen[k] = true
			uniq = append(uniq, a)
		}
	}
	if len(uniq) == 0 {
		return nil, fmt.Errorf("no recipients (to is empty and to_file %s lists none)", p.toFile)
	}
	return uniq, nil
}

// Validate lists what would stop the newsletter: no subject or body, media
// that are missing or not images, an unreadable recipient list.
func (p *Publisher) Validate(post publishers.Post) []publishers.Problem {
	var probs []publishers.Problem
	if strings.TrimSpace(post.Title) == "" && strings.TrimSpace(post.Text) == "" {
		probs = append(probs, publishers.Problem{Field: "text", Message: "a newsletter needs a title or a body"})
	}
	for i, m := range post.Media {
		if _, err := sniffImage(m.Path); err != nil {
			probs = append(probs, publishers.Problem{Field: fmt.Sprintf("media[%d]", i), Message: err.Error()})
		}
	}
	if _, err := p.recipients(); err != nil {
		probs = append(probs, publishers.Problem{Field: "to", Message: err.Error()})
	}
	return probs
}
