package verifier

import (
	"sort"

	"github.com/iovm/iovm/isa"
)

// structure is what structural validation learned about a program.
type structure struct {
	funcs     []int          // function entries, 0 first, then ascending
	isFunc    map[int]bool   // entry pc -> true
	calls     map[int][]int  // function entry -> callee entries
	site      map[[2]int]int // (caller, callee) -> a call pc
	frameSize map[int]int    // function entry -> r10-relative stack depth
	reachable []bool         // reachable from some function entry
	loopHead  []bool         // target of a backward (or self) edge
	inLoop    []bool         // inside some [target, source] backward edge range
	pruneAt   []bool         // where states are remembered: jump targets, call returns
	live      []uint16       // registers live before each pc (bit n = rn)
	joinPt    []bool         // has two or more intra-procedural predecessors
	loops     [][2]int       // backward edges: (target = loop head, source)
	// unboundedCalls: the call graph recurses or is deeper than the limit.
	// Checked mode accepts it (the engines fault with a stack overflow at
	// run time); Strict mode rejects it.
	unboundedCalls bool
}

func isJump(ins isa.Instruction) bool {
	c := ins.Class()
	if !c.IsJump() {
		return false
	}
	op := ins.JumpOp()
	return op != isa.JumpCall && op != isa.JumpExit
}

func isUncondJump(ins isa.Instruction) bool {
	return ins.Class().IsJump() && ins.JumpOp() == isa.JumpJA
}

func isExit(ins isa.Instruction) bool {
	return ins.Class() == isa.ClassJMP && ins.JumpOp() == isa.JumpExit
}

func isCall(ins isa.Instruction) bool {
	return ins.Class() == isa.ClassJMP && ins.JumpOp() == isa.JumpCall
}

func isLocalCall(ins isa.Instruction) bool {
	return ins.Opcode == isa.OpCall && ins.Src == isa.CallLocal
}

// jumpTarget returns the target of a jump instruction at pc.
func jumpTarget(ins isa.Instruction, pc int) int64 {
	if ins.Class() == isa.ClassJMP32 && ins.JumpOp() == isa.JumpJA {
		return int64(pc) + 1 + int64(ins.Imm32())
	}
	return int64(pc) + 1 + int64(ins.Offset)
}

func callTarget(ins isa.Instruction, pc int) int64 {
	return int64(pc) + 1 + int64(ins.Imm32())
}

// writesReg returns the register an instruction writes, other than r0 by
// calls and clobbers, or -1.
func writesReg(ins isa.Instruction) int {
	switch ins.Class() {
	case isa.ClassALU, isa.ClassALU64, isa.ClassLDX:
		return int(ins.Dst)
	case isa.ClassLD:
		if ins.IsWide() {
			return int(ins.Dst)
		}
	case isa.ClassSTX:
		if ins.Mode() == isa.ModeATOMIC && isa.AtomicOp(ins.Imm)&isa.AtomicFetch != 0 && isa.AtomicOp(ins.Imm) != isa.AtomicCmpXchg {
			return int(ins.Src)
		}
	}
	return -1
}

// memBase returns the base register of a memory access, or -1.
func memBase(ins isa.Instruction) int {
	switch ins.Class() {
	case isa.ClassLDX:
		return int(ins.Src)
	case isa.ClassST, isa.ClassSTX:
		return int(ins.Dst)
	}
	return -1
}

// successors returns the intra-procedural successors of pc (calls fall
// through). A successor equal to len(p) means falling off the end.
func successors(p isa.Program, pc int, buf []int) []int {
	ins := p[pc]
	buf = buf[:0]
	switch {
	case isExit(ins):
	case isUncondJump(ins):
		buf = append(buf, int(jumpTarget(ins, pc)))
	case isJump(ins):
		buf = append(buf, pc+1, int(jumpTarget(ins, pc)))
	default:
		buf = append(buf, pc+ins.Slots())
	}
	return buf
}

func checkStructure(p isa.Program, c *Config) (*structure, error) {
	n := len(p)
	if n == 0 {
		return nil, &Error{PC: 0, Reason: "empty program"}
	}
	if n > MaxProgramSlots {
		return nil, &Error{PC: 0, Reason: "program too large"}
	}
	start := make([]bool, n) // pc starts an instruction
	for pc := 0; pc < n; pc++ {
		ins := p[pc]
		start[pc] = true
		if err := ins.Validate(); err != nil {
			return nil, errorf(p, pc, "invalid instruction: %v", err)
		}
		if ins.IsWide() {
			if pc+1 >= n {
				return nil, errorf(p, pc, "lddw truncated: missing second slot")
			}
			if p[pc+1] != (isa.Instruction{}) {
				return nil, errorf(p, pc+1, "second slot of lddw must be zero")
			}
			pc++
		}
	}
	s := &structure{
		isFunc:    map[int]bool{0: true},
		calls:     map[int][]int{},
		site:      map[[2]int]int{},
		frameSize: map[int]int{},
		reachable: make([]bool, n),
		loopHead:  make([]bool, n),
		inLoop:    make([]bool, n),
		pruneAt:   make([]bool, n),
	}
	target := func(pc int, t int64, what string) (int, error) {
		if t < 0 || t >= int64(n) {
			return 0, errorf(p, pc, "%s target %d out of range [0, %d)", what, t, n)
		}
		if !start[t] {
			return 0, errorf(p, pc, "%s target %d is the second slot of a lddw", what, t)
		}
		return int(t), nil
	}
	var loops [][2]int
	for pc := 0; pc < n; pc++ {
		if !start[pc] {
			continue
		}
		ins := p[pc]
		if r := writesReg(ins); r == isa.R10 {
			return nil, errorf(p, pc, "%s writes the read-only frame pointer r10", describe(ins))
		}
		switch {
		case isJump(ins):
			t, err := target(pc, jumpTarget(ins, pc), "jump")
			if err != nil {
				return nil, err
			}
			s.pruneAt[t] = true
			if !isUncondJump(ins) && pc+1 < n {
				s.pruneAt[pc+1] = true
			}
			if t <= pc {
				s.loopHead[t] = true
				loops = append(loops, [2]int{t, pc})
			}
		case isLocalCall(ins):
			t, err := target(pc, callTarget(ins, pc), "call")
			if err != nil {
				return nil, err
			}
			if !s.isFunc[t] {
				s.isFunc[t] = true
				s.funcs = append(s.funcs, t)
			}
			if pc+1 < n {
				s.pruneAt[pc+1] = true
			}
		case isCall(ins) && ins.Opcode == isa.OpCall && ins.Src == isa.CallHelperID:
			// Helpers by BTF id are another namespace than static ids.
			id := ins.Imm32()
			if c.BTFHelpers == nil {
				return nil, errorf(p, pc, "call to unknown helper by BTF id %d", id)
			}
			if _, ok := c.BTFHelpers(id); !ok {
				return nil, errorf(p, pc, "call to unknown helper by BTF id %d", id)
			}
		case isCall(ins) && ins.Opcode == isa.OpCall:
			id := ins.Imm32()
			if c.Helpers == nil {
				return nil, errorf(p, pc, "call to unknown helper %d", id)
			}
			if _, ok := c.Helpers(id); !ok {
				return nil, errorf(p, pc, "call to unknown helper %d", id)
			}
		case ins.IsWide() && ins.Src != isa.LDDWImm:
			if ins.Src == isa.LDDWCodeAddr {
				if _, err := target(pc, callTarget(ins, pc), "code address"); err != nil {
					return nil, err
				}
				break
			}
			if c.Maps == nil {
				return nil, errorf(p, pc, "lddw src %d names an object, but no maps are configured", ins.Src)
			}
			if _, ok := c.Maps(ins.Src, int32(ins.Imm)); !ok {
				return nil, errorf(p, pc, "lddw src %d: unknown object %d", ins.Src, int32(ins.Imm))
			}
		}
	}
	for _, l := range loops {
		for pc := l[0]; pc <= l[1]; pc++ {
			s.inLoop[pc] = true
		}
	}
	s.loops = loops
	// The last instruction must end control flow.
	last := n - 1
	if !start[last] {
		last--
	}
	if li := p[last]; !isExit(li) && !isUncondJump(li) {
		return nil, errorf(p, last, "last instruction must be exit or an unconditional jump, not %s", describe(li))
	}
	// Function bodies: reachability from each entry, without entering calls.
	sort.Ints(s.funcs)
	s.funcs = append([]int{0}, s.funcs...)
	seen := make([]int, n) // last function index+1 that visited pc
	var buf []int
	for i := 0; i < len(s.funcs); i++ {
		f := s.funcs[i]
		depth := 0
		work := []int{f}
		seen[f] = i + 1
		for len(work) > 0 {
			pc := work[len(work)-1]
			work = work[:len(work)-1]
			s.reachable[pc] = true
			ins := p[pc]
			if isLocalCall(ins) {
				t := int(callTarget(ins, pc))
				if _, ok := s.site[[2]int{f, t}]; !ok {
					s.site[[2]int{f, t}] = pc
					s.calls[f] = append(s.calls[f], t)
				}
			}
			if b := memBase(ins); b == isa.R10 && ins.Mode() != isa.ModeIMM {
				sz := ins.Size().Bytes()
				off := int(ins.Offset)
				if off < -c.StackSize || off+sz > 0 {
					return nil, errorf(p, pc, "stack access [r10%+d] of %d bytes outside the %d-byte frame", off, sz, c.StackSize)
				}
				if -off > depth {
					depth = -off
				}
			}
			for _, t := range successors(p, pc, buf) {
				if t >= n {
					return nil, errorf(p, pc, "control falls off the end of the program")
				}
				if seen[t] != i+1 {
					seen[t] = i + 1
					work = append(work, t)
				}
			}
		}
		s.frameSize[f] = depth
	}
	// Call graph: no recursion, bounded depth.
	if err := s.checkCallGraph(p, c); err != nil {
		return nil, err
	}
	s.live = liveness(p, s)
	// Remember states only where paths meet (and at loop heads, which are
	// such points): a state at a pc with one predecessor is pruned just as
	// well at that predecessor's join point.
	for pc := range s.pruneAt {
		s.pruneAt[pc] = s.pruneAt[pc] && (s.joinPt[pc] || s.loopHead[pc])
	}
	return s, nil
}

func (s *structure) checkCallGraph(p isa.Program, c *Config) error {
	const (
		white = iota
		grey
		black
	)
	color := map[int]int{}
	depth := map[int]int{} // frames needed from this function down
	var visit func(f int) error
	visit = func(f int) error {
		color[f] = grey
		d := 1
		for _, g := range s.calls[f] {
			switch color[g] {
			case grey:
				if c.Mode != Strict {
					s.unboundedCalls = true
					continue
				}
				return errorf(p, s.callSite(p, f, g), "recursive call: function at %d reaches itself", g)
			case white:
				if err := visit(g); err != nil {
					return err
				}
			}
			if depth[g]+1 > d {
				d = depth[g] + 1
			}
		}
		color[f] = black
		depth[f] = d
		return nil
	}
	if err := visit(0); err != nil {
		return err
	}
	for _, f := range s.funcs {
		if color[f] == white {
			if err := visit(f); err != nil {
				return err
			}
		}
	}
	if depth[0] > c.MaxCallDepth && !s.unboundedCalls {
		if c.Mode != Strict {
			s.unboundedCalls = true
			return nil
		}
		return errorf(p, 0, "call chain needs %d frames, more than the limit of %d", depth[0], c.MaxCallDepth)
	}
	return nil
}

// callSite returns a pc where f calls g, for error messages.
func (s *structure) callSite(p isa.Program, f, g int) int {
	if pc, ok := s.site[[2]int{f, g}]; ok {
		return pc
	}
	return f
}

// uses returns the registers an instruction reads, and defs those it writes.
func usesDefs(p isa.Program, pc int) (use, def uint16) {
	ins := p[pc]
	bit := func(r uint8) uint16 { return 1 << (r & 15) }
	switch ins.Class() {
	case isa.ClassALU, isa.ClassALU64:
		op := ins.ALUOp()
		if op != isa.ALUMov {
			use |= bit(ins.Dst)
		}
		if ins.Source() == isa.SrcX && op != isa.ALUEnd && op != isa.ALUNeg {
			use |= bit(ins.Src)
		}
		def |= bit(ins.Dst)
	case isa.ClassLDX:
		use |= bit(ins.Src)
		def |= bit(ins.Dst)
	case isa.ClassST:
		use |= bit(ins.Dst)
	case isa.ClassSTX:
		use |= bit(ins.Dst) | bit(ins.Src)
		if ins.Mode() == isa.ModeATOMIC {
			op := isa.AtomicOp(ins.Imm)
			if op == isa.AtomicCmpXchg {
				use |= 1
				def |= 1
			} else if op&isa.AtomicFetch != 0 {
				def |= bit(ins.Src)
			}
		}
	case isa.ClassLD:
		if ins.IsWide() {
			def |= bit(ins.Dst)
		} else {
			// Legacy packet loads read the input (r1, r2 by convention) and
			// clobber r0..r5.
			use |= 1<<1 | 1<<2 | 1<<6
			if ins.Mode() == isa.ModeIND {
				use |= bit(ins.Src)
			}
			def |= 0x3f
		}
	case isa.ClassJMP, isa.ClassJMP32:
		switch ins.JumpOp() {
		case isa.JumpExit:
			use |= 1
		case isa.JumpCall:
			use |= 0x3e
			if ins.Opcode == isa.OpCallX {
				use |= bit(ins.Dst)
			}
			def |= 0x3f
		case isa.JumpJA:
		default:
			use |= bit(ins.Dst)
			if ins.Source() == isa.SrcX {
				use |= bit(ins.Src)
			}
		}
	}
	use |= 1 << 10
	return use, def
}

// liveness computes the registers live before each pc by backward dataflow
// over intra-procedural edges (calls use r1..r5 and define r0..r5).
func liveness(p isa.Program, s *structure) []uint16 {
	n := len(p)
	live := make([]uint16, n)
	use := make([]uint16, n)
	def := make([]uint16, n)
	preds := make([][]int32, n)
	var buf []int
	s.joinPt = make([]bool, n)
	for pc := 0; pc < n; pc++ {
		if !s.reachable[pc] {
			continue
		}
		use[pc], def[pc] = usesDefs(p, pc)
		for _, t := range successors(p, pc, buf) {
			if t < n {
				preds[t] = append(preds[t], int32(pc))
				if len(preds[t]) > 1 {
					s.joinPt[t] = true
				}
			}
		}
	}
	work := make([]int32, 0, n)
	in := make([]bool, n)
	for pc := n - 1; pc >= 0; pc-- {
		if s.reachable[pc] {
			work = append(work, int32(pc))
			in[pc] = true
		}
	}
	for len(work) > 0 {
		pc := work[len(work)-1]
		work = work[:len(work)-1]
		in[pc] = false
		var out uint16
		for _, t := range successors(p, int(pc), buf) {
			if t < n {
				out |= live[t]
			}
		}
		nl := use[pc] | out&^def[pc]
		if nl != live[pc] {
			live[pc] = nl
			for _, q := range preds[pc] {
				if !in[q] {
					in[q] = true
					work = append(work, q)
				}
			}
		}
	}
	return live
}
