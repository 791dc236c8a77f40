"""The Dockerfile builds and runs the binary the workspace really has, as a non-root user, with a
health check that needs no shell. (No image can be built here; hadolint runs in scripts/lint-deploy.)"""

import fnmatch
import json
import os
import re
import shlex
import shutil
import subprocess

import pytest

from .cfn import ROOT, load

BUILD = re.compile(r"cargo build (?P<flags>[^&\n]+?)\s*(&&|$)")
CARGO_DEADLINE_S = 1200  # may wait on the shared build lock or compile


def instructions():
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    text = (ROOT / "Dockerfile").read_text()
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = "\n".join(lines).replace("\\\n", " ")
    return [tuple(line.strip().split(None, 1)) for line in joined.splitlines() if line.strip()]


def final_stage():
    steps = instructions()
    last_from = max(i for i, (op, _) in enumerate(steps) if op == "FROM")
    return steps[last_from:]


def only(stage, op):
    (args,) = [a for o, a in stage if o == op]
    return args


def build_flags():
    (flags,) = [m.group("flags") for op, args in instructions() if op == "RUN" for m in BUILD.finditer(args)]
    return shlex.split(flags)


def entrypoint():
    return json.loads(only(final_stage(), "ENTRYPOINT"))


def test_release_build_of_one_locked_bin():
    flags = build_flags()
    assert "--release" in flags and "--locked" in flags
    assert flags[flags.index("-p") + 1] == "gateway"
    assert entrypoint() == [f"/usr/local/bin/{flags[flags.index('--bin') + 1]}"]


def test_the_image_runs_the_bin_the_build_produces():
    binary = build_flags()[build_flags().index("--bin") + 1]
    run = [a for op, a in instructions() if op == "RUN" and "cargo build" in a][0]
    assert f"target/release/{binary} /out/{binary}" in run
    assert only(final_stage(), "COPY") == f"--from=build /out/{binary} {entrypoint()[0]}"


@pytest.mark.timeout(CARGO_DEADLINE_S + 30)
def test_the_build_command_builds_that_bin_in_this_workspace():
    """The Dockerfile's cargo command, minus --release (the README's test build is debug), builds here."""
    flags = [f for f in build_flags() if f != "--release"]
    env = {**os.environ, "CARGO_TERM_COLOR": "never"}
    done = subprocess.run(["cargo", "build", *flags], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=CARGO_DEADLINE_S, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    target = os.environ.get("CARGO_TARGET_DIR", str(ROOT / "target"))
    assert os.access(os.path.join(target, "debug", flags[flags.index("--bin") + 1]), os.X_OK)


@pytest.mark.parametrize("user", [only(final_stage(), "USER")])
def test_runs_as_a_numeric_non_root_user(user):
    uid, _, gid = user.partition(":")
    assert uid.isdigit() and int(uid) != 0 and (gid == "" or int(gid) != 0)


def test_listens_on_all_interfaces_port_8080():
    env = " ".join(a for op, a in final_stage() if op == "ENV")
    assert "HOST=0.0.0.0" in env and "PORT=8080" in env
    assert only(final_stage(), "EXPOSE") == "8080"


def test_healthcheck_execs_the_binary():
    options, _, command = only(final_stage(), "HEALTHCHECK").partition("CMD ")
    assert "--interval=" in options and "--timeout=" in options
    assert json.loads(command) == [entrypoint()[0], "healthcheck"]  # exec form: no shell needed


def test_fargate_health_check_is_the_same_command():
    (container,) = load("fargate.yaml")["Resources"]["TaskDefinition"]["Properties"]["ContainerDefinitions"]
    assert container["HealthCheck"]["Command"] == ["CMD", entrypoint()[0], "healthcheck"]
    assert container["PortMappings"] == [{"ContainerPort": 8080, "Protocol": "tcp"}]



def docker_ignore_patterns():
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    patterns = [line.strip().rstrip("/") for line in lines if line.strip() and not line.startswith("#")]
    assert not any(p.startswith("!") for p in patterns), "ignored() does not handle exceptions"
    return patterns


def ignored(path, patterns):
    """Docker's matching for these patterns: anchored at the context root, `*` stays within one
    path segment, `**/` matches at any depth; a matched directory excludes everything below it."""
    parts = path.split("/")
    for pattern in patterns:
        segments = pattern.split("/")
        anywhere = segments[0] == "**"
        segments = segments[1:] if anywhere else segments
        for start in range(len(parts)) if anywhere else [0]:
            window = parts[start : start + len(segments)]
            if len(window) == len(segments) and all(map(fnmatch.fnmatchcase, window, segments)):
                return True
    return False


def test_ignore_rules_match_like_docker():
    patterns = ["target", "*.md", "**/__pycache__"]
    assert ignored("target/debug/x", patterns) and ignored("README.md", patterns)
    assert not ignored("crates/emulator/README.md", patterns)  # `*` does not cross `/`
    assert ignored("tests/python/__pycache__/a.pyc", patterns)
    assert not ignored("crates/gateway/src/main.rs", patterns)


def build_context(destination):
    """Copies the tracked files Docker would send, and returns how many it left out."""
    listing = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True, timeout=60)
    files = [f for f in listing.stdout.decode().split("\0") if f]
    patterns = docker_ignore_patterns()
    kept = [f for f in files if not ignored(f, patterns)]
    for name in kept:
        (destination / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, destination / name)
    return len(files) - len(kept)


@pytest.mark.timeout(120)
def test_the_build_context_holds_every_workspace_target(tmp_path):
    assert build_context(tmp_path) > 0  # tests/, docs/, deploy/ stay out of the image build
    assert not (tmp_path / "tests").exists() and (tmp_path / "Cargo.lock").exists()
    done = subprocess.run(["cargo", "metadata", "--no-deps", "--locked", "--offline", "--format-version", "1"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=90, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    packages = json.loads(done.stdout)["packages"]
    missing = [t["src_path"] for p in packages for t in p["targets"] if not os.path.exists(t["src_path"])]
    assert missing == []
    (gateway,) = [p for p in packages if p["name"] == build_flags()[build_flags().index("-p") + 1]]
    binary = build_flags()[build_flags().index("--bin") + 1]
    assert binary in [t["name"] for t in gateway["targets"] if "bin" in t["kind"]]
