"""The audit log of administrative actions (等保二级: audit of administrative actions): who did
what to which target, when and from where; ``entry`` is the pure part, ``repository`` stores,
lists and purges it."""
