package main

// The fake networks of the end-to-end tests: each answers the requests its
// adapter makes as the network documents them (method, path, auth), and
// checks what it received. Error bodies are the networks' own.

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/mail"
	"net/textproto"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/mmcdole/gofeed"

	"github.com/crieur/crieur/publishers/publishertest"
)

// Credentials of the fakes; the CLI must never print them.
const (
	mastodonToken   = "mastodon-Sup3rSecret-token"
	blueskyPassword = "bsky-app-pass-Secret"
	blueskyAccess   = "bsky-access-jwt"
	telegramToken   = "123456:SECRET-telegram_xyz"
	discordHook     = "/api/webhooks/1234567890/SECRET-discord-token"
	slackHook       = "/services/T0001/B0001/SECRETslackToken"
	webhookKey      = "whsec_c2VjcmV0LXdlYmhvb2sta2V5LTMyYnl0ZXMhIQ=="
	wpUser          = "editor"
	wpPassword      = "abcd EFGH ijkl MNOP secret"
	ghostKeyID      = "6744aa00bb11cc22dd33ee44"
	ghostSecret     = "5ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7"
	devtoKey        = "devto-api-key-Secret"
	smtpPassword    = "smtp-Secret-password"
	linkedinToken   = "AQV-linkedin-Secret-access-token"
)

// networkCases is the table: every network crieur has.
func networkCases() []netCase {
	return []netCase{
		{
			network:  "mastodon",
			settings: func(base, _ string) []string { return []string{"instance=" + base} },
			secrets:  func(string) map[string]string { return map[string]string{"token": mastodonToken} },
			media:    mediaFile, limit: 500, serve: serveMastodon, check: checkMastodon,
			faults: &faultSet{
				on:          is("POST", "/api/v1/statuses"),
				auth:        fault{status: 401, body: `{"error":"The access token is invalid"}`},
				transient:   fault{status: 503, body: `{"error":"Service Unavailable"}`},
				limited:     fault{status: 429, header: resetIn("X-RateLimit-Reset", 90*time.Second, isoReset), body: `{"error":"Too many requests"}`},
				wait:        90 * time.Second,
				invalid:     fault{status: 422, body: `{"error":"Validation failed: Text character limit of 500 exceeded"}`},
				invalidText: "Validation failed: Text character limit of 500 exceeded",
			},
		},
		{
			network:  "bluesky",
			settings: func(base, _ string) []string { return []string{"handle=alice.test", "pds=" + base} },
			secrets:  func(string) map[string]string { return map[string]string{"app_password": blueskyPassword} },
			media:    mediaFile, limit: 300, serve: serveBluesky, check: checkBluesky,
			faults: &faultSet{
				on: is("POST", "/xrpc/com.atproto.repo.createRecord"),
				auth: fault{status: 401, body: `{"error":"AuthenticationRequired","message":"Invalid identifier or password"}`,
					on: is("POST", "/xrpc/com.atproto.server.createSession")},
				transient: fault{status: 500, body: `{"error":"InternalServerError","message":"Internal Server Error"}`},
				limited: fault{status: 429, header: resetIn("RateLimit-Reset", 30*time.Second, unixReset),
					body: `{"error":"RateLimitExceeded","message":"Rate Limit Exceeded"}`},
				wait:        30 * time.Second,
				invalid:     fault{status: 400, body: `{"error":"InvalidRequest","message":"Invalid app.bsky.feed.post record: Record/text must not be longer than 3000 graphemes"}`},
				invalidText: "Record/text must not be longer than 3000 graphemes",
			},
		},
		{
			network:  "telegram",
			settings: func(base, _ string) []string { return []string{"chat_id=@crieurtest", "api=" + base} },
			secrets:  func(string) map[string]string { return map[string]string{"bot_token": telegramToken} },
			media:    mediaFile, limit: 4096, serve: serveTelegram, check: checkTelegram,
			faults: &faultSet{
				on:          func(r *http.Request) bool { return strings.Contains(r.URL.Path, "/send") },
				auth:        fault{status: 401, body: `{"ok":false,"error_code":401,"description":"Unauthorized"}`},
				transient:   fault{status: 502, body: "<html>Bad Gateway</html>"},
				limited:     fault{status: 429, body: `{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 17","parameters":{"retry_after":17}}`},
				wait:        17 * time.Second,
				invalid:     fault{status: 400, body: `{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}`},
				invalidText: "Bad Request: chat not found",
			},
		},
		{
			network:  "discord",
			settings: func(string, string) []string { return nil },
			secrets:  func(base string) map[string]string { return map[string]string{"webhook_url": base + discordHook} },
			media:    mediaFile, limit: 2000, serve: serveDiscord, check: checkDiscord,
			faults: &faultSet{
				on:        is("POST", discordHook),
				auth:      fault{status: 401, body: `{"message":"401: Unauthorized","code":0}`},
				transient: fault{status: 502, body: "error code: 502"},
				limited: fault{status: 429, header: header("Retry-After", "3", "Content-Type", "application/json"),
					body: `{"message":"You are being rate limited.","retry_after":2.5,"global":false}`},
				wait: 2500 * time.Millisecond,
				invalid: fault{status: 400, header: header("Content-Type", "application/json"),
					body: `{"message":"Invalid Form Body","code":50035,"errors":{"content":{"_errors":[{"code":"BASE_TYPE_MAX_LENGTH","message":"Must be 2000 or fewer in length."}]}}}`},
				invalidText: "content: Must be 2000 or fewer in length.",
			},
		},
		{
			network:  "slack",
			settings: func(string, string) []string { return nil },
			secrets:  func(base string) map[string]string { return map[string]string{"webhook_url": base + slackHook} },
			media:    mediaURL, serve: serveSlack, check: checkSlack,
			faults: &faultSet{
				on:          is("POST", slackHook),
				auth:        fault{status: 403, body: "invalid_token"},
				transient:   fault{status: 500, body: "rollup_error"},
				limited:     fault{status: 429, header: header("Retry-After", "30"), body: "rate_limited"},
				wait:        30 * time.Second,
				invalid:     fault{status: 400, body: "invalid_blocks"},
				invalidText: "invalid_blocks",
			},
		},
		{
			network:  "webhook",
			settings: func(string, string) []string { return nil },
			secrets: func(base string) map[string]string {
				return map[string]string{"url": base + "/hooks/crieur", "signing_key": webhookKey}
			},
			media: mediaFile, serve: serveWebhook, check: checkWebhook,
			faults: &faultSet{
				on:          is("POST", "/hooks/crieur"),
				auth:        fault{status: 401, body: `{"error":"bad signature"}`},
				transient:   fault{status: 500, body: `{"error":"receiver crashed"}`},
				limited:     fault{status: 429, header: header("Retry-After", "30")},
				wait:        30 * time.Second,
				invalid:     fault{status: 422, body: `{"error":{"message":"slug is not allowed here"}}`},
				invalidText: "slug is not allowed here",
			},
		},
		{
			network:  "wordpress",
			settings: func(base, _ string) []string { return []string{"site=" + base} },
			secrets: func(string) map[string]string {
				return map[string]string{"user": wpUser, "app_password": wpPassword}
			},
			media: mediaFile, serve: serveWordPress, check: checkWordPress,
			faults: &faultSet{
				on:        is("POST", "/wp-json/wp/v2/posts"),
				auth:      fault{status: 401, body: `{"code":"incorrect_password","message":"The provided password is an invalid application password.","data":{"status":401}}`},
				transient: fault{status: 500, body: `{"code":"internal_server_error","message":"<p>There has been a critical error on this website.</p>","data":{"status":500}}`},
				limited:   fault{status: 429, header: header("Retry-After", "30")},
				wait:      30 * time.Second,
				invalid: fault{status: 400,
					body: `{"code":"rest_invalid_param","message":"Invalid parameter(s): status","data":{"status":400,"params":{"status":"status is not one of publish, future."}}}`},
				invalidText: "Invalid parameter(s): status",
			},
		},
		{
			network:  "ghost",
			settings: func(base, _ string) []string { return []string{"site=" + base} },
			secrets:  func(string) map[string]string { return map[string]string{"admin_key": ghostKeyID + ":" + ghostSecret} },
			media:    mediaFile, serve: serveGhost, check: checkGhost,
			faults: &faultSet{
				on:        is("POST", "/ghost/api/admin/posts/"),
				auth:      fault{status: 401, body: `{"errors":[{"message":"Invalid token","context":"invalid signature","type":"UnauthorizedError"}]}`},
				transient: fault{status: 503, body: `{"errors":[{"message":"Site is starting up, please try again in a moment.","type":"MaintenanceError"}]}`},
				limited:   fault{status: 429, header: header("Retry-After", "60"), body: `{"errors":[{"message":"Too many requests.","type":"TooManyRequestsError"}]}`},
				wait:      time.Minute,
				invalid: fault{status: 422,
					body: `{"errors":[{"message":"Validation error, cannot save post.","context":"Value in [posts.title] exceeds maximum length of 255 characters.","type":"ValidationError"}]}`},
				invalidText: "Value in [posts.title] exceeds maximum length of 255 characters.",
			},
		},
		{
			network:  "devto",
			settings: func(base, _ string) []string { return []string{"api=" + base} },
			secrets:  func(string) map[string]string { return map[string]string{"api_key": devtoKey} },
			media:    mediaURL, serve: serveDevto, check: checkDevto,
			faults: &faultSet{
				on:          is("POST", "/api/articles"),
				auth:        fault{status: 401, body: `{"error":"unauthorized","status":401}`},
				transient:   fault{status: 500, body: `{"error":"Internal Server Error","status":500}`},
				limited:     fault{status: 429, header: header("Retry-After", "30"), body: `{"error":"Rate limit reached, try again in 30 seconds","status":429}`},
				wait:        30 * time.Second,
				invalid:     fault{status: 422, body: `{"error":"Canonical url has already been taken","status":422}`},
				invalidText: "Canonical url has already been taken",
			},
		},
		xCase(),
		{
			network: "linkedin",
			settings: func(base, _ string) []string {
				return []string{"api=" + base, "author=" + linkedinOrg, "version=202610", "rate_limit_backoff=30s"}
			},
			secrets: func(string) map[string]string { return map[string]string{"access_token": linkedinToken} },
			media:   mediaFile, serve: serveLinkedIn, check: checkLinkedIn,
			faults: &faultSet{
				on:          is("POST", "/rest/posts"),
				auth:        fault{status: 401, body: `{"serviceErrorCode":65600,"code":"INVALID_ACCESS_TOKEN","message":"Invalid access token","status":401}`},
				transient:   fault{status: 504, body: `{"message":"Gateway Timeout","status":504}`},
				limited:     fault{status: 429, body: `{"message":"Resource level throttle APPLICATION DAY limit for calls to this resource is reached.","status":429}`},
				wait:        30 * time.Second,
				invalid:     fault{status: 422, body: `{"errorDetailType":"com.linkedin.common.error.BadRequest","message":"ERROR :: /commentary :: is too long","errorDetails":{"inputErrors":[{"description":"is too long","input":{"inputPath":{"fieldPath":"/commentary"}},"code":"FIELD_LENGTH_TOO_LONG"}]},"status":422}`},
				invalidText: "ERROR :: /commentary :: is too long",
			},
		},
		{
			network: "feed",
			settings: func(_, dir string) []string {
				return []string{"path=" + filepath.Join(dir, "feed.xml"), "atom_path=" + filepath.Join(dir, "atom.xml"),
					"title=Acme news", "link=https://acme.example/", "media_url=https://acme.example/media/"}
			},
			media: mediaFile, check: checkFeed,
		},
		{
			network:  "log",
			settings: func(_, dir string) []string { return []string{"path=" + filepath.Join(dir, "published.log")} },
			media:    mediaFile, check: checkLog,
		},
		{
			network: "newsletter",
			settings: func(base, _ string) []string {
				host, port, _ := net.SplitHostPort(base)
				return []string{"smtp_host=" + host, "smtp_port=" + port, "tls=none",
					"from=Acme News <news@acme.example>", "to=ann@readers.example"}
			},
			secrets: func(string) map[string]string {
				return map[string]string{"smtp_user": "newsbot", "smtp_password": smtpPassword}
			},
			media: mediaFile, smtp: true, check: checkNewsletter,
		},
	}
}

// resetIn answers a rate-limit reset d from now in the header k, formatted
// by format (an instant, as the networks give it).
func resetIn(k string, d time.Duration, format func(time.Time) string) func() http.Header {
	return func() http.Header { return http.Header{k: {format(time.Now().Add(d))}} }
}

func isoReset(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000Z") }

// unixReset rounds up, so the wait is never shorter than asked.
func unixReset(t time.Time) string { return strconv.FormatInt(t.Add(time.Second-1).Unix(), 10) }

// checkLink checks that text carries the post's link as the network must get it.
func checkLink(t *testing.T, what, text string, w wantPost) {
	t.Helper()
	if !strings.Contains(text, w.link) {
		t.Errorf("%s lacks the link %s:\n%s", what, w.link, text)
	}
}

// checkThread checks that the parts hold the whole body, in order, over
// several parts when the body is over the network's limit.
func checkThread(t *testing.T, parts []string, w wantPost) {
	t.Helper()
	if len(parts) == 0 {
		t.Fatal("nothing was posted")
	}
	checkLink(t, "the first part", parts[0], w)
	if !strings.Contains(parts[0], "Our spring issue is out") || !strings.Contains(parts[len(parts)-1], e2eLast) {
		t.Errorf("the parts do not hold the body from its first to its last sentence: %q", parts)
	}
	if w.long && len(parts) < 2 {
		t.Errorf("a body over the limit went out as %d part(s), want a thread", len(parts))
	}
	if !w.long && len(parts) != 1 {
		t.Errorf("%d parts, want one", len(parts))
	}
}

// --- Mastodon: https://docs.joinmastodon.org/methods/statuses/ ---

func serveMastodon(f *fakeNet, w http.ResponseWriter, r *http.Request, _ []byte) {
	if got := r.Header.Get("Authorization"); got != "Bearer "+mastodonToken {
		f.t.Errorf("%s %s: Authorization %q", r.Method, r.URL.Path, got)
		publishertest.WriteJSON(w, 401, map[string]string{"error": "The access token is invalid"})
		return
	}
	switch {
	case r.Method == "GET" && r.URL.Path == "/api/v2/instance":
		publishertest.WriteJSON(w, 200, map[string]any{"configuration": map[string]any{
			"statuses":          map[string]int{"max_characters": 500, "characters_reserved_per_url": 23, "max_media_attachments": 4},
			"media_attachments": map[string]int{"description_limit": 1500}}})
	case r.Method == "POST" && r.URL.Path == "/api/v2/media":
		// A small image is processed at once: 200 with its URL.
		publishertest.WriteJSON(w, 200, map[string]any{"id": "m1", "type": "image", "url": "https://files.example/m1.png"})
	case r.Method == "GET" && r.URL.Path == "/api/v1/accounts/verify_credentials":
		publishertest.WriteJSON(w, 200, map[string]string{"id": "1", "username": "acme", "acct": "acme"})
	case r.Method == "GET" && r.URL.Path == "/api/v1/accounts/1/statuses":
		// Before a retry, the adapter looks for the earlier attempt's status.
		// A fault answers instead of this fake, so no attempt made one.
		publishertest.WriteJSON(w, 200, []any{})
	case r.Method == "POST" && r.URL.Path == "/api/v1/statuses":
		id := strconv.Itoa(100 + f.next())
		publishertest.WriteJSON(w, 200, map[string]any{"id": id, "url": "https://social.example/@acme/" + id,
			"uri": "https://social.example/users/acme/statuses/" + id, "created_at": time.Now().UTC().Format(time.RFC3339)})
	default:
		unexpected(f, w, r)
	}
}

func checkMastodon(t *testing.T, f *fakeNet, got published) {
	w := got.want
	uploads := f.calls("POST", "/api/v2/media")
	if len(uploads) != 1 {
		t.Fatalf("%d uploads, want 1", len(uploads))
	}
	form := readForm(t, uploads[0])
	if form.Files["file"] != string(w.image) || form.Names["file"] != "cover.png" || form.Fields["description"] != e2eAlt {
		t.Errorf("upload: file %q (%d bytes), description %q: want the PNG with its alt text", form.Names["file"], len(form.Files["file"]), form.Fields["description"])
	}
	var parts []string
	keys := map[string]bool{}
	for i, r := range f.calls("POST", "/api/v1/statuses") {
		var st struct {
			Status      string   `json:"status"`
			MediaIDs    []string `json:"media_ids"`
			Visibility  string   `json:"visibility"`
			InReplyToID string   `json:"in_reply_to_id"`
		}
		decodeJSON(t, r, &st)
		parts = append(parts, st.Status)
		wantReply := ""
		if i > 0 {
			wantReply = strconv.Itoa(100 + i)
		}
		if st.InReplyToID != wantReply || st.Visibility != "public" {
			t.Errorf("status %d: in_reply_to_id %q, visibility %q; want a reply to %q, public", i, st.InReplyToID, st.Visibility, wantReply)
		}
		if (i == 0) != slices.Equal(st.MediaIDs, []string{"m1"}) {
			t.Errorf("status %d: media_ids %v, want the image on the first status only", i, st.MediaIDs)
		}
		key := r.Header.Get("Idempotency-Key")
		if key == "" || keys[key] {
			t.Errorf("status %d: Idempotency-Key %q, want one of its own", i, key)
		}
		keys[key] = true
	}
	checkThread(t, parts, w)
	if got.remoteID != "101" || got.remoteURL != "https://social.example/@acme/101" {
		t.Errorf("remote %q %q, want the first status", got.remoteID, got.remoteURL)
	}
}

// --- Bluesky: https://docs.bsky.app/docs/advanced-guides/posts ---

const blueskyDID = "did:plc:alice"

func serveBluesky(f *fakeNet, w http.ResponseWriter, r *http.Request, body []byte) {
	nsid := strings.TrimPrefix(r.URL.Path, "/xrpc/")
	public := nsid == "com.atproto.server.createSession" || nsid == "com.atproto.repo.getRecord"
	if !public && r.Header.Get("Authorization") != "Bearer "+blueskyAccess {
		f.t.Errorf("%s: Authorization %q", nsid, r.Header.Get("Authorization"))
		publishertest.WriteJSON(w, 401, map[string]string{"error": "AuthenticationRequired", "message": "Authentication Required"})
		return
	}
	switch {
	case r.Method == "POST" && nsid == "com.atproto.server.createSession":
		var in map[string]string
		_ = json.Unmarshal(body, &in)
		if in["identifier"] != "alice.test" || in["password"] != blueskyPassword {
			f.t.Errorf("createSession with %q", in["identifier"])
			publishertest.WriteJSON(w, 401, map[string]string{"error": "AuthenticationRequired", "message": "Invalid identifier or password"})
			return
		}
		publishertest.WriteJSON(w, 200, map[string]any{"accessJwt": blueskyAccess, "refreshJwt": "bsky-refresh-jwt", "handle": "alice.test", "did": blueskyDID, "active": true})
	case r.Method == "POST" && nsid == "com.atproto.repo.uploadBlob":
		if ct := r.Header.Get("Content-Type"); ct != "image/png" {
			f.t.Errorf("uploadBlob Content-Type %q", ct)
		}
		publishertest.WriteJSON(w, 200, map[string]any{"blob": map[string]any{"$type": "blob", "ref": map[string]string{"$link": "bafkreicover"}, "mimeType": "image/png", "size": len(body)}})
	case r.Method == "POST" && nsid == "com.atproto.repo.createRecord":
		var in struct{ Repo, Collection, RKey string }
		_ = json.Unmarshal(body, &in)
		if in.Repo != blueskyDID || in.Collection != "app.bsky.feed.post" || in.RKey == "" {
			f.t.Errorf("createRecord repo %q collection %q rkey %q", in.Repo, in.Collection, in.RKey)
		}
		publishertest.WriteJSON(w, 200, map[string]any{"uri": "at://" + blueskyDID + "/app.bsky.feed.post/" + in.RKey, "cid": "bafyrei" + in.RKey})
	case r.Method == "GET" && nsid == "com.atproto.repo.getRecord":
		// Before a retry the adapter looks for the record an earlier attempt
		// may have created; none was.
		q := r.URL.Query()
		if q.Get("repo") != blueskyDID || q.Get("collection") != "app.bsky.feed.post" || q.Get("rkey") == "" {
			f.t.Errorf("getRecord query %v", q)
		}
		publishertest.WriteJSON(w, 400, map[string]string{"error": "RecordNotFound", "message": "Could not locate record"})
	default:
		unexpected(f, w, r)
	}
}

func checkBluesky(t *testing.T, f *fakeNet, got published) {
	w := got.want
	blobs := f.calls("POST", "/xrpc/com.atproto.repo.uploadBlob")
	if len(blobs) != 1 || !bytes.Equal(blobs[0].Body, w.image) {
		t.Fatalf("%d blobs uploaded, want the PNG once", len(blobs))
	}
	type ref struct{ URI, CID string }
	var parts []string
	var first, prev ref
	for i, r := range f.calls("POST", "/xrpc/com.atproto.repo.createRecord") {
		var in struct {
			RKey   string `json:"rkey"`
			Record struct {
				Text   string `json:"text"`
				Facets []struct {
					Index    struct{ ByteStart, ByteEnd int } `json:"index"`
					Features []map[string]string              `json:"features"`
				} `json:"facets"`
				Embed *struct {
					Images []struct {
						Alt   string `json:"alt"`
						Image struct {
							Ref map[string]string `json:"ref"`
						} `json:"image"`
					} `json:"images"`
				} `json:"embed"`
				Reply *struct{ Root, Parent ref } `json:"reply"`
			} `json:"record"`
		}
		decodeJSON(t, r, &in)
		rec := in.Record
		parts = append(parts, rec.Text)
		this := ref{"at://" + blueskyDID + "/app.bsky.feed.post/" + in.RKey, "bafyrei" + in.RKey}
		if i == 0 {
			first = this
			if rec.Embed == nil || len(rec.Embed.Images) != 1 || rec.Embed.Images[0].Alt != e2eAlt || rec.Embed.Images[0].Image.Ref["$link"] != "bafkreicover" {
				t.Errorf("first post's embed %+v: want the uploaded image with its alt text", rec.Embed)
			}
			linked := false
			for _, fc := range rec.Facets {
				s, e := fc.Index.ByteStart, fc.Index.ByteEnd
				if len(fc.Features) == 1 && fc.Features[0]["uri"] == w.link && s >= 0 && e <= len(rec.Text) && rec.Text[s:e] == w.link {
					linked = true
				}
			}
			if !linked {
				t.Errorf("no link facet covers %s in %q: %+v", w.link, rec.Text, rec.Facets)
			}
		} else if rec.Reply == nil || rec.Reply.Root != first || rec.Reply.Parent != prev {
			t.Errorf("post %d replies to %+v, want root %v and parent %v", i, rec.Reply, first, prev)
		}
		prev = this
	}
	checkThread(t, parts, w)
	if got.remoteID != first.URI || !strings.HasPrefix(got.remoteURL, "https://bsky.app/profile/alice.test/post/") {
		t.Errorf("remote %q %q, want the first post %s", got.remoteID, got.remoteURL, first.URI)
	}
}

// --- Telegram: https://core.telegram.org/bots/api ---

func serveTelegram(f *fakeNet, w http.ResponseWriter, r *http.Request, _ []byte) {
	method, ok := strings.CutPrefix(r.URL.Path, "/bot"+telegramToken+"/")
	if !ok || r.Method != "POST" {
		f.t.Errorf("%s %s: want POST /bot<token>/METHOD", r.Method, r.URL.Path)
		publishertest.WriteJSON(w, 404, map[string]any{"ok": false, "error_code": 404, "description": "Not Found"})
		return
	}
	switch method {
	case "sendMessage", "sendPhoto":
		publishertest.WriteJSON(w, 200, map[string]any{"ok": true, "result": map[string]any{"message_id": f.next(), "date": time.Now().Unix(),
			"chat": map[string]any{"id": -1001, "type": "channel", "username": "crieurtest"}}})
	default:
		unexpected(f, w, r)
	}
}

func checkTelegram(t *testing.T, f *fakeNet, got published) {
	w := got.want
	texts := f.calls("POST", "/bot"+telegramToken+"/sendMessage")
	var parts []string
	for i, r := range texts {
		var m struct {
			ChatID  string `json:"chat_id"`
			Text    string `json:"text"`
			ReplyTo *struct {
				MessageID int `json:"message_id"`
			} `json:"reply_parameters"`
		}
		decodeJSON(t, r, &m)
		parts = append(parts, m.Text)
		if m.ChatID != "@crieurtest" || (i == 0) != (m.ReplyTo == nil) || (i > 0 && m.ReplyTo.MessageID != i) {
			t.Errorf("message %d: chat %q, reply %+v: want a reply to message %d", i, m.ChatID, m.ReplyTo, i)
		}
	}
	checkThread(t, parts, w)
	// The text is over a caption's limit, so the photo follows it as a reply.
	photos := f.calls("POST", "/bot"+telegramToken+"/sendPhoto")
	if len(photos) != 1 {
		t.Fatalf("%d photos sent, want 1", len(photos))
	}
	form := readForm(t, photos[0])
	if form.Files["photo"] != string(w.image) || form.Fields["chat_id"] != "@crieurtest" ||
		form.Fields["reply_parameters"] != fmt.Sprintf(`{"message_id":%d}`, len(texts)) {
		t.Errorf("sendPhoto fields %v, photo of %d bytes: want the PNG replying to the last text", form.Fields, len(form.Files["photo"]))
	}
	if got.remoteID != "1" || got.remoteURL != "https://t.me/crieurtest/1" {
		t.Errorf("remote %q %q, want the first message", got.remoteID, got.remoteURL)
	}
}

// --- Discord: https://discord.com/developers/docs/resources/webhook ---

func serveDiscord(f *fakeNet, w http.ResponseWriter, r *http.Request, _ []byte) {
	if r.URL.Path != discordHook {
		unexpected(f, w, r)
		return
	}
	switch r.Method {
	case "GET":
		publishertest.WriteJSON(w, 200, map[string]any{"id": "1234567890", "type": 1, "channel_id": "555", "guild_id": "777"})
	case "POST":
		if r.URL.Query().Get("wait") != "true" {
			f.t.Errorf("execution without wait=true: Discord would not answer the message")
		}
		publishertest.WriteJSON(w, 200, map[string]any{"id": strconv.Itoa(1000 + f.next()), "channel_id": "555", "timestamp": time.Now().UTC().Format(time.RFC3339Nano)})
	default:
		unexpected(f, w, r)
	}
}

func checkDiscord(t *testing.T, f *fakeNet, got published) {
	w := got.want
	var parts []string
	for i, r := range f.calls("POST", discordHook) {
		type payload struct {
			Content         string `json:"content"`
			AllowedMentions struct {
				Parse []string `json:"parse"`
			} `json:"allowed_mentions"`
			Attachments []struct {
				ID          int    `json:"id"`
				Filename    string `json:"filename"`
				Description string `json:"description"`
			} `json:"attachments"`
		}
		var p payload
		var files map[string]string
		if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
			form := readForm(t, r)
			files = form.Files
			_ = json.Unmarshal([]byte(form.Fields["payload_json"]), &p)
		} else {
			decodeJSON(t, r, &p)
		}
		parts = append(parts, p.Content)
		if p.AllowedMentions.Parse == nil || len(p.AllowedMentions.Parse) != 0 {
			t.Errorf("message %d: allowed_mentions.parse %v, want [] (nothing pings)", i, p.AllowedMentions.Parse)
		}
		if i == 0 && (len(p.Attachments) != 1 || p.Attachments[0].Description != e2eAlt || files["files[0]"] != string(w.image)) {
			t.Errorf("first message: attachments %+v: want the PNG with its alt text as description", p.Attachments)
		}
		if i > 0 && len(p.Attachments) != 0 {
			t.Errorf("message %d carries attachments", i)
		}
	}
	checkThread(t, parts, w)
	if got.remoteID != "1001" || got.remoteURL != "https://discord.com/channels/777/555/1001" {
		t.Errorf("remote %q %q, want the first message", got.remoteID, got.remoteURL)
	}
}

// --- Slack: https://api.slack.com/messaging/webhooks ---

func serveSlack(f *fakeNet, w http.ResponseWriter, r *http.Request, _ []byte) {
	if r.Method != "POST" || r.URL.Path != slackHook || r.Header.Get("Content-Type") != "application/json" {
		unexpected(f, w, r)
		return
	}
	_, _ = io.WriteString(w, "ok")
}

func checkSlack(t *testing.T, f *fakeNet, got published) {
	posts := f.calls("POST", slackHook)
	if len(posts) != 1 {
		t.Fatalf("%d messages, want 1", len(posts))
	}
	var m struct {
		Text   string `json:"text"`
		Blocks []struct {
			Type     string `json:"type"`
			ImageURL string `json:"image_url"`
			AltText  string `json:"alt_text"`
		} `json:"blocks"`
	}
	decodeJSON(t, posts[0], &m)
	// mrkdwn escapes & as &amp;, which Slack reads back as &.
	checkLink(t, "the message", strings.ReplaceAll(m.Text, "&amp;", "&"), got.want)
	last := m.Blocks[len(m.Blocks)-1]
	if last.Type != "image" || last.ImageURL != e2eImageURL || last.AltText != e2eAlt {
		t.Errorf("last block %+v, want the image with its alt text", last)
	}
	if got.remoteID == "" || got.remoteURL != "" {
		t.Errorf("remote %q %q: a webhook answers no id, the delivery's key stands for it", got.remoteID, got.remoteURL)
	}
}

// --- Webhook: https://www.standardwebhooks.com/ ---

func serveWebhook(f *fakeNet, w http.ResponseWriter, r *http.Request, body []byte) {
	if r.Method != "POST" || r.URL.Path != "/hooks/crieur" {
		unexpected(f, w, r)
		return
	}
	key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(webhookKey, "whsec_"))
	id, ts := r.Header.Get("webhook-id"), r.Header.Get("webhook-timestamp")
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "."))
	mac.Write(body)
	if want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil)); id == "" || r.Header.Get("webhook-signature") != want {
		f.t.Errorf("webhook-id %q, signature %q: not signed with the channel's key", id, r.Header.Get("webhook-signature"))
		publishertest.WriteJSON(w, 401, map[string]string{"error": "bad signature"})
		return
	}
	publishertest.WriteJSON(w, 200, map[string]string{"id": "evt_1", "url": "https://hooks.example/evt_1"})
}

func checkWebhook(t *testing.T, f *fakeNet, got published) {
	w := got.want
	posts := f.calls("POST", "/hooks/crieur")
	if len(posts) != 1 {
		t.Fatalf("%d posts, want 1", len(posts))
	}
	var p struct {
		IdempotencyKey string `json:"idempotency_key"`
		Slug, Title    string
		Text           string
		Media          []struct{ Path, Alt string }
		ScheduledAt    *time.Time `json:"scheduled_at"`
	}
	decodeJSON(t, posts[0], &p)
	checkLink(t, "the payload's text", p.Text, w)
	if p.Slug != "spring-issue" || p.Title != e2eTitle || p.ScheduledAt == nil || p.IdempotencyKey != posts[0].Header.Get("Idempotency-Key") {
		t.Errorf("payload %+v", p)
	}
	if len(p.Media) != 1 || p.Media[0].Path != w.path || p.Media[0].Alt != e2eAlt {
		t.Errorf("media %+v, want the image with its alt text", p.Media)
	}
	if got.remoteID != "evt_1" || got.remoteURL != "https://hooks.example/evt_1" {
		t.Errorf("remote %q %q, want the receiver's", got.remoteID, got.remoteURL)
	}
}

// --- WordPress: https://developer.wordpress.org/rest-api/reference/posts/ ---

func serveWordPress(f *fakeNet, w http.ResponseWriter, r *http.Request, _ []byte) {
	if u, p, ok := r.BasicAuth(); !ok || u != wpUser || p != wpPassword {
		f.t.Errorf("%s %s: not authenticated with the application password", r.Method, r.URL.Path)
		publishertest.WriteJSON(w, 401, map[string]any{"code": "rest_not_logged_in", "message": "You are not currently logged in.", "data": map[string]int{"status": 401}})
		return
	}
	switch {
	case r.Method == "POST" && r.URL.Path == "/wp-json/wp/v2/media":
		publishertest.WriteJSON(w, 201, map[string]any{"id": 55, "source_url": "https://blog.example/wp-content/uploads/cover.png"})
	case r.Method == "POST" && r.URL.Path == "/wp-json/wp/v2/media/55":
		publishertest.WriteJSON(w, 200, map[string]any{"id": 55})
	case r.Method == "GET" && r.URL.Path == "/wp-json/wp/v2/posts":
		// The look-up before a retry: no post holds the slug yet.
		if q := r.URL.Query(); q.Get("slug") != "spring-issue" || q.Get("context") != "edit" {
			f.t.Errorf("posts look-up query %v", q)
		}
		publishertest.WriteJSON(w, 200, []any{})
	case r.Method == "POST" && r.URL.Path == "/wp-json/wp/v2/posts":
		publishertest.WriteJSON(w, 201, map[string]any{"id": 103, "link": "https://blog.example/spring-issue/", "slug": "spring-issue",
			"date_gmt": time.Now().UTC().Format("2006-01-02T15:04:05")})
	default:
		unexpected(f, w, r)
	}
}

func checkWordPress(t *testing.T, f *fakeNet, got published) {
	w := got.want
	media := f.calls("POST", "/wp-json/wp/v2/media")
	if len(media) != 1 || !bytes.Equal(media[0].Body, w.image) || media[0].Header.Get("Content-Type") != "image/png" ||
		!strings.Contains(media[0].Header.Get("Content-Disposition"), `filename=cover.png`) {
		t.Fatalf("media uploads %d: want the PNG as the body, named", len(media))
	}
	var alt map[string]string
	if altSets := f.calls("POST", "/wp-json/wp/v2/media/55"); len(altSets) == 1 {
		decodeJSON(t, altSets[0], &alt)
	}
	if alt["alt_text"] != e2eAlt {
		t.Errorf("alt_text %q, want the media's alt text", alt["alt_text"])
	}
	posts := f.calls("POST", "/wp-json/wp/v2/posts")
	if len(posts) != 1 {
		t.Fatalf("%d posts, want 1", len(posts))
	}
	var p struct {
		Title, Content, Status, Slug string
		FeaturedMedia                int `json:"featured_media"`
	}
	decodeJSON(t, posts[0], &p)
	checkLink(t, "the content", html.UnescapeString(p.Content), w)
	if p.Title != e2eTitle || p.Status != "publish" || p.Slug != "spring-issue" || p.FeaturedMedia != 55 {
		t.Errorf("post %+v", p)
	}
	if got.remoteID != "103" || got.remoteURL != "https://blog.example/spring-issue/" {
		t.Errorf("remote %q %q", got.remoteID, got.remoteURL)
	}
}

// --- Ghost: https://ghost.org/docs/admin-api/ ---

func serveGhost(f *fakeNet, w http.ResponseWriter, r *http.Request, _ []byte) {
	if err := checkGhostToken(r); err != nil {
		f.t.Errorf("%s %s: %v", r.Method, r.URL.Path, err)
		publishertest.WriteJSON(w, 401, map[string]any{"errors": []map[string]string{{"message": "Invalid token", "type": "UnauthorizedError"}}})
		return
	}
	switch {
	case r.Method == "POST" && r.URL.Path == "/ghost/api/admin/images/upload/":
		publishertest.WriteJSON(w, 201, map[string]any{"images": []map[string]string{{"url": "https://blog.example/content/images/cover.png", "ref": "cover.png"}}})
	case r.Method == "GET" && r.URL.Path == "/ghost/api/admin/posts/slug/spring-issue/":
		// The look-up before a retry: no post holds the slug yet.
		publishertest.WriteJSON(w, 404, map[string]any{"errors": []map[string]string{{"message": "Post not found.", "type": "NotFoundError"}}})
	case r.Method == "POST" && r.URL.Path == "/ghost/api/admin/posts/":
		publishertest.WriteJSON(w, 201, map[string]any{"posts": []map[string]string{{"id": "6744a1b2c3d4e5f60718293a", "url": "https://blog.example/spring-issue/",
			"slug": "spring-issue", "title": e2eTitle, "published_at": time.Now().UTC().Format(time.RFC3339)}}})
	default:
		unexpected(f, w, r)
	}
}

// checkGhostToken verifies the Admin API token as Ghost does: HS256 signed
// with the key's secret, the key's id as kid, audience /admin/, five minutes.
func checkGhostToken(r *http.Request) error {
	raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Ghost ")
	if !ok {
		return fmt.Errorf("Authorization %q is not a Ghost token", r.Header.Get("Authorization"))
	}
	if v := r.Header.Get("Accept-Version"); v == "" {
		return fmt.Errorf("no Accept-Version")
	}
	secret, _ := hex.DecodeString(ghostSecret)
	tok, err := jwt.Parse(raw, func(tok *jwt.Token) (any, error) {
		if tok.Header["kid"] != ghostKeyID {
			return nil, fmt.Errorf("kid %v", tok.Header["kid"])
		}
		return secret, nil
	}, jwt.WithValidMethods([]string{"HS256"}), jwt.WithAudience("/admin/"), jwt.WithExpirationRequired())
	if err != nil {
		return err
	}
	iat, _ := tok.Claims.GetIssuedAt()
	exp, _ := tok.Claims.GetExpirationTime()
	if exp.Sub(iat.Time) > 5*time.Minute {
		return fmt.Errorf("token valid for %v, Ghost takes 5m at most", exp.Sub(iat.Time))
	}
	return nil
}

func checkGhost(t *testing.T, f *fakeNet, got published) {
	w := got.want
	uploads := f.calls("POST", "/ghost/api/admin/images/upload/")
	if len(uploads) != 1 {
		t.Fatalf("%d uploads, want 1", len(uploads))
	}
	form := readForm(t, uploads[0])
	if form.Files["file"] != string(w.image) || form.Fields["purpose"] != "image" {
		t.Errorf("upload fields %v, file of %d bytes: want the PNG for purpose image", form.Fields, len(form.Files["file"]))
	}
	posts := f.calls("POST", "/ghost/api/admin/posts/")
	if len(posts) != 1 || posts[0].Query.Get("source") != "html" {
		t.Fatalf("%d posts, want 1 with source=html", len(posts))
	}
	var in struct {
		Posts []struct {
			Title, HTML, Status, Slug string
			FeatureImage              string `json:"feature_image"`
			FeatureImageAlt           string `json:"feature_image_alt"`
		} `json:"posts"`
	}
	decodeJSON(t, posts[0], &in)
	if len(in.Posts) != 1 {
		t.Fatalf("posts %+v, want one", in.Posts)
	}
	p := in.Posts[0]
	checkLink(t, "the html", html.UnescapeString(p.HTML), w)
	if p.Title != e2eTitle || p.Status != "published" || p.Slug != "spring-issue" ||
		p.FeatureImage != "https://blog.example/content/images/cover.png" || p.FeatureImageAlt != e2eAlt {
		t.Errorf("post %+v: want published with the uploaded feature image and its alt text", p)
	}
	if got.remoteID != "6744a1b2c3d4e5f60718293a" || got.remoteURL != "https://blog.example/spring-issue/" {
		t.Errorf("remote %q %q", got.remoteID, got.remoteURL)
	}
}

// --- Forem (DEV): https://developers.forem.com/api/v1 ---

func serveDevto(f *fakeNet, w http.ResponseWriter, r *http.Request, _ []byte) {
	if r.Header.Get("api-key") != devtoKey {
		f.t.Errorf("%s %s: api-key header missing or wrong", r.Method, r.URL.Path)
		publishertest.WriteJSON(w, 401, map[string]any{"error": "unauthorized", "status": 401})
		return
	}
	if r.Method == "GET" && r.URL.Path == "/api/articles/me/all" {
		// The look-up before a retry: the account has no article yet.
		publishertest.WriteJSON(w, 200, []any{})
		return
	}
	if r.Method != "POST" || r.URL.Path != "/api/articles" {
		unexpected(f, w, r)
		return
	}
	publishertest.WriteJSON(w, 201, map[string]any{"id": 1234, "url": "https://dev.to/acme/spring-issue-4k2p", "published_at": time.Now().UTC().Format(time.RFC3339)})
}

func checkDevto(t *testing.T, f *fakeNet, got published) {
	posts := f.calls("POST", "/api/articles")
	if len(posts) != 1 {
		t.Fatalf("%d articles, want 1", len(posts))
	}
	var in struct {
		Article struct {
			Title        string `json:"title"`
			BodyMarkdown string `json:"body_markdown"`
			Published    bool   `json:"published"`
			MainImage    string `json:"main_image"`
		} `json:"article"`
	}
	decodeJSON(t, posts[0], &in)
	a := in.Article
	checkLink(t, "the article", a.BodyMarkdown, got.want)
	if a.Title != e2eTitle || !a.Published || a.MainImage != e2eImageURL {
		t.Errorf("article %+v: want published with the cover image URL", a)
	}
	if got.remoteID != "1234" || got.remoteURL != "https://dev.to/acme/spring-issue-4k2p" {
		t.Errorf("remote %q %q", got.remoteID, got.remoteURL)
	}
}

// --- LinkedIn: Microsoft Learn, LinkedIn Marketing › Community Management (Posts API, Images API) ---

const linkedinOrg = "urn:li:organization:5515715"

// linkedinPosts holds what each LinkedIn fake created (a faulted request
// created nothing).
var linkedinPosts sync.Map // *fakeNet → []linkedinPost

type linkedinPost struct {
	id   string
	body []byte
}

func serveLinkedIn(f *fakeNet, w http.ResponseWriter, r *http.Request, body []byte) {
	if got := r.Header.Get("Authorization"); got != "Bearer "+linkedinToken {
		f.t.Errorf("%s %s: Authorization %q", r.Method, r.URL.Path, got)
		publishertest.WriteJSON(w, 401, map[string]any{"message": "Invalid access token", "status": 401})
		return
	}
	if strings.HasPrefix(r.URL.Path, "/rest/") && (r.Header.Get("LinkedIn-Version") != "202610" || r.Header.Get("X-Restli-Protocol-Version") != "2.0.0") {
		f.t.Errorf("%s %s: LinkedIn-Version %q, X-Restli-Protocol-Version %q", r.Method, r.URL.Path, r.Header.Get("LinkedIn-Version"), r.Header.Get("X-Restli-Protocol-Version"))
	}
	switch {
	case r.Method == "POST" && r.URL.Path == "/rest/images" && r.URL.Query().Get("action") == "initializeUpload":
		n := f.next()
		publishertest.WriteJSON(w, 200, map[string]any{"value": map[string]any{
			"uploadUrl": "http://" + r.Host + fmt.Sprintf("/dms-uploads/C4D%d/uploaded-image/0", n),
			"image":     fmt.Sprintf("urn:li:image:C4D%d", n),
		}})
	case r.Method == "PUT" && strings.HasPrefix(r.URL.Path, "/dms-uploads/"):
		w.WriteHeader(201)
	case r.Method == "POST" && r.URL.Path == "/rest/posts":
		id := fmt.Sprintf("urn:li:share:%d", uint64(time.Now().UnixMilli())<<22|uint64(f.next()))
		old, _ := linkedinPosts.Load(f)
		list, _ := old.([]linkedinPost)
		linkedinPosts.Store(f, append(list, linkedinPost{id: id, body: body}))
		w.Header().Set("x-restli-id", id)
		w.WriteHeader(201)
	case r.Method == "GET" && r.URL.Path == "/rest/posts" && r.URL.Query().Get("q") == "author":
		// Before a retry, the adapter looks for the earlier attempt's post
		// among the author's.
		if a := r.URL.Query().Get("author"); a != linkedinOrg {
			f.t.Errorf("find by author %q", a)
		}
		old, _ := linkedinPosts.Load(f)
		list, _ := old.([]linkedinPost)
		els := []any{}
		for i := len(list) - 1; i >= 0; i-- {
			var in map[string]any
			_ = json.Unmarshal(list[i].body, &in)
			in["id"], in["createdAt"] = list[i].id, time.Now().UnixMilli()
			els = append(els, in)
		}
		publishertest.WriteJSON(w, 200, map[string]any{"elements": els})
	default:
		unexpected(f, w, r)
	}
}

// littleText reads a LinkedIn commentary back: escapes undone; a reserved
// character left unescaped is an error (LinkedIn would cut the post there).
func littleText(t *testing.T, s string) string {
	t.Helper()
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && i+1 < len(s):
			i++
		case strings.IndexByte(`\\|{}@[]()<>#*_~`, s[i]) >= 0:
			t.Errorf("commentary %q: %q unescaped at byte %d", s, s[i], i)
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func checkLinkedIn(t *testing.T, f *fakeNet, got published) {
	w := got.want
	inits := f.calls("POST", "/rest/images")
	puts := 0
	f.mu.Lock()
	reqs := append([]request(nil), f.reqs...)
	f.mu.Unlock()
	for _, r := range reqs {
		if r.Method == "PUT" && strings.HasPrefix(r.Path, "/dms-uploads/") {
			puts++
			if !bytes.Equal(r.Body, w.image) {
				t.Errorf("upload of %d bytes, want the PNG", len(r.Body))
			}
		}
	}
	if len(inits) != 1 || puts != 1 {
		t.Fatalf("%d initializeUpload, %d uploads: want the image once", len(inits), puts)
	}
	var init struct {
		Req struct{ Owner string } `json:"initializeUploadRequest"`
	}
	decodeJSON(t, inits[0], &init)
	if init.Req.Owner != linkedinOrg {
		t.Errorf("image owner %q", init.Req.Owner)
	}
	posts := f.calls("POST", "/rest/posts")
	if len(posts) != 1 {
		t.Fatalf("%d posts, want 1", len(posts))
	}
	var in struct {
		Author, Commentary, Visibility, LifecycleState string
		Distribution                                   struct{ FeedDistribution string }
		Content                                        struct {
			Media struct{ ID, AltText string }
		}
	}
	decodeJSON(t, posts[0], &in)
	text := littleText(t, in.Commentary)
	checkLink(t, "the commentary", text, w)
	if !strings.Contains(text, "Our spring issue is out") || !strings.Contains(text, e2eLast) {
		t.Errorf("commentary %q lacks the body", text)
	}
	if in.Author != linkedinOrg || in.Visibility != "PUBLIC" || in.LifecycleState != "PUBLISHED" || in.Distribution.FeedDistribution != "MAIN_FEED" {
		t.Errorf("post %+v", in)
	}
	if in.Content.Media.ID != "urn:li:image:C4D1" || in.Content.Media.AltText != e2eAlt {
		t.Errorf("content %+v: want the uploaded image with its alt text", in.Content)
	}
	old, _ := linkedinPosts.Load(f)
	list, _ := old.([]linkedinPost)
	if len(list) != 1 || got.remoteID != list[0].id || got.remoteURL != "https://www.linkedin.com/feed/update/"+list[0].id+"/" {
		t.Errorf("remote %q %q, want the post's URN and feed URL", got.remoteID, got.remoteURL)
	}
}

// --- Feed: RSS 2.0 and Atom files ---

func checkFeed(t *testing.T, _ *fakeNet, got published) {
	w := got.want
	for _, name := range []string{"feed.xml", "atom.xml"} {
		data, err := os.ReadFile(filepath.Join(got.dir, name))
		if err != nil {
			t.Fatal(err)
		}
		feed, err := gofeed.NewParser().ParseString(string(data))
		if err != nil {
			t.Fatalf("%s does not parse: %v", name, err)
		}
		if len(feed.Items) != 1 {
			t.Fatalf("%s has %d items, want 1", name, len(feed.Items))
		}
		it := feed.Items[0]
		checkLink(t, name+"'s item", html.UnescapeString(it.Description+it.Content), w)
		if it.Title != e2eTitle || it.GUID != got.remoteID {
			t.Errorf("%s item %q, guid %q: want the title and the remote id %q", name, it.Title, it.GUID, got.remoteID)
		}
		if len(it.Enclosures) != 1 || it.Enclosures[0].URL != "https://acme.example/media/cover.png" ||
			it.Enclosures[0].Type != "image/png" || it.Enclosures[0].Length != strconv.Itoa(len(w.image)) {
			t.Errorf("%s enclosures %+v, want the PNG under media_url", name, it.Enclosures)
		}
	}
}

// --- Log: a local file ---

func checkLog(t *testing.T, _ *fakeNet, got published) {
	data, err := os.ReadFile(filepath.Join(got.dir, "published.log"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	checkLink(t, "the log", s, got.want)
	for _, want := range []string{got.want.path, `alt "` + e2eAlt + `"`, "key: " + got.remoteID} {
		if !strings.Contains(s, want) {
			t.Errorf("the log lacks %q:\n%s", want, s)
		}
	}
}

// --- Newsletter: SMTP ---

// mailIn is one message an SMTP server accepted.
type mailIn struct {
	auth string // user:password from AUTH PLAIN
	from string
	to   []string
	data string
}

// startSMTP serves a minimal SMTP server on 127.0.0.1 (AUTH PLAIN, no TLS)
// and returns its address; with CRIEUR_MAILPIT_SMTP and CRIEUR_MAILPIT_API
// set it returns Mailpit's instead, and the mail is read back from there.
func (f *fakeNet) startSMTP(t *testing.T) string {
	if addr, api := os.Getenv("CRIEUR_MAILPIT_SMTP"), os.Getenv("CRIEUR_MAILPIT_API"); addr != "" && api != "" {
		return addr
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go f.smtpSession(c)
		}
	}()
	return ln.Addr().String()
}

func (f *fakeNet) smtpSession(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	tp := textproto.NewConn(c)
	var m mailIn
	_ = tp.PrintfLine("220 fake ESMTP")
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO":
			_ = tp.PrintfLine("250-fake\r\n250-8BITMIME\r\n250-AUTH PLAIN\r\n250 HELP")
		case "AUTH":
			_, resp, _ := strings.Cut(arg, " ")
			raw, _ := base64.StdEncoding.DecodeString(resp)
			if p := strings.Split(string(raw), "\x00"); len(p) == 3 {
				m.auth = p[1] + ":" + p[2]
			}
			_ = tp.PrintfLine("235 2.7.0 accepted")
		case "MAIL":
			m.from = arg
			_ = tp.PrintfLine("250 ok")
		case "RCPT":
			m.to = append(m.to, arg)
			_ = tp.PrintfLine("250 ok")
		case "DATA":
			_ = tp.PrintfLine("354 end with .")
			data, err := io.ReadAll(tp.DotReader())
			if err != nil {
				return
			}
			m.data = string(data)
			f.mu.Lock()
			f.mail = append(f.mail, m)
			f.mu.Unlock()
			_ = tp.PrintfLine("250 2.0.0 queued")
		case "QUIT":
			_ = tp.PrintfLine("221 bye")
			return
		default:
			_ = tp.PrintfLine("250 ok")
		}
	}
}

func checkNewsletter(t *testing.T, f *fakeNet, got published) {
	var raw string
	if api := os.Getenv("CRIEUR_MAILPIT_API"); api != "" && os.Getenv("CRIEUR_MAILPIT_SMTP") != "" {
		raw = mailpitRaw(t, api, strings.Trim(got.remoteID, "<>"))
		t.Log("the message was read back from Mailpit")
	} else {
		f.mu.Lock()
		mails := append([]mailIn(nil), f.mail...)
		f.mu.Unlock()
		if len(mails) != 1 {
			t.Fatalf("%d messages, want 1", len(mails))
		}
		m := mails[0]
		if m.auth != "newsbot:"+smtpPassword || !strings.Contains(m.from, "news@acme.example") || len(m.to) != 1 || !strings.Contains(m.to[0], "ann@readers.example") {
			t.Errorf("envelope from %q to %q, authenticated %v: want the channel's", m.from, m.to, m.auth != "")
		}
		raw = m.data
	}
	msg, err := mail.ReadMessage(strings.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if msg.Header.Get("Subject") != e2eTitle || msg.Header.Get("Message-Id") != got.remoteID {
		t.Errorf("Subject %q, Message-Id %q: want the title, and the remote id %q", msg.Header.Get("Subject"), msg.Header.Get("Message-Id"), got.remoteID)
	}
	parts := map[string][]byte{}
	walkMIME(t, textproto.MIMEHeader(msg.Header), msg.Body, parts)
	checkLink(t, "the text part", string(parts["text/plain"]), got.want)
	checkLink(t, "the HTML part", html.UnescapeString(string(parts["text/html"])), got.want)
	if !strings.Contains(string(parts["text/html"]), `alt="`+e2eAlt+`"`) || !bytes.Equal(parts["image/png"], got.want.image) {
		t.Errorf("HTML part lacks the image's alt text, or the inline PNG differs:\n%s", parts["text/html"])
	}
}

// walkMIME decodes the leaves of a MIME message into parts by media type.
func walkMIME(t *testing.T, h textproto.MIMEHeader, body io.Reader, parts map[string][]byte) {
	t.Helper()
	mt, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil {
		t.Fatalf("Content-Type %q: %v", h.Get("Content-Type"), err)
	}
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if err == io.EOF {
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			walkMIME(t, p.Header, p, parts)
		}
	}
	switch strings.ToLower(h.Get("Content-Transfer-Encoding")) {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, body) // it skips line breaks
	}
	data, err := io.ReadAll(body)
	if err != nil {
		t.Fatalf("%s part: %v", mt, err)
	}
	parts[mt] = data
}

// mailpitRaw returns the source of the message with this Message-ID from
// Mailpit's API.
func mailpitRaw(t *testing.T, api, msgID string) string {
	t.Helper()
	get := func(path string) []byte {
		resp, err := http.Get(api + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("Mailpit %s: %s", path, resp.Status)
		}
		return data
	}
	var list struct {
		Messages []struct{ ID, MessageID string }
	}
	if err := json.Unmarshal(get("/api/v1/messages?limit=500"), &list); err != nil {
		t.Fatal(err)
	}
	for _, m := range list.Messages {
		if m.MessageID == msgID {
			return string(get("/api/v1/message/" + m.ID + "/raw"))
		}
	}
	t.Fatalf("Mailpit holds no message %s", msgID)
	return ""
}

// readForm reads a multipart/form-data request a fake recorded.
func readForm(t *testing.T, r request) publishertest.Form {
	t.Helper()
	_, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		t.Fatalf("%s %s: Content-Type %q", r.Method, r.Path, r.Header.Get("Content-Type"))
	}
	form, err := publishertest.ReadForm(bytes.NewReader(r.Body), params["boundary"])
	if err != nil {
		t.Fatalf("%s %s: %v", r.Method, r.Path, err)
	}
	return form
}
