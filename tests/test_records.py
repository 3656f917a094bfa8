"""``@record`` behaves as ``dataclass(frozen=True, slots=True)`` does, class by class: the
same constructor (positional, keyword, defaults, factories, errors), equality, hashing, repr,
immutability, slots, copy and pickle, and the dataclasses functions; with each of its three
``__init__``s (the generic one, one from a template, one compiled)."""

from __future__ import annotations

import copy
import dataclasses
import pickle
import runpy
import subprocess
import sys
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from handsetguard import records
from handsetguard.records import inits, record

INITS = ["generic", "template", "compiled"]


def use_init(monkeypatch: pytest.MonkeyPatch, which: str) -> None:
    """Make the records defined next get their ``which`` ``__init__`` from the first call on
    (the generic one: never another)."""
    never = 10**9
    monkeypatch.setattr(inits, "TEMPLATE_AFTER", 1 if which == "template" else never)
    monkeypatch.setattr(inits, "COMPILE_AFTER", 1 if which == "compiled" else never)
    if which == "compiled":
        monkeypatch.setattr(inits, "TEMPLATE_FIELDS", -1)  # no template fits


def _pair(body: dict[str, object], theirs: dict[str, object] | None = None) -> tuple[type, type]:
    """The same class body as a record and as a frozen slotted dataclass (``theirs``: the
    dataclass's body, when the record's uses records.field)."""
    built = []
    for name, decorate, given in (
        ("Ours", record, body),
        ("Theirs", dataclass(frozen=True, slots=True), theirs or body),
    ):
        namespace = {"__annotations__": dict(given["__annotations__"])}  # type: ignore[call-overload]
        namespace.update({k: v for k, v in given.items() if k != "__annotations__"})
        namespace["__qualname__"] = name
        namespace["__module__"] = __name__
        built.append(decorate(type(name, (), namespace)))
        globals()[name] = built[-1]  # so that pickle finds the class
    return built[0], built[1]


def _body(make_field: Any) -> dict[str, object]:
    return {
        "__annotations__": {
            "name": "str",
            "count": "int",
            "tags": "list[str]",
            "note": "str | None",
        },
        "count": 0,
        "tags": make_field(default_factory=list, hash=False),
        "note": make_field(default=None, compare=False, repr=False),
    }


BODY = _body(field)
OUR_BODY = _body(records.field)  # the same fields given by records.field

CALLS = [
    (("a",), {}),
    (("a", 2), {}),
    (("a",), {"tags": ["x"], "note": "n"}),
    ((), {"name": "b", "count": 3}),
    (("a", 1, ["t"], "z"), {}),
]

BAD_CALLS = [
    ((), {}),
    (("a", 1, [], None, "extra"), {}),
    (("a",), {"name": "again"}),
    (("a",), {"colour": "red"}),
]


@pytest.mark.parametrize("body", [BODY, OUR_BODY], ids=["dataclasses.field", "records.field"])
@pytest.mark.parametrize("which", INITS)
def test_same_objects_as_a_frozen_slotted_dataclass(
    which: str, body: dict[str, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    use_init(monkeypatch, which)
    ours, theirs = _pair(body, BODY)
    for args, kwargs in CALLS:
        a, b = ours(*args, **kwargs), theirs(*args, **kwargs)
        assert type(a) is ours  # set up as its open twin, then given its class back
        assert dataclasses.astuple(a) == dataclasses.astuple(b)
        assert dataclasses.asdict(a) == dataclasses.asdict(b)
        assert repr(a).replace("Ours(", "(") == repr(b).replace("Theirs(", "(")
        assert a == ours(*args, **kwargs) and (a != ours("other"))
        assert a.__eq__(b) is NotImplemented  # another class is never equal
        with pytest.raises(dataclasses.FrozenInstanceError):
            a.name = "changed"  # type: ignore[misc]
        with pytest.raises(dataclasses.FrozenInstanceError):
            del a.count  # type: ignore[misc]
        with pytest.raises(AttributeError):
            a.extra = 1  # type: ignore[attr-defined]
        assert copy.copy(a) == a and copy.deepcopy(a) == a
        assert pickle.loads(pickle.dumps(a)) == a
        assert dataclasses.replace(a, count=9).count == 9
        assert records.replace(a, count=9) == dataclasses.replace(a, count=9)
        assert records.replace(a) == a and records.replace(a) is not a
    names = [f.name for f in dataclasses.fields(ours)]
    assert names == [f.name for f in dataclasses.fields(theirs)]
    assert dataclasses.is_dataclass(ours) and not hasattr(ours("a"), "__dict__")
    assert ours.__match_args__ == theirs.__match_args__
    # The default factory gives each object its own list.
    assert ours("a").tags is not ours("a").tags
    # compare=False and hash=False fields are left out as dataclasses leave them out.
    assert ours("a", note="x") == ours("a", note="y")
    assert hash(ours("a", tags=["x"])) == hash(ours("a", tags=["y"]))  # tags: hash=False
    assert hash(ours("a")) != hash(ours("b"))
    for args, kwargs in BAD_CALLS:
        with pytest.raises(TypeError) as mine:
            ours(*args, **kwargs)
        with pytest.raises(TypeError):
            theirs(*args, **kwargs)
        assert "__init__()" in str(mine.value)


def test_a_list_in_the_hash_fails_as_in_a_dataclass() -> None:
    ours, theirs = _pair({"__annotations__": {"items": "list[int]"}})
    for cls in (ours, theirs):
        with pytest.raises(TypeError, match="unhashable"):
            hash(cls([1]))


def test_definition_errors_match_dataclasses() -> None:
    with pytest.raises(ValueError, match="mutable default"):
        _pair({"__annotations__": {"items": "list[int]"}, "items": []})
    with pytest.raises(TypeError, match="non-default argument"):
        _pair({"__annotations__": {"a": "int", "b": "int"}, "a": 1})


@pytest.mark.parametrize(
    "body",
    [
        {"__annotations__": {"a": "ClassVar[int]"}},
        {"__annotations__": {"a": "int"}, "a": field(default=1, init=False)},
        {"__annotations__": {"a": "int"}, "a": field(default=1, kw_only=True)},
        {"__annotations__": {"a": "int"}, "__post_init__": lambda _self: None},
    ],
)
def test_what_a_record_refuses(body: dict[str, object]) -> None:
    namespace = {**body, "__module__": __name__}
    with pytest.raises(TypeError, match="@dataclass"):
        record(type("Refused", (), namespace))


@pytest.mark.parametrize("fitting", [True, False])
def test_its_own_init_after_a_few_instances(fitting: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """A template's after TEMPLATE_AFTER instances, else (no template fits) a compiled one
    after COMPILE_AFTER: nothing compiled while a template fits."""
    if not fitting:
        monkeypatch.setattr(inits, "TEMPLATE_FIELDS", 3)  # the body has four fields
    ours, _ = _pair(BODY)
    generic = ours.__init__
    compiled: list[str] = []
    compile_init = inits.compiled_init
    monkeypatch.setattr(
        inits,
        "compiled_init",
        lambda cls, *rest: compiled.append(cls.__name__) or compile_init(cls, *rest),
    )
    for n in range(inits.TEMPLATE_AFTER):
        ours(str(n))
    assert (ours.__init__ is not generic) == fitting
    for n in range(inits.COMPILE_AFTER):
        ours(str(n))
    assert ours.__init__ is not generic
    assert compiled == ([] if fitting else ["Ours"])
    assert ours.__init__.__code__.co_filename == "<record Ours>"
    assert ours.__init__.__qualname__ == "Ours.__init__"
    assert ours("z", 2) == ours(name="z", count=2)


@pytest.mark.parametrize("which", INITS)
def test_a_frozen_record_keeps_its_class_and_a_subclass_its_own(
    which: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_init(monkeypatch, which)
    failing = iter([None, ValueError("factory failed"), None])

    def factory() -> list[str]:
        problem = next(failing)
        if problem is not None:
            raise problem
        return []

    @record
    class Four:
        a: int
        b: int = 2
        c: list[str] = records.field(default_factory=factory, hash=False)
        d: str = "d"

    class Child(Four):  # no slots of its own: another layout than the record's twin
        pass

    assert type(Four(0)) is Four  # the generic __init__, then the one asked for
    with pytest.raises(ValueError, match="factory failed"):
        Four(1)  # the __init__'s factory raises midway
    made = Four(1)
    assert type(made) is Four and (made.a, made.b, made.c, made.d) == (1, 2, [], "d")
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.a = 3  # type: ignore[misc]
    child = Child(5, c=["x"])
    assert type(child) is Child and (child.a, child.c) == (5, ["x"])
    made_for_it = Four.__init__.__code__.co_filename == "<record Four>"
    assert made_for_it == (which != "generic")


def test_own_methods_are_kept() -> None:
    body = {"__annotations__": {"a": "int"}, "__repr__": lambda _self: "mine"}
    ours, _ = _pair(body)
    assert repr(ours(1)) == "mine"


@pytest.mark.parametrize("which", INITS)
def test_a_mutable_record_is_a_slotted_dataclass(
    which: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``@mutable_record`` against ``dataclass(slots=True)``: the same objects, fields
    assignable, compared by their fields and unhashable, no other attribute."""
    use_init(monkeypatch, which)
    built = []
    for name, decorate in (("Mine", records.mutable_record), ("Yours", dataclass(slots=True))):
        namespace = {**BODY, "__qualname__": name}
        namespace["__annotations__"] = dict(BODY["__annotations__"])  # type: ignore[call-overload]
        namespace["__module__"] = __name__
        built.append(decorate(type(name, (), namespace)))
    ours, theirs = built
    for args, kwargs in CALLS:
        a, b = ours(*args, **kwargs), theirs(*args, **kwargs)
        assert dataclasses.astuple(a) == dataclasses.astuple(b)
        assert repr(a).replace("Mine(", "(") == repr(b).replace("Yours(", "(")
        assert a == ours(*args, **kwargs)
        a.count = 41
        a.count += 1
        assert a.count == 42 and a != ours(*args, **kwargs)
        with pytest.raises(AttributeError):
            a.extra = 1  # type: ignore[attr-defined]
        with pytest.raises(TypeError, match="unhashable"):
            hash(a)
    assert ours("a").tags is not ours("a").tags
    assert [f.name for f in dataclasses.fields(ours)] == [
        f.name for f in dataclasses.fields(theirs)
    ]
    for args, kwargs in BAD_CALLS:
        with pytest.raises(TypeError):
            ours(*args, **kwargs)


def test_replace_refuses_a_name_that_is_no_field_and_passes_other_dataclasses_on() -> None:
    ours, theirs = _pair(OUR_BODY, BODY)
    with pytest.raises(TypeError, match="unexpected keyword argument 'colour'"):
        records.replace(ours("a"), colour="red")
    assert records.replace(theirs("a"), count=2) == theirs("a", 2)  # dataclasses.replace's


def test_both_default_and_factory_are_refused_as_by_dataclasses() -> None:
    with pytest.raises(ValueError, match="both default and default_factory"):
        records.field(default=1, default_factory=list)


def test_a_mutable_record_may_be_weakly_referenced_when_asked() -> None:
    namespace = {"__annotations__": {"a": "int"}, "__module__": __name__}
    plain = records.mutable_record(type("Plain", (), dict(namespace)))
    referable = records.mutable_record(weakref_slot=True)(type("Referable", (), dict(namespace)))
    with pytest.raises(TypeError):
        weakref.ref(plain(1))
    kept = referable(1)
    assert weakref.ref(kept)() is kept and not hasattr(kept, "__dict__")
    assert [f.name for f in dataclasses.fields(referable)] == ["a"]


_WITHOUT_DATACLASSES = """\
import sys
from handsetguard import records

@records.record
class Point:
    x: int
    tags: list = records.field(default_factory=list, hash=False)

@records.mutable_record
class Box:
    size: int = 0

p = records.replace(Point(1), x=2)
b = Box()
b.size = 3
print(p == Point(2), hash(p) == hash(Point(2)), repr(p), b.size, "dataclasses" in sys.modules)
import dataclasses
print([f.name for f in dataclasses.fields(Point)], dataclasses.is_dataclass(p))
"""


def test_records_are_made_and_used_without_importing_dataclasses() -> None:
    """Defining, making, comparing, hashing and replacing records import no dataclasses (and
    so no inspect, ast or dis: ~11% of ``check --example``); dataclasses.fields still reads
    them once something imports it."""
    done = subprocess.run(
        [sys.executable, "-c", _WITHOUT_DATACLASSES],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert done.stdout.splitlines() == [
        "True True Point(x=2, tags=[]) 3 False",
        "['x', 'tags'] True",
    ]


def test_the_generic_located_is_slotted() -> None:
    """device.Located derives from a run-time stand-in for typing.Generic (typing is not
    imported by a check): its instances still have slots only, and it still subscripts."""
    from handsetguard.device import Located
    from handsetguard.evidence import Provenance

    located = Located([1], Provenance("bugreport.txt", 3))
    assert not hasattr(located, "__dict__") and located.value == [1]
    assert Located[int] is not None  # as an annotation evaluated at run time would
    with pytest.raises(dataclasses.FrozenInstanceError):
        located.value = []  # type: ignore[misc]


def test_the_templates_module_is_what_its_script_writes() -> None:
    tool = Path(__file__).resolve().parents[1] / "tools" / "derive_record_inits.py"
    derived = runpy.run_path(str(tool))
    written = Path(inits.__file__).with_name("templates.py").read_text(encoding="utf-8")
    assert written == derived["derive"](), "run: python tools/derive_record_inits.py"
    assert derived["MAX_FIELDS"] == inits.TEMPLATE_FIELDS


def _sized(n: int, decorate: Any, name: str) -> type:
    """A class of ``n`` fields: the first half required, then defaults, the last (of three or
    more) with a default factory."""
    annotations: dict[str, object] = {f"x{i}": "object" for i in range(n)}
    namespace: dict[str, object] = {"__annotations__": annotations, "__module__": __name__}
    for i in range(n // 2, n):
        namespace[f"x{i}"] = i
    if n >= 3:
        namespace[f"x{n - 1}"] = field(default_factory=list)
    namespace["__qualname__"] = name
    return decorate(type(name, (), namespace))  # type: ignore[no-any-return]


@pytest.mark.parametrize("n", range(inits.TEMPLATE_FIELDS + 1))
def test_a_template_for_every_number_of_fields(n: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each template, frozen and not, binds and stores as dataclasses' own ``__init__``."""
    use_init(monkeypatch, "template")
    for ours_decorate, theirs_decorate in (
        (record, dataclass(frozen=True, slots=True)),
        (records.mutable_record, dataclass(slots=True)),
    ):
        ours = _sized(n, ours_decorate, "Sized")
        theirs = _sized(n, theirs_decorate, "Sized")
        required = [f"r{i}" for i in range(n // 2)]
        a, b = ours(*required), theirs(*required)
        assert ours.__init__.__code__.co_filename == "<record Sized>"  # a template's
        assert dataclasses.astuple(a) == dataclasses.astuple(b)
        assert type(a) is ours
        everything = {f"x{i}": f"v{i}" for i in range(n)}
        assert dataclasses.astuple(ours(**everything)) == dataclasses.astuple(theirs(**everything))
        assert dataclasses.astuple(ours(*everything.values())) == tuple(everything.values())
        if n >= 3:
            assert a.__getattribute__(f"x{n - 1}") == [] and ours(*required) is not a
        if ours_decorate is record and n:
            with pytest.raises(dataclasses.FrozenInstanceError):
                a.x0 = 1
        for args, kwargs in (((*required, *range(n + 1)), {}), ((), {"x0": 1, "colour": 2})):
            with pytest.raises(TypeError) as mine:
                ours(*args, **kwargs)
            with pytest.raises(TypeError) as theirs_error:
                theirs(*args, **kwargs)
            assert str(mine.value) == str(theirs_error.value).replace("Sized", "Sized")


def test_a_field_named_as_the_inits_own_parts_is_refused() -> None:
    namespace = {"__annotations__": {"__record_self__": "int"}, "__module__": __name__}
    with pytest.raises(TypeError, match="records keep for themselves"):
        record(type("Odd", (), namespace))
