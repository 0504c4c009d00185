package main

import (
	"bytes"
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
