#!/usr/bin/python3
"""The pyst2 peer: the menu of bench/agi_server.py's `menu` route as a classic process AGI
(Asterisk starts one Python process per call). bench/ivr_peer.py copies it into the sandbox,
with pyst2 installed into the sandbox's Python."""

from asterisk.agi import AGI

agi = AGI()
agi.answer()
agi.stream_file("silence/1")
digits = agi.get_data("beep", 1000, 1)
agi.set_variable("RESULT", digits or "none")
