"""No Docker daemon here: check the Dockerfile runs the README's commands and no others."""

import re
from pathlib import Path

DOCKERFILE = Path(__file__).parents[2] / "Dockerfile"


def instructions():
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    return [
        (m[1].upper(), m[2].strip())
        for m in re.finditer(r"^\s*([A-Za-z]+)\s+(.*)$", text, re.MULTILINE)
        if not m[0].lstrip().startswith("#")
    ]


def test_build_steps_are_the_readme_install():
    runs = [arg for op, arg in instructions() if op == "RUN"]
    assert runs[-1] == "make runtime"  # runtime dependencies only
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    makefile = (Path(__file__).parents[2] / "Makefile").read_text()
    assert "make test" in readme and "make run" in readme
    assert re.search(r"^test: install", makefile, re.MULTILINE)
    assert re.search(r"^\$\(STAMP\): \$\(RUNTIME_STAMP\)", makefile, re.MULTILINE)
    assert re.search(r"^run: runtime", makefile, re.MULTILINE)
    assert all("pip" not in r for r in runs)  # installing goes through make only


def test_runs_unprivileged_with_a_health_check_on_the_control_api():
    ops = dict(instructions())
    assert ops["FROM"].startswith("python:3.11-slim")
    assert ops["USER"] not in ("root", "0")
    assert "goip-emulator health --ready-file" in ops["HEALTHCHECK"]
    assert "goip-emulator" in ops["ENTRYPOINT"] and "serve" in ops["ENTRYPOINT"]
    assert "GOIP_PROFILE" in ops["ENV"] and "GOIP_PORT" in ops["ENV"]
