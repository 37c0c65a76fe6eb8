"""Pure decisions over version specifier text: does it admit a version, and how to raise it.

Two dialects: PEP 440 specifiers (`>=1.0,<2`, from PEP 508 requirements) and Poetry
constraints (`^1.0`, `~1.0`, `1.2.*`, `>=1 <2`, `1.0 || 2.0`). Poetry text is translated
to PEP 440 to be judged, but rewritten in its own syntax.

`raise_specifier` implements SPEC §4 `update-internal-deps`, clause by clause, keeping
the clause order, operators and spacing of the original:

* `==1.0` -> `==1.1` and `===1.0` -> `===1.1` (pins are re-pinned); Poetry's exact
  `1.0` -> `1.1` and `=1.0` -> `=1.1`.
* `>=1.0` -> `>=1.1`; `>1.0` -> `>=1.1` (the release itself must be admitted).
* `~=1.0` -> `~=1.1`: a compatible-release clause keeps its number of release
  components, since that number fixes its upper bound (`~=1.0.0` with 1.1 -> `~=1.1.0`,
  `~=1.0` with 1.1.3 -> `~=1.1`). A pre/post release is kept in full (`~=0.66b0`).
* `==1.*` / `==1.0.*` (and Poetry `1.0.*`) -> the release's prefix of the same length.
* `<2` / `<=2` upper bounds are kept while they admit the release. One that excludes
  it is raised keeping its granularity: the position of its last non-zero component
  is taken from the release plus one, later components zeroed, the component count
  kept (`<2` with 2.0 -> `<3`; `<1.5` with 1.6 -> `<1.7`; `<2.0.0` with 2.1 ->
  `<3.0.0`). An inclusive `<=` that excludes the release becomes `<=release`.
* `!=` clauses are kept unless they exclude the release, then dropped.
* Poetry `^1.0` -> `^1.1` and `~1.0` -> `~1.1`: the release in full, padded to the
  clause's component count (`^1.0` with 1.1.3 -> `^1.1.3`). A one-component tilde
  (`~1`, meaning `<2`) becomes `>=1.1,<2` so its upper bound is not narrowed.
* A specifier with no lower bound (including the empty one and Poetry `*`) gets
  `>=release` in front: `<2` -> `>=1.1,<2`, `` -> `>=1.1`.
* Poetry `||` alternatives: those admitting the release are raised, those entirely
  above it kept, those below it dropped (if none admits it, the last one below it is
  raised instead).

Raising is idempotent, and the result always admits the release (checked).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, replace

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

_PEP440_OPS = ("~=", "===", "==", "!=", ">=", "<=", ">", "<")
_CLAUSE = re.compile(
    r"(?P<op>\^|~=|~|===|==|!=|>=|<=|>|<|=)?(?P<mid>\s*)"
    r"(?P<ver>[^\s,|;^~=!<>]+(?:![^\s,|;^~=!<>]+)?)"  # `!` only as an epoch separator
)
_LOWER_OPS = {"==", "===", "=", "", ">=", ">", "~=", "^", "~"}


@dataclass(frozen=True)
class _Clause:
    op: str  # "" is Poetry's exact version (or `*`)
    mid: str  # whitespace between operator and version
    ver: str

    def render(self) -> str:
        return f"{self.op}{self.mid}{self.ver}"

    @property
    def wildcard(self) -> bool:
        return self.ver.endswith("*")

    @property
    def is_lower_bound(self) -> bool:
        return self.op in _LOWER_OPS and self.ver != "*"


@dataclass(frozen=True)
class _Parsed:
    """Clauses with the separators around them: `lead + c0 + seps[0] + c1 + ... + trail`."""

    lead: str
    clauses: tuple[_Clause, ...]
    seps: tuple[str, ...]
    trail: str

    def render(self) -> str:
        body = "".join(
            clause.render() + (self.seps[i] if i < len(self.seps) else "")
            for i, clause in enumerate(self.clauses)
        )
        return f"{self.lead}{body}{self.trail}"


def admits(specifier: str, version: Version, poetry: bool = False) -> bool:
    """Whether `specifier` admits `version`, never rejecting it just for being a pre/dev release.

    Workspace packages are often at a dev version (`1.1.dev0`): `>=1.0` admits it, while
    `>=1.1` does not (PEP 440 orders `1.1.dev0` before `1.1`; judge the release version
    when that is what matters). The empty specifier admits everything.
    """
    sets = poetry_to_pep440(specifier) if poetry else [_specifier_set(specifier)]
    return any(spec.contains(version, prereleases=True) for spec in sets)


def excludes(specifier: str, version: Version, poetry: bool = False) -> bool:
    return not admits(specifier, version, poetry)


def needs_raise(
    specifier: str, release: Version, poetry: bool = False, released_in_run: bool = False
) -> bool:
    """SPEC §4: raise when the dependency is released in this run or the specifier excludes it."""
    if released_in_run:
        return raise_specifier(specifier, release, poetry) != specifier
    return excludes(specifier, release, poetry)


def poetry_to_pep440(constraint: str) -> list[SpecifierSet]:
    """Translate a Poetry constraint to PEP 440: one `SpecifierSet` per `||` alternative."""
    sets: list[SpecifierSet] = []
    for alt in _alternatives(constraint):
        clauses = (_poetry_clause_to_pep440(c) for c in _parse(alt, poetry=True).clauses)
        try:
            sets.append(SpecifierSet(",".join(c for c in clauses if c)))
        except InvalidSpecifier:
            raise _invalid(constraint, poetry=True) from None
    return sets


def raise_specifier(specifier: str, new: Version, poetry: bool = False) -> str:
    """The specifier rewritten so that its lower bound is `new` (rules in the module docstring)."""
    if poetry:
        result = _raise_poetry(specifier, new)
    else:
        _specifier_set(specifier)
        result = _raise_parsed(_parse(specifier, poetry=False), new, poetry=False).render()
    if not admits(result, new, poetry):
        raise ValueError(
            f"raising specifier {specifier!r} to {new} gave {result!r}, which excludes it"
        )
    return result


# -- parsing ------------------------------------------------------------------------------


def _specifier_set(text: str) -> SpecifierSet:
    try:
        return SpecifierSet(text)
    except InvalidSpecifier as exc:
        raise ValueError(
            f"invalid version specifier {text!r}: {exc} (expected PEP 440, e.g. '>=1.0,<2')"
        ) from None


def _alternatives(constraint: str) -> list[str]:
    return re.split(r"\|\|?", constraint)


def _parse(text: str, poetry: bool) -> _Parsed:
    matches = list(_CLAUSE.finditer(text))
    if not matches:
        if text.strip() and text.strip() != ",":
            raise _invalid(text, poetry)
        return _Parsed(text, (), (), "")
    pieces = [text[: matches[0].start()]]
    pieces += [text[a.end() : b.start()] for a, b in itertools.pairwise(matches)]
    pieces.append(text[matches[-1].end() :])
    separator = r"\s*,?\s*" if poetry else r"\s*,\s*"
    ends = r"[\s,]*"
    inner_ok = all(re.fullmatch(separator, sep) for sep in pieces[1:-1])
    if not (inner_ok and re.fullmatch(ends, pieces[0]) and re.fullmatch(ends, pieces[-1])):
        raise _invalid(text, poetry)
    clauses = tuple(_clause(m, text, poetry) for m in matches)
    return _Parsed(pieces[0], clauses, tuple(pieces[1:-1]), pieces[-1])


def _clause(match: re.Match[str], text: str, poetry: bool) -> _Clause:
    clause = _Clause(match["op"] or "", match["mid"], match["ver"])
    if poetry:
        if clause.ver != "*":
            _version(clause.ver.removesuffix(".*"), text, poetry)
    elif clause.op not in _PEP440_OPS:
        raise _invalid(text, poetry)
    return clause


def _version(text: str, where: str, poetry: bool) -> Version:
    try:
        return Version(text)
    except InvalidVersion:
        raise _invalid(where, poetry) from None


def _invalid(text: str, poetry: bool) -> ValueError:
    if poetry:
        return ValueError(
            f"invalid Poetry version constraint {text!r} (expected e.g. '^1.2', '~1.2', "
            "'1.2.*', '>=1.2,<2', '1.2.3')"
        )
    return ValueError(f"invalid version specifier {text!r} (expected PEP 440, e.g. '>=1.0,<2')")


# -- Poetry to PEP 440 --------------------------------------------------------------------


def _poetry_clause_to_pep440(clause: _Clause) -> str:
    if clause.ver == "*":
        return ""
    op = {"": "==", "=": "=="}.get(clause.op, clause.op)
    if op not in {"^", "~"}:
        return f"{op}{clause.ver}"
    version = Version(clause.ver)
    parts = list(version.release[: _given_components(clause.ver)])
    if op == "^":
        nonzero = [i for i, part in enumerate(parts) if part]
        index = nonzero[0] if nonzero else len(parts) - 1
    else:
        index = 0 if len(parts) == 1 else 1
    upper = [*parts[:index], parts[index] + 1]
    return f">={clause.ver},<{_join(upper)}"


def _given_components(text: str) -> int:
    match = re.match(r"\s*v?(?:\d+!)?(\d+(?:\.\d+)*)", text)
    return len(match.group(1).split(".")) if match else 1


# -- raising ------------------------------------------------------------------------------


def _raise_poetry(constraint: str, new: Version) -> str:
    alternatives = _alternatives(constraint)
    if len(alternatives) == 1:
        return _raise_parsed(_parse(constraint, poetry=True), new, poetry=True).render()
    separators = re.findall(r"\s*\|\|?\s*", constraint)
    stripped = [alt.strip() for alt in alternatives]
    for alt in stripped:
        _parse(alt, poetry=True)
    admitting = [i for i, alt in enumerate(stripped) if admits(alt, new, poetry=True)]
    above = {i for i, alt in enumerate(stripped) if _entirely_above(alt, new)}
    below = [i for i in range(len(stripped)) if i not in above and i not in admitting]
    to_raise = set(admitting) or set(below[-1:]) or {0}
    kept: list[str] = []
    for i, alt in enumerate(stripped):
        if i in to_raise:
            text = _raise_parsed(_parse(alt, poetry=True), new, poetry=True).render()
        elif i in above:
            text = alt
        else:
            continue
        if text not in kept:
            kept.append(text)
    joiner = separators[0] if separators else " || "
    return constraint[: len(constraint) - len(constraint.lstrip())] + joiner.join(kept)


def _entirely_above(alternative: str, new: Version) -> bool:
    lows = [
        Version(c.ver.removesuffix(".*"))
        for c in _parse(alternative, poetry=True).clauses
        if c.is_lower_bound
    ]
    return any(low > new for low in lows)


def _raise_parsed(parsed: _Parsed, new: Version, poetry: bool) -> _Parsed:
    clauses: list[_Clause] = []
    seps: list[str] = []
    default_sep = parsed.seps[0] if parsed.seps else ","
    for i, clause in enumerate(parsed.clauses):
        raised = _raise_clause(clause, new, poetry)
        if not raised:
            continue  # a dropped clause takes the separator before it along
        if clauses:
            seps.append(parsed.seps[i - 1])
        clauses.extend(raised)
        seps.extend([default_sep] * (len(raised) - 1))
    if not any(c.is_lower_bound for c in clauses):
        clauses.insert(0, _Clause(">=", "", str(new)))
        if len(clauses) > 1:
            seps.insert(0, default_sep)
    return _Parsed(parsed.lead, tuple(clauses), tuple(seps), parsed.trail)


def _raise_clause(clause: _Clause, new: Version, poetry: bool) -> list[_Clause]:
    """The clause(s) replacing `clause`; none to drop it."""
    if clause.ver == "*":
        return []
    if clause.is_lower_bound:
        return _raise_lower(clause, new)
    if _clause_admits(clause, new, poetry):
        return [clause]
    if clause.op == "!=":
        return []
    if clause.op == "<":
        return [replace(clause, ver=_raised_upper(clause.ver, new))]
    return [replace(clause, ver=str(new))]  # `<=`


def _raise_lower(clause: _Clause, new: Version) -> list[_Clause]:
    op, ver = clause.op, clause.ver
    if clause.wildcard:
        return [replace(clause, ver=_wildcard(ver, new))]
    if op == "~" and _given_components(ver) == 1:
        return [_Clause(">=", "", str(new)), _Clause("<", "", _join([new.release[0] + 1]))]
    if op == "~=":
        text = _compatible(ver, new)
    elif op in {"^", "~"}:
        text = _padded(new, _given_components(ver))
    else:
        text = str(new)
    return [replace(clause, op=">=" if op == ">" else op, ver=text)]


def _clause_admits(clause: _Clause, new: Version, poetry: bool) -> bool:
    return admits(clause.render(), new, poetry)


def _wildcard(ver: str, new: Version) -> str:
    count = _given_components(ver.removesuffix(".*"))
    return _epoch(new) + _join(_resize(new.release, count)) + ".*"


def _compatible(ver: str, new: Version) -> str:
    count = _given_components(ver)
    if len(new.release) > count:
        return _epoch(new) + _join(new.release[:count])
    return _padded(new, count)


def _raised_upper(ver: str, new: Version) -> str:
    count = _given_components(ver)
    nonzero = [i for i, part in enumerate(Version(ver).release[:count]) if part]
    index = nonzero[-1] if nonzero else count - 1
    head = _resize(new.release, index + 1)
    raised = (*head[:index], head[index] + 1)
    return _epoch(new) + _join(_resize(raised, count))


def _padded(new: Version, count: int) -> str:
    """`new` written with at least `count` release components (`1.1` padded to 3: `1.1.0`)."""
    text = str(new)
    missing = count - len(new.release)
    if missing <= 0:
        return text
    release = _join(new.release)
    head = _epoch(new)
    return head + release + ".0" * missing + text[len(head) + len(release) :]


def _resize(release: tuple[int, ...], count: int) -> tuple[int, ...]:
    return (release + (0,) * count)[:count]


def _epoch(version: Version) -> str:
    return f"{version.epoch}!" if version.epoch else ""


def _join(parts: tuple[int, ...] | list[int]) -> str:
    return ".".join(str(part) for part in parts)
