"""Profiles: the YAML schema (`profile`, `scenario`) and the converter to the core's
configuration (`build`), which checks every reference against the device at load."""
