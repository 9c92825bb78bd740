"""The Ed25519 key that signs checkpoints: the private key only from the environment, never from the database.

* ``AUDIT_SIGNING_KEY``: the private key, PEM (PKCS#8) text;
* or ``AUDIT_SIGNING_KEY_FILE``: a path to that PEM file (readable by the bot's user only).

The public key (PEM, ``SubjectPublicKeyInfo``) is what an auditor holds; ``incident-bot audit keygen`` writes
both. Signatures are over the canonical JSON of a checkpoint body (:func:`bot.audit.digest.canonical_json`).
"""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from bot.private_file import write_private

KEY_ENV = "AUDIT_SIGNING_KEY"
KEY_FILE_ENV = "AUDIT_SIGNING_KEY_FILE"


class KeyProblem(ValueError):
    """A signing or public key that cannot be read; the message says what to fix."""


def generate() -> tuple[str, str]:
    """A new key pair: (private PEM, public PEM)."""
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    return private, public_pem(key.public_key())


def public_pem(key: Ed25519PublicKey) -> str:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def key_id(key: Ed25519PublicKey) -> str:
    """A short name for a public key: sha256 of its raw 32 bytes, first 16 hex digits."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def private_key_from_pem(text: str, *, source: str) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(text.encode(), password=None)
    except (ValueError, TypeError) as exc:
        raise KeyProblem(f"{source}: not an unencrypted PEM private key ({exc}); create one with "
                        "`incident-bot audit keygen DIR`") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyProblem(f"{source}: the key is not an Ed25519 key; create one with `incident-bot audit keygen DIR`")
    return key


def signing_key_from_env(environ: dict[str, str] | None = None) -> Ed25519PrivateKey | None:
    """The configured signing key, or None when neither variable is set."""
    env = os.environ if environ is None else environ
    if env.get(KEY_ENV):
        return private_key_from_pem(env[KEY_ENV], source=KEY_ENV)
    if env.get(KEY_FILE_ENV):
        path = Path(env[KEY_FILE_ENV])
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise KeyProblem(f"{KEY_FILE_ENV}={path}: cannot read the key file ({exc.strerror})") from None
        return private_key_from_pem(text, source=f"{KEY_FILE_ENV}={path}")
    return None


def public_key_from_file(path: Path) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(Path(path).read_bytes())
    except OSError as exc:
        raise KeyProblem(f"{path}: cannot read the public key ({exc.strerror})") from None
    except ValueError as exc:
        raise KeyProblem(f"{path}: not a PEM public key ({exc})") from None
    if not isinstance(key, Ed25519PublicKey):
        raise KeyProblem(f"{path}: not an Ed25519 public key")
    return key


def sign(key: Ed25519PrivateKey, message: str) -> str:
    return base64.b64encode(key.sign(message.encode())).decode()


def signature_valid(key: Ed25519PublicKey, message: str, signature: str) -> bool:
    try:
        key.verify(base64.b64decode(signature, validate=True), message.encode())
    except (InvalidSignature, ValueError):
        return False
    return True


def write_key_pair(directory: Path) -> tuple[Path, Path]:
    """``audit-signing.key`` (0600) and ``audit-signing.pub`` in ``directory``; refuses to overwrite a key."""
    private_path, public_path = directory / "audit-signing.key", directory / "audit-signing.pub"
    if private_path.exists():
        raise KeyProblem(f"{private_path} exists; a new key would not verify the checkpoints signed with it. "
                        "Move it away first if you really mean to rotate the key (see docs/audit.md)")
    private, public = generate()
    write_private(private_path, private)
    directory.mkdir(parents=True, exist_ok=True)
    public_path.write_text(public, encoding="utf-8")
    return private_path, public_path
