package main

import (
	"bytes"
	"fmt"
	"math/bits"
	"strings"
	"testing"

	"github.com/iovm/iovm"
)

// reference aggregates evs in Go, as latency.c does.
func reference(evs []Event, kind uint32, pid uint32) (h Histogram) {
	for _, e := range evs {
		h.Seen++
		if e.Kind != kind || pid != 0 && e.PID != pid {
			continue
		}
		us := e.LatencyNs / 1000
		slot := min(bits.Len64(us), Slots-1) // 0 for 0, k for [2^(k-1), 2^k)
		h.Counts[slot]++
		h.Kept++
		h.SumUs += us
		h.MaxUs = max(h.MaxUs, us)
	}
	return h
}

func TestAggregate(t *testing.T) {
	evs := Events(5000)
	for _, engine := range iovm.Engines() {
		for _, tc := range []struct {
			kind string
			pid  uint32
		}{{"read", 0}, {"write", 0}, {"fsync", 0}, {"read", 1002}, {"write", 999}} {
			got, err := Aggregate(evs, tc.kind, tc.pid, engine)
			if err != nil {
				t.Fatalf("%s %v: %v", engine, tc, err)
			}
			want := reference(evs, map[string]uint32{"read": 0, "write": 1, "fsync": 2}[tc.kind], tc.pid)
			if got.Counts != want.Counts {
				t.Errorf("%s %v: histogram\n got %v\nwant %v", engine, tc, got.Counts, want.Counts)
			}
			if got.Seen != want.Seen || got.Kept != want.Kept || got.SumUs != want.SumUs || got.MaxUs != want.MaxUs {
				t.Errorf("%s %v: totals seen %d kept %d sum %d max %d, want %d %d %d %d", engine, tc,
					got.Seen, got.Kept, got.SumUs, got.MaxUs, want.Seen, want.Kept, want.SumUs, want.MaxUs)
			}
			if tc.pid != 999 && want.Kept == 0 {
				t.Errorf("%v: no events kept", tc)
			}
		}
	}
	if _, err := Aggregate(evs, "open", 0, iovm.EngineAuto); err == nil {
		t.Error("unknown kind accepted")
	}
}

func TestRun(t *testing.T) {
	var out bytes.Buffer
	if err := run([]string{"-n", "3000", "-kind", "write"}, &out); err != nil {
		t.Fatal(err)
	}
	want := reference(Events(3000), 1, 0)
	s := out.String()
	for _, line := range []string{
		fmt.Sprintf("write latency (µs) of all processes, %d of 3000 events, on %s\n", want.Kept, iovm.DefaultEngine()),
		fmt.Sprintf("avg %d µs, max %d µs\n", want.SumUs/want.Kept, want.MaxUs),
		fmt.Sprintf("[16, 32)          %8d |", want.Counts[5]),
	} {
		if !strings.Contains(s, line) {
			t.Errorf("output lacks %q:\n%s", line, s)
		}
	}
	if err := run([]string{"-kind", "bogus"}, &out); err == nil {
		t.Error("bad kind accepted")
	}
}

func TestSlotRange(t *testing.T) {
	for i, want := range map[int]string{0: "[0]", 1: "[1]", 2: "[2, 4)", 11: "[1K, 2K)", 21: "[1M, 2M)"} {
		if got := slotRange(i); got != want {
			t.Errorf("slotRange(%d) = %q, want %q", i, got, want)
		}
	}
}
