"""Outbound dunning campaigns: the pure core (no I/O, no clock reads; ``now`` is always passed in).

- ``model``: campaigns (target rule, schedule, mode, caps, retry policy, abandon policy),
  targets, attempts and their dispositions.
- ``schedule``: calling days and calling hours in the customer's own time zone, across DST.
- ``compliance``: ``decide()``, the check made before every single dial, with its reason.
- ``pacing``: the calls-per-second and channel caps, and progressive-mode abandon-rate control.
- ``targets``: the target rule as a filter over CRM facts, target order, and the hopper (the
  next attempts, with ids that make a restarted dialer neither lose nor repeat one).

The dialer (I/O: the CRM, Redis, AMI) calls these and logs each decision's reason.
"""
