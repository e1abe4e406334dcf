package mediahost

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A local file is copied under its content hash, once, and named under
// the base URL; an https URL passes through; a channel without a host is
// told how to set one.
func TestURL(t *testing.T) {
	dir := t.TempDir()
	h, err := FromSettings("instagram", map[string]string{SettingDir: dir, SettingBase: "https://brand.example/media/"})
	if err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(t.TempDir(), "Cover.JPG")
	if err := os.WriteFile(src, []byte("jpeg bytes"), 0o600); err != nil {
		t.Fatal(err)
	}
	u, err := h.URL(src, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	name := strings.TrimPrefix(u, "https://brand.example/media/")
	if name == u || !strings.HasSuffix(name, ".jpg") || len(name) != 32+4 {
		t.Errorf("URL %q: want the base URL and a content-hash name", u)
	}
	data, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil || string(data) != "jpeg bytes" {
		t.Errorf("copied %q, %v", data, err)
	}
	if again, _ := h.URL(src, 1<<20); again != u {
		t.Errorf("the same file got %q, then %q", u, again)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("%d files in the folder, want 1 (no temporary left)", len(entries))
	}
	if u, err := h.URL("https://cdn.example/a.jpg", 1<<20); err != nil || u != "https://cdn.example/a.jpg" {
		t.Errorf("an https URL became %q, %v", u, err)
	}
	if msg := Missing(nil, "Threads", src); !strings.Contains(msg, "media_dir") || !strings.Contains(msg, "media_base_url") {
		t.Errorf("no host: %q", msg)
	}
	if Missing(h, "Threads", src) != "" || Missing(nil, "Threads", "https://cdn.example/a.jpg") != "" || Missing(nil, "Threads", "http://cdn.example/a.jpg") == "" {
		t.Error("Missing says the wrong thing")
	}
	for _, bad := range []map[string]string{{SettingDir: dir}, {SettingBase: "https://x.example"}, {SettingDir: "media", SettingBase: "https://x.example"},
		{SettingDir: dir, SettingBase: "http://brand.example/media"}, {SettingDir: dir, SettingBase: "https://x.example/m?a=1"}} {
		if _, err := FromSettings("threads", bad); err == nil {
			t.Errorf("settings %v accepted", bad)
		}
	}
	if h, err := FromSettings("threads", map[string]string{}); h != nil || err != nil {
		t.Errorf("no settings: %v, %v; want no host", h, err)
	}
}
