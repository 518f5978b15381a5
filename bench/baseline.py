"""Another django-mcp to measure against (paired.py --baseline): a directory
that holds one, or a git revision of this repository, exported and built once.

A directory is either one that holds the `django_mcp` package with its
engine built (`_core*.so` next to `__init__.py`), or a checkout's root (its
`python/` is used). A revision (a commit, tag, branch or `HEAD~3`) is
exported with `git archive` into `<tmp>/django-mcp-baseline-<commit>/` and
its engine built as maturin builds it (the cdylib alone, release profile)
into `target/baseline/` of this repository (so a second revision rebuilds
only what changed). Both are kept: the next run against the same commit
starts at once.
"""

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from server import APPS

ROOT = Path(__file__).resolve().parents[1]


def _has_package(path):
    package = path / "django_mcp"
    return (package / "__init__.py").is_file() and any(package.glob("_core*.so"))


def _extension_manifest(tree):
    """The Cargo.toml of the extension module in a checkout: pyproject.toml's
    [tool.maturin] manifest-path, or the root one (commits before the engine and
    its bindings were two crates)."""
    found = re.search(r'^manifest-path\s*=\s*"([^"]+)"', (tree / "pyproject.toml").read_text(), re.M)
    return tree / (found.group(1) if found else "Cargo.toml")


def prepare(spec, log=print):
    """The directory to put on PYTHONPATH to import the baseline's django_mcp."""
    path = Path(spec).expanduser()
    if path.is_dir():
        for candidate in (path, path / "python"):
            if _has_package(candidate):
                return candidate.resolve()
        raise ValueError(f"{spec}: no django_mcp package with a built engine (_core*.so) in it or in its python/")
    found = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", f"{spec}^{{commit}}"], cwd=ROOT, capture_output=True, text=True
    )
    if found.returncode != 0:
        raise ValueError(f"{spec}: neither a directory nor a git revision of {ROOT}")
    commit = found.stdout.strip()
    dest = Path(tempfile.gettempdir()) / f"django-mcp-baseline-{commit[:12]}"
    if _has_package(dest / "python"):
        return dest / "python"
    log(f"building the baseline {spec} ({commit[:12]}) into {dest} (once: the engine as maturin builds it)")
    work = Path(tempfile.mkdtemp(prefix=dest.name + ".", dir=dest.parent))
    try:
        archive = subprocess.run(["git", "archive", "--format=tar", commit], cwd=ROOT, capture_output=True, check=True)
        # -m: the files dated now, not at their commit, so that cargo sees
        # them as newer than what an earlier revision left in the shared
        # target directory (with their commit's dates, an older revision's
        # sources look unchanged and its engine is not built at all).
        subprocess.run(["tar", "-x", "-m", "-C", str(work)], input=archive.stdout, check=True)
        target = ROOT / "target" / "baseline"
        # As maturin builds it (pip install): the cdylib alone. Where one crate
        # was both cdylib and rlib, `cargo build`'s cdylib came out 4-7 % slower.
        subprocess.run(
            [
                "cargo",
                "rustc",
                "--quiet",
                "--release",
                "--lib",
                "--crate-type",
                "cdylib",
                "--features",
                "extension-module",
                "--manifest-path",
                str(_extension_manifest(work)),
                "--target-dir",
                str(target),
            ],
            check=True,
        )
        shutil.copy(target / "release" / "lib_core.so", work / "python" / "django_mcp" / "_core.abi3.so")
        if dest.exists():  # a half-made one from an interrupted run
            shutil.rmtree(dest)
        work.rename(dest)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return dest / "python"


def imported_from(python, env):
    """Where `python` imports django_mcp from, run as a server is (bench/server.py:
    its environment `env`, from the apps directory)."""
    done = subprocess.run(
        [python, "-c", "import django_mcp, os; print(os.path.dirname(django_mcp.__file__))"],
        cwd=APPS,
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise ValueError(f"import django_mcp: {done.stderr.strip().splitlines()[-1:]}")
    return Path(done.stdout.strip()).resolve()
