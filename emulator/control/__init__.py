"""The emulator's own surfaces: the control API under /_emulator/, metrics, the
dashboard and the scenario runner."""
