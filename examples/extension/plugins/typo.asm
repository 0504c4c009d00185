# A plugin that does not assemble.
    mov %r0, 0
    exti
