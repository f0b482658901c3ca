"""`validate` refuses what `serve` would: every port, slot, SIM event and URL a profile
names is checked against the device at load, with file:line and the field."""

from __future__ import annotations

import subprocess
import sys

import pytest

from emulator.config.profile import ProfileError, parse_profile

BAD = """\
device:
  ports: 4
  slots: 2
sims:
  overrides:
    - slots: "9C"
      present: false
push:
  sr_url: "http://127.0.0.1:9/sr x"
scenario:
  - at: 5
    sim: {slots: "99", event: explode}
  - at: 6
    sms: {ports: "1-40"}
  - at: 7
    calls: {port: "0"}
"""


def test_every_reference_is_checked_with_its_line():
    with pytest.raises(ProfileError) as caught:
        parse_profile(BAD, "bad.yaml")
    problems = caught.value.problems
    assert any(p.startswith("bad.yaml:6: sims.overrides.0.slots: '9C'") for p in problems)
    assert any(p.startswith("bad.yaml:9: push.sr_url:") for p in problems)
    assert any(p.startswith("bad.yaml:12: scenario.0.sim.slots: '99'") for p in problems)
    assert any("scenario.0.sim.event: 'explode' is not one of" in p for p in problems)
    assert any(p.startswith("bad.yaml:14: scenario.1.sms.ports: '1-40'") for p in problems)
    assert any("scenario.2.calls.port" in p for p in problems)


def test_validate_and_serve_refuse_it_alike_without_a_traceback(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(BAD)
    run = [sys.executable, "-m", "emulator"]
    checked = subprocess.run([*run, "validate", str(path)], capture_output=True, text=True)
    assert checked.returncode == 1 and "sims.overrides.0.slots" in checked.stderr
    served = subprocess.run(
        [*run, "serve", "--profile", str(path), "--clock", "virtual", "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert served.returncode == 2
    assert "Traceback" not in served.stderr
    assert len(served.stderr.strip().splitlines()) == 1
    assert "sims.overrides.0.slots" in served.stderr
