# A plugin that never ends: the service's instruction budget stops it.
    mov %r0, 0
loop:
    add %r0, 1
    ja loop
