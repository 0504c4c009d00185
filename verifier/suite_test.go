package verifier

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/iovm/iovm/isa"
)

// SuiteCase is one case of the verifier suite (testdata/*.cases; the format
// is described in testdata/README.md).
type SuiteCase struct {
	File, Name string
	Line       int
	Mode       string // "strict", "checked" or "both"
	CtxSize    int
	Maps       map[int32]MapInfo
	Accept     bool
	PC         int    // rejection pc, -1 for any
	Reason     string // substring of the rejection reason
	Unproven   []int  // (checked mode) pcs whose access must not be proven
	Proven     []int  // pcs whose access must be proven
	Src        string
	Prog       isa.Program
}

// SuiteHelpers is the helper table of the suite: the conformance helpers
// 0..5 and a few with prototypes the suite exercises.
func SuiteHelpers(id int32) (HelperProto, bool) {
	switch id {
	case 0:
		return HelperProto{Name: "gather_bytes", Args: [5]ArgKind{ArgScalar, ArgScalar, ArgScalar, ArgScalar, ArgScalar}, Ret: RetScalar}, true
	case 1:
		return HelperProto{Name: "memfrob", Args: [5]ArgKind{ArgPtrToWritableMem, ArgSize}, Ret: RetScalar}, true
	case 2:
		return HelperProto{Name: "no_op", Ret: RetScalar}, true
	case 3:
		return HelperProto{Name: "sqrti", Args: [5]ArgKind{ArgScalar}, Ret: RetScalar}, true
	case 4:
		return HelperProto{Name: "strcmp_ext", Args: [5]ArgKind{ArgPtrToString, ArgPtrToString}, Ret: RetScalar}, true
	case 5:
		return HelperProto{Name: "unwind", Args: [5]ArgKind{ArgScalar}, Ret: RetScalar}, true
	case 10:
		return HelperProto{Name: "map_lookup_elem", Args: [5]ArgKind{ArgPtrToMap, ArgPtrToMapKey}, Ret: RetMapValueOrNull}, true
	case 11:
		return HelperProto{Name: "map_update_elem", Args: [5]ArgKind{ArgPtrToMap, ArgPtrToMapKey, ArgPtrToMapValue, ArgScalar}, Ret: RetScalar}, true
	case 12:
		return HelperProto{}, true // unchecked
	case 13:
		return HelperProto{Name: "probe_read", Args: [5]ArgKind{ArgPtrToWritableMem, ArgSize, ArgAnything}, Ret: RetScalar}, true
	case 14:
		return HelperProto{Name: "ctx_helper", Args: [5]ArgKind{ArgPtrToCtx}, Ret: RetScalar}, true
	case 15:
		return HelperProto{Name: "csum", Args: [5]ArgKind{ArgPtrToMem, ArgSize}, Ret: RetScalar}, true
	}
	return HelperProto{}, false
}

// LoadSuite reads every case file in dir.
func LoadSuite(dir string) ([]*SuiteCase, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.cases"))
	if err != nil {
		return nil, err
	}
	var out []*SuiteCase
	for _, fn := range files {
		b, err := os.ReadFile(fn)
		if err != nil {
			return nil, err
		}
		cs, err := ParseCases(filepath.Base(fn), string(b))
		if err != nil {
			return nil, err
		}
		out = append(out, cs...)
	}
	return out, nil
}

// ParseCases parses one case file.
func ParseCases(file, text string) ([]*SuiteCase, error) {
	var out []*SuiteCase
	var c *SuiteCase
	inAsm := false
	finish := func() error {
		if c == nil {
			return nil
		}
		p, err := AssembleForTest(c.Src)
		if err != nil {
			return fmt.Errorf("%s:%d %s: %v", file, c.Line, c.Name, err)
		}
		c.Prog = p
		out = append(out, c)
		return nil
	}
	ints := func(s string) ([]int, error) {
		var r []int
		for _, f := range strings.Fields(s) {
			n, err := strconv.Atoi(f)
			if err != nil {
				return nil, err
			}
			r = append(r, n)
		}
		return r, nil
	}
	for i, line := range strings.Split(text, "\n") {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "== ") {
			if err := finish(); err != nil {
				return nil, err
			}
			c = &SuiteCase{File: file, Name: strings.TrimSpace(t[3:]), Line: i + 1, Mode: "strict", PC: -1, Maps: map[int32]MapInfo{}}
			inAsm = false
			continue
		}
		if c == nil {
			continue
		}
		if inAsm {
			c.Src += line + "\n"
			continue
		}
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		if t == "-- asm" {
			inAsm = true
			continue
		}
		k, val, ok := strings.Cut(t, ":")
		if !ok {
			return nil, fmt.Errorf("%s:%d: bad line %q", file, i+1, t)
		}
		val = strings.TrimSpace(val)
		bad := func(err error) error { return fmt.Errorf("%s:%d: %v", file, i+1, err) }
		switch k {
		case "mode":
			c.Mode = val
		case "ctx":
			n, err := strconv.Atoi(val)
			if err != nil {
				return nil, bad(err)
			}
			c.CtxSize = n
		case "map":
			// map: IDX KEYSIZE VALUESIZE [ro]
			f := strings.Fields(val)
			if len(f) < 3 {
				return nil, bad(fmt.Errorf("map: want IDX KEY VALUE [ro]"))
			}
			n, _ := ints(strings.Join(f[:3], " "))
			if len(n) != 3 {
				return nil, bad(fmt.Errorf("bad map %q", val))
			}
			c.Maps[int32(n[0])] = MapInfo{KeySize: n[1], ValueSize: n[2], ReadOnly: len(f) > 3 && f[3] == "ro"}
		case "expect":
			f := strings.Fields(val)
			switch {
			case len(f) >= 1 && f[0] == "accept":
				c.Accept = true
			case len(f) >= 2 && f[0] == "reject":
				c.Accept = false
				if f[1] != "*" {
					n, err := strconv.Atoi(f[1])
					if err != nil {
						return nil, bad(err)
					}
					c.PC = n
				}
				if len(f) > 2 {
					c.Reason = strings.Join(f[2:], " ")
				}
			default:
				return nil, bad(fmt.Errorf("expect: accept | reject PC [reason]"))
			}
		case "proven":
			n, err := ints(val)
			if err != nil {
				return nil, bad(err)
			}
			c.Proven = append(c.Proven, n...)
		case "unproven":
			n, err := ints(val)
			if err != nil {
				return nil, bad(err)
			}
			c.Unproven = append(c.Unproven, n...)
		default:
			return nil, bad(fmt.Errorf("unknown key %q", k))
		}
	}
	if err := finish(); err != nil {
		return nil, err
	}
	return out, nil
}

// Config returns the verifier configuration of the case in mode m.
func (c *SuiteCase) Config(m Mode) *Config {
	return &Config{
		Mode:        m,
		Helpers:     SuiteHelpers,
		ContextSize: c.CtxSize,
		MaxInsns:    200000,
		Maps: func(kind uint8, imm int32) (MapInfo, bool) {
			mi, ok := c.Maps[imm]
			return mi, ok
		},
	}
}

func TestSuite(t *testing.T) {
	cases, err := LoadSuite("testdata")
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) < 300 {
		t.Errorf("suite has %d cases, want at least 300", len(cases))
	}
	for _, c := range cases {
		c := c
		t.Run(strings.TrimSuffix(c.File, ".cases")+"/"+c.Name, func(t *testing.T) {
			modes := []Mode{Strict}
			switch c.Mode {
			case "checked":
				modes = []Mode{Checked}
			case "both":
				modes = []Mode{Strict, Checked}
			}
			for _, m := range modes {
				facts, err := Verify(c.Prog, c.Config(m))
				if c.Accept {
					if err != nil {
						var e *Error
						errors.As(err, &e)
						st := ""
						if e != nil {
							st = e.State
						}
						t.Fatalf("%s:%d (%v): rejected: %v\n  state: %s", c.File, c.Line, m, err, st)
					}
					for _, pc := range c.Proven {
						if !facts.Access[pc].Proven {
							t.Errorf("%s:%d (%v): access at pc %d not proven", c.File, c.Line, m, pc)
						}
					}
					for _, pc := range c.Unproven {
						if cl := c.Prog[pc].Class(); cl != isa.ClassLDX && cl != isa.ClassST && cl != isa.ClassSTX {
							t.Errorf("%s:%d: unproven pc %d is not a memory access", c.File, c.Line, pc)
						}
						if facts.Access[pc].Proven {
							t.Errorf("%s:%d (%v): access at pc %d proven, want unproven", c.File, c.Line, m, pc)
						}
					}
					continue
				}
				var e *Error
				if !errors.As(err, &e) {
					t.Fatalf("%s:%d (%v): accepted, want rejection at pc %d %q", c.File, c.Line, m, c.PC, c.Reason)
				}
				if (c.PC >= 0 && e.PC != c.PC) || !strings.Contains(e.Reason, c.Reason) {
					t.Fatalf("%s:%d (%v): rejected with %v, want pc %d %q\n  state: %s", c.File, c.Line, m, e, c.PC, c.Reason, e.State)
				}
			}
		})
	}
}
