"""files.writable_file: output paths are refused before any work, read-only mounts included (EROFS)."""

import errno
import os
import shutil
import subprocess

import pytest

from symstab import files
from symstab.cli import main
from symstab.errors import InvalidInputError

SIM = ["simulate", "--widths", "1,1,2", "--whitened", "--target", "3;4", "--eta-C", "1/5", "--eta-ratios", "0.9",
       "--inits", "4", "--steps", "10", "--workers", "1"]


@pytest.fixture
def read_only_mount(tmp_path):
    """A read-only tmpfs at tmp_path/ro (needs root and permission to mount; skipped, with the reason, otherwise)."""
    mnt = tmp_path / "ro"
    mnt.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("a read-only mount needs root and mount(8); the EROFS path is tested with a patched open")
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(mnt)], capture_output=True,
                          text=True)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a read-only tmpfs here: {made.stderr.strip() or made.returncode}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", str(mnt)], capture_output=True)


def test_a_read_only_mount_is_refused_before_work(read_only_mount, capsys):
    with pytest.raises(InvalidInputError, match="Read-only file system"):
        files.writable_file(read_only_mount / "cp.jsonl", "--checkpoint")
    for flag, name in (("--checkpoint", "cp.jsonl"), ("--plot", "sweep.png")):
        path = read_only_mount / name
        assert main([*SIM, flag, str(path)]) == 2
        out, err = capsys.readouterr()
        assert out == "" and err.count("\n") == 1
        assert err.startswith(f"symstab simulate: error: {flag}: cannot write '{path}' (Read-only file system)")


def test_the_erofs_path_with_a_patched_open(tmp_path, monkeypatch, capsys):
    """Without a mount: open() raising EROFS, as on a read-only filesystem, gives the same one-line refusal."""
    real_open = open

    def read_only_open(path, mode="r", *args, **kwargs):
        if str(path).startswith(str(tmp_path)) and any(c in mode for c in "awx+"):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
        return real_open(path, mode, *args, **kwargs)

    monkeypatch.setattr("builtins.open", read_only_open)
    target = tmp_path / "report.tex"
    with pytest.raises(InvalidInputError, match=r"--latex: cannot write .* \(Read-only file system\)"):
        files.writable_file(target, "--latex")
    assert not target.exists()
    assert main([*SIM, "--checkpoint", str(tmp_path / "cp.jsonl")]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and "Read-only file system" in err
