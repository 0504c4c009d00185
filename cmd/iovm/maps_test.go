package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

func TestMapsCommand(t *testing.T) {
	var out, errb bytes.Buffer
	if rc := mainArgs([]string{"maps", "../../testdata/ebpf/xdp_filter.o"}, &out, &errb); rc != 0 {
		t.Fatalf("exit %d: %s", rc, errb.String())
	}
	for _, want := range []string{"verdicts", "array", "sources", "hash", "1024", ".rodata", "global", "xdp_filter"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if rc := mainArgs([]string{"maps", "maps_test.go"}, &out, &errb); rc != 1 {
		t.Errorf("non-ELF file: exit %d", rc)
	}
}

func TestRunELF(t *testing.T) {
	dir := t.TempDir()
	// UDP to port 53: dropped (1).
	pkt := make([]byte, 14+20+8)
	pkt[12], pkt[13] = 0x08, 0x00
	pkt[14] = 0x45
	pkt[14+9] = 17
	pkt[14+20+3] = 53
	pktFile := dir + "/pkt"
	if err := os.WriteFile(pktFile, pkt, 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	rc := mainArgs([]string{"run", "--section", "xdp", "--mem", pktFile, "--dump-maps", "../../testdata/ebpf/xdp_filter.o"}, &out, &errb)
	if rc != 0 {
		t.Fatalf("exit %d: %s", rc, errb.String())
	}
	if !strings.HasPrefix(out.String(), "0x1\n") || !strings.Contains(out.String(), "verdicts (array, 4 elements):\n  00000000: 0000000000000000\n  01000000: 0100000000000000") {
		t.Errorf("output:\n%s", out.String())
	}
	out.Reset()
	errb.Reset()
	if rc := mainArgs([]string{"run", "--func", "sum", "--mem", pktFile, "../../testdata/ebpf/globals.o"}, &out, &errb); rc != 0 {
		t.Fatalf("exit %d: %s", rc, errb.String())
	}
	if !strings.Contains(errb.String(), "sum a=0 b=0 total=30") {
		t.Errorf("trace_printk output on stderr: %q", errb.String())
	}
	if rc := mainArgs([]string{"run", "../../testdata/ebpf/globals.o"}, &out, &errb); rc != 1 || !strings.Contains(errb.String(), "several programs") {
		t.Errorf("object with several programs and no choice: exit %d, %s", rc, errb.String())
	}
}
