package gen

import "fmt"

func init() { register(negativeFiles) }

func negativeFiles() []*File {
	var out []*File
	exit := raw(0x95, 0, 0, 0, 0)
	mov0 := raw(0xb7, 0, 0, 0, 0)
	rej := func(name, desc, errText string, pattern bool, words ...uint64) {
		out = append(out, &File{Name: "reject-" + name + ".data", Desc: desc + " (rejected at load time)", Raw: words,
			Error: errText, Pattern: pattern, ErrorText: true})
	}
	rejAsm := func(name, desc, errText string, pattern bool, asm string) {
		out = append(out, &File{Name: "reject-" + name + ".data", Desc: desc + " (rejected at load time)", Asm: asm,
			Error: errText, Pattern: pattern, ErrorText: true})
	}
	// Unknown opcodes.
	for _, op := range []uint8{0xe7, 0xff, 0x86, 0x8e, 0x00, 0x01, 0x22, 0x9d, 0xf4, 0xe5} {
		rej(fmt.Sprintf("unknown-opcode-%#02x", op), fmt.Sprintf("opcode %#02x is not in RFC 9669", op), fmt.Sprintf("unknown opcode %#02x", op), false,
			mov0, raw(op, 0, 0, 0, 0), exit)
	}
	rej("bad-end-width", "le with imm 8", "unknown opcode 0xd4: invalid imm 8", false, mov0, raw(0xd4, 0, 0, 0, 8), exit)
	rej("bad-bswap-width", "bswap with imm 48", "unknown opcode 0xd7: invalid imm 48", false, mov0, raw(0xd7, 0, 0, 0, 48), exit)
	rej("bad-movsx-offset", "mov with offset 24", "unknown opcode 0xbf: invalid offset 24", false, mov0, raw(0xbf, 0, 1, 24, 0), exit)
	rej("bad-movsx32-offset32", "mov32 with offset 32 (only ALU64 has movsx32)", "unknown opcode 0xbc: invalid offset 32", false, mov0, raw(0xbc, 0, 1, 32, 0), exit)
	rej("bad-sdiv-offset", "div with offset 2", "unknown opcode 0x3f: invalid offset 2", false, mov0, raw(0x3f, 0, 1, 2, 0), exit)
	rej("bad-atomic-op", "atomic with imm 0x02", "unknown opcode 0xdb: invalid imm 2", false, mov0, raw(0xdb, 10, 1, -8, 2), exit)
	rej("bad-atomic-size", "atomic of size h", "unknown opcode 0xcb", false, mov0, raw(0xcb, 10, 1, -8, 0), exit)
	rej("reserved-offset", "add imm with a non-zero offset", "reserved offset field must be zero", false, mov0, raw(0x07, 0, 0, 1, 1), exit)
	rej("reserved-imm", "add reg with a non-zero imm", "reserved imm field must be zero", false, mov0, raw(0x0f, 0, 1, 0, 1), exit)
	rej("reserved-exit-imm", "exit with a non-zero imm", "reserved imm field must be zero", false, mov0, raw(0x95, 0, 0, 0, 1))
	rej("reserved-src", "mov imm with a non-zero src", "reserved src field must be zero", false, raw(0xb7, 0, 3, 0, 0), exit)
	rej("call-bad-src", "call with src 3", "unknown opcode 0x85: invalid src 3", false, mov0, raw(0x85, 0, 3, 0, 1), exit)
	// Bad registers.
	rej("bad-register-dst", "mov %r11, 1", "invalid destination register r11", false, raw(0xb7, 11, 0, 0, 1), exit)
	rej("bad-register-src", "mov %r0, %r12", "invalid source register r12", false, raw(0xbf, 0, 12, 0, 0), exit)
	rej("bad-register-ldx", "ldxdw %r0, [%r15+0]", "invalid source register r15", false, raw(0x79, 0, 15, 0, 0), exit)
	rej("bad-register-st", "stw [%r11+0], 1", "invalid destination register r11", false, mov0, raw(0x62, 11, 0, 0, 1), exit)
	rej("bad-register-callx", "call %r11", "invalid destination register r11", false, mov0, raw(0x8d, 11, 0, 0, 0), exit)
	// Writes to r10.
	for _, w := range []struct {
		name string
		word uint64
	}{
		{"mov", raw(0xb7, 10, 0, 0, 1)}, {"mov32", raw(0xb4, 10, 0, 0, 1)}, {"add", raw(0x07, 10, 0, 0, 8)},
		{"ldx", raw(0x79, 10, 1, 0, 0)}, {"neg", raw(0x87, 10, 0, 0, 0)}, {"be16", raw(0xdc, 10, 0, 0, 16)},
	} {
		rej("write-r10-"+w.name, "a "+w.name+" into the read-only frame pointer", "writes the read-only frame pointer r10", false, mov0, w.word, exit)
	}
	{
		words := []uint64{mov0, raw(0x18, 10, 0, 0, 1), 0, exit}
		rej("write-r10-lddw", "lddw into the read-only frame pointer", "writes the read-only frame pointer r10", false, words...)
	}
	// Jumps out of range and into lddw.
	rej("jump-out-of-range-forward", "ja past the end", "out of range", false, mov0, raw(0x05, 0, 0, 5, 0), exit)
	rej("jump-out-of-range-end", "ja to one past the last slot", "out of range", false, mov0, raw(0x05, 0, 0, 1, 0), exit)
	rej("jump-out-of-range-backward", "ja before slot 0", "out of range", false, mov0, raw(0x05, 0, 0, -3, 0), exit)
	rej("jump-out-of-range-cond", "jeq far past the end", "out of range", false, mov0, raw(0x15, 0, 0, 0x7fff, 0), exit)
	rej("jump-out-of-range-min", "jeq with offset -32768 at slot 1", "out of range", false, mov0, raw(0x15, 0, 0, -32768, 0), exit)
	rej("jump-out-of-range-gotol", "gotol far past the end", "out of range", false, mov0, raw(0x06, 0, 0, 0, 1000000), exit)
	rej("jump-out-of-range-gotol-back", "gotol before slot 0", "out of range", false, mov0, raw(0x06, 0, 0, 0, -0x80000000), exit)
	rej("call-local-out-of-range", "call local past the end", "out of range", false, mov0, raw(0x85, 0, 1, 0, 100), exit)
	rej("jump-into-lddw", "ja into the second slot of a lddw", "second slot of a lddw", false,
		raw(0x05, 0, 0, 1, 0), raw(0x18, 0, 0, 0, 1), raw(0, 0, 0, 0, 0), exit)
	rej("jump-into-lddw-back", "jne backward into the second slot of a lddw", "second slot of a lddw", false,
		raw(0x18, 0, 0, 0, 1), raw(0, 0, 0, 0, 0), raw(0x55, 0, 0, -2, 0), exit)
	// Truncated and malformed lddw.
	rej("lddw-truncated", "lddw in the last slot", "lddw truncated", false, mov0, raw(0x18, 0, 0, 0, 1))
	rej("lddw-bad-second-slot", "lddw whose second slot is an exit", "second slot of lddw must", false, raw(0x18, 0, 0, 0, 1), exit, exit)
	rej("lddw-second-slot-regs", "lddw whose second slot has registers", "second slot of lddw must", false, raw(0x18, 0, 0, 0, 1), raw(0, 1, 0, 0, 0), exit)
	rej("lddw-bad-src-7", "lddw with src 7", "unknown opcode 0x18: invalid src 7", false, raw(0x18, 0, 7, 0, 1), 0, exit)
	rej("lddw-bad-src-15", "lddw with src 15", "unknown opcode 0x18: invalid src 15", false, raw(0x18, 0, 15, 0, 1), 0, exit)
	for src := uint8(1); src <= 6; src++ {
		rej(fmt.Sprintf("lddw-src%d-no-object", src), fmt.Sprintf("lddw with src %d names a map, variable or code address this run does not have", src),
			fmt.Sprintf("lddw (with )?src %d", src), true, raw(0x18, 1, src, 0, 1), 0, mov0, exit)
	}
	// Unknown helpers.
	rej("call-unknown-helper", "call 99", "unknown helper 99", false, mov0, raw(0x85, 0, 0, 0, 99), exit)
	rej("call-unknown-helper-negative", "call -1", "unknown helper -1", false, mov0, raw(0x85, 0, 0, 0, -1), exit)
	rej("call-btf-unknown", "call of a helper by BTF id, which this run has none of", "(?i)helper|btf", true, mov0, raw(0x85, 0, 2, 0, 1), exit)
	// Falling off the end.
	rejAsm("fall-off-end", "a program without exit", "(falls off the end|last instruction must be exit)", true, "mov %r0, 1\n")
	rejAsm("fall-off-end-cond", "a conditional jump as the last instruction", "(falls off the end|last instruction must be exit|out of range)", true,
		"mov %r0, 1\njeq %r1, 0, +0\n")
	rejAsm("fall-off-end-function", "a local function that falls off the end", "(falls off the end|last instruction must be exit)", true,
		"call local f\nexit\nf:\nmov %r0, 1\n")
	rej("empty-program", "a program of no instructions", "empty program", false)
	// Stack accesses via r10 outside the frame are caught at load time.
	rejAsm("stack-r10-above", "ldxdw [%r10+0] reads above the frame", "outside the 512-byte frame", false, "ldxdw %r0, [%r10+0]\nexit\n")
	rejAsm("stack-r10-below", "stdw [%r10-520] writes below the frame", "outside the 512-byte frame", false, "stdw [%r10-520], 1\nmov %r0, 0\nexit\n")

	// Runtime faults.
	fault := func(name, desc, errText string, pattern bool, asm string, mem []byte) {
		out = append(out, &File{Name: "fault-" + name + ".data", Desc: desc + " (fault at run time)", Asm: asm, Mem: mem,
			Error: errText, Pattern: pattern, ErrorText: true})
	}
	mem8 := []byte{1, 2, 3, 4, 5, 6, 7, 8}
	for _, size := range []int{1, 2, 4, 8} {
		s := sizeNames[size]
		fault("input-load-"+s, fmt.Sprintf("ldx%s crossing the end of the input memory", s), "out of bounds: read", false,
			fmt.Sprintf("ldx%s %%r0, [%%r1+%d]\nexit\n", s, 9-size), mem8)
		fault("input-store-"+s, fmt.Sprintf("stx%s crossing the end of the input memory", s), "out of bounds: write", false,
			fmt.Sprintf("stx%s [%%r1+%d], %%r1\nmov %%r0, 0\nexit\n", s, 9-size), mem8)
		fault("input-st-imm-"+s, fmt.Sprintf("st%s beyond the input memory", s), "out of bounds: write", false,
			fmt.Sprintf("st%s [%%r1+100], 1\nmov %%r0, 0\nexit\n", s), mem8)
		fault("stack-load-"+s, fmt.Sprintf("ldx%s above the stack through a computed pointer", s), "out of bounds: read", false,
			fmt.Sprintf("mov %%r3, %%r10\nadd %%r3, 8\nldx%s %%r0, [%%r3-%d]\nexit\n", s, 8-size+1), nil)
		fault("stack-store-"+s, fmt.Sprintf("stx%s above the stack through a computed pointer", s), "out of bounds: write", false,
			fmt.Sprintf("mov %%r3, %%r10\nstx%s [%%r3+0], %%r1\nmov %%r0, 0\nexit\n", s), nil)
		fault("null-load-"+s, fmt.Sprintf("ldx%s from address 0", s), "null dereference", false,
			fmt.Sprintf("mov %%r3, 0\nldx%s %%r0, [%%r3+0]\nexit\n", s), nil)
		fault("null-store-"+s, fmt.Sprintf("st%s to address 16", s), "null dereference", false,
			fmt.Sprintf("mov %%r3, 16\nst%s [%%r3+0], 7\nmov %%r0, 0\nexit\n", s), nil)
	}
	fault("stack-below", "ldxdw far below every frame of the stack", "(out of bounds|null dereference)", true,
		"mov %r3, %r10\nadd %r3, -8192\nldxdw %r0, [%r3-8]\nexit\n", nil)
	fault("input-load-before", "ldxb one byte before the input memory", "(out of bounds|null dereference|unmapped)", true,
		"ldxb %r0, [%r1-1]\nexit\n", mem8)
	fault("input-none", "ldxb from the input memory when there is none (r1 = 0)", "null dereference", false,
		"ldxb %r0, [%r1+0]\nexit\n", nil)
	fault("unmapped-region", "ldxdw from region 42, which is not mapped", "unmapped region", false,
		"lddw %r1, 0x2a00000000\nldxdw %r0, [%r1+0]\nexit\n", nil)
	fault("unmapped-region-high", "stdw to region 0xffffffff", "unmapped region", false,
		"lddw %r1, 0xffffffff00000010\nstdw [%r1+0], 1\nmov %r0, 0\nexit\n", nil)
	for _, a := range []struct {
		name, mn string
		off      int
	}{{"add64", "lock add", 4}, {"fetch-or32", "lock fetch or32", 8}, {"xchg64", "lock xchg", 8}, {"cmpxchg32", "lock cmpxchg32", 8}} {
		fault("atomic-input-"+a.name, a.mn+" beyond the end of the input memory", "out of bounds", false,
			fmt.Sprintf("mov %%r2, 1\nmov %%r0, 0\n%s [%%r1+%d], %%r2\nexit\n", a.mn, a.off), mem8)
		fault("atomic-stack-"+a.name, a.mn+" above the stack through a computed pointer", "out of bounds", false,
			fmt.Sprintf("mov %%r3, %%r10\nmov %%r2, 1\nmov %%r0, 0\n%s [%%r3+0], %%r2\nexit\n", a.mn), nil)
		fault("atomic-null-"+a.name, a.mn+" on address 8", "null dereference", false,
			fmt.Sprintf("mov %%r3, 8\nmov %%r2, 1\nmov %%r0, 0\n%s [%%r3+0], %%r2\nexit\n", a.mn), nil)
	}
	fault("atomic-unmapped-region", "lock xor on region 9, which is not mapped", "unmapped region", false,
		"lddw %r3, 0x900000000\nmov %r2, 1\nlock xor [%r3+0], %r2\nmov %r0, 0\nexit\n", nil)
	fault("helper-memfrob-oob", "memfrob of 16 bytes from an 8-byte input memory", "out of bounds", false,
		"mov %r2, 16\ncall 1\nexit\n", mem8)
	fault("helper-strcmp-unterminated", "strcmp_ext of a string that runs to the end of the input memory", "out of bounds", false,
		"mov %r2, %r1\ncall 4\nexit\n", []byte("abcdefgh"))
	fault("helper-strcmp-null", "strcmp_ext of a NULL string", "null dereference", false,
		"mov %r1, 0\nmov %r2, 0\ncall 4\nexit\n", nil)
	fault("callx-unknown-helper", "call %r1 with r1 = 77, no such helper", "unknown helper 77", false,
		"mov %r1, 77\ncall %r1\nexit\n", nil)
	fault("callx-negative-helper", "call %r6 with r6 = -1", "unknown helper -1", false,
		"mov %r6, -1\ncall %r6\nexit\n", nil)
	fault("stack-overflow-recursion", "unbounded recursion of local calls", "stack overflow", false,
		"mov %r0, 0\ncall local f\nexit\nf:\nadd %r0, 1\ncall local f\nexit\n", nil)
	fault("stack-overflow-deep", "a chain of 12 nested local calls (more frames than any engine gives)", "stack overflow", false,
		deepChain(12), nil)
	// Budget exhaustion (iovm-specific: other runners skip -- budget files).
	budget := func(name, desc string, n uint64, asm string) {
		out = append(out, &File{Name: "fault-budget-" + name + ".data", Desc: desc + " (budget exhausted)", Asm: asm, Budget: n,
			Error: "budget exhausted", ErrorText: true})
	}
	budget("infinite-ja", "ja -1 forever", 1000, "mov %r0, 0\nja -1\nexit\n")
	budget("infinite-loop", "a loop whose counter never reaches its bound", 10000, "mov %r0, 0\nloop:\nadd %r0, 1\njne %r0, 0, loop\nexit\n")
	budget("long-loop", "a loop of a million iterations under a budget of 10000", 10000,
		"mov %r0, 0\nloop:\nadd %r0, 1\njlt %r0, 1000000, loop\nexit\n")
	budget("gotol-loop", "gotol back to itself", 500, "mov %r0, 0\nja32 -1\nexit\n")
	budget("recursion-free-calls", "a loop calling a local function", 5000,
		"mov %r6, 0\nloop:\ncall local f\nadd %r6, 1\nja loop\nf:\nmov %r0, 1\nexit\n")
	out = append(out, &File{Name: "budget-enough.data", Desc: "a loop of 100 iterations within a budget of 10000", Budget: 10000,
		Asm: "mov %r0, 0\nloop:\nadd %r0, 3\njlt %r0, 300, loop\nexit\n", Result: 300})
	return out
}

// deepChain returns a program of n functions each calling the next.
func deepChain(n int) string {
	pg := &prog{}
	pg.op("mov %%r0, 0").op("call local f1").op("exit")
	for i := 1; i <= n; i++ {
		pg.label(fmt.Sprintf("f%d", i)).op("add %%r0, 1")
		if i < n {
			pg.op("call local f%d", i+1)
		}
		pg.op("exit")
	}
	return pg.String()
}
