"""The push edge: delivers the device's callbacks to the user's servers."""
