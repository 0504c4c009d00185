package vm

import (
	"math/bits"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/iovm/iovm/isa"
)

// hostBig reports whether the host is big-endian.
var hostBig = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 0
}()

// misalignedMu serializes atomics on memory whose host address is not
// aligned (a region whose base is not), where sync/atomic cannot be used.
var misalignedMu sync.Mutex

// atomic runs an atomic instruction: a real atomic operation on the
// region's bytes, in the program's byte order.
func (p *Program) atomic(m *Memory, ins *insn, regs *[16]uint64) *Error {
	size := 4
	if ins.op == opAtomicDW {
		size = 8
	}
	a := regs[ins.dst&15] + uint64(int64(ins.off))
	if e := m.fault(a, size, true); e != nil {
		return e
	}
	if e := m.fault(a, size, false); e != nil {
		e.Write = true
		return e
	}
	if uint32(a)%uint32(size) != 0 {
		return &Error{Kind: KindFault, Fault: FaultMisaligned, Addr: a, Size: size, Write: true}
	}
	b := m.Regions[a>>32].Data[uint32(a):]
	ptr := unsafe.Pointer(unsafe.SliceData(b))
	op := isa.AtomicOp(ins.imm)
	src := regs[ins.src&15]
	r0 := regs[0]
	var old uint64
	switch {
	case uintptr(ptr)%uintptr(size) != 0:
		old = atomicLocked(b[:size], size, m.big, op, src, r0)
	case size == 8:
		old = atomic64((*uint64)(ptr), m.big != hostBig, op, src, r0)
	default:
		old = uint64(atomic32((*uint32)(ptr), m.big != hostBig, op, uint32(src), uint32(r0)))
	}
	switch {
	case op == isa.AtomicCmpXchg:
		regs[0] = old
	case op&isa.AtomicFetch != 0:
		regs[ins.src&15] = old
	}
	return nil
}

// apply computes the new value of an atomic read-modify-write.
func apply(op isa.AtomicOp, cur, src uint64) uint64 {
	switch op &^ isa.AtomicFetch {
	case isa.AtomicAdd:
		return cur + src
	case isa.AtomicOr:
		return cur | src
	case isa.AtomicAnd:
		return cur & src
	case isa.AtomicXor:
		return cur ^ src
	}
	return src // xchg
}

func atomic64(ptr *uint64, swap bool, op isa.AtomicOp, src, r0 uint64) uint64 {
	cv := func(v uint64) uint64 {
		if swap {
			return bits.ReverseBytes64(v)
		}
		return v
	}
	switch op {
	case isa.AtomicAdd, isa.AtomicAdd | isa.AtomicFetch:
		if !swap {
			return atomic.AddUint64(ptr, src) - src
		}
	case isa.AtomicOr, isa.AtomicOr | isa.AtomicFetch:
		return cv(atomic.OrUint64(ptr, cv(src)))
	case isa.AtomicAnd, isa.AtomicAnd | isa.AtomicFetch:
		return cv(atomic.AndUint64(ptr, cv(src)))
	case isa.AtomicXchg:
		return cv(atomic.SwapUint64(ptr, cv(src)))
	case isa.AtomicCmpXchg:
		for {
			cur := atomic.LoadUint64(ptr)
			if cur != cv(r0) {
				return cv(cur)
			}
			if atomic.CompareAndSwapUint64(ptr, cur, cv(src)) {
				return r0
			}
		}
	}
	for { // add in the other byte order, xor
		cur := atomic.LoadUint64(ptr)
		if atomic.CompareAndSwapUint64(ptr, cur, cv(apply(op, cv(cur), src))) {
			return cv(cur)
		}
	}
}

func atomic32(ptr *uint32, swap bool, op isa.AtomicOp, src, r0 uint32) uint32 {
	cv := func(v uint32) uint32 {
		if swap {
			return bits.ReverseBytes32(v)
		}
		return v
	}
	switch op {
	case isa.AtomicAdd, isa.AtomicAdd | isa.AtomicFetch:
		if !swap {
			return atomic.AddUint32(ptr, src) - src
		}
	case isa.AtomicOr, isa.AtomicOr | isa.AtomicFetch:
		return cv(atomic.OrUint32(ptr, cv(src)))
	case isa.AtomicAnd, isa.AtomicAnd | isa.AtomicFetch:
		return cv(atomic.AndUint32(ptr, cv(src)))
	case isa.AtomicXchg:
		return cv(atomic.SwapUint32(ptr, cv(src)))
	case isa.AtomicCmpXchg:
		for {
			cur := atomic.LoadUint32(ptr)
			if cur != cv(r0) {
				return cv(cur)
			}
			if atomic.CompareAndSwapUint32(ptr, cur, cv(src)) {
				return r0
			}
		}
	}
	for {
		cur := atomic.LoadUint32(ptr)
		if atomic.CompareAndSwapUint32(ptr, cur, cv(uint32(apply(op, uint64(cv(cur)), uint64(src))))) {
			return cv(cur)
		}
	}
}

// atomicLocked emulates an atomic on memory sync/atomic cannot address.
func atomicLocked(b []byte, size int, big bool, op isa.AtomicOp, src, r0 uint64) uint64 {
	misalignedMu.Lock()
	defer misalignedMu.Unlock()
	mask := uint64(1)<<(8*size) - 1
	if size == 8 {
		mask = ^uint64(0)
	}
	cur := getN(b, size, big)
	switch op {
	case isa.AtomicCmpXchg:
		if cur == r0&mask {
			putN(b, size, src, big)
		}
	default:
		putN(b, size, apply(op, cur, src), big)
	}
	return cur
}
