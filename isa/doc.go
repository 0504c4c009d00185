// Package isa defines the eBPF instruction set of RFC 9669: opcode fields,
// the Instruction type, decoding and encoding of programs in either byte
// order, and a table of every valid opcode variant with its conformance
// group and the ISA version that introduced it. EvalALU is the plain
// reference of ALU semantics on concrete values, shared by the verifier
// (constant folding) and the JIT (stepping a block's prefix).
//
// Decisions:
//   - A decoded Program is indexed by slot, so a jump target pc+1+offset
//     indexes it directly. A wide lddw is one Instruction whose Imm holds the
//     whole 64-bit constant; the slot after it is a zero continuation that
//     engines skip.
//   - Decode validates every slot (known opcode variant, registers r0..r10,
//     reserved fields zero) and reports the slot and the reason. Control flow
//     (jump targets, falling off the end, writes to r10) is the verifier's job.
//   - callx (0x8d) takes the helper-id register in dst, as the conformance
//     data format says; it is in its own group, "callx".
//   - Versions follow clang's -mcpu levels: JLT/JLE/JSLT/JSLE are v2; JMP32
//     and the atomics other than plain add are v3; sign extension, signed
//     division, bswap and gotol are v4. Sign-extending loads are base64, as
//     they produce 64-bit values.
package isa
