# A plugin reading past the end of the request: the run faults cleanly.
    ldxdw %r0, [%r1+200]
    exit
