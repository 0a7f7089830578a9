"""Who uses the dashboard, and what they may do: login modes and roles.

Modes (``FUNDPLANNER_AUTH``, else ``[fundplanner] auth`` in ``.streamlit/secrets.toml``):

- ``none`` (the local default, ``make run``): no login; the OS user, role ``admin``.
- ``password`` (a single-server install): users in the secrets file, each with a salted scrypt
  hash and a role::

      [fundplanner]
      auth = "password"
      [fundplanner.users.nadia]
      password = "scrypt$16384$8$1$<salt hex>$<hash hex>"   # python -m ui.auth (prints one)
      role = "editor"

- ``oidc`` (a shared deployment): Streamlit's ``st.login`` with the ``[auth]`` section of the
  secrets file (redirect_uri, cookie_secret, client_id, client_secret,
  server_metadata_url — see Streamlit's authentication docs); roles by e-mail address in
  ``[fundplanner.roles]`` (``"nadia@example.org" = "editor"``), ``viewer`` for anyone else.

Roles: ``viewer`` reads; ``editor`` also imports, edits the record, plans, pins and excludes;
``admin`` also opens another project and replaces imports. The user's name is written to the
project's audit trail with every change (the ``user=`` of every write).
"""

from __future__ import annotations

import getpass
import hashlib
import hmac
import os
import secrets
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import streamlit as st

from fundplanner import i18n, store

ROLES: tuple[str, ...] = ("viewer", "editor", "admin")
MODES: tuple[str, ...] = ("none", "password", "oidc")
MODE_VARIABLE = "FUNDPLANNER_AUTH"
IDENTITY_KEY = "_identity"

#: scrypt cost parameters (RFC 7914): n = 2**14, r = 8, p = 1 — the interactive-login figures
#: of the scrypt paper (Percival 2009) and of Python's hashlib documentation.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1


@dataclass(frozen=True)
class Identity:
    user: str
    role: str
    mode: str


def allows(role: str, needed: str) -> bool:
    """Whether ``role`` includes ``needed`` (viewer < editor < admin)."""
    if role not in ROLES or needed not in ROLES:
        return False
    return ROLES.index(role) >= ROLES.index(needed)


# ------------------------------------------------------------------------------ passwords


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """A salted scrypt hash as stored in the secrets file: ``scrypt$n$r$p$salt$hash``."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32
    )
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches a :func:`hash_password` hash (constant-time compare)."""
    try:
        name, n, r, p, salt, digest = stored.split("$")
        if name != "scrypt":
            return False
        found = hashlib.scrypt(
            password.encode("utf-8"),
            salt=bytes.fromhex(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(bytes.fromhex(digest)),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(found.hex(), digest)


# ------------------------------------------------------------------------------ settings


def _settings() -> Mapping[str, Any]:
    """The ``[fundplanner]`` section of the secrets (empty without a secrets file)."""
    try:
        section = st.secrets.get("fundplanner", {})
    except (FileNotFoundError, KeyError, st.errors.StreamlitSecretNotFoundError):
        return {}
    return section if isinstance(section, Mapping) else {}


def mode() -> str:
    chosen = os.environ.get(MODE_VARIABLE) or str(_settings().get("auth", "none"))
    return chosen if chosen in MODES else "none"


def _role(value: object) -> str:
    return str(value) if value in ROLES else "viewer"


# ------------------------------------------------------------------------------ login


def identify(lang: str) -> Identity:
    """Who is using this session; shows the login and stops the run until someone logs in."""
    chosen = mode()
    if chosen == "none":
        return Identity(store.current_user(), "admin", chosen)
    if chosen == "password":
        return _password_identity(lang)
    return _oidc_identity(lang)


def _password_identity(lang: str) -> Identity:
    known = st.session_state.get(IDENTITY_KEY)
    if isinstance(known, Identity):
        return known
    users = _settings().get("users", {})
    st.title(i18n.t("ui.auth.title", lang))
    with st.form("login"):
        name = st.text_input(i18n.t("ui.auth.user", lang))
        password = st.text_input(i18n.t("ui.auth.password", lang), type="password")
        submitted = st.form_submit_button(i18n.t("ui.auth.login", lang))
    if submitted:
        entry = users.get(name) if isinstance(users, Mapping) else None
        stored = str(entry.get("password", "")) if isinstance(entry, Mapping) else ""
        if entry is not None and check_password(password, stored):
            identity = Identity(name, _role(entry.get("role")), "password")
            st.session_state[IDENTITY_KEY] = identity
            st.rerun()
        st.error(i18n.t("ui.auth.wrong", lang))
    st.stop()
    raise AssertionError("st.stop() ends the run")  # pragma: no cover


def _oidc_identity(lang: str) -> Identity:
    if not st.user.is_logged_in:
        st.title(i18n.t("ui.auth.title", lang))
        st.button(i18n.t("ui.auth.login_oidc", lang), on_click=st.login)
        st.stop()
    email = str(st.user.get("email") or st.user.get("name") or "unknown")
    roles = _settings().get("roles", {})
    role = _role(roles.get(email)) if isinstance(roles, Mapping) else "viewer"
    return Identity(email, role, "oidc")


def logout() -> None:
    st.session_state.pop(IDENTITY_KEY, None)
    if mode() == "oidc":
        st.logout()


def sidebar(identity: Identity, lang: str) -> None:
    """Who is logged in, their role, and a logout button (when there is a login)."""
    role = i18n.t(f"ui.auth.role.{identity.role}", lang)
    st.sidebar.caption(i18n.t("ui.auth.signed_in", lang, user=identity.user, role=role))
    if identity.mode != "none":
        st.sidebar.button(i18n.t("ui.auth.logout", lang), on_click=logout, key="_logout")


def main() -> None:
    """``python -m ui.auth``: print the hash of a password typed twice, for the secrets file."""
    first = getpass.getpass("password: ")
    if first != getpass.getpass("again: "):
        print("the two passwords differ", file=sys.stderr)
        raise SystemExit(2)
    print(hash_password(first))


if __name__ == "__main__":
    main()
