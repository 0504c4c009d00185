package jit

import (
	"encoding/binary"
	"errors"
	"math"
	"math/bits"
	"strconv"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/iovm/iovm/isa"
	"github.com/iovm/iovm/vm"
)

// callHelper runs the helper of the call at pc; halt reports ErrHalt.
func (p *Program) callHelper(st *state, m *vm.Memory, pc int) (halt bool, e *vm.Error) {
	ins := p.insns[pc]
	id := st.aux
	var h *vm.Helper
	if ins.Opcode == isa.OpCallX {
		if id <= math.MaxInt32 {
			h = p.helpers.Lookup(int32(id))
		}
		if h == nil || h.Fn == nil {
			return false, &vm.Error{Kind: vm.KindFault, PC: pc, Fault: vm.FaultBadCall, Helper: int32(id), Reason: "unknown helper " + strconv.FormatInt(int64(id), 10)}
		}
	} else {
		h = p.helpers.Lookup(int32(ins.Imm))
		if h == nil || h.Fn == nil {
			return false, &vm.Error{Kind: vm.KindFault, PC: pc, Fault: vm.FaultBadCall, Helper: int32(ins.Imm), Reason: "unknown helper " + strconv.FormatInt(int64(int32(ins.Imm)), 10)}
		}
	}
	r0, err := h.Fn(m, st.regs[1], st.regs[2], st.regs[3], st.regs[4], st.regs[5])
	if err != nil {
		if errors.Is(err, vm.ErrHalt) {
			st.regs[0] = r0
			return true, nil
		}
		if st.cbErr != nil { // a callback of the helper faulted: its error ends the run
			return false, st.cbErr
		}
		return false, &vm.Error{Kind: vm.KindHelper, PC: pc, Helper: h.ID, Reason: h.Name, Err: err}
	}
	st.regs[0] = r0
	return false, nil
}

// memAccess returns the address, size and direction of the memory
// instruction at pc from the registers saved at the exit.
func (p *Program) memAccess(st *state, pc int) (addr uint64, size int, write, atom bool) {
	ins := p.insns[pc]
	base := ins.Dst
	switch ins.Class() {
	case isa.ClassLDX:
		base = ins.Src
	case isa.ClassST:
		write = true
	case isa.ClassSTX:
		write = true
		atom = ins.Mode() == isa.ModeATOMIC
	}
	return st.regs[base&15] + uint64(int64(ins.Offset)), ins.Size().Bytes(), write, atom
}

// check returns the fault of an access as the interpreter reports it, or nil.
func check(m *vm.Memory, pc int, addr uint64, size int, write, atom bool) *vm.Error {
	var e *vm.Error
	if _, err := m.Translate(addr, size, write); err != nil {
		errors.As(err, &e)
	} else if atom {
		if _, err := m.Translate(addr, size, false); err != nil {
			errors.As(err, &e)
			if e != nil {
				e.Write = true
			}
		} else if uint32(addr)%uint32(size) != 0 {
			e = &vm.Error{Kind: vm.KindFault, Fault: vm.FaultMisaligned, Addr: addr, Size: size, Write: true}
		}
	}
	if e != nil {
		e.PC = pc
	}
	return e
}

// fault computes the fault of the memory access at pc that failed its
// inline checks.
func (p *Program) fault(st *state, m *vm.Memory, pc int) *vm.Error {
	addr, size, write, atom := p.memAccess(st, pc)
	if e := check(m, pc, addr, size, write, atom); e != nil {
		return e
	}
	return &vm.Error{Kind: vm.KindFault, PC: pc, Fault: vm.FaultOutOfBounds, Addr: addr, Size: size, Write: write}
}

// legacy runs the packet load at pc; false means out of bounds, which ends
// the program with r0 = 0.
func (p *Program) legacy(st *state, m *vm.Memory, pc int) bool {
	ins := p.insns[pc]
	size := uint64(ins.Size().Bytes())
	off := int64(int32(uint32(ins.Imm)))
	if ins.Mode() == isa.ModeIND {
		off = int64(int32(uint32(st.regs[ins.Src&15]) + uint32(ins.Imm)))
	}
	r := &m.Regions[vm.RegionInput]
	if off < 0 || uint64(off)+size > uint64(len(r.Data)) || r.Perm&vm.PermRead == 0 {
		st.regs[0] = 0
		return false
	}
	b := r.Data[off : uint64(off)+size]
	switch size {
	case 1:
		st.regs[0] = uint64(b[0])
	case 2:
		st.regs[0] = uint64(binary.BigEndian.Uint16(b))
	default:
		st.regs[0] = uint64(binary.BigEndian.Uint32(b))
	}
	return true
}

var misalignedMu sync.Mutex

// atomicGo runs the atomic at pc in Go (for big-endian programs, and in
// stepPrefix). The JIT only runs on little-endian hosts, so the memory words
// of a big-endian program are byte-swapped.
func (p *Program) atomicGo(st *state, m *vm.Memory, pc int) *vm.Error {
	swap := p.opts.Order == binary.BigEndian
	addr, size, _, _ := p.memAccess(st, pc)
	if e := check(m, pc, addr, size, true, true); e != nil {
		return e
	}
	ins := p.insns[pc]
	op := isa.AtomicOp(ins.Imm)
	b := m.Regions[addr>>32].Data[uint32(addr):]
	src, r0 := st.regs[ins.Src&15], st.regs[0]
	apply := func(cur uint64) (uint64, bool) {
		switch op &^ isa.AtomicFetch {
		case isa.AtomicAdd:
			return cur + src, true
		case isa.AtomicOr:
			return cur | src, true
		case isa.AtomicAnd:
			return cur & src, true
		case isa.AtomicXor:
			return cur ^ src, true
		}
		if op == isa.AtomicCmpXchg {
			mask := uint64(math.MaxUint64)
			if size == 4 {
				mask = math.MaxUint32
			}
			return src, cur == r0&mask
		}
		return src, true // xchg
	}
	var old uint64
	ptr := unsafe.Pointer(unsafe.SliceData(b))
	switch {
	case uintptr(ptr)%uintptr(size) != 0:
		misalignedMu.Lock()
		old, _ = m.Load(addr, size)
		if v, ok := apply(old); ok {
			m.Store(addr, size, v)
		}
		misalignedMu.Unlock()
	case size == 8:
		for {
			raw := atomic.LoadUint64((*uint64)(ptr))
			old = cv64(raw, swap)
			v, ok := apply(old)
			if !ok || atomic.CompareAndSwapUint64((*uint64)(ptr), raw, cv64(v, swap)) {
				break
			}
		}
	default:
		for {
			raw := atomic.LoadUint32((*uint32)(ptr))
			old = uint64(cv32(raw, swap))
			v, ok := apply(old)
			if !ok || atomic.CompareAndSwapUint32((*uint32)(ptr), raw, cv32(uint32(v), swap)) {
				break
			}
		}
	}
	switch {
	case op == isa.AtomicCmpXchg:
		st.regs[0] = old
	case op&isa.AtomicFetch != 0:
		st.regs[ins.Src&15] = old
	}
	return nil
}

func cv64(v uint64, swap bool) uint64 {
	if swap {
		return bits.ReverseBytes64(v)
	}
	return v
}

func cv32(v uint32, swap bool) uint32 {
	if swap {
		return bits.ReverseBytes32(v)
	}
	return v
}
