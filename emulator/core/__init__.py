"""The device itself: pure Python, no I/O, no asyncio, no wall clock.

Everything here is driven by method calls and by time read from a `Timers`
object, and says what happened by appending events to the device's outbox.
"""
