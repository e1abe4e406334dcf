package newsletter

import (
	"bufio"
	"crypto/tls"
	"encoding/base64"
	"io"
	"net"
	"net/textproto"
	"strings"
	"sync"
	"testing"
)

// fakeSMTP is a tiny scripted SMTP server on 127.0.0.1: it answers each
// command with a canned reply, records what it received, and can fall silent
// at a chosen step to make the client time out.
type fakeSMTP struct {
	script
	ln net.Listener

	mu    sync.Mutex
	cmds  []string // verbs in order
	data  []string // each message received
	creds []string // "user:password" from AUTH PLAIN
	wg    sync.WaitGroup
}

// script is how a fakeSMTP answers.
type script struct {
	greeting string            // default "220 fake ESMTP"
	replies  map[string]string // by verb ("MAIL", "RCPT", …); "DATA." is the reply after the message
	silentAt string            // "GREETING", a verb, or "DATA.": stop answering there
	auth     bool              // advertise AUTH PLAIN LOGIN
	startTLS *tls.Config       // advertise and serve STARTTLS with it
}

func newFakeSMTP(t *testing.T, s script) *fakeSMTP {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return serveFake(t, s, ln)
}

func serveFake(t *testing.T, s script, ln net.Listener) *fakeSMTP {
	f := &fakeSMTP{script: s, ln: ln}
	var conns []net.Conn
	var cmu sync.Mutex
	t.Cleanup(func() {
		ln.Close()
		cmu.Lock()
		for _, c := range conns {
			c.Close()
		}
		cmu.Unlock()
		f.wg.Wait()
	})
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			cmu.Lock()
			conns = append(conns, c)
			cmu.Unlock()
			f.wg.Add(1)
			go func() {
				defer f.wg.Done()
				defer c.Close()
				f.session(c)
			}()
		}
	}()
	return f
}

func (f *fakeSMTP) addr() (host, port string) {
	host, port, _ = net.SplitHostPort(f.ln.Addr().String())
	return host, port
}

func (f *fakeSMTP) record(verb string) {
	f.mu.Lock()
	f.cmds = append(f.cmds, verb)
	f.mu.Unlock()
}

func (f *fakeSMTP) commands() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.cmds...)
}

func (f *fakeSMTP) messages() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.data...)
}

func (f *fakeSMTP) reply(verb, def string) string {
	if r, ok := f.replies[verb]; ok {
		return r
	}
	return def
}

func (f *fakeSMTP) session(c net.Conn) {
	tp := textproto.NewConn(c)
	if f.silentAt == "GREETING" {
		_, _ = io.Copy(io.Discard, c) // until the client gives up
		return
	}
	greeting := f.greeting
	if greeting == "" {
		greeting = "220 fake ESMTP"
	}
	_ = tp.PrintfLine("%s", greeting)
	if !strings.HasPrefix(greeting, "220") {
		return
	}
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		verb := strings.ToUpper(strings.Fields(line + " x")[0])
		f.record(verb)
		if verb == f.silentAt {
			_, _ = io.Copy(io.Discard, c)
			return
		}
		switch verb {
		case "EHLO":
			ext := []string{"250-fake", "250-8BITMIME"}
			if f.startTLS != nil {
				if _, ok := c.(*tls.Conn); !ok {
					ext = append(ext, "250-STARTTLS")
				}
			}
			if f.auth {
				ext = append(ext, "250-AUTH PLAIN LOGIN")
			}
			_ = tp.PrintfLine("%s\r\n250 HELP", strings.Join(ext, "\r\n"))
		case "STARTTLS":
			_ = tp.PrintfLine("220 go ahead")
			tc := tls.Server(c, f.startTLS)
			if err := tc.Handshake(); err != nil {
				return
			}
			c = tc
			tp = textproto.NewConn(tc)
		case "AUTH":
			fields := strings.Fields(line)
			if len(fields) == 3 && strings.EqualFold(fields[1], "PLAIN") {
				if raw, err := base64.StdEncoding.DecodeString(fields[2]); err == nil {
					parts := strings.Split(string(raw), "\x00")
					if len(parts) == 3 {
						f.mu.Lock()
						f.creds = append(f.creds, parts[1]+":"+parts[2])
						f.mu.Unlock()
					}
				}
			}
			_ = tp.PrintfLine("%s", f.reply("AUTH", "235 2.7.0 accepted"))
		case "DATA":
			r := f.reply("DATA", "354 end with .")
			_ = tp.PrintfLine("%s", r)
			if !strings.HasPrefix(r, "354") {
				continue
			}
			body, err := io.ReadAll(tp.DotReader())
			if err != nil {
				return
			}
			f.mu.Lock()
			f.data = append(f.data, string(body))
			f.mu.Unlock()
			if f.silentAt == "DATA." {
				_, _ = io.Copy(io.Discard, bufio.NewReader(c))
				return
			}
			_ = tp.PrintfLine("%s", f.reply("DATA.", "250 2.0.0 queued as 42"))
		case "QUIT":
			_ = tp.PrintfLine("%s", f.reply("QUIT", "221 bye"))
			return
		default:
			_ = tp.PrintfLine("%s", f.reply(verb, "250 ok"))
		}
	}
}
