"""A record's ``__init__``: generic until the class has been made a few times, then one made
for it. Made from a template (:mod:`.templates`, compiled with the package) given the class's
field names, or — for a class with more fields than the templates have — compiled from source.

Each one binds the arguments as dataclasses' generated ``__init__`` does (positional, keyword,
defaults, default factories, the same errors) and stores each field in its slot. A frozen
record's own instances are stored into as instances of its open twin (:func:`open_twin`: the
same layout without the refusing ``__setattr__``), then given their class back: two class
changes, not one ``object.__setattr__`` call per field (~1,400 instructions each). An
instance of a subclass (another layout) is filled by ``object.__setattr__``.
"""

from __future__ import annotations

from types import FunctionType

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (a check never does)
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "COMPILE_AFTER",
    "DEFAULT",
    "FACTORY",
    "MISSING",
    "REQUIRED",
    "TEMPLATE_AFTER",
    "compiled_init",
    "frozen_delattr",
    "frozen_setattr",
    "generic_init",
    "open_twin",
]

TEMPLATE_AFTER = 4
"""Instantiations after which a class gets its own ``__init__`` from a template. Measured for
ten fields: a generic call 1.4 µs, a template's 0.4 µs, fitting a template 15 µs (what fifteen
generic calls lose); the classes a run makes one to four times never pay it."""
COMPILE_AFTER = 32
"""Instantiations after which a class that no template fits gets its ``__init__`` compiled
from source (~100 generic calls' worth)."""
TEMPLATE_FIELDS = 22
"""The most fields a template has (tools/derive_record_inits.py's MAX_FIELDS)."""


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()
"""A field argument not given (a default factory's field's default)."""
_set = object.__setattr__
REQUIRED, DEFAULT, FACTORY = 0, 1, 2
"""A field's kind, paired with its default or factory (``None`` for a required one)."""
Kinds = list[tuple[int, "Any"]]


def frozen_setattr(_self: object, name: str, _value: object) -> None:
    from dataclasses import FrozenInstanceError

    raise FrozenInstanceError(f"cannot assign to field {name!r}")


def frozen_delattr(_self: object, name: str) -> None:
    from dataclasses import FrozenInstanceError

    raise FrozenInstanceError(f"cannot delete field {name!r}")


def open_twin(cls: type) -> type:
    """``cls``'s layout (bases, slots) without its ``__setattr__``: an instance's class can
    be changed between the two."""
    return type(cls.__name__, cls.__bases__, {"__slots__": cls.__dict__["__slots__"]})


def _factories(names: tuple[str, ...], kinds: Kinds) -> Any:
    """What fills the fields whose factory is due (given ``MISSING``), or ``None``."""
    factories = tuple(
        (name, made) for name, (kind, made) in zip(names, kinds, strict=True) if kind == FACTORY
    )
    if not factories:
        return None

    def fill(self: Any) -> None:
        for name, factory in factories:
            if getattr(self, name) is MISSING:
                _set(self, name, factory())

    return fill


def _templated_init(cls: type, names: tuple[str, ...], kinds: Kinds) -> Any:
    """``cls``'s ``__init__`` from the template of its number of fields (None when there is
    none). No field is named ``__record_…`` (records refuse it): the names given to the
    template's own parts."""
    if len(names) > TEMPLATE_FIELDS:
        return None
    from handsetguard.records import templates

    code = getattr(templates, f"i{len(names)}").__code__
    renamed = {f"f{n}": name for n, name in enumerate(names)}
    renamed["s"] = "__record_self__"
    renamed.update({g: f"__record_{g}__" for g in ("O", "T", "S", "X", "Z", "F", "L")})
    code = code.replace(
        co_varnames=tuple(renamed.get(name, name) for name in code.co_varnames),
        co_names=tuple(renamed.get(name, name) for name in code.co_names),
        co_name="__init__",
        co_qualname=f"{cls.__qualname__}.__init__",
        co_filename=f"<record {cls.__qualname__}>",
    )
    fill = _factories(names, kinds)

    def subclass_instance(self: Any, values: dict[str, Any]) -> None:
        for name in names:
            _set(self, name, values[name])
        if fill is not None:
            fill(self)

    frozen = cls.__dict__.get("__setattr__") is frozen_setattr
    namespace = {
        "__name__": cls.__module__,
        "__record_O__": cls,
        "__record_T__": open_twin(cls) if frozen else None,
        "__record_S__": _set,
        "__record_X__": subclass_instance,
        "__record_Z__": frozen,
        "__record_F__": fill,
        "__record_L__": locals,
    }
    defaults = tuple(MISSING if kind == FACTORY else made for kind, made in kinds if kind)
    init = FunctionType(code, namespace, "__init__", defaults or None)
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    return init


def compiled_init(cls: type, names: tuple[str, ...], kinds: Kinds) -> Any:
    """The ``__init__`` dataclasses would write, compiled from source (see the module
    docstring); with fewer than ``_TWIN_AFTER`` fields a frozen record's are set one by one."""
    params, stores = ["__record_self__"], []
    namespace: dict[str, Any] = {"__record_set__": _set, "__record_missing__": MISSING}
    for n, (name, (kind, default)) in enumerate(zip(names, kinds, strict=True)):
        value = name
        if kind == REQUIRED:
            params.append(name)
        elif kind == DEFAULT:
            namespace[f"__record_default_{n}__"] = default
            params.append(f"{name}=__record_default_{n}__")
        else:
            namespace[f"__record_factory_{n}__"] = default
            params.append(f"{name}=__record_missing__")
            value = f"__record_factory_{n}__() if {name} is __record_missing__ else {name}"
        stores.append((name, value))
    direct = [f"        __record_self__.{name} = {value}" for name, value in stores]
    if cls.__dict__.get("__setattr__") is not frozen_setattr:
        body = [line[4:] for line in direct]  # nothing refuses an assignment
    elif len(stores) < _TWIN_AFTER:
        body = [f"    __record_set__(__record_self__, {name!r}, {value})" for name, value in stores]
    else:
        namespace["__record_class__"], namespace["__record_open__"] = cls, open_twin(cls)
        body = [
            "    if __record_self__.__class__ is __record_class__:",
            "        __record_set__(__record_self__, '__class__', __record_open__)",
            *direct,
            "        __record_self__.__class__ = __record_class__",
            "    else:",
            *(f"        __record_set__(__record_self__, {n!r}, {v})" for n, v in stores),
        ]
    source = f"def __init__({', '.join(params)}):\n" + ("\n".join(body) or "    pass") + "\n"
    # exec of the text, not of compile()'s code: the builtin compile() first builds the ast
    # module's ~120 node types (its PyAST_Check), ~10 M instructions on its first call in a
    # process, 3% of ``check --example``; exec of a string goes straight to the compiler.
    exec(source, namespace)  # noqa: S102
    init = namespace["__init__"]
    init.__code__ = init.__code__.replace(co_filename=f"<record {cls.__qualname__}>")
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    return init


_TWIN_AFTER = 3  # fields from which the twin's two class changes cost less than they save


def generic_init(built: list[type], qualname: str, names: tuple[str, ...], kinds: Kinds) -> Any:
    """The generic ``__init__`` of the class ``built`` will hold (made before the class is):
    after TEMPLATE_AFTER calls it gives the class one from a template, or after COMPILE_AFTER
    a compiled one."""
    count = len(names)
    position = {name: n for n, name in enumerate(names)}
    calls = [0]
    label = f"{qualname}.__init__()"

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        if len(args) > count:
            raise TypeError(
                f"{label} takes {count + 1} positional arguments but {len(args) + 1} were given"
            )
        values = [*args, *([MISSING] * (count - len(args)))]
        for key, value in kwargs.items():
            n = position.get(key)
            if n is None:
                raise TypeError(f"{label} got an unexpected keyword argument {key!r}")
            if n < len(args):
                raise TypeError(f"{label} got multiple values for argument {key!r}")
            values[n] = value
        for n, value in enumerate(values):
            if value is MISSING:
                kind, default = kinds[n]
                if kind == REQUIRED:
                    raise TypeError(f"{label} missing required argument: {names[n]!r}")
                value = default() if kind == FACTORY else default
            _set(self, names[n], value)
        calls[0] += 1
        if calls[0] == TEMPLATE_AFTER or calls[0] == COMPILE_AFTER:
            cls = built[0]
            made = _templated_init(cls, names, kinds)
            if made is None and calls[0] == COMPILE_AFTER:
                made = compiled_init(cls, names, kinds)
            if made is not None:
                type.__setattr__(cls, "__init__", made)

    __init__.__qualname__ = f"{qualname}.__init__"
    return __init__
