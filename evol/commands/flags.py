"""Pipeline config from a TOML file plus command-line flags; a bad flag value is reported as the flag."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from evol.config import error_text
from evol.errors import ConfigError

# `evol run`'s flags, by the config key each one sets.
RUN_FLAGS = {"endpoint.base_url": "--base-url", "endpoint.model": "--model", "endpoint.api_key_env": "--api-key-env",
             "rounds": "--rounds", "seeds.paths": "--seeds", "endpoint.concurrency": "--concurrency",
             "limit": "--limit", "seed": "--seed", "cache": "--no-cache"}
SECRET_FLAGS = {"--api-key-env"}  # a key typed in place of a name is never repeated in an error


def check_flags(model: type[BaseModel], flags: dict[str, tuple[str, Any]]) -> None:
    """Validate each given flag value ({dotted key: (flag, value)}, None = not given) against its field alone.

    A bad value is reported as `--flag VALUE: why` (exit 2), never as an error in the TOML file, which may
    well say something else. Keys the model does not have are left to the full validation.
    """
    for key, (flag, value) in flags.items():
        if value is None:
            continue
        owner: Any = model
        *parents, name = key.split(".")
        for part in parents:
            field = owner.model_fields.get(part)
            owner = field.annotation if field is not None else None
            if not (isinstance(owner, type) and issubclass(owner, BaseModel)):
                break
        else:
            field = owner.model_fields.get(name)
            if field is None:
                continue
            try:
                TypeAdapter(Annotated[field.annotation, field]).validate_python(value)
            except ValidationError as exc:
                said = flag if flag in SECRET_FLAGS else f"{flag} {_shown(value, ' ')}"
                raise ConfigError(f"{said}: {error_text(exc.errors()[0])}") from None


def _shown(value: Any, sep: str) -> str:
    """A flag's value as typed: a list joined by `sep` (a repeated flag, or a comma list), '' for nothing."""
    text = sep.join(map(str, value)) if isinstance(value, list) else str(value)
    return text if text != "" else repr("")


def flag_of(name: str) -> str:
    """The flag typed for a keyword argument such as `endpoint__model` (`--model`)."""
    return "--" + name.split("__")[-1].replace("_", "-")


def settings_from_flags(model: type[BaseModel], **values: Any) -> Any:
    """`model(**values)`, each value given by the flag of its keyword (`ngram` -> `--ngram`); a bad one is
    reported as `--flag VALUE: why` (ConfigError, exit 2), one line, like `evol run`'s flags."""
    try:
        return model(**values)
    except ValidationError as exc:
        err = exc.errors()[0]
        name = str(err["loc"][0]) if err["loc"] else ""
        value = values.get(name, err.get("input"))
        where = f"{flag_of(name)} {_shown(value, ',')}" if name in values else model.__name__
        raise ConfigError(f"{where}: {error_text(err)}") from None
