"""Every public function documents every parameter in a numpydoc ``Parameters`` section."""

import inspect
import re

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
