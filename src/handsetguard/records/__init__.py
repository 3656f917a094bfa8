"""``@record``: a frozen, slotted dataclass that costs no compilation at import.

``dataclasses.dataclass(frozen=True, slots=True)`` generates ``__init__``, ``__repr__``,
``__eq__``, ``__hash__``, ``__setattr__`` and ``__delattr__`` as source text and compiles each
with ``exec``: about 1 ms per class on the 2-core build machine. The engine defines about a
hundred such classes, so a tenth of a second of every ``check`` went on compiling methods that
most runs never call (a bugreport run instantiates 76 of the 104 loaded, 30 of them more than
a few times).

A record is the same class — ``__slots__``, immutable (``dataclasses.FrozenInstanceError``),
``__eq__`` and ``__hash__`` over the compared fields in order, ``__repr__``, ``__match_args__``,
copy and pickle support, and the ``__dataclass_fields__`` that ``dataclasses.fields``,
``replace``, ``asdict`` and ``is_dataclass`` read — built from shared closures. Its
``__init__`` (:mod:`.inits`) is a generic one until the class has been made a few times, then
a template's, compiled with the package, given the class's field names: nothing is compiled
at run time (but the ``__init__`` of a class with more fields than the templates have).

:func:`mutable_record` is the same without the freezing: what ``dataclass(slots=True)`` makes
(``__eq__``, no ``__hash__``), for the parsers' private accumulators, which a check run
creates about fifteen classes of.

Supported: fields with or without a default, and :func:`field` (or ``dataclasses.field``)
with ``default=…, default_factory=…, repr=…, hash=…, compare=…``. Refused at definition (use
``@dataclass``): ``ClassVar``/``InitVar`` annotations, ``init=False`` or ``kw_only`` fields,
``__post_init__``, a class that defines ``__slots__`` or inherits fields, a field named
``__record_…`` (a class body cannot write one: it would be mangled).

Nothing here imports :mod:`dataclasses` (with the :mod:`inspect`, :mod:`ast` and :mod:`dis` it
imports, ~11% of ``check --example``'s instructions): a record's ``__dataclass_fields__`` is
made of ``dataclasses.Field`` objects on its first read (by ``dataclasses.fields``,
``replace``, ``asdict``…), and :func:`replace` copies a record without that module.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from operator import attrgetter

from handsetguard.records.inits import DEFAULT as _DEFAULT
from handsetguard.records.inits import FACTORY as _FACTORY
from handsetguard.records.inits import MISSING as _MISSING
from handsetguard.records.inits import REQUIRED as _REQUIRED
from handsetguard.records.inits import frozen_delattr as _frozen_delattr
from handsetguard.records.inits import frozen_setattr as _frozen_setattr
from handsetguard.records.inits import generic_init as _generic_init

_set = object.__setattr__

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (a check never does)
if TYPE_CHECKING:
    from typing import Any, TypeVar, overload

    from typing_extensions import dataclass_transform

    _T = TypeVar("_T", bound=type)
    _V = TypeVar("_V")
    _R = TypeVar("_R")
else:

    def dataclass_transform(**_options: object) -> Callable[[Any], Any]:
        return lambda decorator: decorator


__all__ = ["field", "mutable_record", "record", "replace"]


class _Spec:
    """A field as :func:`field` describes it (what dataclasses.Field holds that records use)."""

    __slots__ = ("compare", "default", "default_factory", "hash", "name", "repr", "type")

    def __init__(
        self, default: Any, default_factory: Any, repr: bool, hash: bool | None, compare: bool
    ) -> None:
        self.default, self.default_factory = default, default_factory
        self.repr, self.hash, self.compare = repr, hash, compare
        self.name: str = ""
        self.type: Any = None


if TYPE_CHECKING:  # the overloads, for the type checker only

    @overload
    def field(
        *, default: _V, repr: bool = True, hash: bool | None = None, compare: bool = True
    ) -> _V: ...

    @overload
    def field(
        *,
        default_factory: Callable[[], _V],
        repr: bool = True,
        hash: bool | None = None,
        compare: bool = True,
    ) -> _V: ...

    @overload
    def field(*, repr: bool = True, hash: bool | None = None, compare: bool = True) -> Any: ...


def field(
    *,
    default: Any = _MISSING,
    default_factory: Any = _MISSING,
    repr: bool = True,  # noqa: A002 - dataclasses.field's names
    hash: bool | None = None,  # noqa: A002
    compare: bool = True,
) -> Any:
    """A record field's options, as ``dataclasses.field`` takes them."""
    if default is not _MISSING and default_factory is not _MISSING:
        raise ValueError("cannot specify both default and default_factory")
    return _Spec(default, default_factory, repr, hash, compare)


def _spec_of(value: Any, owner: str, name: str) -> _Spec:
    """The field ``name`` of class ``owner`` from its class-body value."""
    if isinstance(value, _Spec):
        return value
    # A dataclasses.Field can only exist once dataclasses is imported.
    dataclasses = sys.modules.get("dataclasses")
    if dataclasses is None or not isinstance(value, dataclasses.Field):
        return _Spec(value, _MISSING, True, None, True)
    if not value.init or value.kw_only is True:
        raise TypeError(f"{owner}.{name}: init=False/kw_only need @dataclass")

    def own(given: Any) -> Any:
        return _MISSING if given is dataclasses.MISSING else given

    return _Spec(
        own(value.default), own(value.default_factory), value.repr, value.hash, value.compare
    )


def _fields(cls: type) -> list[_Spec]:
    for base in cls.__mro__[1:]:
        if "__dataclass_fields__" in base.__dict__:  # read, not made (see _FieldsOf)
            raise TypeError(f"{cls.__name__}: a record cannot inherit fields; use @dataclass")
    if "__slots__" in cls.__dict__ or "__post_init__" in cls.__dict__:
        raise TypeError(f"{cls.__name__}: __slots__/__post_init__ need @dataclass")
    found: list[_Spec] = []
    defaulted = False
    for name, annotation in cls.__dict__.get("__annotations__", {}).items():
        text = annotation if isinstance(annotation, str) else repr(annotation)
        if "ClassVar" in text or "InitVar" in text:
            raise TypeError(f"{cls.__name__}.{name}: ClassVar/InitVar need @dataclass")
        if name.startswith("__record_"):  # what the __init__s name their own parts
            raise TypeError(f"{cls.__name__}.{name}: a name records keep for themselves")
        spec = _spec_of(cls.__dict__.get(name, _MISSING), cls.__name__, name)
        if spec.default is not _MISSING and type(spec.default).__hash__ is None:
            raise ValueError(
                f"mutable default {type(spec.default)} for field {name} is not allowed: "
                "use default_factory"
            )
        has_default = spec.default is not _MISSING or spec.default_factory is not _MISSING
        if defaulted and not has_default:
            raise TypeError(f"non-default argument {name!r} follows default argument")
        defaulted = defaulted or has_default
        spec.name, spec.type = name, annotation
        found.append(spec)
    return found


class _FieldsOf:
    """A record class's ``__dataclass_fields__``: ``dataclasses.Field`` objects by name, made
    (and dataclasses imported) when something first reads it."""

    __slots__ = ("made", "specs")

    def __init__(self, specs: list[_Spec]) -> None:
        self.specs = specs
        self.made: dict[str, Any] | None = None

    def __get__(self, _instance: object, _owner: type | None = None) -> dict[str, Any]:
        if self.made is None:
            import dataclasses

            def theirs(given: Any) -> Any:
                return dataclasses.MISSING if given is _MISSING else given

            made = {}
            for spec in self.specs:
                made[spec.name] = made_field = dataclasses.field(
                    default=theirs(spec.default),
                    default_factory=theirs(spec.default_factory),
                    repr=spec.repr,
                    hash=spec.hash,
                    compare=spec.compare,
                )
                made_field.name, made_field.type = spec.name, spec.type
                # What dataclasses.fields() filters on (a regular field, not a ClassVar).
                made_field._field_type = dataclasses._FIELD  # type: ignore[attr-defined]
            self.made = made
        return self.made


def replace(obj: _R, /, **changes: Any) -> _R:
    """``dataclasses.replace`` for a record (without importing dataclasses); any other
    dataclass is given to dataclasses.replace."""
    cls: Any = type(obj)
    if not isinstance(cls.__dict__.get("__dataclass_fields__"), _FieldsOf):
        import dataclasses

        return dataclasses.replace(obj, **changes)  # type: ignore[type-var]
    values = {name: changes.pop(name, _MISSING) for name in cls.__match_args__}
    for name, value in values.items():
        if value is _MISSING:
            values[name] = getattr(obj, name)
    if changes:
        raise TypeError(
            f"{cls.__qualname__}.__init__() got an unexpected keyword argument "
            f"{next(iter(changes))!r}"
        )
    made: _R = cls(**values)
    return made


def _kinds(fields: list[_Spec]) -> list[tuple[int, Any]]:
    return [
        (_FACTORY, f.default_factory)
        if f.default_factory is not _MISSING
        else (_DEFAULT, f.default)
        if f.default is not _MISSING
        else (_REQUIRED, None)
        for f in fields
    ]


def _key(names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    if not names:
        return lambda _self: ()
    getter = attrgetter(*names)
    if len(names) == 1:
        return lambda self: (getter(self),)
    return getter


def _methods(qualname: str, fields: list[_Spec]) -> dict[str, Any]:
    names = tuple(f.name for f in fields)
    shown = tuple(f.name for f in fields if f.repr)
    compared = _key(tuple(f.name for f in fields if f.compare))
    hashed = _key(tuple(f.name for f in fields if (f.compare if f.hash is None else f.hash)))
    everything = _key(names)

    def __repr__(self: Any) -> str:
        inner = ", ".join(f"{name}={getattr(self, name)!r}" for name in shown)
        return f"{type(self).__qualname__}({inner})"

    def __eq__(self: Any, other: object) -> bool:
        if other.__class__ is self.__class__:
            return bool(compared(self) == compared(other))
        return NotImplemented

    def __hash__(self: Any) -> int:
        return hash(hashed(self))

    def __getstate__(self: Any) -> tuple[Any, ...]:
        return everything(self)

    def __setstate__(self: Any, state: tuple[Any, ...]) -> None:
        for name, value in zip(names, state, strict=True):
            _set(self, name, value)

    methods: dict[str, Any] = {
        "__repr__": __repr__,
        "__eq__": __eq__,
        "__hash__": __hash__,
        "__getstate__": __getstate__,
        "__setstate__": __setstate__,
    }
    for name, method in methods.items():
        method.__qualname__ = f"{qualname}.{name}"
    return methods


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def record(cls: _T) -> _T:
    """Make ``cls`` a frozen, slotted dataclass (see the module docstring)."""
    return _build(cls, frozen=True)


if TYPE_CHECKING:

    @overload
    def mutable_record(cls: _T, /) -> _T: ...

    @overload
    def mutable_record(*, weakref_slot: bool = False) -> Callable[[_T], _T]: ...


@dataclass_transform(field_specifiers=(field,))
def mutable_record(cls: _T | None = None, /, *, weakref_slot: bool = False) -> Any:
    """Make ``cls`` a slotted dataclass whose fields can be assigned (``dataclass(slots=True)``:
    compared by its fields, unhashable); ``@mutable_record(weakref_slot=True)`` also lets it be
    weakly referenced, as the dataclass option of that name."""
    if cls is None:
        return lambda later: _build(later, frozen=False, weakref_slot=weakref_slot)
    return _build(cls, frozen=False)


def _build(cls: _T, *, frozen: bool, weakref_slot: bool = False) -> _T:
    fields = _fields(cls)
    names = tuple(f.name for f in fields)
    namespace = {k: v for k, v in cls.__dict__.items() if k not in names}
    namespace.pop("__dict__", None)
    namespace.pop("__weakref__", None)
    namespace["__slots__"] = (*names, "__weakref__") if weakref_slot else names
    # The class the namespace makes is named as type() names it (a nested class's own
    # __qualname__ is not in its __dict__).
    qualname = namespace.get("__qualname__", cls.__name__)
    kinds = _kinds(fields)
    own = dict(cls.__dict__)
    if own.get("__hash__", _MISSING) is None and "__eq__" in own:
        del own["__hash__"]  # set to None by Python for a class defining __eq__: not its own
    methods = _methods(qualname, fields)
    if not frozen:
        methods["__hash__"] = None  # as dataclass(eq=True) leaves a mutable class
    namespace.update({name: method for name, method in methods.items() if name not in own})
    # Everything is in the namespace before the class is made: setting a dunder on a class
    # afterwards makes Python update its slots (and its subclasses'), for each one set.
    built_box: list[type] = []
    namespace["__init__"] = _generic_init(built_box, qualname, names, kinds)
    if frozen:
        namespace["__setattr__"] = _frozen_setattr
        namespace["__delattr__"] = _frozen_delattr
    namespace["__match_args__"] = names
    namespace["__dataclass_fields__"] = _FieldsOf(fields)
    built: Any = type(cls)(cls.__name__, cls.__bases__, namespace)
    built_box.append(built)
    return built  # type: ignore[no-any-return]
