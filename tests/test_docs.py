"""Every public function documents every parameter in a numpydoc ``Parameters`` section."""

import ast
import importlib
import importlib.util
import inspect
import os
import re
from pathlib import Path

import pytest

import borderwatch
from borderwatch import GraphArrays, Profile

PUBLIC = sorted(n for n in borderwatch.__all__ if n != "__version__")
METHODS = [
    (cls, name)
    for cls in (GraphArrays, Profile)
    for name, member in vars(cls).items()
    if not name.startswith("_") and (inspect.isfunction(member) or isinstance(member, classmethod))
]


def documented_parameters(doc: str) -> set[str]:
    section = re.search(r"Parameters\n\s*-{10}\n(.*?)(\n\s*\n\s*[A-Z][a-z]+\n\s*-{3,}|\Z)", doc, re.S)
    if not section:
        return set()
    names = set()
    for line in section.group(1).splitlines():
        m = re.match(r"^\s{0,8}(\*{0,2}\w+(?:\s*,\s*\*{0,2}\w+)*)\s*(:.*)?$", line)
        if m and not line.startswith(" " * 9):
            names.update(n.strip().lstrip("*") for n in m.group(1).split(","))
    return names


def parameters(func) -> set[str]:
    return {p for p in inspect.signature(func).parameters if p not in ("self", "cls")}


def check(func, label):
    doc = inspect.getdoc(func) or ""
    assert doc, f"{label} has no docstring"
    wanted = parameters(func)
    if wanted:
        missing = wanted - documented_parameters(doc)
        assert not missing, f"{label}: Parameters section lacks {sorted(missing)}"


@pytest.mark.parametrize("name", PUBLIC)
def test_public_functions_document_every_parameter(name):
    obj = getattr(borderwatch, name)
    if inspect.isfunction(obj):
        check(obj, name)
    else:
        assert inspect.getdoc(obj), f"{name} has no docstring"


@pytest.mark.parametrize(("cls", "name"), METHODS, ids=[f"{c.__name__}.{n}" for c, n in METHODS])
def test_public_methods_document_every_parameter(cls, name):
    check(getattr(cls, name), f"{cls.__name__}.{name}")


# --- README.md and docs/*.md are kept true to the code -------------------------------------------------------
#
# Nothing here loads data or builds a graph: the checks read the Markdown, the click command tree, the Makefile
# and the public API's signatures.

REPO = Path(__file__).resolve().parents[1]
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
DOC_IDS = [str(p.relative_to(REPO)) for p in DOCS]

# Screenshots the docs link before the branch that adds them is merged (none now: the map and charts branches'
# are in). A missing file outside this set fails; a file in the set that exists fails too, so the exclusion
# cannot outlive its need.
PENDING_SCREENSHOTS: set[str] = set()
# Words after "borderwatch " in code spans that are not a command: the `coord_source` text of a snapped gate.
NOT_COMMANDS = {"snap"}

FENCE = re.compile(r"^```([\w-]*)\s*\n(.*?)^```\s*$", re.M | re.S)
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
INLINE = re.compile(r"`([^`\n]+)`")
CALL = re.compile(r"^(?:bw|borderwatch)\.[\w.]+\(.*\)$")  # an inline call such as `bw.k_routes(sc, k=3)`
REPO_PATH = re.compile(r"^(?:borderwatch|scripts|benchmarks|scenarios|notebooks|tests|docs|data)/[\w./-]*\w\.\w+$")


def split_markdown(text: str) -> tuple[str, list[tuple[str, str]]]:
    """The prose (fenced blocks blanked out) and the fenced blocks as (language, body)."""
    blocks = [(m.group(1), m.group(2)) for m in FENCE.finditer(text)]
    return FENCE.sub("", text), blocks


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: markup and punctuation dropped, lower case, spaces to hyphens."""
    text = re.sub(r"<[^>]+>", "", heading).strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(text: str) -> set[str]:
    prose, _ = split_markdown(text)
    seen: dict[str, int] = {}
    found = set()
    for m in re.finditer(r"^#{1,6}\s+(.+?)\s*#*\s*$", prose, re.M):
        base = slug(m.group(1))
        n = seen.get(base, 0)
        seen[base] = n + 1
        found.add(base if n == 0 else f"{base}-{n}")
    return found


def broken_links(path: Path, text: str, *, root: Path) -> list[str]:
    """Every relative link or image of a Markdown file whose target (or anchor) does not exist."""
    prose, _ = split_markdown(text)
    prose = INLINE.sub("", prose)
    problems = []
    for m in LINK.finditer(prose):
        target = m.group(1)
        if re.match(r"^[a-z][a-z+.-]*:", target):  # http:, https:, mailto:
            continue
        file_part, _, anchor = target.partition("#")
        dest = (path.parent / file_part).resolve() if file_part else path
        if not dest.exists():
            rel = os.path.relpath(dest, root)
            if rel not in PENDING_SCREENSHOTS:
                problems.append(f"{path.name}: link {target!r}: {rel} does not exist")
            continue
        if anchor and dest.suffix == ".md" and anchor not in anchors(dest.read_text(encoding="utf-8")):
            problems.append(f"{path.name}: link {target!r}: no heading #{anchor} in {dest.name}")
    return problems


def command_lines(text: str) -> list[str]:
    """Every command line in code: fenced lines (continuation lines joined, comments cut) and inline spans."""
    prose, blocks = split_markdown(text)
    lines = [m.group(1) for m in INLINE.finditer(prose)]
    for lang, body in blocks:
        if lang not in ("", "sh", "console", "bash"):
            continue
        logical: list[str] = []
        for raw in body.splitlines():
            line = re.sub(r"\s#\s.*$", "", raw)
            if line[:1].isspace() and logical:
                logical[-1] += " " + line.strip()
            else:
                logical.append(line.strip())
        lines.extend(logical)
    return lines


def cli_problems(text: str, commands: dict[str, set[str]]) -> list[str]:
    """Commands and options named in code that the CLI does not have.

    A line that starts with ``borderwatch WORD`` names a command; inside a line, a command's name followed by an
    option (``rank-gates --stability-seeds 3``) names that command's option.
    """
    names = "|".join(sorted(map(re.escape, commands), key=len, reverse=True))
    start = re.compile(r"^(?:\$\s+|nohup\s+|\S*/)?borderwatch\s+([a-z][\w|-]*)(.*)$")
    inside = re.compile(rf"(?<![\w./-])({names})((?:\s+--[^\s;]*(?:\s+(?!--)[^\s;]+)*)+)")
    problems = []
    for line in command_lines(text):
        m = start.match(line)
        calls = [(m.group(1).split("|"), m.group(2))] if m and m.group(1) not in NOT_COMMANDS else []
        if not m:
            calls = [([c.group(1)], c.group(2)) for c in inside.finditer(line)]
        for named, rest in calls:
            for name in named:
                if name not in commands:
                    problems.append(f"`{line}`: no command {name!r}")
                    continue
                for option in re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", rest):
                    if option not in commands[name]:
                        problems.append(f"`{line}`: {name} has no option {option}")
    return problems


def cli_commands() -> dict[str, set[str]]:
    from borderwatch.cli import main

    return {
        name: {"--help", *(o for p in cmd.params for o in (*p.opts, *p.secondary_opts) if o.startswith("--"))}
        for name, cmd in main.commands.items()
    }


def make_targets() -> set[str]:
    return set(re.findall(r"^([\w-]+):", (REPO / "Makefile").read_text(encoding="utf-8"), re.M))


def compiles(code: str) -> bool:
    """Whether inline code is a Python expression (a signature such as ``f(a, *, b=1)`` is not)."""
    try:
        ast.parse(code, mode="eval")
    except SyntaxError:
        return False
    return True


def api_problems(source: str) -> list[str]:
    """A Python example that does not compile, names what borderwatch lacks, or passes arguments it refuses."""
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        return [f"does not compile: {exc}"]
    modules: dict[str, object] = {"bw": borderwatch}  # the docs' alias, also in examples that do not import it
    objects: dict[str, object] = {}
    problems = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "borderwatch":
                    modules[alias.asname or alias.name] = importlib.import_module(alias.name)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "borderwatch":
            module = importlib.import_module(node.module)
            for alias in node.names:
                name = alias.asname or alias.name
                if hasattr(module, alias.name):
                    value = getattr(module, alias.name)
                    (modules if inspect.ismodule(value) else objects)[name] = value
                elif importlib.util.find_spec(f"{node.module}.{alias.name}"):  # a submodule not yet imported
                    modules[name] = importlib.import_module(f"{node.module}.{alias.name}")
                else:
                    problems.append(f"from {node.module} import {alias.name}: no such name")

    def resolve(expr: ast.expr) -> object | None:
        if isinstance(expr, ast.Name):
            return modules.get(expr.id, objects.get(expr.id))
        if isinstance(expr, ast.Attribute) and isinstance(expr.value, (ast.Name, ast.Attribute)):
            owner = resolve(expr.value)
            if owner is None:
                return None
            if not hasattr(owner, expr.attr):
                problems.append(f"{ast.unparse(expr)}: {getattr(owner, '__name__', owner)} has no {expr.attr!r}")
                return None
            return getattr(owner, expr.attr)
        return None

    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            resolve(node)
        if isinstance(node, ast.Call) and callable(target := resolve(node.func)):
            if any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords):
                continue
            try:
                signature = inspect.signature(target)
            except (TypeError, ValueError):
                continue
            try:
                signature.bind_partial(*node.args, **{k.arg: k.value for k in node.keywords})
            except TypeError as exc:
                problems.append(f"{ast.unparse(node)}: {exc}")
    return list(dict.fromkeys(problems))  # an attribute is met once alone and once as a call


def test_the_checks_catch_what_they_check(tmp_path):
    (tmp_path / "there.md").write_text("# A heading, with `code`\n", encoding="utf-8")
    page = tmp_path / "page.md"
    text = (
        "[ok](there.md#a-heading-with-code) [gone](missing.md) [bad anchor](there.md#nope) ![img](pic.png)\n"
        "```\nborderwatch routes --to Hanoi\n    --colour red\nborderwatch fly --k 1\n```\n"
        "and `interdict --k 3 --nope` and `borderwatch list destinations|gates|seaports`\n"
    )
    assert broken_links(page, text, root=tmp_path) == [
        "page.md: link 'missing.md': missing.md does not exist",
        "page.md: link 'there.md#nope': no heading #nope in there.md",
        "page.md: link 'pic.png': pic.png does not exist",
    ]
    assert cli_problems(text, cli_commands()) == [
        "`interdict --k 3 --nope`: interdict has no option --nope",
        "`borderwatch routes --to Hanoi --colour red`: routes has no option --colour",
        "`borderwatch fly --k 1`: no command 'fly'",
    ]
    assert api_problems("import borderwatch as bw\nbw.k_routes(1, 2, 3, 4, 5, colour=1)\nbw.nothing_here\n") == [
        "bw.k_routes(1, 2, 3, 4, 5, colour=1): too many positional arguments",
        "bw.nothing_here: borderwatch has no 'nothing_here'",
    ]
    assert api_problems("x = (") and slug("`borderwatch list a|b [--json]`: é") == "borderwatch-list-ab---json-é"


@pytest.mark.parametrize("path", DOCS, ids=DOC_IDS)
def test_relative_links_and_images_resolve(path):
    assert broken_links(path, path.read_text(encoding="utf-8"), root=REPO) == []


def test_pending_screenshots_are_still_pending():
    arrived = sorted(p for p in PENDING_SCREENSHOTS if (REPO / p).exists())
    assert arrived == [], f"{arrived} exist now: remove them from PENDING_SCREENSHOTS so their links are checked"


@pytest.mark.parametrize("path", DOCS, ids=DOC_IDS)
def test_command_lines_match_the_cli(path):
    assert cli_problems(path.read_text(encoding="utf-8"), cli_commands()) == []


@pytest.mark.parametrize("path", DOCS, ids=DOC_IDS)
def test_make_targets_exist(path):
    lines = command_lines(path.read_text(encoding="utf-8"))
    named = {t for line in lines for t in re.findall(r"(?<![\w-])make\s+([a-z][\w-]*)", line)}
    assert named - make_targets() == set()


@pytest.mark.parametrize("path", DOCS, ids=DOC_IDS)
def test_repository_paths_in_code_exist(path):
    prose, _ = split_markdown(path.read_text(encoding="utf-8"))
    named = {m.group(1) for m in INLINE.finditer(prose) if REPO_PATH.match(m.group(1))}
    assert sorted(p for p in named if not (REPO / p).exists() and p not in PENDING_SCREENSHOTS) == []


@pytest.mark.parametrize("path", DOCS, ids=DOC_IDS)
def test_python_examples_match_the_api(path):
    prose, blocks = split_markdown(path.read_text(encoding="utf-8"))
    python = [body for lang, body in blocks if lang == "python"]
    python += [code for code in map(str.strip, INLINE.findall(prose)) if CALL.match(code) and compiles(code)]
    assert [f"example {i}: {p}" for i, body in enumerate(python) for p in api_problems(body)] == []


def test_readme_is_short_and_planner_first():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    headings = re.findall(r"^## (.+)$", split_markdown(text)[0], re.M)
    assert len(text.splitlines()) <= 350
    assert headings[:2] == ["What a planner can do", "Reading the report folder"]
    assert headings.index("Set up") < headings.index("Key results on the shipped data")
    linked = set(re.findall(r"\]\((docs/[\w.-]+\.md)", text))
    assert {str(p.relative_to(REPO)) for p in DOCS[1:]} <= linked, "every docs page is linked from the README"


@pytest.mark.parametrize("name", ["README.md", "docs/maps.md"])
def test_report_file_tables_list_every_file_the_report_writes(name):
    from borderwatch.report import REPORT_FILES

    tables = "\n".join(line for line in (REPO / name).read_text(encoding="utf-8").splitlines() if line.startswith("|"))
    listed = set(re.findall(r"`([\w.]+\.(?:html|csv|json|geojson))`", tables))
    assert sorted(set(REPORT_FILES) - listed) == []
