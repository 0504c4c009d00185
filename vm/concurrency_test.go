package vm

import (
	"sync"
	"testing"
)

// Many goroutines run one program at once on a shared region, with real
// atomics; run with -race.
func TestConcurrentAtomics(t *testing.T) {
	for _, o := range orders {
		prog := load(t, `
			lddw %r6, 0x400000000
			mov %r7, 0
		loop:
			mov %r2, 1
			lock add [%r6+0], %r2
			mov %r2, 3
			lock fetch add32 [%r6+8], %r2
			stxdw [%r10-8], %r2
			mov %r2, 1
			lock xor32 [%r6+12], %r2
		retry:
			mov %r0, 0
			lock fetch add [%r6+16], %r0
			mov %r3, %r0
			mov %r2, %r0
			add %r2, 2
			lock cmpxchg [%r6+16], %r2
			jne %r0, %r3, retry
		ok:
			add %r7, 1
			stxdw [%r1+0], %r7
			jlt %r7, 200, loop
			mov %r0, %r7
			exit`, Options{Order: o})
		shared := make([]byte, 24)
		const workers = 8
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				mem := make([]byte, 8) // private input
				for i := 0; i < 5; i++ {
					res, err := prog.Run(&Env{Mem: mem, Regions: []Region{{Data: shared, Perm: PermRW}}})
					if err != nil || res.R0 != 200 {
						t.Errorf("run: %+v %v", res, err)
						return
					}
				}
			}()
		}
		wg.Wait()
		const n = workers * 5 * 200
		if got := o.Uint64(shared); got != n {
			t.Errorf("%s: counter %d, want %d", orderName(o), got, n)
		}
		if got := o.Uint32(shared[8:]); got != 3*n {
			t.Errorf("%s: counter32 %d, want %d", orderName(o), got, 3*n)
		}
		if got := o.Uint64(shared[16:]); got != 2*n {
			t.Errorf("%s: cmpxchg counter %d, want %d", orderName(o), got, 2*n)
		}
		if got := o.Uint32(shared[12:]); got != 0 {
			t.Errorf("%s: xor32 %d, want 0", orderName(o), got)
		}
	}
}
