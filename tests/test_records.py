"""``@record`` behaves as ``dataclass(frozen=True, slots=True)`` does, class by class: the
same constructor (positional, keyword, defaults, factories, errors), equality, hashing, repr,
immutability, slots, copy and pickle, and the dataclasses functions; before and after its
``__init__`` is compiled."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from dataclasses import dataclass, field

import pytest

from handsetguard import records
from handsetguard.records import record


def _pair(body: dict[str, object]) -> tuple[type, type]:
    """The same class body as a record and as a frozen slotted dataclass."""
    built = []
    for name, decorate in (("Ours", record), ("Theirs", dataclass(frozen=True, slots=True))):
        namespace = {"__annotations__": dict(body["__annotations__"])}  # type: ignore[call-overload]
        namespace.update({k: v for k, v in body.items() if k != "__annotations__"})
        namespace["__qualname__"] = name
        namespace["__module__"] = __name__
        built.append(decorate(type(name, (), namespace)))
        globals()[name] = built[-1]  # so that pickle finds the class
    return built[0], built[1]


BODY = {
    "__annotations__": {"name": "str", "count": "int", "tags": "list[str]", "note": "str | None"},
    "count": 0,
    "tags": field(default_factory=list, hash=False),
    "note": field(default=None, compare=False, repr=False),
}

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


@pytest.mark.parametrize("compiled", [False, True])
def test_same_objects_as_a_frozen_slotted_dataclass(
    compiled: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(records, "COMPILE_AFTER", 1 if compiled else 10**9)
    ours, theirs = _pair(BODY)
    for args, kwargs in CALLS:
        a, b = ours(*args, **kwargs), theirs(*args, **kwargs)
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


def test_compiled_after_a_few_instances() -> None:
    ours, _ = _pair(BODY)
    generic = ours.__init__
    for n in range(records.COMPILE_AFTER):
        ours(str(n))
    assert ours.__init__ is not generic
    assert ours.__init__.__code__.co_filename == "<record Ours>"
    assert ours("z", 2) == ours(name="z", count=2)


def test_own_methods_are_kept() -> None:
    body = {"__annotations__": {"a": "int"}, "__repr__": lambda _self: "mine"}
    ours, _ = _pair(body)
    assert repr(ours(1)) == "mine"


@pytest.mark.parametrize("compiled", [False, True])
def test_a_mutable_record_is_a_slotted_dataclass(
    compiled: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``@mutable_record`` against ``dataclass(slots=True)``: the same objects, fields
    assignable, compared by their fields and unhashable, no other attribute."""
    monkeypatch.setattr(records, "COMPILE_AFTER", 1 if compiled else 10**9)
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
