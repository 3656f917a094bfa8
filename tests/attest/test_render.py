"""The attestation verdict for people: what a certificate says is shown, never obeyed."""

from __future__ import annotations


def test_attested_strings_are_shown_not_obeyed_in_text() -> None:
    """An attested package name, brand and model carrying rich markup, an ANSI escape and a
    bidi override (a forged or buggy KeyMint may say anything): printed as data, no crash."""
    import io
    from datetime import UTC, datetime

    from cryptography.hazmat.primitives.serialization import Encoding
    from rich.console import Console

    from handsetguard.attest.policy import UnsafeNoOp
    from handsetguard.attest.render import render_text
    from tests.attest.helpers import generator, unsafe_test_trust, verifier

    gen = generator()
    hostile = "[/]\x1b[2J[link=https://e.example]x[/link]\u202egpj"
    document = gen.golden()
    document["softwareEnforced"]["attestationApplicationId"]["packages"][0]["name"] = hostile
    document["hardwareEnforced"]["attestationIdBrand"] = hostile
    certs, _ = gen.factory_chain(prefix="hostile", kd=gen.encode_key_description(document))
    chain = [c.public_bytes(Encoding.DER) for c in certs]
    verdict = verifier(trust=unsafe_test_trust()).verify(
        chain, UnsafeNoOp(), at=datetime(2026, 1, 1, tzinfo=UTC)
    )
    console = Console(width=200, color_system=None, file=io.StringIO(), record=True)
    render_text(verdict, console)
    text = console.export_text()
    assert "\x1b" not in text and "\u202e" not in text
    assert "[/]\\x1b[2J[link=https://e.example]x[/link]\\u202egpj" in text


def _text_rows(name: str) -> dict[str, str]:
    import io

    from rich.console import Console

    from handsetguard.attest import UnsafeNoOp, read_chain
    from handsetguard.attest.render import render_text
    from tests.attest.helpers import chain_path, created_at, snapshot, verifier

    verdict = verifier(snapshot()).verify(
        read_chain(chain_path(name)), UnsafeNoOp(), at=created_at(name)
    )
    console = Console(width=200, color_system=None, file=io.StringIO(), record=True)
    render_text(verdict, console)
    return {
        line.split("│")[1].strip(): line.split("│")[2].strip()
        for line in console.export_text().splitlines()
        if line.count("│") >= 3
    }


def test_keymint_enums_are_named_in_text() -> None:
    """Finding: text output showed enums as numbers ("purposes 2", "algorithms 3"). Pixel 3
    (SDK 28) RSA and EC chains, Pixel 8a (SDK 34) RSA chain."""
    rsa = _text_rows("blueline/sdk28/TEE_RSA_NONE")
    assert (rsa["algorithms"], rsa["purposes"], rsa["paddings"]) == (
        "RSA (1)",
        "SIGN (2)",
        "RSA_PSS (3)",
    )
    ec = _text_rows("blueline/sdk28/TEE_EC_NONE")
    assert ec["algorithms"] == "EC (3)" and ec["ecCurve"] == "P_256 (1)"
    auth = _text_rows("akita/sdk34/TEE_RSA_NONE_USERAUTH")
    assert auth["userAuthType"] == "PASSWORD (1)"
