package scheduler

import (
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
)

func writeProcessExtras(w io.Writer) {
	if in, out, ok := netOctets(); ok {
		writeFamily(w, "process_network_receive_bytes_total", "Bytes received over the network (the process's network namespace).", "counter", in)
		writeFamily(w, "process_network_transmit_bytes_total", "Bytes sent over the network (the process's network namespace).", "counter", out)
	}
	var l syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_AS, &l) == nil {
		// Unlimited reads as the largest uint64, as it always has.
		writeFamily(w, "process_virtual_memory_max_bytes", "The process's address space limit in bytes (RLIMIT_AS).", "gauge", float64(l.Cur))
	}
}

// netOctets reads the bytes received and sent over IP by the process's
// network namespace, from /proc/self/net/netstat (IpExt InOctets, OutOctets).
func netOctets() (in, out float64, ok bool) {
	b, err := os.ReadFile("/proc/self/net/netstat")
	if err != nil {
		return 0, 0, false
	}
	var head []string
	for _, line := range strings.Split(string(b), "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 || fields[0] != "IpExt:" {
			continue
		}
		if head == nil {
			head = fields
			continue
		}
		var seen int
		for i := 1; i < len(fields) && i < len(head); i++ {
			v, err := strconv.ParseFloat(fields[i], 64)
			switch {
			case err != nil:
			case head[i] == "InOctets":
				in, seen = v, seen+1
			case head[i] == "OutOctets":
				out, seen = v, seen+1
			}
		}
		return in, out, seen == 2
	}
	return 0, 0, false
}
