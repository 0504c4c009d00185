// Package asm converts between eBPF instructions and text, in two
// dialects:
//
//   - the mnemonic dialect of the conformance data files (Assemble,
//     Disassemble, Format): "mov %r0, 1", "ldxdw %r0, [%r1+8]",
//     "jeq %r1, 0x1, done", "lock fetch add32 [%r10-4], %r1";
//   - the LLVM pseudo-C dialect that llvm-objdump prints for BPF
//     (AssembleLLVM, DisassembleLLVM, FormatLLVM): "r0 = 1", "w1 += w2",
//     "if r1 s> 5 goto +3", "*(u32 *)(r10 - 4) = r1".
//
// Both assemblers return an isa.Program indexed by slot (a lddw is followed
// by its zero continuation slot), and report the first problem as an
// *Error carrying the line and column (1-based, in characters). Format and
// FormatLLVM print a single instruction, for error messages and traces.
// Dialect, ParseDialect, AssembleDialect and DisassembleDialect select a
// dialect by value; DetectDialect and AssembleAuto guess it from the text
// (no text assembles in both dialects to different programs, so trying the
// other dialect when the guess fails is safe).
//
// Disassembly prints jump and call targets as signed offsets, never
// generated labels: the text then reassembles to the same bytes whatever
// the targets (outside the program, inside a lddw), and each line stands
// alone. Both assemblers take labels too.
//
// # Conformance dialect
//
// One instruction per line; "name:" on its own line (or before an
// instruction) defines a label; '#', "//" and ';' start comments.
// Registers are %r0..%r10 or r0..r10, in any letter case. Numbers are
// decimal, 0x hex, 0b binary or 0o octal, possibly signed; a leading zero
// does not make a number octal. A 32-bit immediate may be written signed
// (-2^31..2^31-1) or as its unsigned 32-bit pattern (up to 0xffffffff);
// lddw takes any signed or unsigned 64-bit value. Memory operands are
// [%rN], [%rN+off] and [%rN-off]. Jump targets are labels or signed slot
// offsets relative to the next instruction (+3, -2, or unsigned 3).
//
// Mnemonics are the names of isa.Opcodes: ALU operations with an optional
// 32 suffix (add, sub, mul, div, sdiv, mod, smod, or, and, lsh, rsh, arsh,
// xor, mov, neg), movsx832/movsx1632/movsx864/movsx1664/movsx3264,
// le16/32/64, be16/32/64, bswap16/32/64 (also swap16/32/64), ldx{b,h,w,dw},
// ldxs{b,h,w}, st{b,h,w,dw}, stx{b,h,w,dw}, lddw, ldabs{b,h,w},
// ldind{b,h,w} %rSRC, imm, "lock [fetch] add|or|and|xor[32]",
// "lock xchg[32]", "lock cmpxchg[32]" (the 32 may also follow "lock" or
// "fetch"), ja, ja32 (also gotol), the
// conditional jumps with an optional 32 suffix, "call N", "call %rN"
// (callx, register in dst; also "callx %rN"), "call local label|offset"
// (src 1), and exit. Extensions for the rest of the instruction set: "call
// btf N" (src 2, helper by BTF id) and the lddw kinds (src 1..6) written
// map_fd(N), map_value_fd(N, OFF), var_addr(N), code_addr(N), map_idx(N),
// map_value_idx(N, OFF), where OFF is the imm of the second slot.
//
// # LLVM dialect
//
// DisassembleLLVM prints what llvm-objdump -d prints for each instruction
// (checked line for line against LLVM 14 on the objects in testdata), with
// these decisions where LLVM is silent, ambiguous or lossy:
//
//   - Instructions LLVM 14 does not know use the syntax of newer LLVM:
//     "r1 = (s8)r2", "r1 s/= r2", "r1 s%= r2", "r1 = bswap16 r1",
//     "gotol +5", "r0 = *(s8 *)(r1 + 0)", "*(u8 *)(r1 + 0) = 5",
//     "if r1 & r2 goto +1", "callx r1" (register in dst), the 32-bit
//     atomics "w2 = atomic_fetch_or((u32 *)(r1 + 0), w2)",
//     "w2 = xchg32_32(r1 + 0, w2)", "w0 = cmpxchg32_32(r1 + 0, w0, w2)".
//   - Loads, stores and the non-fetching atomics name r registers, as
//     llvm-objdump does by default (without +alu32); the assembler accepts
//     w registers there too. (Without +alu32, LLVM 14 also prints every
//     32-bit atomic with a fetch as "lock *(u32 *)(...) += r2", ignoring the
//     operation in imm: a bug not to copy; the tests compare those with
//     llvm-objdump --mattr=+alu32.)
//   - llvm-objdump prints local calls (src 1) and helper calls the same way,
//     "call N"; DisassembleLLVM prints local calls "call pc+N" / "call pc-N"
//     (the kernel's notation) so they reassemble to the same bytes, and
//     helper calls by BTF id (src 2) "call btf N". AssembleLLVM also takes
//     "call label" for a local call.
//   - Legacy packet loads print as LLVM does, "r0 = *(u8 *)skb[5]" and
//     "r0 = *(u16 *)skb[r1]"; an indirect load with a nonzero imm, which
//     LLVM cannot express, prints "r0 = *(u16 *)skb[r1 + 5]".
//   - lddw kinds other than the immediate print "r1 = map_fd(5) ll" and so
//     on, with the names of the conformance dialect (LLVM 14 prints
//     "ld_pseudo r1, 1, 5", dropping the second slot's imm; that form is
//     accepted as well).
//   - Jump targets are signed offsets ("goto +3"); the " <LBB0_2>" symbol
//     annotation llvm-objdump adds is accepted and ignored, so is the
//     address and hex-bytes prefix of an llvm-objdump line, its
//     "0000000000000040 <name>:" symbol lines (which define labels) and its
//     relocation and header lines, so llvm-objdump output assembles as is.
//     Labels ("name:") and "goto label" are accepted too, so clang -S output
//     assembles: its directives (".text", ".globl", ...) are ignored and its
//     "r2 = w3" (a zero-extending 32-bit move) is taken as "w2 = w3"; a
//     symbol reference ("r1 = counters ll") is an error, as it needs a
//     relocation.
//   - Immediates print in decimal, as LLVM prints them; the assembler also
//     takes hex.
//
// # Raw slots
//
// A slot that is not a valid instruction (unknown opcode, register above
// r10, reserved field set) is printed by both disassemblers as
// ".insn OPCODE, DST, SRC, OFFSET, IMM", which both assemblers accept, so
// any program disassembles and reassembles to the same bytes.
package asm
