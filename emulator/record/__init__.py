"""The journal of everything served and pushed, the logs, and the device's flash."""
