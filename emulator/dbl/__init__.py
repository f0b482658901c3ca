"""The DBL (Hybertone) GoIP personality: the UDP "SMS server" protocol, pure and synchronous.

`protocol` turns datagrams into frozen messages and back; `line` is one line's state
machine (keepalives, pushes and their retransmission, bulk-send sessions, commands).
Sockets, HTTP and the control API are wired onto these by the server, not here.
"""
