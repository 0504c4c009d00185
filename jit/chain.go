package jit

import "github.com/iovm/iovm/isa"

// Chains of blocks charged together. A block whose only way in is one
// edge from the block before it in a chain is charged by the chain's
// head: the head charges the whole chain at once, and every edge that
// leaves the chain early refunds the blocks it skips. Along the likely
// path (the successor in the deepest loop; never a loop's exit) this
// saves a charge per block.
// When the head's charge fails, Go steps the chain's instructions,
// following its jumps (stepRegion), so the budget still runs out before
// the interpreter's instruction with the interpreter's state.

// chainInfo is the result of chains.
type chainInfo struct {
	charge []int // charge[pc]: what the block at pc charges (0: a chain member)
	after  []int // after[pc]: sizes of the chain's blocks after the block at pc
	next   []int // next[pc]: the chain's block after the block at pc, or -1
}

// chains links the blocks of p (block[pc]: size of the block at pc) into
// chains; eligible tells whether the block at pc may be in one.
func chains(p isa.Program, block []int, eligible func(pc int) bool, target func(pc int) (int, bool)) chainInfo {
	n := len(p)
	ci := chainInfo{charge: make([]int, n+1), after: make([]int, n+1), next: make([]int, n+1)}
	edges := make([]int, n+1) // edges into each pc
	from := make([]int, n+1)  // the leader of the block of an edge into pc
	edges[0] = 2              // the entry
	last := make([]int, n+1)  // last[leader]: its block's last pc
	lead := 0
	for pc := 0; pc < n; pc++ {
		ci.next[pc] = -1
		if p.IsContinuation(pc) {
			continue
		}
		if block[pc] > 0 {
			lead = pc
		}
		ins := p[pc]
		nx := pc + ins.Slots()
		if nx > n || (nx < n && block[nx] == 0) {
			continue // not the end of a block
		}
		last[lead] = pc
		w := 1
		if ins.Opcode == isa.OpCall && ins.Src == isa.CallLocal {
			w = 2 // a function's entry: never a member
		}
		if t, ok := target(pc); ok {
			edges[t] += w
			from[t] = lead
		}
		if ins.Class().IsJump() && (ins.JumpOp() == isa.JumpJA || ins.Opcode == isa.OpExit) {
			continue
		}
		if nx < n {
			edges[nx]++
			from[nx] = lead
		}
	}
	ci.next[n] = -1
	depth := loopDepth(p, block)
	member := make([]bool, n+1)
	for pc := 0; pc < n; pc++ {
		if block[pc] == 0 || edges[pc] != 1 || !eligible(pc) || !eligible(from[pc]) {
			continue
		}
		f := from[pc]
		if depth[pc] < depth[f] {
			continue // a loop's exit: rarely taken
		}
		if o := ci.next[f]; o >= 0 {
			// Two candidates: keep the one in more loops (ties: the
			// fall-through, which needs no jump).
			if depth[o] > depth[pc] || (depth[o] == depth[pc] && o == last[f]+p[last[f]].Slots()) {
				continue
			}
			member[o] = false
		}
		ci.next[f] = pc
		member[pc] = true
	}
	seen := make([]bool, n+1)
	for pc := 0; pc < n; pc++ {
		if block[pc] == 0 || member[pc] {
			continue
		}
		var c []int
		for b := pc; b >= 0; b = ci.next[b] {
			if b != pc && !member[b] {
				break
			}
			c = append(c, b)
		}
		ci.next[c[len(c)-1]] = -1
		sum := 0
		for i := len(c) - 1; i >= 0; i-- {
			seen[c[i]] = true
			ci.after[c[i]] = sum
			sum += block[c[i]]
		}
		ci.charge[pc] = sum
	}
	for pc := 0; pc < n; pc++ {
		if block[pc] > 0 && !seen[pc] { // a cycle of members: each charges itself
			ci.charge[pc], ci.after[pc], ci.next[pc] = block[pc], 0, -1
		}
	}
	return ci
}
