"""The helps: every subcommand has 2-3 examples that run, every flag has a help text, and the
README's CLI block and docs/cli.md are the ones generated from the helps (symstab.cli.reference).

The tests iterate over whatever subcommands are registered, so a new subcommand or flag is
covered as soon as it is added. Examples run through ``symstab.cli.main`` (the console
script's function) in a temporary directory, so their relative output paths land there; the
repository files they read (certificates, ...) are copied in first.
"""

import argparse
import glob
import pathlib
import shlex
import shutil

import pytest

from symstab.cli import build_parser, main
from symstab.cli.reference import BEGIN, END, cli_markdown, examples, readme_block, subcommands, update

ROOT = pathlib.Path(__file__).resolve().parents[1]
PARSER = build_parser()
SUBCOMMANDS = subcommands(PARSER)

#: Flags the tests add to a subcommand's examples when the example does not set them: the same
#: command, cheaper (no process pool; a coarser grid, a shorter transient).
FAST = {"simulate": {"--workers": "1"}, "bifurcation": {"--n-eta": "30", "--steps": "500"}}

#: Examples measured above 10 s under shared load (test ids): marked slow, run with ``-m slow``.
#: bifurcation 1-2: the exact 2-cycle overlay of (1,1,1) at every grid step (6-21 s).
SLOW = {"bifurcation-1", "bifurcation-2"}

CASES = [pytest.param(name, line, id=f"{name}-{i}",
                      marks=[pytest.mark.slow] if f"{name}-{i}" in SLOW else [])
         for name, sub in SUBCOMMANDS.items() for i, line in enumerate(examples(sub), 1)]


def _argv(line):
    argv = shlex.split(line, comments=True)
    assert argv[0] == "symstab"
    return argv[1:]


@pytest.mark.parametrize("name", list(SUBCOMMANDS))
def test_every_subcommand_has_two_or_three_examples_of_itself(name):
    sub = SUBCOMMANDS[name]
    assert sub.formatter_class is argparse.RawDescriptionHelpFormatter or \
        issubclass(sub.formatter_class, argparse.RawDescriptionHelpFormatter)
    lines = examples(sub)
    assert 2 <= len(lines) <= 3, f"symstab {name} --help has {len(lines)} examples"
    for line in lines:
        argv = _argv(line)
        assert argv[0] == name, line
        assert not any(a.startswith("/") for a in argv), f"absolute path in an example: {line}"
        assert "examples:" in sub.format_help()


@pytest.mark.parametrize("name", list(SUBCOMMANDS))
def test_every_flag_has_a_help_text(name):
    missing = [a.option_strings or [a.dest] for a in SUBCOMMANDS[name]._actions if not (a.help or "").strip()]
    assert not missing, f"symstab {name}: no help text for {missing}"


def test_the_top_level_help_lists_every_subcommand(capsys):
    with pytest.raises(SystemExit) as exc:
        PARSER.parse_args(["--help"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    assert all(name in text for name in SUBCOMMANDS)


def _stage(argv, tmp_path):
    """Copy the repository files (or globs) an example reads into tmp_path; expand globs."""
    out = []
    for arg in argv:
        value = arg.split("=", 1)[1] if arg.startswith("--") and "=" in arg else arg
        matches = sorted(glob.glob(value, root_dir=ROOT)) if any(c in value for c in "*?[") else \
            ([value] if not value.startswith("-") and (ROOT / value).exists() and value not in (".", "..") else [])
        for rel in matches:
            src, dst = ROOT / rel, tmp_path / rel
            dst.parent.mkdir(parents=True, exist_ok=True)
            if src.is_dir():
                shutil.copytree(src, dst, dirs_exist_ok=True)
            else:
                shutil.copy2(src, dst)
        out.extend(matches if any(c in value for c in "*?[") else [arg])
    return out


@pytest.mark.parametrize(("name", "line"), CASES)
def test_every_example_runs(name, line, tmp_path, monkeypatch, capsys):
    argv = _stage(_argv(line), tmp_path)
    for flag, value in FAST.get(name, {}).items():
        if not any(a == flag or a.startswith(flag + "=") for a in argv):
            argv += [flag, value]
    monkeypatch.chdir(tmp_path)
    code = main(argv)
    out, err = capsys.readouterr()
    assert code == 0, f"{line!r} exited {code}: {err}"
    assert "error" not in err and "Traceback" not in err
    assert out.strip() or any(tmp_path.iterdir()), f"{line!r} printed and wrote nothing"


def test_the_readme_and_docs_cli_are_generated_from_the_helps():
    stale = update(ROOT, check=True)
    assert not stale, (f"out of date: {[str(p.relative_to(ROOT)) for p in stale]}; "
                       "regenerate with `python -m symstab.cli.reference`")


def test_the_reference_names_every_subcommand_flag_and_example():
    block, doc = readme_block(PARSER), cli_markdown(PARSER)
    assert block.startswith(BEGIN) and block.endswith(END)
    for name, sub in SUBCOMMANDS.items():
        assert f"## symstab {name}" in doc and f"- `{name}`:" in block
        for action in sub._actions:
            for flag in action.option_strings:
                if flag not in ("-h", "--help"):
                    assert f"`{flag}" in doc or f"{flag} " in doc or f"{flag}`" in doc, (name, flag)
                    assert f"`{flag}`" in block.split(f"- `{name}`:")[1].splitlines()[0], (name, flag)
        for line in examples(sub):
            assert line in block and line in doc


def test_update_rewrites_a_stale_block(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "README.md").write_text(f"intro\n{BEGIN}\nstale\n{END}\noutro\n", encoding="utf-8")
    assert len(update(tmp_path, check=True)) == 2
    assert len(update(tmp_path)) == 2
    assert update(tmp_path, check=True) == []
    text = (tmp_path / "README.md").read_text(encoding="utf-8")
    assert text.startswith("intro\n") and text.endswith("\noutro\n") and "stale" not in text
