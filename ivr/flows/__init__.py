"""Self-service flows: small async functions over :class:`ivr.caller.CallerIO`."""
