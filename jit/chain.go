package jit

import "github.com/iovm/iovm/isa"

// Chains of blocks charged together. Each eligible block may name one
// successor, its next block, whose charge it pays in advance: a head (a
// block that charges itself) charges its whole chain at once, the blocks
// after it, its members, charge nothing. The next block is the likely
// successor (the one in the deepest loop, ties: the fall-through; never a
// loop's exit or a loop's header), so along the likely path this saves a
// charge per block. A member may have other ways in (side entries: a
// join, or several blocks naming it): every edge into a block carries
// exactly what the rest of the chain from that block costs, so an edge
// that leaves its chain early refunds the blocks it skips, and an edge
// into a member that its source did not pay for charges the rest from
// that member on the way in, with its own budget exit at that member's pc.
// Around any cycle the charges exceed the refunds by the instructions
// run, so every loop iteration checks the budget at least once.
// When a charge fails, Go steps the instructions, following jumps
// (stepRegion), until the budget runs out or a head is reached, so the
// budget still runs out before the interpreter's instruction with the
// interpreter's state.

// chainInfo is the result of chains.
type chainInfo struct {
	charge []int // charge[pc]: what the block at pc charges (0: a chain member)
	after  []int // after[pc]: what the block at pc pays for the blocks after it
	next   []int // next[pc]: the block the block at pc pays for, or -1
}

// rest returns what the chain costs from the member or head at leader pc
// on: the charge every way into it carries.
func (ci *chainInfo) rest(block []int, pc int) int {
	return block[pc] + ci.after[pc]
}

// chains links the blocks of p (block[pc]: size of the block at pc) into
// chains; eligible tells whether the block at pc may be in one.
func chains(p isa.Program, block []int, eligible func(pc int) bool, target func(pc int) (int, bool)) chainInfo {
	n := len(p)
	ci := chainInfo{charge: make([]int, n+1), after: make([]int, n+1), next: make([]int, n+1)}
	edges := make([]int, n+1) // edges into each pc
	forced := make([]bool, n+1)
	forced[0] = true // the entry
	// Per leader: the target of its block's jump and its fall-through, or -1.
	jump, fall := make([]int, n+1), make([]int, n+1)
	lead := 0
	for pc := 0; pc < n; pc++ {
		ci.next[pc] = -1
		if p.IsContinuation(pc) {
			continue
		}
		if block[pc] > 0 {
			lead = pc
			jump[pc], fall[pc] = -1, -1
		}
		ins := p[pc]
		nx := pc + ins.Slots()
		if nx > n || (nx < n && block[nx] == 0) {
			continue // not the end of a block
		}
		if t, ok := target(pc); ok {
			edges[t]++
			if ins.Opcode == isa.OpCall && ins.Src == isa.CallLocal {
				forced[t] = true // a function's entry: never a member
			} else {
				jump[lead] = t
			}
		}
		if ins.Class().IsJump() && (ins.JumpOp() == isa.JumpJA || ins.Opcode == isa.OpExit) {
			continue
		}
		if nx < n {
			edges[nx]++
			fall[lead] = nx
		}
	}
	ci.next[n] = -1
	depth, header := loops(p, block)
	for pc := 0; pc < n; pc++ {
		if block[pc] == 0 || header == nil && edges[pc] != 1 || header != nil && header[pc] || !eligible(pc) {
			forced[pc] = true // header nil: loops unknown, one way in only
		}
	}
	for f := 0; f < n; f++ {
		if block[f] == 0 || !eligible(f) {
			continue
		}
		best := -1
		for _, t := range [2]int{fall[f], jump[f]} {
			if t < 0 || forced[t] || depth[t] < depth[f] { // depth: a loop's exit, rarely taken
				continue
			}
			if best < 0 || depth[t] > depth[best] { // ties: the fall-through, which needs no jump
				best = t
			}
		}
		ci.next[f] = best
	}
	// Break cycles of next blocks (irreducible loops, or loops unknown):
	// the edge closing one is charged as a side entry.
	state := make([]uint8, n+1) // 1: on the current path, 2: done
	for pc := 0; pc < n; pc++ {
		if block[pc] == 0 || state[pc] != 0 {
			continue
		}
		b := pc
		for ; b >= 0 && state[b] == 0; b = ci.next[b] {
			state[b] = 1
		}
		if b >= 0 && state[b] == 1 { // back on the path: a cycle
			for q := b; ; q = ci.next[q] {
				if ci.next[q] == b {
					ci.next[q] = -1
					break
				}
			}
		}
		for b = pc; b >= 0 && state[b] == 1; b = ci.next[b] {
			state[b] = 2
		}
	}
	member := make([]bool, n+1)
	for pc := 0; pc < n; pc++ {
		if t := ci.next[pc]; t >= 0 {
			member[t] = true
		}
	}
	// The rest from each block: block sizes along next (acyclic now),
	// summed from the end of each path (no recursion: chains may be long).
	done := make([]bool, n+1)
	var path []int
	for pc := 0; pc < n; pc++ {
		if block[pc] == 0 || done[pc] {
			continue
		}
		path = path[:0]
		b := pc
		for ; b >= 0 && !done[b]; b = ci.next[b] {
			path = append(path, b)
		}
		sum := 0
		if b >= 0 {
			sum = block[b] + ci.after[b]
		}
		for i := len(path) - 1; i >= 0; i-- {
			q := path[i]
			ci.after[q], done[q] = sum, true
			sum += block[q]
		}
	}
	for pc := 0; pc < n; pc++ {
		if block[pc] > 0 && !member[pc] {
			ci.charge[pc] = block[pc] + ci.after[pc]
		}
	}
	return ci
}
