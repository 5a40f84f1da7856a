"""Where the client's settings come from: flags, then the environment, then a config file.

The secret is read from a file or the environment, never taken on the
command line, so it does not show in process listings.

Config file (TOML)::

    url = "https://helpdesk.example.com/soap/"
    secret_file = "/etc/extdesk/helpdesk-secret"   # or: secret = "..."
    namespace = "urn:HSPC/ExternalHelpdesk"
    ca_bundle = "/etc/extdesk/helpdesk-ca.pem"
    timeout = 120
    retries = 3
    state = "/var/lib/extdesk/sync-state.json"
"""

from __future__ import annotations

import os
import stat
import sys
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from extdesk.soap.protocol import DEFAULT_NAMESPACE
from extdesk.soap.signature import MIN_SECRET_LENGTH

from .errors import SettingsError
from .helpdesk import DEFAULT_RETRIES, DEFAULT_TIMEOUT
from .state import default_state_path

_CONFIG_KEYS = {"url", "secret", "secret_file", "namespace", "ca_bundle", "timeout", "retries", "state"}


@dataclass(frozen=True)
class ClientSettings:
    url: str
    secret: str
    namespace: str
    verify: bool | str
    timeout: float
    retries: int
    state_path: Path

    def __repr__(self) -> str:
        return f"ClientSettings(url={self.url!r}, namespace={self.namespace!r})"


def _warn_if_shared(path: Path, what: str) -> None:
    try:
        mode = path.stat().st_mode
    except OSError:
        return
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        print(f"extdesk client: warning: {what} {path} is readable by other users; chmod 600 it",
              file=sys.stderr)


def _read_config(path: str) -> dict[str, Any]:
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise SettingsError(f"the config file {path} does not exist") from None
    except OSError as exc:
        raise SettingsError(f"cannot read the config file {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"the config file {path} is not valid TOML: {exc}") from None
    unknown = sorted(set(data) - _CONFIG_KEYS)
    if unknown:
        raise SettingsError(
            f"the config file {path} has unknown setting {unknown[0]!r} "
            f"(known: {', '.join(sorted(_CONFIG_KEYS))})"
        )
    for key, value in data.items():
        wanted = (int, float) if key == "timeout" else int if key == "retries" else str
        if not isinstance(value, wanted) or isinstance(value, bool):
            raise SettingsError(f"the config file {path}: {key} has the wrong type")
    if "secret" in data:
        _warn_if_shared(Path(path), "the config file holding the secret")
    return data


def _read_secret_file(path: str, origin: str) -> str:
    try:
        secret = Path(path).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise SettingsError(f"the secret file {path} ({origin}) does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(f"cannot read the secret file {path} ({origin}): {exc}") from None
    _warn_if_shared(Path(path), "the secret file")
    return secret


def _secret(flags: Mapping[str, Any], environ: Mapping[str, str], config: Mapping[str, Any]) -> str:
    if flags.get("secret_file"):
        secret, origin = _read_secret_file(flags["secret_file"], "--secret-file"), "--secret-file"
    elif environ.get("EXTDESK_SECRET_FILE"):
        secret = _read_secret_file(environ["EXTDESK_SECRET_FILE"], "EXTDESK_SECRET_FILE")
        origin = "EXTDESK_SECRET_FILE"
    elif environ.get("EXTDESK_SECRET"):
        secret, origin = environ["EXTDESK_SECRET"], "EXTDESK_SECRET"
    elif config.get("secret_file"):
        secret, origin = _read_secret_file(config["secret_file"], "config secret_file"), "secret_file"
    elif config.get("secret"):
        secret, origin = config["secret"], "config secret"
    else:
        raise SettingsError(
            "no shared secret: use --secret-file FILE, EXTDESK_SECRET_FILE, EXTDESK_SECRET, "
            "or secret_file in the config file"
        )
    if len(secret) < MIN_SECRET_LENGTH:
        raise SettingsError(f"the shared secret ({origin}) is shorter than {MIN_SECRET_LENGTH} characters")
    return secret


def load_settings(flags: Mapping[str, Any], environ: Mapping[str, str] = os.environ) -> ClientSettings:
    """Resolve every setting; SettingsError names the first one that is wrong."""
    config = _read_config(flags["config"]) if flags.get("config") else {}

    def pick(flag: str, env: str | None, key: str) -> Any:
        if flags.get(flag) is not None:
            return flags[flag]
        if env and environ.get(env):
            return environ[env]
        return config.get(key)

    url = pick("url", "EXTDESK_URL", "url")
    if not url:
        raise SettingsError("no helpdesk URL: use --url, EXTDESK_URL, or url in the config file")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SettingsError(f"the helpdesk URL {url!r} must be an http:// or https:// URL with a host")

    ca_bundle = pick("ca_bundle", "EXTDESK_CA_BUNDLE", "ca_bundle")
    if ca_bundle and not Path(ca_bundle).is_file():
        raise SettingsError(f"the CA bundle {ca_bundle} does not exist")

    timeout = pick("timeout", None, "timeout")
    timeout = DEFAULT_TIMEOUT if timeout is None else float(timeout)
    if timeout <= 0:
        raise SettingsError("the timeout must be a positive number of seconds")
    retries = pick("retries", None, "retries")
    retries = DEFAULT_RETRIES if retries is None else int(retries)
    if retries < 0:
        raise SettingsError("retries must be 0 or more")
    namespace = pick("namespace", "EXTDESK_NAMESPACE", "namespace") or DEFAULT_NAMESPACE
    state = pick("state", "EXTDESK_SYNC_STATE", "state")

    return ClientSettings(
        url=url,
        secret=_secret(flags, environ, config),
        namespace=namespace,
        verify=ca_bundle or True,
        timeout=timeout,
        retries=retries,
        state_path=Path(state) if state else default_state_path(url, environ),
    )
