"""Indicator sets (STIX2, MVT's index, Echap YAML, the bundled Echap set) compiled into an index
that matches a phone in one hash probe per thing seen on it."""

from handsetguard.threats.indicators.files import COMPILED_FORMAT
from handsetguard.threats.indicators.index import IndicatorIndex, SetSummary, build_index
from handsetguard.threats.indicators.model import (
    MAX_INDICATOR_FILE_BYTES,
    Indicator,
    IndicatorError,
    IndicatorSet,
    SetProblem,
)
from handsetguard.threats.indicators.normalise import java_hashcode
from handsetguard.threats.indicators.store import (
    BUNDLED_NAME,
    ENV_VAR,
    Places,
    bundled_path,
    load_indicators,
    update_user_set,
)

__all__ = [
    "BUNDLED_NAME",
    "COMPILED_FORMAT",
    "ENV_VAR",
    "MAX_INDICATOR_FILE_BYTES",
    "Indicator",
    "IndicatorError",
    "IndicatorIndex",
    "IndicatorSet",
    "Places",
    "SetProblem",
    "SetSummary",
    "build_index",
    "bundled_path",
    "java_hashcode",
    "load_indicators",
    "update_user_set",
]
