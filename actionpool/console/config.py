"""Where the pool is and which credential to send: flags beat the environment, which beats
the config file (`~/.config/actionpool/config.yaml`, or the file `ACTIONPOOL_CONFIG` names).

The file holds `url` and `token` (or `tokenFile`), either at its top level or per context:

    current-context: prod
    contexts:
      prod: {url: https://actionpool.example.com, tokenFile: ~/.config/actionpool/prod.token}
      dev: {url: http://127.0.0.1:8000, tokenFile: /src/actionpool/.actionpool/dev-token}
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from actionpool.console.http import EXIT_USAGE, CliError

URL_VAR = "ACTIONPOOL_URL"
TOKEN_VAR = "ACTIONPOOL_TOKEN"
CONTEXT_VAR = "ACTIONPOOL_CONTEXT"
CONFIG_VAR = "ACTIONPOOL_CONFIG"
DEFAULT_CONFIG = Path("~/.config/actionpool/config.yaml")


@dataclasses.dataclass(frozen=True)
class Target:
    """A pool to talk to; `token` None sends no credential (the pool answers 401)."""

    url: str
    token: str | None


@dataclasses.dataclass(frozen=True)
class Flags:
    """What the command line said (None: not given)."""

    url: str | None = None
    token: str | None = None
    context: str | None = None


def config_path(env: Mapping[str, str]) -> Path:
    return Path(env.get(CONFIG_VAR) or DEFAULT_CONFIG).expanduser()


def read_config(path: Path) -> dict[str, Any]:
    """The config file's contents; no file is an empty config, a broken one an error."""
    try:
        loaded = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, yaml.YAMLError) as exc:
        raise CliError(EXIT_USAGE, f"cannot read the config file {path}: {exc}") from None
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise CliError(EXIT_USAGE, f"the config file {path} is not a mapping")
    return loaded


def context_of(config: Mapping[str, Any], name: str | None) -> Mapping[str, Any]:
    """The settings of context `name` (default: `current-context`, else the top level)."""
    name = name or config.get("current-context")
    if name is None:
        return config
    contexts = config.get("contexts") or {}
    found = contexts.get(name) if isinstance(contexts, dict) else None
    if not isinstance(found, dict):
        raise CliError(EXIT_USAGE, f"no context {name!r} in the config file")
    return found


def file_token(settings: Mapping[str, Any], base: Path) -> str | None:
    """`token`, else the contents of `tokenFile` (relative to the config file's folder)."""
    if settings.get("token"):
        return str(settings["token"])
    if not settings.get("tokenFile"):
        return None
    path = base / Path(str(settings["tokenFile"])).expanduser()
    try:
        return path.read_text().strip()
    except OSError as exc:
        raise CliError(EXIT_USAGE, f"cannot read the token file {path}: {exc}") from None


def resolve(flags: Flags, env: Mapping[str, str], config: Mapping[str, Any], base: Path) -> Target:
    """The pool and credential: each from the flag, else the variable, else the file."""
    settings = context_of(config, flags.context or env.get(CONTEXT_VAR))
    url = flags.url or env.get(URL_VAR) or settings.get("url")
    if not url:
        raise CliError(
            EXIT_USAGE,
            f"no pool URL: give --url, set {URL_VAR}, or put url in {config_path(env)}",
        )
    token = flags.token or env.get(TOKEN_VAR) or file_token(settings, base)
    return Target(url=str(url).rstrip("/"), token=token)


def configured_url(flags: Flags, env: Mapping[str, str]) -> bool:
    """Whether a pool URL is configured anywhere (`actionpool actions` then asks the pool)."""
    if flags.url or env.get(URL_VAR):
        return True
    config = read_config(config_path(env))
    return bool(context_of(config, flags.context or env.get(CONTEXT_VAR)).get("url"))


def target(flags: Flags, env: Mapping[str, str]) -> Target:
    path = config_path(env)
    return resolve(flags, env, read_config(path), path.parent)
