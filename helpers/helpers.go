// Package helpers implements the standard eBPF helper functions with their
// Linux numbers and semantics, on iovm's maps (package maps) and runtime
// model (package vm): map lookup/update/delete (1-3), ktime_get_ns (5),
// trace_printk (6), get_prandom_u32 (7), get_smp_processor_id (8),
// tail_call (12), map push/pop/peek (87-89), ktime_get_boot_ns (125), ring
// buffer output/reserve/submit/discard/query (130-134), for_each_map_elem
// (164), snprintf (165) and loop (181).
//
// New returns them as a *vm.Helpers bound to one set of maps (those of an
// object, see package elf); the embedder may Register its own helpers on it
// and replace any of these before loading programs.
//
// Maps are passed to helpers as handles: the value a lddw of map i (src 5)
// loads is MapHandle(i), whose region id is never mapped, so a program that
// dereferences a map pointer faults. Map values are region addresses: a
// lookup returns the address of the value in the map's arena region, so
// programs access it in place. Errors are negative Linux errnos in r0, as in
// the kernel; a helper given memory it may not access fails the run with a
// fault.
//
// tail_call runs the target program (a vm.Executable stored in a program
// array with maps.Map.SetProgram) on the same Env, input and context, then
// ends the calling program with the target's r0 (vm.ErrHalt), so control
// never returns to the caller, as in Linux; chains stop after MaxTailCalls.
// Program arrays used for tail calls must hold programs loaded from the
// same collection, so that their regions agree. A fault in the target ends
// the whole run with a helper error wrapping the target's *vm.Error. Each
// program of a chain runs with the Env's budget and a fresh stack.
//
// loop and for_each_map_elem call a local function of the running program
// through vm.Memory.CallLocal; engines that do not support callbacks make
// them fail with vm.ErrNoCallbacks.
package helpers

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/iovm/iovm/maps"
	"github.com/iovm/iovm/verifier"
	"github.com/iovm/iovm/vm"
)

// Helper ids (Linux enum bpf_func_id).
const (
	MapLookupElem      = 1
	MapUpdateElem      = 2
	MapDeleteElem      = 3
	KtimeGetNs         = 5
	TracePrintk        = 6
	GetPrandomU32      = 7
	GetSmpProcessorID  = 8
	TailCall           = 12
	MapPushElem        = 87
	MapPopElem         = 88
	MapPeekElem        = 89
	KtimeGetBootNs     = 125
	RingbufOutput      = 130
	RingbufReserve     = 131
	RingbufSubmit      = 132
	RingbufDiscard     = 133
	RingbufQuery       = 134
	ForEachMapElem     = 164
	Snprintf           = 165
	Loop               = 181
	MaxTailCalls       = 33      // Linux MAX_TAIL_CALL_CNT
	MaxLoops           = 1 << 23 // Linux BPF_MAX_LOOPS
	maxFormat          = 1024
	handleRegion       = 0xffff_fff0
	errnoENOENT        = 2
	errnoE2BIG         = 7
	errnoEAGAIN        = 11
	errnoEINVAL        = 22
	errnoEOPNOTSUPP    = 95
	ringbufDiscardFlag = 1
)

// MapHandle is the value a lddw of map index i loads: a token whose region
// id (0xfffffff0) is never mapped.
func MapHandle(i int) uint64 { return uint64(handleRegion)<<32 | uint64(uint32(i)) }

// MapRef is a map a program may use and the region id its arena is mapped
// at in every run.
type MapRef struct {
	Map    *maps.Map
	Region uint32
}

// Config configures the standard helpers.
type Config struct {
	// Maps are the maps by index; map i has handle MapHandle(i). A nil Map
	// (a global data section) is not a map.
	Maps []MapRef
	// Trace receives trace_printk lines; nil discards them.
	Trace io.Writer
	// CPU gives the CPU number of a run: the copy of per-CPU maps it uses
	// and what get_smp_processor_id returns. nil means CPU 0 for every run.
	CPU func(m *vm.Memory) int
	// Rand returns get_prandom_u32's values; nil uses math/rand/v2.
	Rand func() uint32
	// Now returns ktime_get_ns and ktime_get_boot_ns; nil uses a monotonic
	// clock started when New was called.
	Now func() uint64
}

type env struct {
	cfg     Config
	traceMu sync.Mutex
}

func neg(e int) uint64 { return uint64(int64(-e)) }

// New returns the standard helpers bound to cfg.
func New(cfg *Config) *vm.Helpers {
	e := &env{}
	if cfg != nil {
		e.cfg = *cfg
	}
	if e.cfg.Now == nil {
		start := time.Now()
		e.cfg.Now = func() uint64 { return uint64(time.Since(start)) }
	}
	if e.cfg.Rand == nil {
		e.cfg.Rand = rand.Uint32
	}
	hs := &vm.Helpers{}
	reg := func(id int32, name string, fn vm.HelperFunc, proto verifier.HelperProto) {
		proto.Name = name
		hs.Register(vm.Helper{ID: id, Name: name, Fn: fn, Proto: proto})
	}
	const (
		mp  = verifier.ArgPtrToMap
		key = verifier.ArgPtrToMapKey
		val = verifier.ArgPtrToMapValue
		sc  = verifier.ArgScalar
		any = verifier.ArgAnything
		mem = verifier.ArgPtrToMem
		wm  = verifier.ArgPtrToWritableMem
		sz  = verifier.ArgSize
		rs  = verifier.RetScalar
	)
	reg(MapLookupElem, "map_lookup_elem", e.lookup, verifier.HelperProto{Args: [5]verifier.ArgKind{mp, key}, Ret: verifier.RetMapValueOrNull})
	reg(MapUpdateElem, "map_update_elem", e.update, verifier.HelperProto{Args: [5]verifier.ArgKind{mp, key, val, sc}, Ret: rs})
	reg(MapDeleteElem, "map_delete_elem", e.delete, verifier.HelperProto{Args: [5]verifier.ArgKind{mp, key}, Ret: rs})
	reg(KtimeGetNs, "ktime_get_ns", e.ktime, verifier.HelperProto{Ret: rs})
	reg(TracePrintk, "trace_printk", e.tracePrintk, verifier.HelperProto{Args: [5]verifier.ArgKind{mem, sz, any, any, any}, Ret: rs})
	reg(GetPrandomU32, "get_prandom_u32", e.prandom, verifier.HelperProto{Ret: rs})
	reg(GetSmpProcessorID, "get_smp_processor_id", e.cpuID, verifier.HelperProto{Ret: rs})
	reg(TailCall, "tail_call", e.tailCall, verifier.HelperProto{Args: [5]verifier.ArgKind{verifier.ArgPtrToCtx, mp, sc}, Ret: rs})
	reg(MapPushElem, "map_push_elem", e.push, verifier.HelperProto{Args: [5]verifier.ArgKind{mp, val, sc}, Ret: rs})
	reg(MapPopElem, "map_pop_elem", e.pop, verifier.HelperProto{})
	reg(MapPeekElem, "map_peek_elem", e.peek, verifier.HelperProto{})
	reg(KtimeGetBootNs, "ktime_get_boot_ns", e.ktime, verifier.HelperProto{Ret: rs})
	reg(RingbufOutput, "ringbuf_output", e.ringOutput, verifier.HelperProto{Args: [5]verifier.ArgKind{mp, mem, sz, sc}, Ret: rs})
	reg(RingbufReserve, "ringbuf_reserve", e.ringReserve, verifier.HelperProto{})
	reg(RingbufSubmit, "ringbuf_submit", e.ringSubmit, verifier.HelperProto{})
	reg(RingbufDiscard, "ringbuf_discard", e.ringDiscard, verifier.HelperProto{})
	reg(RingbufQuery, "ringbuf_query", e.ringQuery, verifier.HelperProto{Args: [5]verifier.ArgKind{mp, sc}, Ret: rs})
	reg(ForEachMapElem, "for_each_map_elem", e.forEach, verifier.HelperProto{})
	reg(Snprintf, "snprintf", e.snprintf, verifier.HelperProto{Args: [5]verifier.ArgKind{wm, sz, verifier.ArgPtrToString, any, sc}, Ret: rs})
	reg(Loop, "loop", e.loop, verifier.HelperProto{})
	return hs
}

// ErrBadMap is the error of a helper given a value that is not a map handle.
var ErrBadMap = errors.New("not a map")

func (e *env) mapOf(h uint64) (MapRef, error) {
	i := uint32(h)
	if uint32(h>>32) != handleRegion || int(i) >= len(e.cfg.Maps) || e.cfg.Maps[i].Map == nil {
		return MapRef{}, fmt.Errorf("%w: %#x", ErrBadMap, h)
	}
	return e.cfg.Maps[i], nil
}

func (e *env) cpu(m *vm.Memory) int {
	if e.cfg.CPU == nil {
		return 0
	}
	return e.cfg.CPU(m)
}

func (e *env) lookup(m *vm.Memory, r1, r2, _, _, _ uint64) (uint64, error) {
	ref, err := e.mapOf(r1)
	if err != nil {
		return 0, err
	}
	k, err := m.Read(r2, int(ref.Map.Spec().KeySize))
	if err != nil {
		return 0, err
	}
	off, ok := ref.Map.LookupOffset(k, e.cpu(m))
	if !ok {
		return 0, nil
	}
	return vm.Addr(ref.Region, off), nil
}

func (e *env) update(m *vm.Memory, r1, r2, r3, r4, _ uint64) (uint64, error) {
	ref, err := e.mapOf(r1)
	if err != nil {
		return 0, err
	}
	s := ref.Map.Spec()
	k, err := m.Read(r2, int(s.KeySize))
	if err != nil {
		return 0, err
	}
	v, err := m.Read(r3, int(s.ValueSize))
	if err != nil {
		return 0, err
	}
	if s.Type.PerCPU() {
		err = ref.Map.UpdateCPU(k, v, r4, e.cpu(m))
	} else {
		err = ref.Map.Update(k, v, r4)
	}
	return uint64(maps.Errno(err)), nil
}

func (e *env) delete(m *vm.Memory, r1, r2, _, _, _ uint64) (uint64, error) {
	ref, err := e.mapOf(r1)
	if err != nil {
		return 0, err
	}
	k, err := m.Read(r2, int(ref.Map.Spec().KeySize))
	if err != nil {
		return 0, err
	}
	return uint64(maps.Errno(ref.Map.Delete(k))), nil
}

func (e *env) ktime(*vm.Memory, uint64, uint64, uint64, uint64, uint64) (uint64, error) {
	return e.cfg.Now(), nil
}

func (e *env) prandom(*vm.Memory, uint64, uint64, uint64, uint64, uint64) (uint64, error) {
	return uint64(e.cfg.Rand()), nil
}

func (e *env) cpuID(m *vm.Memory, _, _, _, _, _ uint64) (uint64, error) {
	return uint64(e.cpu(m)), nil
}

func (e *env) tailCall(m *vm.Memory, _, r2, r3, _, _ uint64) (uint64, error) {
	ref, err := e.mapOf(r2)
	if err != nil {
		return 0, err
	}
	if ref.Map.Type() != maps.ProgArray {
		return neg(errnoEINVAL), nil
	}
	var prog vm.Executable
	if r3 <= 0xffffffff {
		prog, _ = ref.Map.Program(uint32(r3)).(vm.Executable)
	}
	if prog == nil {
		return neg(errnoENOENT), nil // no program: the caller goes on
	}
	var next vm.Env
	if m.Env != nil {
		next = *m.Env
	}
	if next.TailCalls >= MaxTailCalls {
		return neg(errnoE2BIG), nil
	}
	next.TailCalls++
	res, err := prog.Run(&next)
	if err != nil {
		return 0, err
	}
	return res.R0, vm.ErrHalt
}

func (e *env) push(m *vm.Memory, r1, r2, r3, _, _ uint64) (uint64, error) {
	ref, err := e.mapOf(r1)
	if err != nil {
		return 0, err
	}
	v, err := m.Read(r2, int(ref.Map.Spec().ValueSize))
	if err != nil {
		return 0, err
	}
	return uint64(maps.Errno(ref.Map.Push(v, r3))), nil
}

func (e *env) pop(m *vm.Memory, r1, r2, _, _, _ uint64) (uint64, error) {
	return e.take(m, r1, r2, true)
}

func (e *env) peek(m *vm.Memory, r1, r2, _, _, _ uint64) (uint64, error) {
	return e.take(m, r1, r2, false)
}

func (e *env) take(m *vm.Memory, r1, r2 uint64, remove bool) (uint64, error) {
	ref, err := e.mapOf(r1)
	if err != nil {
		return 0, err
	}
	dst, err := m.Write(r2, int(ref.Map.Spec().ValueSize))
	if err != nil {
		return 0, err
	}
	var v []byte
	if remove {
		v, err = ref.Map.Pop()
	} else {
		v, err = ref.Map.Peek()
	}
	if err != nil {
		return uint64(maps.Errno(err)), nil
	}
	copy(dst, v)
	return 0, nil
}

func (e *env) ring(h uint64) (*maps.Ring, MapRef, error) {
	ref, err := e.mapOf(h)
	if err != nil {
		return nil, ref, err
	}
	r := ref.Map.Ring()
	if r == nil {
		return nil, ref, fmt.Errorf("%w: map %q is not a ring buffer", ErrBadMap, ref.Map.Spec().Name)
	}
	return r, ref, nil
}

func (e *env) ringOutput(m *vm.Memory, r1, r2, r3, _, _ uint64) (uint64, error) {
	r, _, err := e.ring(r1)
	if err != nil {
		return 0, err
	}
	if r3 > 1<<30 {
		return neg(errnoE2BIG), nil
	}
	data, err := m.Read(r2, int(r3))
	if err != nil {
		return 0, err
	}
	if !r.Output(data) {
		return neg(errnoEAGAIN), nil
	}
	return 0, nil
}

func (e *env) ringReserve(m *vm.Memory, r1, r2, r3, _, _ uint64) (uint64, error) {
	r, ref, err := e.ring(r1)
	if err != nil {
		return 0, err
	}
	if r3 != 0 {
		return 0, nil
	}
	off, ok := r.Reserve(r2)
	if !ok {
		return 0, nil
	}
	return vm.Addr(ref.Region, off), nil
}

func (e *env) ringCommit(addr uint64, discard bool) (uint64, error) {
	id, off := vm.SplitAddr(addr)
	for _, ref := range e.cfg.Maps {
		if ref.Map != nil && ref.Region == id && ref.Map.Ring() != nil {
			if !ref.Map.Ring().Commit(off, discard) {
				return 0, fmt.Errorf("%#x is not a reserved ring buffer sample", addr)
			}
			return 0, nil
		}
	}
	return 0, fmt.Errorf("%#x is not in a ring buffer", addr)
}

func (e *env) ringSubmit(_ *vm.Memory, r1, _, _, _, _ uint64) (uint64, error) {
	return e.ringCommit(r1, false)
}

func (e *env) ringDiscard(_ *vm.Memory, r1, _, _, _, _ uint64) (uint64, error) {
	return e.ringCommit(r1, true)
}

func (e *env) ringQuery(_ *vm.Memory, r1, r2, _, _, _ uint64) (uint64, error) {
	r, _, err := e.ring(r1)
	if err != nil {
		return 0, err
	}
	return r.Query(r2), nil
}

func (e *env) forEach(m *vm.Memory, r1, r2, r3, r4, _ uint64) (uint64, error) {
	ref, err := e.mapOf(r1)
	if err != nil {
		return 0, err
	}
	if r4 != 0 {
		return neg(errnoEINVAL), nil
	}
	if ref.Map.Arena() == nil || ref.Map.Ring() != nil {
		return neg(errnoEOPNOTSUPP), nil
	}
	var cerr error
	n := ref.Map.ForEachOffset(e.cpu(m), func(koff, voff uint32) bool {
		r0, err := m.CallLocal(int(r2), r1, vm.Addr(ref.Region, koff), vm.Addr(ref.Region, voff), r3, 0)
		if err != nil {
			cerr = err
			return false
		}
		return r0 == 0
	})
	if cerr != nil {
		return 0, cerr
	}
	return uint64(n), nil
}

func (e *env) loop(m *vm.Memory, r1, r2, r3, r4, _ uint64) (uint64, error) {
	if r4 != 0 || r1 > MaxLoops {
		return neg(errnoEINVAL), nil
	}
	for i := uint64(0); i < r1; i++ {
		r0, err := m.CallLocal(int(r2), i, r3, 0, 0, 0)
		if err != nil {
			return 0, err
		}
		if r0 == 1 {
			return i + 1, nil
		}
	}
	return r1, nil
}

func (e *env) tracePrintk(m *vm.Memory, r1, r2, r3, r4, r5 uint64) (uint64, error) {
	if r2 > maxFormat {
		return neg(errnoEINVAL), nil
	}
	b, err := m.Read(r1, int(r2))
	if err != nil {
		return 0, err
	}
	fmtb := cstr(b)
	if fmtb == nil {
		return neg(errnoEINVAL), nil
	}
	out, err := format(m, fmtb, []uint64{r3, r4, r5})
	if err != nil {
		return neg(errnoEINVAL), nil
	}
	if e.cfg.Trace != nil {
		e.traceMu.Lock()
		if len(out) == 0 || out[len(out)-1] != '\n' {
			out = append(out, '\n')
		}
		e.cfg.Trace.Write(out)
		e.traceMu.Unlock()
	}
	return uint64(len(out)), nil
}

func (e *env) snprintf(m *vm.Memory, r1, r2, r3, r4, r5 uint64) (uint64, error) {
	if r5%8 != 0 || r5 > 8*12 || r2 > 1<<20 {
		return neg(errnoEINVAL), nil
	}
	fmtb, err := m.CString(r3, maxFormat)
	if err != nil {
		return 0, err
	}
	var args []uint64
	if r5 > 0 {
		data, err := m.Read(r4, int(r5))
		if err != nil {
			return 0, err
		}
		for i := 0; i < len(data); i += 8 {
			args = append(args, getU64(m, data[i:]))
		}
	}
	out, err := format(m, fmtb, args)
	if err != nil {
		return neg(errnoEINVAL), nil
	}
	if r2 > 0 {
		dst, err := m.Write(r1, int(r2))
		if err != nil {
			return 0, err
		}
		n := copy(dst[:len(dst)-1], out)
		dst[n] = 0
	}
	return uint64(len(out) + 1), nil
}

func getU64(m *vm.Memory, b []byte) uint64 {
	if m.Order != nil {
		return m.Order.Uint64(b)
	}
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

// cstr returns b up to its first NUL, or nil if it has none.
func cstr(b []byte) []byte {
	for i, c := range b {
		if c == 0 {
			return b[:i]
		}
	}
	return nil
}
