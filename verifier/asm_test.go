package verifier

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/iovm/iovm/isa"
)

// AssembleForTest assembles the conformance mnemonic dialect (see
// shared/CONFORMANCE-FORMAT.md) for the verifier's tests. It is a small
// stand-in for package asm, exported to the external test package.
func AssembleForTest(src string) (isa.Program, error) {
	type fix struct {
		pc    int
		label string
		call  bool
		wide  bool
	}
	var p isa.Program
	labels := map[string]int{}
	var fixes []fix
	byName := map[string]isa.OpInfo{}
	for _, o := range isa.Opcodes() {
		key := o.Name
		c := isa.Class(o.Opcode & 7)
		if (c.IsALU() || c.IsJump()) && o.Uses&isa.FieldSrc != 0 {
			key += " reg"
		}
		if _, ok := byName[key]; !ok {
			byName[key] = o
		}
	}
	reg := func(s string) (uint8, error) {
		s = strings.TrimPrefix(strings.TrimSpace(s), "%")
		if !strings.HasPrefix(s, "r") {
			return 0, fmt.Errorf("bad register %q", s)
		}
		n, err := strconv.Atoi(s[1:])
		if err != nil || n < 0 || n > 10 {
			return 0, fmt.Errorf("bad register %q", s)
		}
		return uint8(n), nil
	}
	isReg := func(s string) bool {
		s = strings.TrimPrefix(strings.TrimSpace(s), "%")
		_, err := reg(s)
		return err == nil
	}
	num := func(s string) (int64, error) {
		s = strings.TrimSpace(s)
		neg := false
		if strings.HasPrefix(s, "-") {
			neg, s = true, s[1:]
		} else if strings.HasPrefix(s, "+") {
			s = s[1:]
		}
		u, err := strconv.ParseUint(s, 0, 64)
		if err != nil {
			return 0, fmt.Errorf("bad number %q", s)
		}
		if neg {
			return -int64(u), nil
		}
		return int64(u), nil
	}
	mem := func(s string) (uint8, int16, error) {
		s = strings.TrimSpace(s)
		if !strings.HasPrefix(s, "[") || !strings.HasSuffix(s, "]") {
			return 0, 0, fmt.Errorf("bad memory operand %q", s)
		}
		s = s[1 : len(s)-1]
		i := strings.IndexAny(s, "+-")
		off := int64(0)
		rs := s
		if i >= 0 {
			rs = s[:i]
			v, err := num(s[i:])
			if err != nil {
				return 0, 0, err
			}
			off = v
		}
		r, err := reg(rs)
		return r, int16(off), err
	}
	for ln, line := range strings.Split(src, "\n") {
		if i := strings.Index(line, "#"); i >= 0 {
			line = line[:i]
		}
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if strings.HasSuffix(line, ":") {
			labels[strings.TrimSuffix(line, ":")] = len(p)
			continue
		}
		bad := func(err error) error { return fmt.Errorf("line %d: %q: %v", ln+1, line, err) }
		mn, rest, _ := strings.Cut(line, " ")
		var ops []string
		if strings.HasPrefix(mn, "lock") {
			f := strings.Fields(line)
			if len(f) >= 2 && f[1] == "fetch" {
				mn = "lock fetch " + f[2]
				rest = strings.Join(f[3:], " ")
			} else {
				mn = "lock " + f[1]
				rest = strings.Join(f[2:], " ")
			}
		}
		if strings.TrimSpace(rest) != "" {
			for _, o := range strings.Split(rest, ",") {
				ops = append(ops, strings.TrimSpace(o))
			}
		}
		switch {
		case mn == "exit":
			p = append(p, isa.Instruction{Opcode: isa.OpExit})
		case mn == "call":
			if len(ops) == 1 && strings.HasPrefix(ops[0], "local ") {
				lbl := strings.TrimSpace(strings.TrimPrefix(ops[0], "local "))
				if v, err := num(lbl); err == nil {
					p = append(p, isa.Instruction{Opcode: isa.OpCall, Src: isa.CallLocal, Imm: v})
					continue
				}
				fixes = append(fixes, fix{pc: len(p), label: lbl, call: true})
				p = append(p, isa.Instruction{Opcode: isa.OpCall, Src: isa.CallLocal})
			} else if len(ops) == 1 && isReg(ops[0]) {
				r, _ := reg(ops[0])
				p = append(p, isa.Instruction{Opcode: isa.OpCallX, Dst: r})
			} else if len(ops) == 1 {
				v, err := num(ops[0])
				if err != nil {
					return nil, bad(err)
				}
				p = append(p, isa.Instruction{Opcode: isa.OpCall, Imm: v})
			} else {
				return nil, bad(fmt.Errorf("bad call"))
			}
		case mn == "lddw" || mn == "lddwmap" || mn == "lddwmapval" || mn == "lddwcode":
			if len(ops) != 2 {
				return nil, bad(fmt.Errorf("want 2 operands"))
			}
			d, err := reg(ops[0])
			if err != nil {
				return nil, bad(err)
			}
			ins := isa.Instruction{Opcode: isa.OpLDDW, Dst: d}
			switch mn {
			case "lddwmap":
				ins.Src = isa.LDDWMapIdx
			case "lddwmapval":
				ins.Src = isa.LDDWMapValIdx
			case "lddwcode":
				ins.Src = isa.LDDWCodeAddr
			}
			if mn == "lddwcode" {
				fixes = append(fixes, fix{pc: len(p), label: ops[1], call: true, wide: true})
			} else {
				v, err := num(ops[1])
				if err != nil {
					return nil, bad(err)
				}
				ins.Imm = v
			}
			p = p.Append(ins)
		default:
			o, ok := byName[mn]
			if len(ops) >= 2 && isReg(ops[1]) {
				if o2, ok2 := byName[mn+" reg"]; ok2 {
					o, ok = o2, true
				}
			}
			if !ok {
				return nil, bad(fmt.Errorf("unknown mnemonic %q", mn))
			}
			ins := o.Template(0, 0)
			cls := ins.Class()
			switch {
			case cls.IsALU():
				if len(ops) < 1 {
					return nil, bad(fmt.Errorf("missing operand"))
				}
				d, err := reg(ops[0])
				if err != nil {
					return nil, bad(err)
				}
				ins.Dst = d
				if o.Uses&isa.FieldSrc != 0 {
					s, err := reg(ops[1])
					if err != nil {
						return nil, bad(err)
					}
					ins.Src = s
				} else if o.Uses&isa.FieldImm != 0 {
					if len(ops) != 2 {
						return nil, bad(fmt.Errorf("want 2 operands"))
					}
					v, err := num(ops[1])
					if err != nil {
						return nil, bad(err)
					}
					ins.Imm = int64(int32(v))
				}
			case cls.IsJump():
				var tgt string
				if mn == "ja" || mn == "ja32" {
					if len(ops) != 1 {
						return nil, bad(fmt.Errorf("want 1 operand"))
					}
					tgt = ops[0]
				} else {
					if len(ops) != 3 {
						return nil, bad(fmt.Errorf("want 3 operands"))
					}
					d, err := reg(ops[0])
					if err != nil {
						return nil, bad(err)
					}
					ins.Dst = d
					if o.Uses&isa.FieldSrc != 0 {
						s, err := reg(ops[1])
						if err != nil {
							return nil, bad(err)
						}
						ins.Src = s
					} else {
						v, err := num(ops[1])
						if err != nil {
							return nil, bad(err)
						}
						ins.Imm = int64(int32(v))
					}
					tgt = ops[2]
				}
				if v, err := num(tgt); err == nil {
					if mn == "ja32" {
						ins.Imm = v
					} else {
						ins.Offset = int16(v)
					}
				} else {
					fixes = append(fixes, fix{pc: len(p), label: tgt})
				}
			case cls == isa.ClassLDX:
				if len(ops) != 2 {
					return nil, bad(fmt.Errorf("want 2 operands"))
				}
				d, err := reg(ops[0])
				if err != nil {
					return nil, bad(err)
				}
				s, off, err := mem(ops[1])
				if err != nil {
					return nil, bad(err)
				}
				ins.Dst, ins.Src, ins.Offset = d, s, off
			case cls == isa.ClassST || cls == isa.ClassSTX:
				if len(ops) != 2 {
					return nil, bad(fmt.Errorf("want 2 operands"))
				}
				d, off, err := mem(ops[0])
				if err != nil {
					return nil, bad(err)
				}
				ins.Dst, ins.Offset = d, off
				if cls == isa.ClassST {
					v, err := num(ops[1])
					if err != nil {
						return nil, bad(err)
					}
					ins.Imm = int64(int32(v))
				} else {
					s, err := reg(ops[1])
					if err != nil {
						return nil, bad(err)
					}
					ins.Src = s
				}
			case cls == isa.ClassLD:
				if ins.Mode() == isa.ModeIND {
					if len(ops) != 2 {
						return nil, bad(fmt.Errorf("want 2 operands"))
					}
					s, err := reg(ops[0])
					if err != nil {
						return nil, bad(err)
					}
					ins.Src = s
					ops = ops[1:]
				}
				if len(ops) != 1 {
					return nil, bad(fmt.Errorf("want 1 operand"))
				}
				v, err := num(ops[0])
				if err != nil {
					return nil, bad(err)
				}
				ins.Imm = v
			}
			p = append(p, ins)
		}
	}
	for _, f := range fixes {
		t, ok := labels[f.label]
		if !ok {
			return nil, fmt.Errorf("unknown label %q", f.label)
		}
		d := int64(t - f.pc - 1)
		ins := &p[f.pc]
		switch {
		case f.wide:
			ins.Imm = d
		case f.call || (ins.Class() == isa.ClassJMP32 && ins.JumpOp() == isa.JumpJA):
			ins.Imm = d
		default:
			ins.Offset = int16(d)
		}
	}
	return p, nil
}
