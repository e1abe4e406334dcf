package calview

import (
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
)

// palette holds distinct, readable colours on light and dark backgrounds,
// for campaigns that chose none.
var palette = []string{"#e4572e", "#1f77b4", "#2ca02c", "#9467bd", "#d62728", "#17becf", "#bcbd22", "#ff7f0e", "#8c564b", "#e377c2"}

// CampaignHex is the campaign's colour as #rrggbb: its own when it set a
// valid one, else one picked from its name, the same on every run.
func CampaignHex(name, color string) string {
	if _, _, _, ok := parseHex(color); ok {
		return strings.ToLower(expandHex(color))
	}
	if name == "" {
		return ""
	}
	h := fnv.New32a()
	h.Write([]byte(name))
	return palette[h.Sum32()%uint32(len(palette))]
}

func expandHex(s string) string {
	s = strings.TrimPrefix(s, "#")
	if len(s) == 3 {
		s = string([]byte{s[0], s[0], s[1], s[1], s[2], s[2]})
	}
	return "#" + s
}

func parseHex(s string) (r, g, b uint8, ok bool) {
	if !strings.HasPrefix(s, "#") || (len(s) != 4 && len(s) != 7) {
		return 0, 0, 0, false
	}
	v, err := strconv.ParseUint(strings.TrimPrefix(expandHex(s), "#"), 16, 32)
	if err != nil {
		return 0, 0, 0, false
	}
	return uint8(v >> 16), uint8(v >> 8), uint8(v), true
}

// ansiFG is the SGR parameters of a 24-bit foreground colour.
func ansiFG(hex string) string {
	r, g, b, ok := parseHex(hex)
	if !ok {
		return ""
	}
	return fmt.Sprintf("38;2;%d;%d;%d", r, g, b)
}
