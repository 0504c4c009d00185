package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/iovm/iovm"
	"github.com/iovm/iovm/asm"
	"github.com/iovm/iovm/elf"
	"github.com/iovm/iovm/verifier"
	"github.com/iovm/iovm/vm"
)

// The service's own helpers, callable by plugins (ids above Linux's).
const (
	HelperUserTier = 1000 // user_tier(user u32) u64: the user's tier (0 unknown, 1 basic, 2 premium)
	HelperLog      = 1001 // log_msg(msg *u8, len u32) i64: append a line to the service log
	HelperHour     = 1002 // hour() u64: the hour of the day of the service's clock
)

// Request is what plugins see as their context (struct request, little-endian).
type Request struct {
	User   uint32
	Method uint32 // 1 GET, 2 POST, 3 PUT, 4 DELETE
	Path   string // at most 64 bytes are passed
}

// requestSize is the size of struct request: user, method, path_len, pad, path[64].
const requestSize = 16 + 64

// methods names the request methods.
var methods = []string{"?", "GET", "POST", "PUT", "DELETE"}

// String describes the request: user, method and path.
func (r Request) String() string {
	m := "?"
	if int(r.Method) < len(methods) {
		m = methods[r.Method]
	}
	return fmt.Sprintf("user %d %s %s", r.User, m, r.Path)
}

func (r Request) encode(b []byte) {
	clear(b)
	binary.LittleEndian.PutUint32(b[0:], r.User)
	binary.LittleEndian.PutUint32(b[4:], r.Method)
	n := copy(b[16:], r.Path)
	binary.LittleEndian.PutUint32(b[8:], uint32(n))
}

// ErrRejected wraps every error of Upload about the program itself.
var ErrRejected = errors.New("rejected")

// Service runs plugins that users upload, as eBPF programs, on every
// request: each plugin returns 0 to allow the request and anything else to
// deny it. Plugins are verified when uploaded (only the service's helpers
// may be called), run with checked memory accesses on the best engine of
// the host, and stopped after Budget instructions. A Service is safe for
// concurrent use.
type Service struct {
	// Budget is the instruction budget of one plugin run.
	Budget uint64
	// Tiers gives the tier of each user (user_tier helper).
	Tiers map[uint32]uint64
	// Clock gives the time for the hour helper; nil means time.Now.
	Clock func() time.Time

	mu      sync.RWMutex
	plugins map[string]*plugin
	order   []string // upload order
	logMu   sync.Mutex
	log     []string
}

type plugin struct {
	name  string
	kind  string // "object", "LLVM assembly", "assembly"
	insns int
	prog  vm.Executable
	pool  sync.Pool // of request buffers
}

// NewService returns a service without plugins.
func NewService(budget uint64, tiers map[uint32]uint64) *Service {
	return &Service{Budget: budget, Tiers: tiers, plugins: map[string]*plugin{}}
}

// register adds the service's helpers to hs.
func (s *Service) register(hs *vm.Helpers) {
	hs.Register(vm.Helper{
		ID: HelperUserTier, Name: "user_tier",
		Proto: verifier.HelperProto{Name: "user_tier", Args: [5]verifier.ArgKind{verifier.ArgScalar}, Ret: verifier.RetScalar},
		Fn: func(m *vm.Memory, user, _, _, _, _ uint64) (uint64, error) {
			return s.Tiers[uint32(user)], nil
		},
	})
	hs.Register(vm.Helper{
		ID: HelperLog, Name: "log_msg",
		Proto: verifier.HelperProto{Name: "log_msg", Args: [5]verifier.ArgKind{verifier.ArgPtrToMem, verifier.ArgSize}, Ret: verifier.RetScalar},
		Fn: func(m *vm.Memory, msg, n, _, _, _ uint64) (uint64, error) {
			if n > 256 {
				return uint64(0xffffffffffffffea), nil // -EINVAL
			}
			b, err := m.Read(msg, int(n)) // checked: a bad pointer faults
			if err != nil {
				return 0, err
			}
			s.logf("%s: %q", m.Value.(string), b)
			return 0, nil
		},
	})
	hs.Register(vm.Helper{
		ID: HelperHour, Name: "hour",
		Proto: verifier.HelperProto{Name: "hour", Ret: verifier.RetScalar},
		Fn: func(*vm.Memory, uint64, uint64, uint64, uint64, uint64) (uint64, error) {
			now := time.Now
			if s.Clock != nil {
				now = s.Clock
			}
			return uint64(now().Hour()), nil
		},
	})
}

// Upload verifies and installs a plugin under name, replacing any plugin of
// that name: code is an eBPF ELF object with one program (clang -target bpf
// -c; its maps are created for it) or assembly text in either dialect of
// package asm. A program that does not assemble, does not verify or calls
// a helper the service does not offer is rejected with an error wrapping
// ErrRejected and the cause (an *asm.Error, a *vm.Error of kind
// vm.KindLoad, an error of package elf).
func (s *Service) Upload(name string, code []byte) error {
	p := &plugin{name: name}
	opts := &vm.Options{ContextSize: requestSize}
	var prog vm.Executable
	var err error
	switch {
	case bytes.HasPrefix(code, []byte("\x7fELF")):
		p.kind = "object"
		prog, p.insns, err = s.loadObject(code, opts)
	case utf8.Valid(code):
		prog, p.kind, p.insns, err = s.loadText(string(code), opts)
	default:
		err = errors.New("neither an ELF object nor assembly text")
	}
	if err != nil {
		return fmt.Errorf("plugin %s %w: %w", name, ErrRejected, err)
	}
	p.prog = prog
	p.pool.New = func() any { return make([]byte, requestSize) }
	s.mu.Lock()
	defer s.mu.Unlock()
	if old := s.plugins[name]; old != nil {
		old.prog.Close() // runs in flight hold the read lock
	} else {
		s.order = append(s.order, name)
	}
	s.plugins[name] = p
	return nil
}

// loadObject loads the only program of an ELF object with its maps, the
// standard helpers bound to them and the service's helpers.
func (s *Service) loadObject(code []byte, opts *vm.Options) (vm.Executable, int, error) {
	obj, err := elf.Parse(code)
	if err != nil {
		return nil, 0, err
	}
	if len(obj.Programs) != 1 {
		return nil, 0, fmt.Errorf("the object has %d programs, want 1", len(obj.Programs))
	}
	coll, err := elf.NewCollection(obj, nil)
	if err != nil {
		return nil, 0, err
	}
	s.register(coll.Helpers)
	insns := obj.Programs[0].Insns
	prog, err := iovm.Load(insns, coll.Options(opts))
	return prog, len(insns), err
}

// loadText assembles and loads a program in either dialect of package asm,
// with the service's helpers only.
func (s *Service) loadText(text string, opts *vm.Options) (vm.Executable, string, int, error) {
	insns, dialect, err := asm.AssembleAuto(text)
	if err != nil {
		return nil, "", 0, err
	}
	kind := "assembly"
	if dialect == asm.LLVM {
		kind = "LLVM assembly"
	}
	opts.Helpers = new(vm.Helpers)
	s.register(opts.Helpers)
	prog, err := iovm.Load(insns, opts)
	return prog, kind, len(insns), err
}

// Remove uninstalls a plugin.
func (s *Service) Remove(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.plugins[name]; p != nil {
		p.prog.Close()
		delete(s.plugins, name)
		for i, n := range s.order {
			if n == name {
				s.order = append(s.order[:i], s.order[i+1:]...)
				break
			}
		}
	}
}

// Plugins describes the installed plugins, in upload order.
func (s *Service) Plugins() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []string
	for _, n := range s.order {
		p := s.plugins[n]
		out = append(out, fmt.Sprintf("%s (%s, %d instructions)", n, p.kind, p.insns))
	}
	return out
}

// Run runs plugin name on req and returns its verdict (r0) and the number
// of instructions it executed. Errors of the run are *vm.Error: test them
// with errors.Is(err, vm.KindBudget), vm.KindFault or vm.KindHelper.
func (s *Service) Run(name string, req Request) (verdict, insns uint64, err error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	p := s.plugins[name]
	if p == nil {
		return 0, 0, fmt.Errorf("no plugin %q", name)
	}
	ctx := p.pool.Get().([]byte)
	defer p.pool.Put(ctx)
	req.encode(ctx)
	res, err := p.prog.Run(&vm.Env{Context: ctx, ContextReadOnly: true, Budget: s.Budget, Value: name})
	if err != nil {
		return 0, res.Insns, fmt.Errorf("plugin %s: %w", name, err)
	}
	return res.R0, res.Insns, nil
}

// Check runs every plugin on req, in upload order, and allows it when all
// allow it. A plugin that fails denies the request (the service fails
// closed) and its error is returned.
func (s *Service) Check(req Request) (allowed bool, deniedBy string, err error) {
	s.mu.RLock()
	names := append([]string(nil), s.order...)
	s.mu.RUnlock()
	for _, n := range names {
		v, _, err := s.Run(n, req)
		if err != nil {
			return false, n, err
		}
		if v != 0 {
			return false, n, nil
		}
	}
	return true, "", nil
}

func (s *Service) logf(format string, args ...any) {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	s.log = append(s.log, fmt.Sprintf(format, args...))
}

// Log returns the lines plugins logged.
func (s *Service) Log() []string {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	return append([]string(nil), s.log...)
}
